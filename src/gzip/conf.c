/* The gzip module's directives and record, with nginx's contexts,
 * defaults and inheritance. */
#include "core/units.h"
#include "gzip/gzip_internal.h"

static bool used;        /* some level of the http block being read has gzip on */
static bool used_static; /* ... or gzip_static on or always */

static gz_loc *here(hs_cf *cf)
{
    hs_loc_conf *lc = cf->level[HS_LEVEL_LOC];
    gz_loc **slot = (gz_loc **)&HS_MOD_SLOT(lc->mod, &hs_gzip_module);
    if (*slot == NULL && (*slot = hs_pcalloc(cf->pool, sizeof(gz_loc))) != NULL) {
        gz_loc *c = *slot;
        c->enable = c->vary = c->proxied = c->http_version = c->disable_msie6 = HS_UNSET;
        c->min_length = c->level = c->buffers = HS_UNSET;
        c->gstatic = HS_UNSET;
    }
    return *slot;
}

static int gz_flag(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    gz_loc *c = here(cf);
    if (c == NULL)
        return hs_cf_error(cf, n, "out of memory");
    int *v = (int *)((char *)c + d->offset);
    if (*v != HS_UNSET)
        return hs_cf_error(cf, n, "\"%s\" directive is duplicate", d->name);
    if (!hs_str_eq_lit(n->args[1], "on") && !hs_str_eq_lit(n->args[1], "off"))
        return hs_cf_error(cf, n, "invalid value \"%s\" in \"%s\" directive, it must be \"on\" or \"off\"",
                           n->args[1].p, d->name);
    *v = hs_str_eq_lit(n->args[1], "on");
    used |= d->offset == offsetof(gz_loc, enable) && *v;
    return HS_OK;
}

static int gz_number(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    gz_loc *c = here(cf);
    if (c == NULL)
        return hs_cf_error(cf, n, "out of memory");
    int64_t *v = (int64_t *)((char *)c + d->offset);
    if (*v != HS_UNSET)
        return hs_cf_error(cf, n, "\"%s\" directive is duplicate", d->name);
    bool level = d->offset == offsetof(gz_loc, level);
    *v = level ? hs_parse_int(n->args[1]) : hs_parse_size(n->args[1]);
    if (*v < 0 || (level && (*v < 1 || *v > 9)))
        return hs_cf_error(cf, n, level ? "value must be between 1 and 9" : "invalid value \"%s\"", n->args[1].p);
    return HS_OK;
}

static int gz_types(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf, (void)d;
    gz_loc *c = here(cf);
    if (c == NULL || c->types)
        return hs_cf_error(cf, n, c ? "\"gzip_types\" directive is duplicate" : "out of memory");
    if ((c->types = hs_palloc(cf->pool, (n->nargs - 1) * sizeof(hs_str))) == NULL)
        return hs_cf_error(cf, n, "out of memory");
    for (size_t i = 1; i < n->nargs; i++) {
        char *t = hs_pstrndup(cf->pool, n->args[i].p, n->args[i].n);
        for (char *p = t; p && *p; p++)
            *p = hs_lower(*p);
        c->types[c->ntypes++] = hs_cstr(t);
    }
    return HS_OK;
}

static const hs_conf_enum proxied_names[] = {
    {"off", GZ_PX_OFF}, {"expired", GZ_PX_EXPIRED}, {"no-cache", GZ_PX_NO_CACHE},
    {"no-store", GZ_PX_NO_STORE}, {"private", GZ_PX_PRIVATE}, {"no_last_modified", GZ_PX_NO_LM},
    {"no_etag", GZ_PX_NO_ETAG}, {"auth", GZ_PX_AUTH}, {"any", GZ_PX_ANY}, {NULL, 0},
};

static int gz_proxied(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf, (void)d;
    gz_loc *c = here(cf);
    if (c == NULL || c->proxied != HS_UNSET)
        return hs_cf_error(cf, n, c ? "\"gzip_proxied\" directive is duplicate" : "out of memory");
    c->proxied = 0;
    for (size_t i = 1; i < n->nargs; i++) {
        const hs_conf_enum *e = proxied_names;
        while (e->name && !hs_str_eq_lit(n->args[i], e->name))
            e++;
        if (e->name == NULL)
            return hs_cf_error(cf, n, "invalid value \"%s\"", n->args[i].p);
        c->proxied |= e->value;
    }
    return HS_OK;
}

static int gz_static(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf, (void)d;
    gz_loc *c = here(cf);
    if (c == NULL || c->gstatic != HS_UNSET)
        return hs_cf_error(cf, n, c ? "\"gzip_static\" directive is duplicate" : "out of memory");
    hs_str v = n->args[1];
    c->gstatic = hs_str_eq_lit(v, "off") ? 0 : hs_str_eq_lit(v, "on") ? 1 : hs_str_eq_lit(v, "always") ? 2 : -2;
    if (c->gstatic == -2)
        return hs_cf_error(cf, n, "invalid value \"%s\" in \"gzip_static\" directive, it must be \"on\", \"off\" or \"always\"",
                           v.p);
    used_static |= c->gstatic > 0;
    return HS_OK;
}

static int gz_http_version(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf, (void)d;
    gz_loc *c = here(cf);
    if (c == NULL || c->http_version != HS_UNSET)
        return hs_cf_error(cf, n, c ? "\"gzip_http_version\" directive is duplicate" : "out of memory");
    if (!hs_str_eq_lit(n->args[1], "1.0") && !hs_str_eq_lit(n->args[1], "1.1"))
        return hs_cf_error(cf, n, "invalid value \"%s\"", n->args[1].p);
    c->http_version = n->args[1].p[2] == '0' ? 10 : 11;
    return HS_OK;
}

/* gzip_disable REGEX | msie6 ...: regexes match the User-Agent, without case. */
static int gz_disable(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf, (void)d;
    gz_loc *c = here(cf);
    if (c == NULL || c->disable_set)
        return hs_cf_error(cf, n, c ? "\"gzip_disable\" directive is duplicate" : "out of memory");
    c->disable_set = true;
    c->disable_msie6 = 0;
    if ((c->disable = hs_palloc(cf->pool, n->nargs * sizeof(hs_regex *))) == NULL)
        return hs_cf_error(cf, n, "out of memory");
    for (size_t i = 1; i < n->nargs; i++) {
        if (hs_str_eq_lit(n->args[i], "msie6")) {
            c->disable_msie6 = 1;
            continue;
        }
        char err[128];
        hs_regex *re = hs_regex_compile(cf->pool, n->args[i], true, err, sizeof(err));
        if (re == NULL)
            return hs_cf_error(cf, n, "%s", err);
        c->disable[c->ndisable++] = re;
    }
    return HS_OK;
}

/* gzip_buffers N SIZE: accepted and checked; hush deflates into one bounded buffer. */
static int gz_buffers(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf, (void)d;
    gz_loc *c = here(cf);
    if (c == NULL)
        return hs_cf_error(cf, n, "out of memory");
    if (hs_parse_int(n->args[1]) <= 0 || hs_parse_size(n->args[2]) <= 0)
        return hs_cf_error(cf, n, "invalid value \"%s %s\"", n->args[1].p, n->args[2].p);
    c->buffers = hs_parse_int(n->args[1]);
    return HS_OK;
}

#define CTX (HS_CTX_HSL | HS_CTX_IF)

const hs_directive gz_directives[] = {
    {"gzip", CTX, HS_ARGS_1, gz_flag, HS_LEVEL_NONE, offsetof(gz_loc, enable), NULL},
    {"gzip_vary", HS_CTX_HSL, HS_ARGS_1, gz_flag, HS_LEVEL_NONE, offsetof(gz_loc, vary), NULL},
    {"gzip_types", HS_CTX_HSL, HS_ARGS_1MORE, gz_types, HS_LEVEL_NONE, 0, NULL},
    {"gzip_min_length", HS_CTX_HSL, HS_ARGS_1, gz_number, HS_LEVEL_NONE, offsetof(gz_loc, min_length), NULL},
    {"gzip_comp_level", HS_CTX_HSL, HS_ARGS_1, gz_number, HS_LEVEL_NONE, offsetof(gz_loc, level), NULL},
    {"gzip_proxied", HS_CTX_HSL, HS_ARGS_1MORE, gz_proxied, HS_LEVEL_NONE, 0, NULL},
    {"gzip_http_version", HS_CTX_HSL, HS_ARGS_1, gz_http_version, HS_LEVEL_NONE, 0, NULL},
    {"gzip_disable", HS_CTX_HSL, HS_ARGS_1MORE, gz_disable, HS_LEVEL_NONE, 0, NULL},
    {"gzip_buffers", HS_CTX_HSL, HS_ARGS_2, gz_buffers, HS_LEVEL_NONE, 0, NULL},
    {"gzip_static", HS_CTX_HSL, HS_ARGS_1, gz_static, HS_LEVEL_NONE, 0, NULL},
    {NULL, 0, 0, NULL, 0, 0, NULL},
};

static void merge_loc(hs_cf *cf, hs_loc_conf *child, const hs_loc_conf *parent)
{
    (void)cf;
    gz_loc **slot = (gz_loc **)&HS_MOD_SLOT(child->mod, &hs_gzip_module);
    const gz_loc *p = gz_loc_of(parent);
    if (*slot == NULL) {
        *slot = (gz_loc *)p;
        return;
    }
    static const gz_loc dflt = {.enable = 0, .min_length = 20, .level = 1, .vary = 0,
                                .proxied = GZ_PX_OFF, .http_version = 11, .disable_msie6 = 0, .gstatic = 0};
    gz_loc *c = *slot;
    if (p == NULL)
        p = &dflt;
    HS_MERGE(c->enable, p->enable, 0);
    HS_MERGE(c->min_length, p->min_length, 20);
    HS_MERGE(c->level, p->level, 1);
    HS_MERGE(c->vary, p->vary, 0);
    HS_MERGE(c->proxied, p->proxied, GZ_PX_OFF);
    HS_MERGE(c->http_version, p->http_version, 11);
    HS_MERGE(c->gstatic, p->gstatic, 0);
    if (c->types == NULL) {
        c->types = p->types;
        c->ntypes = p->ntypes;
    }
    if (!c->disable_set) {
        c->disable = p->disable;
        c->ndisable = p->ndisable;
        c->disable_msie6 = p->disable_msie6 == HS_UNSET ? 0 : p->disable_msie6;
        c->disable_set = p->disable_set;
    }
}

static int http_init(hs_cf *cf, hs_http_conf *http)
{
    (void)cf, (void)http;
    used = used_static = false;
    return HS_OK;
}

static int http_finish(hs_cf *cf, hs_http_conf *http)
{
    hs_static_set_variant(used_static ? &gz_variant : NULL);
    if (used && (hs_http_add_header_filter(cf, http, gz_header_filter) != HS_OK ||
                 hs_http_add_body_filter(cf, http, gz_body_filter) != HS_OK))
        return hs_cf_error(cf, NULL, "too many filters");
    return HS_OK;
}

hs_module hs_gzip_module = {
    .name = "gzip",
    .directives = {gz_directives},
    .http_init = http_init,
    .merge_loc = merge_loc,
    .http_finish = http_finish,
};
