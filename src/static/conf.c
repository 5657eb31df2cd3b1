/* The static module's record: its directives (index, try_files, etag,
 * if_modified_since, log_not_found, open_file_cache, autoindex*), their inheritance
 * (http -> server -> location), the registration of its handler as the
 * default one, and the clearing of the file cache for a new configuration. */
#include <stdlib.h>

#include "core/units.h"
#include "static/file_cache.h"
#include "static/static_internal.h"

static hs_static_loc *static_loc_new(hs_pool *pool)
{
    hs_static_loc *sl = hs_pcalloc(pool, sizeof(*sl));
    if (sl == NULL)
        return NULL;
    sl->etag = HS_UNSET;
    sl->if_modified_since = HS_UNSET;
    sl->log_not_found = HS_UNSET;
    sl->open_file_cache = HS_UNSET;
    sl->autoindex = HS_UNSET;
    sl->max_ranges = HS_UNSET;
    sl->autoindex_format = HS_UNSET;
    sl->autoindex_exact_size = HS_UNSET;
    sl->autoindex_localtime = HS_UNSET;
    sl->cache_valid = HS_UNSET_MSEC;
    sl->cache_min_uses = HS_UNSET;
    sl->cache_errors = HS_UNSET;
    return sl;
}

/* The settings of the level being read, created by its first directive. */
static hs_static_loc *here(hs_cf *cf)
{
    hs_loc_conf *lc = cf->level[HS_LEVEL_LOC];
    hs_static_loc **slot = (hs_static_loc **)&HS_MOD_SLOT(lc->mod, &hs_static_module);
    if (*slot == NULL)
        *slot = static_loc_new(cf->pool);
    return *slot;
}

/* ---- directives ---- */

static int index_directive(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    hs_static_loc *sl = here(cf);
    size_t old = sl->index ? sl->nindex : 0;
    hs_cv *v = hs_palloc(cf->pool, (old + n->nargs - 1) * sizeof(hs_cv));
    if (v == NULL)
        return hs_cf_error(cf, n, "out of memory");
    if (old)
        memcpy(v, sl->index, old * sizeof(hs_cv));
    for (size_t i = 1; i < n->nargs; i++) {
        if (n->args[i].n == 0)
            return hs_cf_error(cf, n, "index \"\" in \"index\" directive is invalid");
        if (hs_cv_compile(cf, n, n->args[i], &v[old + i - 1]) != HS_OK)
            return HS_ERROR;
    }
    sl->index = v;
    sl->nindex = old + n->nargs - 1;
    return HS_OK;
}

static int try_files_directive(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    hs_static_loc *sl = here(cf);
    if (sl->try_files)
        return hs_cf_error(cf, n, "\"try_files\" directive is duplicate");
    sl->ntry_files = n->nargs - 1;
    sl->try_files = hs_pcalloc(cf->pool, sl->ntry_files * sizeof(hs_cv));
    for (size_t i = 1; i < n->nargs; i++)
        if (hs_cv_compile(cf, n, n->args[i], &sl->try_files[i - 1]) != HS_OK)
            return HS_ERROR;
    hs_str last = n->args[n->nargs - 1];
    if (last.n > 1 && last.p[0] == '=') {
        int64_t code = hs_parse_int((hs_str){last.p + 1, last.n - 1});
        if (code < 100 || code > 999)
            return hs_cf_error(cf, n, "invalid code \"%s\"", last.p);
    }
    return HS_OK;
}

/* on/off into the field at d->offset of the level's settings. */
static int flag_field(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    return hs_set_flag(cf, n, (char *)here(cf) + d->offset, d);
}

static int msec_field(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    return hs_set_msec(cf, n, (char *)here(cf) + d->offset, d);
}

static int num_field(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    int rc = hs_set_num(cf, n, (char *)here(cf) + d->offset, d);
    if (rc == HS_OK && *(int64_t *)((char *)here(cf) + d->offset) < 1)
        return hs_cf_error(cf, n, "invalid value \"%s\" in \"%s\" directive", n->args[1].p, d->name);
    return rc;
}

/* max_ranges N: 0 or more. */
static int ranges_field(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    int64_t *v = (int64_t *)((char *)here(cf) + d->offset);
    int rc = hs_set_num(cf, n, v, d);
    if (rc == HS_OK && *v < 0)
        return hs_cf_error(cf, n, "invalid value \"%s\" in \"%s\" directive", n->args[1].p, d->name);
    return rc;
}

/* One of d->post's values into the field at d->offset. */
static int enum_field(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    return hs_set_enum(cf, n, (char *)here(cf) + d->offset, d);
}

static int open_file_cache(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    int *v = &here(cf)->open_file_cache;
    /* "off" or nginx's "max=N [inactive=T]": hush keeps its own bounded cache */
    if (hs_str_eq_lit(n->args[1], "off")) {
        *v = 0;
        return HS_OK;
    }
    for (size_t i = 1; i < n->nargs; i++)
        if (!hs_str_has_prefix(n->args[i], HS_STR("max=")) &&
            !hs_str_has_prefix(n->args[i], HS_STR("inactive=")))
            return hs_cf_error(cf, n, "invalid \"open_file_cache\" parameter \"%s\"", n->args[i].p);
    *v = 1;
    return HS_OK;
}

static const hs_conf_enum ims_values[] = {{"off", 0}, {"exact", 1}, {"before", 2}, {NULL, 0}};
static const hs_conf_enum autoindex_formats[] = {{"html", HS_AUTOINDEX_HTML}, {"json", HS_AUTOINDEX_JSON},
                                                  {"jsonp", HS_AUTOINDEX_JSONP}, {"xml", HS_AUTOINDEX_XML},
                                                  {NULL, 0}};

#define FIELD(field) HS_LEVEL_NONE, offsetof(hs_static_loc, field)

static const hs_directive static_directives[] = {
    {"index", HS_CTX_HSL, HS_ARGS_1MORE, index_directive, HS_LEVEL_NONE, 0, NULL},
    {"try_files", HS_CTX_SERVER | HS_CTX_LOCATION, HS_ARGS_2MORE, try_files_directive, HS_LEVEL_NONE, 0, NULL},
    {"etag", HS_CTX_HSL, HS_ARGS_1, flag_field, FIELD(etag), NULL},
    {"if_modified_since", HS_CTX_HSL, HS_ARGS_1, enum_field, FIELD(if_modified_since), ims_values},
    {"log_not_found", HS_CTX_HSL, HS_ARGS_1, flag_field, FIELD(log_not_found), NULL},
    {"max_ranges", HS_CTX_HSL, HS_ARGS_1, ranges_field, FIELD(max_ranges), NULL},
    {"open_file_cache", HS_CTX_HSL, HS_ARGS_123, open_file_cache, HS_LEVEL_NONE, 0, NULL},
    {"autoindex", HS_CTX_HSL, HS_ARGS_1, flag_field, FIELD(autoindex), NULL},
    {"autoindex_format", HS_CTX_HSL, HS_ARGS_1, enum_field, FIELD(autoindex_format), autoindex_formats},
    {"autoindex_exact_size", HS_CTX_HSL, HS_ARGS_1, flag_field, FIELD(autoindex_exact_size), NULL},
    {"autoindex_localtime", HS_CTX_HSL, HS_ARGS_1, flag_field, FIELD(autoindex_localtime), NULL},
    {"open_file_cache_valid", HS_CTX_HSL, HS_ARGS_1, msec_field, FIELD(cache_valid), NULL},
    {"open_file_cache_min_uses", HS_CTX_HSL, HS_ARGS_1, num_field, FIELD(cache_min_uses), NULL},
    {"open_file_cache_errors", HS_CTX_HSL, HS_ARGS_1, flag_field, FIELD(cache_errors), NULL},
    {NULL, 0, 0, NULL, 0, 0, NULL},
};

/* ---- inheritance, the handler, the cache ---- */

/* nginx's defaults: index index.html, etag on, if_modified_since exact,
 * log_not_found on, autoindex off (html, exact sizes, UTC); and hush's
 * open_file_cache on. try_files is not
 * inherited. */
static void merge_loc(hs_cf *cf, hs_loc_conf *child, const hs_loc_conf *parent)
{
    static hs_cv default_index[] = {{.raw = {"index.html", sizeof("index.html") - 1}, .literal = true}};
    static const hs_static_loc dflt = {.index = default_index, .nindex = 1, .etag = 1,
                                       .if_modified_since = 1, .log_not_found = 1, .open_file_cache = 1,
                                       .autoindex = 0, .autoindex_format = HS_AUTOINDEX_HTML,
                                       .autoindex_exact_size = 1, .autoindex_localtime = 0,
                                       .cache_valid = HS_FILE_CACHE_VALID_MS, .cache_min_uses = 1, .max_ranges = -1};
    const hs_static_loc *p = hs_static_loc_of(parent);
    hs_static_loc **slot = (hs_static_loc **)&HS_MOD_SLOT(child->mod, &hs_static_module);
    if (*slot == NULL && p && p->try_files == NULL) {
        *slot = (hs_static_loc *)p; /* nothing set here: the parent's settings as they are */
        return;
    }
    if (*slot == NULL)
        *slot = static_loc_new(cf->pool);
    hs_static_loc *c = *slot;
    if (p == NULL)
        p = &dflt;
    if (c->index == NULL) {
        c->index = p->index ? p->index : dflt.index;
        c->nindex = p->index ? p->nindex : dflt.nindex;
    }
    HS_MERGE(c->etag, p->etag, dflt.etag);
    HS_MERGE(c->if_modified_since, p->if_modified_since, dflt.if_modified_since);
    HS_MERGE(c->log_not_found, p->log_not_found, dflt.log_not_found);
    HS_MERGE(c->max_ranges, p->max_ranges, -1);
    HS_MERGE(c->open_file_cache, p->open_file_cache, dflt.open_file_cache);
    HS_MERGE(c->autoindex, p->autoindex, dflt.autoindex);
    HS_MERGE(c->autoindex_format, p->autoindex_format, dflt.autoindex_format);
    HS_MERGE(c->autoindex_exact_size, p->autoindex_exact_size, dflt.autoindex_exact_size);
    HS_MERGE(c->autoindex_localtime, p->autoindex_localtime, dflt.autoindex_localtime);
    HS_MERGE(c->cache_valid, p->cache_valid, HS_FILE_CACHE_VALID_MS);
    HS_MERGE(c->cache_min_uses, p->cache_min_uses, 1);
    HS_MERGE(c->cache_errors, p->cache_errors, 0);
    c->cache = (hs_file_cache_conf){.valid_ms = c->cache_valid, .min_uses = c->cache_min_uses,
                                    .errors = c->cache_errors};
}

static int http_finish(hs_cf *cf, hs_http_conf *http)
{
    (void)cf;
    hs_http_set_default_handler(http, &hs_static_handler);
    return HS_OK;
}

/* The cache keeps nothing of a configuration the master replaces. */
static int master_init(hs_config *conf, hs_config *old, char *err, size_t errlen)
{
    (void)conf;
    (void)old;
    (void)err;
    (void)errlen;
    hs_file_cache_clear();
    return HS_OK;
}

/* $request_filename: the file path of $uri under root or alias, as the
 * static handler maps it (if (-f $request_filename) ...). */
static int v_request_filename(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    (void)scratch;
    hs_req *r = ctx;
    if (r->bare || r->loc == NULL || r->uri.p == NULL)
        return HS_DECLINED;
    return hs_static_map_path(r, r->uri, out) == HS_OK ? HS_OK : HS_DECLINED;
}

/* $document_root: root or alias of the request's location, variables evaluated. */
static int v_document_root(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    (void)scratch;
    hs_req *r = (hs_req *)ctx;
    if (r->loc == NULL || r->loc->root.raw.p == NULL)
        return HS_DECLINED;
    return hs_cv_eval(&r->loc->root, r, r->pool, out) == HS_OK ? HS_OK : HS_DECLINED;
}

static const hs_var_def static_variables[] = {
    {"document_root", v_document_root, 0, false, false},
    {"request_filename", v_request_filename, 0, false, false},
    {NULL, NULL, 0, false, false},
};

hs_module hs_static_module = {
    .name = "static",
    .directives = {static_directives},
    .variables = static_variables,
    .merge_loc = merge_loc,
    .http_finish = http_finish,
    .master_init = master_init,
};
