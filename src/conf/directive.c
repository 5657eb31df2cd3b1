#include "conf/directive.h"

#include <stdarg.h>
#include <stdio.h>

#include "conf/module.h"
#include "core/units.h"

int hs_cf_error(hs_cf *cf, const hs_conf_node *node, const char *fmt, ...)
{
    if (cf->errored)
        return HS_ERROR; /* keep the first, most precise message */
    int n = snprintf(cf->err, cf->errlen, "%s:%d: ", node ? node->file : "?", node ? node->line : 0);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < cf->errlen)
        vsnprintf(cf->err + n, cf->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    cf->errored = true;
    return HS_ERROR;
}

/* The directive of that name for the current context: two modules may
 * share a name in different contexts (error_log: main's, and the log
 * module's for http, server, location). Else the first of the name. */
static const hs_directive *find_directive(hs_cf *cf, hs_str name)
{
    const hs_directive *first = NULL;
    for (struct hs_module *const *m = cf->modules; *m; m++)
        for (size_t t = 0; t < HS_MODULE_TABLES && (*m)->directives[t]; t++)
            for (const hs_directive *d = (*m)->directives[t]; d->name; d++)
                if (hs_str_eq_lit(name, d->name)) {
                    if (d->ctx & cf->ctx)
                        return d;
                    first = first ? first : d;
                }
    return first;
}

static int check_arity(hs_cf *cf, const hs_conf_node *n, const hs_directive *d)
{
    size_t argc = n->nargs - 1;
    bool wants_block = (d->args & HS_ARGS_BLOCK) != 0;
    if (wants_block && !n->block)
        return hs_cf_error(cf, n, "directive \"%s\" has no opening \"{\"", d->name);
    if (!wants_block && n->block)
        return hs_cf_error(cf, n, "directive \"%s\" is not terminated by \";\"", d->name);
    uint32_t mask = d->args & ~HS_ARGS_BLOCK;
    if (argc > 30 || !(mask & (1u << argc)))
        return hs_cf_error(cf, n, "invalid number of arguments in \"%s\" directive", d->name);
    return HS_OK;
}

static int apply(hs_cf *cf, const hs_conf_node *n)
{
    const hs_directive *d = find_directive(cf, n->args[0]);
    if (d == NULL && hs_conf_is_nginx_directive(n->args[0]))
        return hs_cf_error(cf, n, "nginx's \"%s\" directive is not supported by hush (yet)", n->args[0].p);
    if (d == NULL)
        return hs_cf_error(cf, n, "unknown directive \"%s\"", n->args[0].p);
    if (!(d->ctx & cf->ctx))
        return hs_cf_error(cf, n, "\"%s\" directive is not allowed here", d->name);
    if (check_arity(cf, n, d) != HS_OK)
        return HS_ERROR;
    void *conf = NULL;
    if (d->level != HS_LEVEL_NONE) {
        conf = (char *)cf->level[d->level] + d->offset;
        if (cf->level[d->level] == NULL)
            return hs_cf_error(cf, n, "\"%s\" directive is not allowed here", d->name);
    }
    return d->set(cf, n, conf, d);
}

int hs_cf_block(hs_cf *cf, const hs_conf_node *block, uint32_t ctx)
{
    uint32_t saved = cf->ctx;
    cf->ctx = ctx;
    int rc = HS_OK;
    for (size_t i = 0; i < block->nchildren && rc == HS_OK; i++)
        rc = apply(cf, &block->children[i]);
    cf->ctx = saved;
    return rc;
}

char *hs_cf_path(hs_cf *cf, hs_str path)
{
    if (path.n && path.p[0] == '/')
        return hs_pstrndup(cf->pool, path.p, path.n);
    return hs_psprintf(cf->pool, "%s/%.*s", cf->prefix, (int)path.n, path.p);
}

int hs_set_flag(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    int *v = conf;
    if (*v != HS_UNSET)
        return hs_cf_error(cf, n, "\"%s\" directive is duplicate", d->name);
    if (hs_str_eq_lit(n->args[1], "on"))
        *v = 1;
    else if (hs_str_eq_lit(n->args[1], "off"))
        *v = 0;
    else
        return hs_cf_error(cf, n, "invalid value \"%s\" in \"%s\" directive, it must be \"on\" or \"off\"",
                           n->args[1].p, d->name);
    return HS_OK;
}

int hs_set_str(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    hs_str *v = conf;
    if (v->p)
        return hs_cf_error(cf, n, "\"%s\" directive is duplicate", d->name);
    *v = n->args[1];
    return HS_OK;
}

int hs_set_path(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    hs_str *v = conf;
    if (v->p)
        return hs_cf_error(cf, n, "\"%s\" directive is duplicate", d->name);
    *v = hs_cstr(hs_cf_path(cf, n->args[1]));
    return HS_OK;
}

static int set_int64(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d,
                     int64_t (*parse)(hs_str))
{
    int64_t *v = conf;
    if (*v != -1)
        return hs_cf_error(cf, n, "\"%s\" directive is duplicate", d->name);
    int64_t x = parse(n->args[1]);
    if (x < 0)
        return hs_cf_error(cf, n, "\"%s\" directive invalid value \"%s\"", d->name, n->args[1].p);
    *v = x;
    return HS_OK;
}

int hs_set_num(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    return set_int64(cf, n, conf, d, hs_parse_int);
}

int hs_set_size(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    return set_int64(cf, n, conf, d, hs_parse_size);
}

int hs_set_msec(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    return set_int64(cf, n, conf, d, hs_parse_msec);
}

int hs_set_enum(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    int *v = conf;
    if (*v != HS_UNSET)
        return hs_cf_error(cf, n, "\"%s\" directive is duplicate", d->name);
    for (const hs_conf_enum *e = d->post; e->name; e++) {
        if (hs_str_eq_lit(n->args[1], e->name)) {
            *v = e->value;
            return HS_OK;
        }
    }
    return hs_cf_error(cf, n, "invalid value \"%s\" in \"%s\" directive", n->args[1].p, d->name);
}
