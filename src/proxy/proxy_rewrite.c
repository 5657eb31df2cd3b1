/* proxy_redirect, proxy_cookie_domain, proxy_cookie_path: nginx's rules
 * over the upstream's response head.
 *
 *   proxy_redirect default | off | REDIRECT REPLACEMENT;  (default: default)
 *     Location and the url= of Refresh: a value starting with REDIRECT has
 *     that prefix replaced (case-sensitive); "~re" / "~*re" match the whole
 *     value and REPLACEMENT (with $1…) takes its place. "default" is the
 *     location's proxy_pass URL replaced by the location's name
 *     ("http://app/two/" -> "/one/"; without a URI part "http://app/" ->
 *     "/"). A rewritten value starting with "/" becomes absolute as the
 *     core's own redirects (absolute_redirect). The first rule that matches
 *     wins; a level with rules of its own does not inherit its parent's.
 *   proxy_cookie_domain off | DOMAIN REPLACEMENT;  the domain= attribute of
 *     Set-Cookie equal to DOMAIN (case-insensitive, a leading dot ignored
 *     on both sides and kept in the value).
 *   proxy_cookie_path off | PATH REPLACEMENT;  the path= attribute, by prefix. */
#include <strings.h>

#include "core/str.h"
#include "proxy/proxy_internal.h"

enum { RULE_REDIRECT, RULE_DOMAIN, RULE_PATH };

/* ---- configuration ---- */

static int rule_from(hs_cf *cf, const hs_conf_node *n, px_rule *rule, hs_str from, int kind)
{
    if (from.n && from.p[0] == '~') {
        bool star = from.n > 1 && from.p[1] == '*';
        bool caseless = star || kind == RULE_DOMAIN; /* domains compare without case, as nginx */
        hs_str pat = {from.p + 1 + star, from.n - 1 - star};
        char err[256];
        rule->re = hs_regex_compile(cf->pool, pat, caseless, err, sizeof(err));
        if (rule->re == NULL)
            return hs_cf_error(cf, n, "%s", err);
        hs_http_define_named_captures(cf, rule->re);
        return HS_OK;
    }
    if (kind == RULE_DOMAIN && from.n && from.p[0] == '.')
        from = (hs_str){from.p + 1, from.n - 1};
    return hs_cv_compile(cf, n, from, &rule->from);
}

static int rules_add(hs_cf *cf, const hs_conf_node *n, px_rules *rs, int kind)
{
    hs_str a = n->args[1];
    if (n->nargs == 2 && hs_str_eq_lit(a, "off")) {
        if (rs->set != HS_UNSET)
            return hs_cf_error(cf, n, "\"%s\" directive is duplicate", n->args[0].p);
        rs->set = 0;
        return HS_OK;
    }
    if (rs->set == 0)
        return hs_cf_error(cf, n, "\"%s\" directive is duplicate", n->args[0].p);
    if (n->nargs == 2 && !(kind == RULE_REDIRECT && hs_str_eq_lit(a, "default")))
        return hs_cf_error(cf, n, "invalid parameter \"%s\"", a.p);
    px_rule *rule = hs_pvec_push(cf->pool, (void **)&rs->v, &rs->n, sizeof(*rule));
    if (rule == NULL)
        return HS_ERROR;
    rs->set = 1;
    if (n->nargs == 2) {
        rule->dflt = true;
        return HS_OK;
    }
    if (rule_from(cf, n, rule, a, kind) != HS_OK)
        return HS_ERROR;
    hs_str to = n->args[2];
    if (kind == RULE_DOMAIN && to.n > 1 && to.p[0] == '.')
        to = (hs_str){to.p + 1, to.n - 1}; /* as nginx: the value keeps its own dot, if any */
    return hs_cv_compile(cf, n, to, &rule->to);
}

static int d_rules(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    hs_proxy_conf *pc = hs_proxy_conf_get(cf, cf->level[HS_LEVEL_LOC]);
    int kind = (int)d->offset;
    if (kind == RULE_REDIRECT && n->nargs == 2 && hs_str_eq_lit(n->args[1], "default") && pc->vars)
        return hs_cf_error(cf, n, "\"proxy_redirect default\" cannot be used with \"proxy_pass\" directive with variables");
    px_rules *rs = kind == RULE_REDIRECT ? &pc->redirects : kind == RULE_DOMAIN ? &pc->cookie_domains
                                                                                : &pc->cookie_paths;
    return rules_add(cf, n, rs, kind);
}

const hs_directive hs_proxy_rewrite_directives[] = {
    {"proxy_redirect", HS_CTX_HSL, HS_ARGS_1 | HS_ARGS_2, d_rules, HS_LEVEL_NONE, RULE_REDIRECT, NULL},
    {"proxy_cookie_domain", HS_CTX_HSL, HS_ARGS_1 | HS_ARGS_2, d_rules, HS_LEVEL_NONE, RULE_DOMAIN, NULL},
    {"proxy_cookie_path", HS_CTX_HSL, HS_ARGS_1 | HS_ARGS_2, d_rules, HS_LEVEL_NONE, RULE_PATH, NULL},
    {NULL, 0, 0, NULL, 0, 0, NULL},
};

void hs_proxy_rewrite_init(px_rules *redirect, px_rules *domain, px_rules *path)
{
    redirect->set = domain->set = path->set = HS_UNSET;
}

void hs_proxy_rewrite_merge(px_rules *c, const px_rules *p)
{
    if (c->set == HS_UNSET)
        *c = *p;
}

/* ---- applying them ---- */

/* proxy_redirect default's pair for r's location. */
static void default_pair(hs_req *r, hs_proxy_conf *pc, hs_str *from, hs_str *to)
{
    *from = hs_cstr(hs_psprintf(r->pool, "%s://%.*s%.*s", pc->https ? "https" : "http", (int)pc->proxy_host.n,
                                pc->proxy_host.p, pc->has_uri ? (int)pc->uri.n : 1, pc->has_uri ? pc->uri.p : "/"));
    *to = pc->has_uri ? r->loc->name : HS_STR("/");
}

/* value rewritten by one rule into *out: HS_OK, HS_DECLINED (no match), HS_ERROR. */
static int apply_rule(hs_req *r, const px_rule *rule, hs_str value, int kind, hs_str *out)
{
    hs_str from, to;
    if (rule->re) {
        int ov[2 * HS_REGEX_MAX_CAPTURES];
        int n = hs_regex_match(rule->re, value, ov);
        if (n <= 0)
            return HS_DECLINED;
        hs_http_set_captures(r, rule->re, value, ov, n);
        return hs_cv_eval(&rule->to, r, r->pool, out);
    }
    if (rule->dflt) {
        hs_proxy_conf *pc = hs_proxy_conf_of(r->loc);
        if (pc == NULL || pc->proxy_host.n == 0)
            return HS_DECLINED;
        default_pair(r, pc, &from, &to);
    } else if (hs_cv_eval(&rule->from, r, r->pool, &from) != HS_OK || hs_cv_eval(&rule->to, r, r->pool, &to) != HS_OK) {
        return HS_ERROR;
    }
    if (from.p == NULL)
        return HS_ERROR;
    bool dot = kind == RULE_DOMAIN && value.n && value.p[0] == '.';
    hs_str v = dot ? (hs_str){value.p + 1, value.n - 1} : value;
    bool hit = kind == RULE_DOMAIN ? v.n == from.n && strncasecmp(v.p, from.p, v.n) == 0
                                   : hs_str_has_prefix(v, from);
    if (!hit)
        return HS_DECLINED;
    size_t rest = kind == RULE_DOMAIN ? 0 : v.n - from.n;
    char *p = hs_palloc(r->pool, dot + to.n + rest + 1);
    if (p == NULL)
        return HS_ERROR;
    if (dot)
        p[0] = '.';
    memcpy(p + dot, to.p, to.n);
    memcpy(p + dot + to.n, v.p + from.n, rest);
    *out = (hs_str){p, dot + to.n + rest};
    return HS_OK;
}

/* The first rule of rs that matches: HS_OK with *out, HS_DECLINED, HS_ERROR. */
static int apply_rules(hs_req *r, const px_rules *rs, hs_str value, int kind, hs_str *out)
{
    static const px_rule dflt = {.dflt = true};
    if (rs->set == HS_UNSET && kind == RULE_REDIRECT)
        return apply_rule(r, &dflt, value, kind, out);
    for (size_t i = 0; rs->set == 1 && i < rs->n; i++) {
        int rc = apply_rule(r, &rs->v[i], value, kind, out);
        if (rc != HS_DECLINED)
            return rc;
    }
    return HS_DECLINED;
}

/* Location: rewritten, a path made absolute and moved to the core's field. */
static int rewrite_location(hs_req *r, const px_rules *rs, hs_header *h)
{
    hs_str v;
    int rc = apply_rules(r, rs, h->value, RULE_REDIRECT, &v);
    if (rc != HS_OK)
        return rc == HS_ERROR ? HS_ERROR : HS_OK;
    if (v.n && v.p[0] == '/') {
        r->resp.location = hs_http_absolute_url(r, v);
        hs_fields_del(&r->resp.headers, HS_STR("Location"));
        return r->resp.location.p ? HS_OK : HS_ERROR;
    }
    h->value = v;
    return HS_OK;
}

/* Refresh: the URL after "url=". */
static int rewrite_refresh(hs_req *r, const px_rules *rs, hs_header *h)
{
    hs_str val = h->value, v;
    size_t at = 0;
    while (at + 4 <= val.n && strncasecmp(val.p + at, "url=", 4) != 0)
        at++;
    if (at + 4 > val.n)
        return HS_OK;
    at += 4;
    int rc = apply_rules(r, rs, (hs_str){val.p + at, val.n - at}, RULE_REDIRECT, &v);
    if (rc != HS_OK)
        return rc == HS_ERROR ? HS_ERROR : HS_OK;
    char *p = hs_psprintf(r->pool, "%.*s%.*s", (int)at, val.p, (int)v.n, v.p);
    if (p == NULL)
        return HS_ERROR;
    h->value = hs_cstr(p);
    return HS_OK;
}

static hs_str trim(hs_str s)
{
    while (s.n && (s.p[0] == ' ' || s.p[0] == '\t'))
        s = (hs_str){s.p + 1, s.n - 1};
    while (s.n && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t'))
        s.n--;
    return s;
}

/* One attribute "name=value" of a Set-Cookie: its value rewritten into *out. */
static int cookie_attr(hs_req *r, hs_proxy_conf *pc, hs_str attr, hs_str *out)
{
    hs_str a = trim(attr);
    const px_rules *rs = NULL;
    size_t skip = 0;
    if (a.n >= 7 && strncasecmp(a.p, "domain=", 7) == 0)
        rs = &pc->cookie_domains, skip = 7;
    else if (a.n >= 5 && strncasecmp(a.p, "path=", 5) == 0)
        rs = &pc->cookie_paths, skip = 5;
    if (rs == NULL || rs->set != 1)
        return HS_DECLINED;
    hs_str v;
    int rc = apply_rules(r, rs, (hs_str){a.p + skip, a.n - skip}, skip == 7 ? RULE_DOMAIN : RULE_PATH, &v);
    if (rc != HS_OK)
        return rc;
    char *p = hs_psprintf(r->pool, "%.*s%.*s", (int)(a.p - attr.p + (ptrdiff_t)skip), attr.p, (int)v.n, v.p);
    if (p == NULL)
        return HS_ERROR;
    *out = hs_cstr(p);
    return HS_OK;
}

#define MAX_ATTRS 64

/* Set-Cookie: its domain= and path= attributes (the first pair is the
 * cookie itself; attributes beyond MAX_ATTRS are kept as they came). */
static int rewrite_cookie(hs_req *r, hs_proxy_conf *pc, hs_header *h)
{
    hs_str val = h->value, seg[MAX_ATTRS + 1];
    size_t nseg = 0, total = 0, start = 0;
    bool changed = false;
    while (start <= val.n) {
        const char *semi = memchr(val.p + start, ';', val.n - start);
        size_t end = semi && nseg < MAX_ATTRS ? (size_t)(semi - val.p) : val.n;
        hs_str attr = {val.p + start, end - start}, v = attr;
        int rc = nseg == 0 ? HS_DECLINED : cookie_attr(r, pc, attr, &v);
        if (rc == HS_ERROR)
            return HS_ERROR;
        changed |= rc == HS_OK;
        seg[nseg++] = v;
        total += v.n + 1;
        start = end + 1;
    }
    if (!changed)
        return HS_OK;
    char *buf = hs_palloc(r->pool, total), *p = buf;
    if (buf == NULL)
        return HS_ERROR;
    for (size_t i = 0; i < nseg; i++) {
        if (i)
            *p++ = ';';
        memcpy(p, seg[i].p, seg[i].n);
        p += seg[i].n;
    }
    h->value = (hs_str){buf, (size_t)(p - buf)};
    return HS_OK;
}

int hs_proxy_rewrite_head(hs_req *r)
{
    hs_proxy_conf *pc = hs_proxy_conf_of(r->loc);
    if (pc == NULL)
        return HS_OK;
    const px_rules *rd = &pc->redirects;
    bool redirects = rd->set == 1 || rd->set == HS_UNSET;
    bool cookies = pc->cookie_domains.set == 1 || pc->cookie_paths.set == 1;
    hs_fields *f = &r->resp.headers;
    for (size_t i = 0; i < f->n; i++) {
        hs_header *h = &f->v[i];
        uint32_t before = f->n;
        int rc = HS_OK;
        if (redirects && hs_str_caseeq(h->name, HS_STR("Location")))
            rc = rewrite_location(r, rd, h);
        else if (redirects && hs_str_caseeq(h->name, HS_STR("Refresh")))
            rc = rewrite_refresh(r, rd, h);
        else if (cookies && hs_str_caseeq(h->name, HS_STR("Set-Cookie")))
            rc = rewrite_cookie(r, pc, h);
        if (rc != HS_OK)
            return HS_ERROR;
        if (f->n < before)
            i--; /* Location left the list for the core's field */
    }
    return HS_OK;
}
