/* map $src $dst { default V; KEY V; ~re V; ~*re V; hostnames; volatile; }
 * nginx's order: exact match (case-insensitive), then the longest
 * "*.suffix"/".suffix" mask, then the longest "prefix.*" mask (hostnames
 * only), then the first matching regex (its captures are $1..$9 for the
 * value), then the default. */
#include <stdio.h>
#include <stdlib.h>

#include "core/hash.h"
#include "edge/edge_conf.h"

typedef struct {
    hs_str key;        /* lowercase; masks without their '*' ("example.com") */
    hs_regex *regex;   /* for ~ and ~* */
    hs_cv value;
    bool leading_dot;  /* ".example.com" also matches example.com itself */
} map_entry;

typedef struct {
    hs_cv source;
    hs_hash exact;     /* lowercase key -> map_entry* */
    map_entry *head;   /* *.example.com / .example.com, longest first */
    size_t nhead;
    map_entry *tail;   /* www.example.*, longest first */
    size_t ntail;
    map_entry *regex;  /* in order */
    size_t nregex;
    hs_cv dflt;        /* empty when not given */
    bool hostnames;
    bool is_volatile;  /* computed at each read; else once per request, as nginx */
} map_def;

/* A value computed for the request: kept for its later reads (also after
 * an internal redirect), as nginx caches a non-volatile map's value. */
struct hs_map_value {
    const map_def *map;
    hs_str value;
    bool found;
    struct hs_map_value *next;
};

static void free_exact(void *h) { hs_hash_free(h); }

static hs_str lower_copy(hs_pool *pool, hs_str s)
{
    char *p = hs_palloc(pool, s.n + 1);
    for (size_t i = 0; i < s.n; i++)
        p[i] = hs_lower(s.p[i]);
    p[s.n] = '\0';
    return (hs_str){p, s.n};
}

static int by_len_desc(const void *a, const void *b)
{
    const map_entry *x = a, *y = b;
    return (int)y->key.n - (int)x->key.n;
}

static bool head_match(const map_entry *e, hs_str v)
{
    /* e->key "example.com": v is "x.example.com", or exactly it with a leading dot form */
    if (v.n > e->key.n && v.p[v.n - e->key.n - 1] == '.' &&
        strncasecmp(v.p + v.n - e->key.n, e->key.p, e->key.n) == 0)
        return true;
    return e->leading_dot && hs_str_caseeq(v, e->key);
}

static bool tail_match(const map_entry *e, hs_str v)
{
    /* e->key "www.example": v is "www.example.xyz" */
    return v.n > e->key.n + 1 && v.p[e->key.n] == '.' && strncasecmp(v.p, e->key.p, e->key.n) == 0;
}

static const hs_cv *map_find(const map_def *m, hs_req *r, hs_str v)
{
    if (m->hostnames && v.n && v.p[v.n - 1] == '.')
        v.n--;
    map_entry *e = hs_hash_get_lower(&m->exact, v);
    if (e)
        return &e->value;
    for (size_t i = 0; i < m->nhead; i++)
        if (head_match(&m->head[i], v))
            return &m->head[i].value;
    for (size_t i = 0; i < m->ntail; i++)
        if (tail_match(&m->tail[i], v))
            return &m->tail[i].value;
    for (size_t i = 0; i < m->nregex; i++) {
        int ov[2 * HS_REGEX_MAX_CAPTURES];
        int n = hs_regex_match(m->regex[i].regex, v, ov);
        if (n > 0) {
            hs_http_set_captures(r, m->regex[i].regex, v, ov, n);
            return &m->regex[i].value;
        }
    }
    return &m->dflt;
}

static int compute(const map_def *m, hs_req *r, hs_str *out)
{
    hs_str v;
    if (hs_cv_eval(&m->source, r, r->pool, &v) != HS_OK)
        v = HS_NULL_STR;
    const hs_cv *val = map_find(m, r, v);
    return hs_cv_eval(val, r, r->pool, out) == HS_OK ? HS_OK : HS_DECLINED;
}

/* The variable's getter: the request's value, computed on its first read
 * (each read for a volatile map). */
static int v_map(void *ctx, uintptr_t data, hs_str *out, char *scratch)
{
    (void)scratch;
    hs_req *r = ctx;
    const map_def *m = (const map_def *)data;
    hs_edge_req *st = m->is_volatile || r->bare ? NULL : hs_edge_req_of(r);
    if (st == NULL)
        return compute(m, r, out);
    for (struct hs_map_value *c = st->maps; c; c = c->next)
        if (c->map == m) {
            *out = c->value;
            return c->found ? HS_OK : HS_DECLINED;
        }
    struct hs_map_value *c = hs_palloc(r->pool, sizeof(*c));
    int rc = compute(m, r, out);
    if (c) {
        *c = (struct hs_map_value){m, rc == HS_OK ? *out : HS_NULL_STR, rc == HS_OK, st->maps};
        st->maps = c;
    }
    return rc;
}

static int push(hs_pool *pool, map_entry **v, size_t *n, map_entry e)
{
    map_entry *nv = hs_palloc(pool, (*n + 1) * sizeof(*nv));
    if (nv == NULL)
        return HS_ERROR;
    if (*n)
        memcpy(nv, *v, *n * sizeof(*nv));
    nv[(*n)++] = e;
    *v = nv;
    return HS_OK;
}

static int map_line(hs_cf *cf, map_def *m, const hs_conf_node *t)
{
    hs_str k = t->args[0];
    if (t->nargs == 1 && (hs_str_eq_lit(k, "hostnames") || hs_str_eq_lit(k, "volatile"))) {
        if (k.p[0] == 'h')
            m->hostnames = true;
        else
            m->is_volatile = true;
        return HS_OK;
    }
    if (t->block || t->nargs != 2)
        return hs_cf_error(cf, t, "invalid number of the map parameters");
    map_entry e = {0};
    if (hs_cv_compile(cf, t, t->args[1], &e.value) != HS_OK)
        return HS_ERROR;
    if (hs_str_eq_lit(k, "default")) {
        if (m->dflt.raw.p)
            return hs_cf_error(cf, t, "duplicate default map parameter");
        m->dflt = e.value;
        return HS_OK;
    }
    if (k.n > 1 && k.p[0] == '~') {
        bool caseless = k.n > 2 && k.p[1] == '*';
        hs_str re = {k.p + (caseless ? 2 : 1), k.n - (caseless ? 2 : 1)};
        char err[256];
        e.regex = hs_regex_compile(cf->pool, hs_pstr(cf->pool, re), caseless, err, sizeof(err));
        if (e.regex == NULL)
            return hs_cf_error(cf, t, "%s", err);
        hs_http_define_named_captures(cf, e.regex); /* (?<name>...) are variables, as nginx */
        return push(cf->pool, &m->regex, &m->nregex, e);
    }
    if (k.n > 1 && k.p[0] == '\\')
        k = (hs_str){k.p + 1, k.n - 1}; /* "\~" starts an exact key with "~" */
    if (m->hostnames && k.n > 2 && k.p[0] == '*' && k.p[1] == '.') {
        e.key = lower_copy(cf->pool, (hs_str){k.p + 2, k.n - 2});
        return push(cf->pool, &m->head, &m->nhead, e);
    }
    if (m->hostnames && k.n > 1 && k.p[0] == '.') {
        e.key = lower_copy(cf->pool, (hs_str){k.p + 1, k.n - 1});
        e.leading_dot = true;
        return push(cf->pool, &m->head, &m->nhead, e);
    }
    if (m->hostnames && k.n > 2 && k.p[k.n - 1] == '*' && k.p[k.n - 2] == '.') {
        e.key = lower_copy(cf->pool, (hs_str){k.p, k.n - 2});
        return push(cf->pool, &m->tail, &m->ntail, e);
    }
    e.key = lower_copy(cf->pool, k);
    if (hs_hash_get(&m->exact, e.key))
        return hs_cf_error(cf, t, "conflicting parameter \"%s\"", k.p);
    map_entry *pe = hs_palloc(cf->pool, sizeof(*pe));
    *pe = e;
    return hs_hash_put(&m->exact, e.key, pe);
}

int hs_edge_map_block(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    hs_str name;
    if (n->args[1].n < 2 || n->args[1].p[0] != '$')
        return hs_cf_error(cf, n, "invalid map source \"%s\": a variable or text with variables", n->args[1].p);
    if (hs_var_scan(n->args[2], &name) != n->args[2].n)
        return hs_cf_error(cf, n, "invalid variable name \"%s\"", n->args[2].p);
    map_def *m = hs_pcalloc(cf->pool, sizeof(*m));
    hs_hash_init(&m->exact);
    hs_pool_cleanup_add(cf->pool, free_exact, &m->exact);
    if (hs_cv_compile(cf, n, n->args[1], &m->source) != HS_OK)
        return HS_ERROR;
    /* lines first see whether "hostnames" is anywhere in the block */
    for (size_t i = 0; i < n->nchildren; i++)
        if (n->children[i].nargs == 1 && hs_str_eq_lit(n->children[i].args[0], "hostnames"))
            m->hostnames = true;
    for (size_t i = 0; i < n->nchildren; i++)
        if (map_line(cf, m, &n->children[i]) != HS_OK)
            return HS_ERROR;
    if (m->dflt.raw.p == NULL)
        hs_cv_compile(cf, n, HS_STR(""), &m->dflt);
    if (m->nhead > 1)
        qsort(m->head, m->nhead, sizeof(*m->head), by_len_desc);
    if (m->ntail > 1)
        qsort(m->tail, m->ntail, sizeof(*m->tail), by_len_desc);
    hs_var_ref existing, *cell = hs_vars_defined(name);
    if ((cell && cell->get != v_map) || (!cell && hs_var_lookup(cf->pool, name, &existing) == HS_OK))
        return hs_cf_error(cf, n, "the \"%.*s\" variable cannot be a map target", (int)name.n, name.p);
    return hs_vars_define(cf->pool, name, v_map, (uintptr_t)m);
}
