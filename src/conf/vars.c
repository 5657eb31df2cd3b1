#include "conf/vars.h"

#include "core/clock.h"
#include "core/varname.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>

#define MAX_TABLES 16

static const hs_var_def *tables[MAX_TABLES];
static size_t ntables;

/* Variables from the configuration (map, set, named captures), rebuilt on
 * every load. References go through the cell (v_defined), so that a later
 * directive may take a variable over (set on a map's variable, as nginx's
 * changeable variables). */
typedef struct defined_var {
    struct defined_var *next; /* list */
    hs_str name;              /* owned by the config pool */
    hs_var_ref target;        /* what computes it now */
} defined_var;
static defined_var *defined;

static int v_defined(void *ctx, uintptr_t data, hs_str *out, char *scratch)
{
    const defined_var *d = (const defined_var *)data;
    return d->target.get(ctx, d->target.data, out, scratch);
}

void hs_vars_register(const hs_var_def *table)
{
    for (size_t i = 0; i < ntables; i++)
        if (tables[i] == table)
            return;
    if (ntables < MAX_TABLES)
        tables[ntables++] = table;
}

/* A variable used before the directive that defines it (a map further
 * down, as nginx allows): the reference calls through this slot, which the
 * definition fills. Unfilled slots are errors once the file is read. */
typedef struct forward_var {
    struct forward_var *next;
    hs_str name;
    hs_var_ref target;        /* filled by hs_vars_define */
    bool resolved;
    const hs_conf_node *used; /* first use, for the error */
} forward_var;
static forward_var *forwards;

static int v_forward(void *ctx, uintptr_t data, hs_str *out, char *scratch)
{
    const forward_var *f = (const forward_var *)data;
    return f->target.get(ctx, f->target.data, out, scratch);
}

static void resolve_forwards(hs_str name, hs_var_get get, uintptr_t data)
{
    for (forward_var *f = forwards; f; f = f->next) {
        if (!f->resolved && hs_str_eq(f->name, name)) {
            f->target = (hs_var_ref){get, data};
            f->resolved = true;
        }
    }
}

static struct {
    const char *name;
    hs_var_setter fn;
} setters[8];

void hs_vars_register_setter(const char *name, hs_var_setter fn)
{
    for (size_t i = 0; i < HS_ARRAY_LEN(setters); i++) {
        if (setters[i].name == NULL || strcmp(setters[i].name, name) == 0) {
            setters[i].name = name;
            setters[i].fn = fn;
            return;
        }
    }
}

hs_var_setter hs_var_find_setter(hs_str name)
{
    for (size_t i = 0; i < HS_ARRAY_LEN(setters) && setters[i].name; i++)
        if (hs_str_eq_lit(name, setters[i].name))
            return setters[i].fn;
    return NULL;
}

int hs_vars_define(hs_pool *pool, hs_str name, hs_var_get get, uintptr_t data)
{
    defined_var *d = hs_palloc(pool, sizeof(*d));
    if (d == NULL)
        return HS_ERROR;
    d->name = hs_pstr(pool, name);
    d->target = (hs_var_ref){get, data};
    d->next = defined;
    defined = d;
    resolve_forwards(d->name, v_defined, (uintptr_t)d);
    return HS_OK;
}

hs_var_ref *hs_vars_defined(hs_str name)
{
    for (defined_var *d = defined; d; d = d->next)
        if (hs_str_eq(d->name, name))
            return &d->target;
    return NULL;
}

void hs_vars_reset_defined(void)
{
    defined = NULL;
    forwards = NULL;
}

bool hs_var_is_conn(hs_str name)
{
    for (size_t t = 0; t < ntables; t++)
        for (const hs_var_def *v = tables[t]; v->name; v++)
            if (!v->prefix && hs_str_eq_lit(name, v->name))
                return v->conn;
    return false;
}

typedef struct {
    const char *name;
    bool *used;
} watched_var;
static watched_var watched[8];
static size_t nwatched;

void hs_var_watch(const char *name, bool *used)
{
    if (nwatched < HS_ARRAY_LEN(watched))
        watched[nwatched++] = (watched_var){name, used};
}

static void mark_watched(hs_str name)
{
    for (size_t i = 0; i < nwatched; i++)
        if (hs_str_eq_lit(name, watched[i].name))
            *watched[i].used = true;
}

int hs_var_lookup(hs_pool *pool, hs_str name, hs_var_ref *out)
{
    mark_watched(name);
    for (defined_var *d = defined; d; d = d->next) {
        if (hs_str_eq(d->name, name)) {
            *out = (hs_var_ref){v_defined, (uintptr_t)d};
            return HS_OK;
        }
    }
    for (size_t t = 0; t < ntables; t++) {
        for (const hs_var_def *v = tables[t]; v->name; v++) {
            if (!v->prefix && hs_str_eq_lit(name, v->name)) {
                *out = (hs_var_ref){v->get, v->data};
                return HS_OK;
            }
        }
    }
    for (size_t t = 0; t < ntables; t++) {
        for (const hs_var_def *v = tables[t]; v->name; v++) {
            size_t pl = strlen(v->name);
            if (v->prefix && name.n >= pl && memcmp(name.p, v->name, pl) == 0) {
                hs_str *suffix = hs_palloc(pool, sizeof(*suffix));
                if (suffix == NULL)
                    return HS_ERROR;
                *suffix = hs_pstr(pool, (hs_str){name.p + pl, name.n - pl});
                *out = (hs_var_ref){v->get, (uintptr_t)suffix};
                return HS_OK;
            }
        }
    }
    return HS_DECLINED;
}

int hs_var_resolve(hs_cf *cf, const hs_conf_node *node, hs_str name, hs_var_ref *out)
{
    int rc = hs_var_lookup(cf->pool, name, out);
    if (rc != HS_DECLINED)
        return rc;
    forward_var *f = hs_pcalloc(cf->pool, sizeof(*f));
    if (f == NULL)
        return HS_ERROR;
    f->name = hs_pstr(cf->pool, name);
    f->used = node;
    f->next = forwards;
    forwards = f;
    *out = (hs_var_ref){v_forward, (uintptr_t)f};
    return HS_OK;
}

int hs_vars_check_forward(hs_cf *cf)
{
    const forward_var *first = NULL;
    for (const forward_var *f = forwards; f; f = f->next)
        if (!f->resolved)
            first = f; /* the list is newest first: keep the earliest use */
    if (first == NULL)
        return HS_OK;
    return hs_cf_error(cf, first->used, "unknown \"%.*s\" variable", (int)first->name.n, first->name.p);
}

/* The scanner itself is core's, shared with the log_format tokenizer. */
size_t hs_var_scan(hs_str text, hs_str *name) { return hs_varname_scan(text, name); }

int hs_cv_compile(hs_cf *cf, const hs_conf_node *node, hs_str text, hs_cv *out)
{
    size_t cap = 8, n = 0;
    hs_cv_part *parts = hs_palloc(cf->pool, cap * sizeof(*parts));
    size_t lit_start = 0;
    memset(out, 0, sizeof(*out));
    out->raw = text;
    for (size_t i = 0; i <= text.n; i++) {
        hs_str name;
        size_t used = i < text.n ? hs_var_scan((hs_str){text.p + i, text.n - i}, &name) : 0;
        if (i < text.n && used == 0)
            continue;
        if (n + 2 > cap) {
            hs_cv_part *np = hs_palloc(cf->pool, cap * 2 * sizeof(*np));
            memcpy(np, parts, n * sizeof(*np));
            parts = np;
            cap *= 2;
        }
        if (i > lit_start)
            parts[n++] = (hs_cv_part){.lit = {text.p + lit_start, i - lit_start}};
        if (i == text.n)
            break;
        hs_var_ref ref;
        if (hs_var_resolve(cf, node, name, &ref) != HS_OK)
            return hs_cf_error(cf, node, "out of memory");
        parts[n++] = (hs_cv_part){.is_var = true, .var = ref};
        i += used - 1;
        lit_start = i + 1;
    }
    out->parts = parts;
    out->nparts = n;
    out->literal = true;
    for (size_t i = 0; i < n; i++)
        if (parts[i].is_var)
            out->literal = false;
    return HS_OK;
}

int hs_cv_eval(const hs_cv *cv, void *ctx, hs_pool *pool, hs_str *out)
{
    if (cv->literal) {
        *out = cv->raw;
        return HS_OK;
    }
    char scratch[HS_VAR_SCRATCH];
    hs_str vals[32];
    size_t nv = cv->nparts < 32 ? cv->nparts : 32;
    for (size_t i = 0; i < nv; i++) {
        const hs_cv_part *p = &cv->parts[i];
        if (!p->is_var) {
            vals[i] = p->lit;
        } else if (hs_var_get_value(&p->var, ctx, &vals[i], scratch) != HS_OK) {
            vals[i] = HS_NULL_STR;
        } else if (vals[i].p == scratch) {
            vals[i] = hs_pstr(pool, vals[i]); /* scratch is reused by the next part */
        }
    }
    *out = hs_pjoin(pool, vals, nv);
    return out->p ? HS_OK : HS_ERROR;
}

int hs_var_u64(hs_str *out, char *scratch, uint64_t v)
{
    *out = (hs_str){scratch, hs_u64_to_str(v, scratch)};
    return HS_OK;
}

int hs_var_msec(hs_str *out, char *scratch, uint64_t ms)
{
    size_t n = hs_u64_to_str(ms / 1000, scratch);
    unsigned frac = (unsigned)(ms % 1000);
    scratch[n++] = '.';
    scratch[n++] = (char)('0' + frac / 100);
    scratch[n++] = (char)('0' + frac / 10 % 10);
    scratch[n++] = (char)('0' + frac % 10);
    *out = (hs_str){scratch, n};
    return HS_OK;
}

int hs_var_time_local(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)ctx, (void)d, (void)scratch;
    *out = (hs_str){hs_now.log_local, hs_now.log_local_len};
    return HS_OK;
}

int hs_var_time_iso8601(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)ctx, (void)d, (void)scratch;
    *out = (hs_str){hs_now.iso8601, hs_now.iso8601_len};
    return HS_OK;
}

int hs_var_msec_now(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)ctx, (void)d;
    return hs_var_msec(out, scratch, hs_now.msec);
}

/* The last address written as text: a keep-alive client's every log line
 * asks for the same one, and inet_ntop is the costliest part of a line. */
static struct {
    int family;
    unsigned char addr[16];
    char text[INET6_ADDRSTRLEN];
    size_t n;
} last_addr;

int hs_var_addr(hs_str *out, char *scratch, const struct sockaddr *sa)
{
    if (sa->sa_family == AF_UNIX) {
        *out = HS_STR("unix:"); /* a unix-socket peer, as nginx writes it */
        return HS_OK;
    }
    bool v6 = sa->sa_family == AF_INET6;
    const void *a = v6 ? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
                       : (const void *)&((const struct sockaddr_in *)sa)->sin_addr;
    size_t alen = v6 ? 16 : 4;
    if (last_addr.n == 0 || last_addr.family != sa->sa_family || memcmp(last_addr.addr, a, alen) != 0) {
        if (inet_ntop(sa->sa_family, a, last_addr.text, sizeof(last_addr.text)) == NULL) {
            last_addr.n = 0;
            return HS_DECLINED;
        }
        last_addr.family = sa->sa_family;
        memcpy(last_addr.addr, a, alen);
        last_addr.n = strlen(last_addr.text);
    }
    memcpy(scratch, last_addr.text, last_addr.n + 1); /* the caller's copy: the cache moves on */
    *out = (hs_str){scratch, last_addr.n};
    return HS_OK;
}

int hs_var_port(hs_str *out, char *scratch, const struct sockaddr *sa)
{
    uint16_t p = sa->sa_family == AF_INET6 ? ((const struct sockaddr_in6 *)sa)->sin6_port
                                           : ((const struct sockaddr_in *)sa)->sin_port;
    return hs_var_u64(out, scratch, ntohs(p));
}
