/* log_format and access_log (nginx's), and one access-log line per request,
 * written from the log phase. */
#include <errno.h>
#include <stdio.h>

#include "log/log_internal.h"

static int add_format(hs_cf *cf, hs_log_http *lh, hs_log_format *f)
{
    hs_log_format **slot = hs_pvec_push(cf->pool, (void **)&lh->formats, &lh->nformats, sizeof(*slot));
    if (slot == NULL)
        return HS_ERROR;
    *slot = f;
    return HS_OK;
}

int hs_log_access_init(hs_cf *cf, hs_log_http *lh)
{
    hs_log_format *f = hs_palloc(cf->pool, sizeof(*f));
    if (f == NULL || hs_log_format_compile(cf, NULL, HS_STR("combined"), HS_STR(HS_LOG_FORMAT_COMBINED),
                                           HS_ESCAPE_DEFAULT, f) != HS_OK)
        return HS_ERROR;
    return add_format(cf, lh, f);
}

/* escape=json|none|default before the format's text; *first is where the
 * text starts. */
static int format_escape(hs_cf *cf, const hs_conf_node *n, int *escape, size_t *first)
{
    *escape = HS_ESCAPE_DEFAULT;
    *first = 2;
    if (!hs_str_has_prefix(n->args[2], HS_STR("escape=")))
        return HS_OK;
    hs_str e = {n->args[2].p + 7, n->args[2].n - 7};
    if (hs_str_eq_lit(e, "json"))
        *escape = HS_ESCAPE_JSON;
    else if (hs_str_eq_lit(e, "none"))
        *escape = HS_ESCAPE_NONE;
    else if (!hs_str_eq_lit(e, "default"))
        return hs_cf_error(cf, n, "unknown log format escaping \"%s\"", e.p);
    *first = 3;
    if (*first >= n->nargs)
        return hs_cf_error(cf, n, "invalid number of arguments in \"log_format\" directive");
    return HS_OK;
}

static int log_format_directive(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    hs_log_http *lh = hs_log_http_get(cf);
    hs_str name = n->args[1];
    if (hs_log_find_format(lh, name))
        return hs_cf_error(cf, n, "duplicate \"log_format\" name \"%s\"", name.p);
    int escape;
    size_t first;
    if (format_escape(cf, n, &escape, &first) != HS_OK)
        return HS_ERROR;
    size_t total = 0;
    for (size_t i = first; i < n->nargs; i++)
        total += n->args[i].n;
    char *text = hs_palloc(cf->pool, total + 1), *p = text;
    for (size_t i = first; i < n->nargs; i++) {
        memcpy(p, n->args[i].p, n->args[i].n);
        p += n->args[i].n;
    }
    *p = '\0';
    hs_log_format *f = hs_palloc(cf->pool, sizeof(*f));
    if (hs_log_format_compile(cf, n, name, (hs_str){text, total}, escape, f) != HS_OK)
        return HS_ERROR;
    return add_format(cf, lh, f);
}

static int add_log(hs_cf *cf, hs_log_loc *ll, hs_log_target *t)
{
    hs_log_target **slot = hs_pvec_push(cf->pool, (void **)&ll->logs, &ll->nlogs, sizeof(*slot));
    if (slot == NULL)
        return HS_ERROR;
    *slot = t;
    return HS_OK;
}

static hs_log_target *open_target(hs_cf *cf, const hs_conf_node *n, hs_str where)
{
    hs_log_target *t = hs_pcalloc(cf->pool, sizeof(*t));
    if (t == NULL)
        return NULL;
    if (memchr(where.p, '$', where.n) && !hs_str_has_prefix(where, HS_STR("syslog:"))) {
        /* a path per request: computed and opened for each line (varpath.c) */
        hs_log_loc *ll = hs_log_loc_get(cf, cf->level[HS_LEVEL_LOC]);
        t->path_cv = hs_palloc(cf->pool, sizeof(hs_cv));
        t->prefix = hs_cf_path(cf, HS_STR(""));
        t->fd_cache = &ll->fd_cache;
        if (t->path_cv == NULL || t->prefix == NULL || hs_cv_compile(cf, n, where, t->path_cv) != HS_OK)
            return NULL;
        return t;
    }
    if (hs_log_target_open(cf, n, where, t) != HS_OK)
        return NULL;
    return t;
}

static int access_log_directive(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    hs_log_loc *ll = hs_log_loc_get(cf, cf->level[HS_LEVEL_LOC]);
    if (hs_str_eq_lit(n->args[1], "off")) {
        if (n->nargs != 2)
            return hs_cf_error(cf, n, "invalid parameter \"%s\"", n->args[2].p);
        ll->off = 1;
        return HS_OK;
    }
    hs_log_target *t = open_target(cf, n, n->args[1]);
    if (t == NULL)
        return HS_ERROR;
    hs_str fmt = n->nargs > 2 ? n->args[2] : HS_STR("combined");
    size_t opts = 3;
    if (n->nargs > 2 && memchr(fmt.p, '=', fmt.n)) {
        fmt = HS_STR("combined"); /* access_log path buffer=... */
        opts = 2;
    }
    t->format = hs_log_find_format(hs_log_http_get(cf), fmt);
    if (t->format == NULL)
        return hs_cf_error(cf, n, "unknown log format \"%s\"", fmt.p);
    for (size_t i = opts; i < n->nargs; i++) {
        int rc = hs_log_target_option(cf, n, n->args[i], t);
        if (rc == HS_DECLINED)
            return hs_cf_error(cf, n, "invalid parameter \"%s\"", n->args[i].p);
        if (rc != HS_OK)
            return HS_ERROR;
    }
    ll->off = 0;
    return add_log(cf, ll, t);
}

void hs_log_access_merge(hs_cf *cf, hs_loc_conf *child, const hs_loc_conf *parent)
{
    hs_log_loc *c = hs_log_loc_get(cf, child);
    const hs_log_loc *p = HS_MOD_SLOT(parent->mod, &hs_log_module);
    if (p && c->logs == NULL && c->off == HS_UNSET) {
        c->logs = p->logs;
        c->nlogs = p->nlogs;
        c->off = p->off;
    }
    HS_MERGE(c->off, HS_UNSET, 0);
    if (p && c->errlogs == NULL) {
        c->errlogs = p->errlogs;
        c->nerrlogs = p->nerrlogs;
    }
    if (p && !c->fd_cache_set)
        c->fd_cache = p->fd_cache;
    c->http = hs_log_http_get(cf);
}

/* ---- writing ---- */

static int log_request(hs_req *r)
{
    hs_log_errors_timeout(r);
    hs_loc_conf *lc = r->loc ? r->loc : (r->srv ? r->srv->loc : NULL);
    hs_log_loc *ll = lc ? HS_MOD_SLOT(lc->mod, &hs_log_module) : NULL;
    if (ll == NULL || ll->off)
        return HS_OK;
    if (ll->logs == NULL) {
        if (ll->http->dflt)
            hs_log_target_write(ll->http->dflt, r);
        return HS_OK;
    }
    for (size_t i = 0; i < ll->nlogs; i++)
        hs_log_target_write(ll->logs[i], r);
    return HS_OK;
}

/* logs/access.log in the combined format, as nginx, unless the http level
 * says where (or off); then the log hook. */
int hs_log_access_finish(hs_cf *cf, hs_http_conf *http, hs_log_http *lh)
{
    hs_log_loc *top = hs_log_loc_get(cf, http->loc);
    if (top->logs == NULL && !top->off) {
        const char *path = hs_cf_path(cf, HS_STR("logs/access.log"));
        lh->dflt = hs_pcalloc(cf->pool, sizeof(*lh->dflt));
        lh->dflt->file = hs_log_file_open(cf->pool, path);
        if (lh->dflt->file == NULL) {
            snprintf(cf->err, cf->errlen, "open() \"%s\" failed (%d: %s) for the default access_log; "
                     "create the directory or set access_log", path, errno, strerror(errno));
            cf->errored = true;
            return HS_ERROR;
        }
        lh->dflt->format = lh->formats[0];
    }
    return hs_http_add_phase(cf, http, HS_PHASE_LOG, log_request);
}

static int open_log_file_cache(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf, (void)d;
    hs_log_loc *ll = hs_log_loc_get(cf, cf->level[HS_LEVEL_LOC]);
    if (ll->fd_cache_set)
        return hs_cf_error(cf, n, "\"open_log_file_cache\" directive is duplicate");
    ll->fd_cache_set = true;
    return hs_log_fd_cache_parse(cf, n, &ll->fd_cache);
}

const hs_directive hs_log_access_directives[] = {
    {"log_format", HS_CTX_HTTP, HS_ARGS_2MORE, log_format_directive, HS_LEVEL_NONE, 0, NULL},
    {"access_log", HS_CTX_HSL | HS_CTX_IF, HS_ARGS_1MORE, access_log_directive, HS_LEVEL_NONE, 0, NULL},
    {"open_log_file_cache", HS_CTX_HSL, HS_ARGS_1MORE, open_log_file_cache, HS_LEVEL_NONE, 0, NULL},
    {NULL, 0, 0, NULL, 0, 0, NULL},
};
