/* The headers module's directives and record: add_header (a level that
 * has its own does not inherit its parent's, as nginx), expires, charset,
 * charset_types, source_charset; the filter is registered only when some
 * level uses them. */
#include "core/units.h"
#include "headers/headers_internal.h"

static hd_loc *all_levels; /* every level's settings of the http block being read */

/* The settings of the level being read, created by its first directive. */
static hd_loc *here(hs_cf *cf)
{
    hs_loc_conf *lc = cf->level[HS_LEVEL_LOC];
    hd_loc **slot = (hd_loc **)&HS_MOD_SLOT(lc->mod, &hs_headers_module);
    if (*slot == NULL && (*slot = hs_pcalloc(cf->pool, sizeof(hd_loc))) != NULL) {
        (*slot)->expires = HD_EXP_UNSET;
        (*slot)->override = -1;
        (*slot)->next = all_levels;
        all_levels = *slot;
    }
    return *slot;
}

static int no_variables(hs_cf *cf, const hs_conf_node *n, hs_str v)
{
    if (memchr(v.p, '$', v.n))
        return hs_cf_error(cf, n, "variables in \"%s\" are not supported", n->args[0].p);
    return HS_OK;
}

/* add_header / add_trailer NAME VALUE [always]: one more in the level's list. */
static int add_field(hs_cf *cf, const hs_conf_node *n, hd_add **list, size_t *count)
{
    if (n->nargs == 4 && !hs_str_eq_lit(n->args[3], "always"))
        return hs_cf_error(cf, n, "invalid parameter \"%s\"", n->args[3].p);
    hd_add *v = hs_palloc(cf->pool, (*count + 1) * sizeof(*v));
    if (v == NULL)
        return hs_cf_error(cf, n, "out of memory");
    if (*count)
        memcpy(v, *list, *count * sizeof(*v));
    hd_add *a = &v[*count];
    a->name = n->args[1];
    a->always = n->nargs == 4;
    *list = v;
    ++*count;
    return hs_cv_compile(cf, n, n->args[2], &a->value);
}

static int add_header(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf, (void)d;
    hd_loc *c = here(cf);
    if (c == NULL)
        return hs_cf_error(cf, n, "out of memory");
    c->adds_here = true;
    return add_field(cf, n, &c->adds, &c->nadds);
}

static int add_trailer(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf, (void)d;
    hd_loc *c = here(cf);
    if (c == NULL)
        return hs_cf_error(cf, n, "out of memory");
    c->trailers_here = true;
    return add_field(cf, n, &c->trailers, &c->ntrailers);
}

const char *hd_parse_expires(hs_str v, int *mode, int64_t *seconds)
{
    if (hs_str_eq_lit(v, "epoch") || hs_str_eq_lit(v, "max") || hs_str_eq_lit(v, "off")) {
        if (*mode == HD_EXP_MODIFIED)
            return "invalid value";
        *mode = v.p[0] == 'e' ? HD_EXP_EPOCH : v.p[1] == 'a' ? HD_EXP_MAX : HD_EXP_OFF;
        return NULL;
    }
    bool minus = false;
    if (v.n && v.p[0] == '@') {
        if (*mode == HD_EXP_MODIFIED)
            return "daily time cannot be used with \"modified\" parameter";
        *mode = HD_EXP_DAILY;
        v = (hs_str){v.p + 1, v.n - 1};
    } else if (v.n && (v.p[0] == '+' || v.p[0] == '-')) {
        minus = v.p[0] == '-';
        v = (hs_str){v.p + 1, v.n - 1};
    }
    int64_t ms = hs_parse_msec(v);
    if (ms < 0 || ms % 1000)
        return "invalid value";
    *seconds = minus ? -ms / 1000 : ms / 1000;
    if (*mode == HD_EXP_DAILY && *seconds > 24 * 60 * 60)
        return "daily time value must be less than 24 hours";
    return NULL;
}

static int expires(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf, (void)d;
    hd_loc *c = here(cf);
    if (c == NULL)
        return hs_cf_error(cf, n, "out of memory");
    if (c->expires != HD_EXP_UNSET)
        return hs_cf_error(cf, n, "\"expires\" directive is duplicate");
    c->expires = HD_EXP_ACCESS;
    if (n->nargs == 3) {
        if (!hs_str_eq_lit(n->args[1], "modified"))
            return hs_cf_error(cf, n, "invalid value");
        c->expires = HD_EXP_MODIFIED;
    }
    hs_str v = n->args[n->nargs - 1];
    if (memchr(v.p, '$', v.n)) {
        /* parsed for each response, as nginx; a bad value then fails it */
        c->expires_cv = hs_palloc(cf->pool, sizeof(hs_cv));
        return c->expires_cv ? hs_cv_compile(cf, n, v, c->expires_cv) : hs_cf_error(cf, n, "out of memory");
    }
    const char *err = hd_parse_expires(v, &c->expires, &c->expires_time);
    return err ? hs_cf_error(cf, n, "%s", err) : HS_OK;
}

static int charset(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf, (void)d;
    hd_loc *c = here(cf);
    if (c == NULL)
        return hs_cf_error(cf, n, "out of memory");
    bool source = n->args[0].p[0] == 's';
    if (source ? c->source_node != NULL : c->charset_set)
        return hs_cf_error(cf, n, "\"%s\" directive is duplicate", n->args[0].p);
    if (source && no_variables(cf, n, n->args[1]) != HS_OK)
        return HS_ERROR;
    if (source) {
        c->source = n->args[1];
        c->source_node = n;
        return HS_OK;
    }
    c->charset = hs_str_eq_lit(n->args[1], "off") ? (hs_str){"", 0} : n->args[1];
    c->charset_set = true;
    c->charset_node = n;
    if (memchr(n->args[1].p, '$', n->args[1].n)) { /* chosen per response, as nginx */
        c->charset_cv = hs_palloc(cf->pool, sizeof(hs_cv));
        return c->charset_cv ? hs_cv_compile(cf, n, n->args[1], c->charset_cv) : hs_cf_error(cf, n, "out of memory");
    }
    return HS_OK;
}

static int override_charset(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf, (void)d;
    hd_loc *c = here(cf);
    if (c == NULL)
        return hs_cf_error(cf, n, "out of memory");
    if (c->override >= 0)
        return hs_cf_error(cf, n, "\"override_charset\" directive is duplicate");
    if (!hs_str_eq_lit(n->args[1], "on") && !hs_str_eq_lit(n->args[1], "off"))
        return hs_cf_error(cf, n, "invalid value \"%s\" in \"override_charset\" directive, it must be \"on\" or \"off\"",
                           n->args[1].p);
    c->override = hs_str_eq_lit(n->args[1], "on");
    return HS_OK;
}

static int charset_types(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf, (void)d;
    hd_loc *c = here(cf);
    if (c == NULL || c->types)
        return hs_cf_error(cf, n, c ? "\"charset_types\" directive is duplicate" : "out of memory");
    c->types = hs_palloc(cf->pool, (n->nargs - 1) * sizeof(hs_str));
    if (c->types == NULL)
        return hs_cf_error(cf, n, "out of memory");
    for (size_t i = 1; i < n->nargs; i++) {
        char *t = hs_pstrndup(cf->pool, n->args[i].p, n->args[i].n);
        for (char *p = t; p && *p; p++)
            *p = hs_lower(*p);
        c->types[c->ntypes++] = hs_cstr(t);
    }
    return HS_OK;
}

#define CTX (HS_CTX_HSL | HS_CTX_IF)

const hs_directive hd_directives[] = {
    {"add_header", CTX, HS_ARGS_2 | HS_ARGS(3), add_header, HS_LEVEL_NONE, 0, NULL},
    {"add_trailer", CTX, HS_ARGS_2 | HS_ARGS(3), add_trailer, HS_LEVEL_NONE, 0, NULL},
    {"expires", CTX, HS_ARGS_12, expires, HS_LEVEL_NONE, 0, NULL},
    {"charset", CTX, HS_ARGS_1, charset, HS_LEVEL_NONE, 0, NULL},
    {"source_charset", CTX, HS_ARGS_1, charset, HS_LEVEL_NONE, 0, NULL},
    {"override_charset", CTX, HS_ARGS_1, override_charset, HS_LEVEL_NONE, 0, NULL},
    {"charset_types", HS_CTX_HSL, HS_ARGS_1MORE, charset_types, HS_LEVEL_NONE, 0, NULL},
    {"charset_map", HS_CTX_HTTP, HS_ARGS_2 | HS_ARGS_BLOCK, hd_charset_map, HS_LEVEL_NONE, 0, NULL},
    {NULL, 0, 0, NULL, 0, 0, NULL},
};

static hs_str default_types[] = {HS_STR("text/html"), HS_STR("text/xml"), HS_STR("text/plain"),
                                 HS_STR("text/vnd.wap.wml"), HS_STR("application/javascript"),
                                 HS_STR("application/rss+xml")};

/* A level without settings shares its parent's; one with some takes from
 * the parent what it does not set (add_header: all or nothing). */
static void merge_loc(hs_cf *cf, hs_loc_conf *child, const hs_loc_conf *parent)
{
    (void)cf;
    hd_loc **slot = (hd_loc **)&HS_MOD_SLOT(child->mod, &hs_headers_module);
    const hd_loc *p = hd_loc_of(parent);
    if (*slot == NULL) {
        *slot = (hd_loc *)p;
        return;
    }
    hd_loc *c = *slot;
    if (!c->adds_here && p) {
        c->adds = p->adds;
        c->nadds = p->nadds;
    }
    if (!c->trailers_here && p) {
        c->trailers = p->trailers;
        c->ntrailers = p->ntrailers;
    }
    if (c->expires == HD_EXP_UNSET) {
        c->expires = p ? p->expires : HD_EXP_OFF;
        c->expires_time = p ? p->expires_time : 0;
        c->expires_cv = p ? p->expires_cv : NULL;
    }
    if (!c->charset_set && p) {
        c->charset = p->charset;
        c->charset_cv = p->charset_cv;
        c->charset_set = p->charset_set;
        c->charset_node = p->charset_node;
    }
    if (c->override < 0)
        c->override = p ? p->override : 0;
    if (c->source_node == NULL && p) {
        c->source = p->source;
        c->source_node = p->source_node;
    }
    c->recode = NULL; /* decided for each level once all are merged (http_finish) */
    if (c->types == NULL) {
        c->types = p && p->types ? p->types : default_types;
        c->ntypes = p && p->types ? p->ntypes : HS_ARRAY_LEN(default_types);
    }
}

static int http_init(hs_cf *cf, hs_http_conf *http)
{
    (void)cf, (void)http;
    all_levels = NULL;
    hd_recode_init();
    return HS_OK;
}

/* A level whose source_charset differs from its charset recodes through a
 * charset_map (a charset with variables, or an upstream's under
 * override_charset: per response, hd_recode_plan). */
static int http_finish(hs_cf *cf, hs_http_conf *http)
{
    for (hd_loc *c = all_levels; c; c = c->next) {
        c->maps = hd_recode_maps(); /* for the charsets chosen per response */
        if (!c->charset.n || c->charset_cv || !c->source_node || hs_str_caseeq(c->charset, c->source))
            continue;
        const char *err = hd_recode_plan(c->maps, c->source, c->charset, &c->recode);
        if (err)
            return hs_cf_error(cf, c->source_node->line > c->charset_node->line ? c->source_node : c->charset_node,
                               "recoding from \"%s\" to \"%s\": %s", c->source.p, c->charset.p, err);
    }
    if (all_levels && (hs_http_add_header_filter(cf, http, hd_filter) != HS_OK ||
                       hs_http_add_body_filter(cf, http, hd_recode_body) != HS_OK ||
                       hs_http_add_body_filter(cf, http, hd_trailers_body) != HS_OK))
        return hs_cf_error(cf, NULL, "too many filters");
    all_levels = NULL;
    return HS_OK;
}

hs_module hs_headers_module = {
    .name = "headers",
    .directives = {hd_directives},
    .variables = hd_variables,
    .http_init = http_init,
    .merge_loc = merge_loc,
    .http_finish = http_finish,
    .worker_start = hd_request_id_worker_start,
};
