/* The fastcgi_* directives: their parsing, inheritance (nginx's: a level's
 * fastcgi_param lines replace its parent's whole), and the resolution of
 * fastcgi_pass targets after the http block, through the upstream
 * machinery (proxy/upstream.h). */
#include "fastcgi/fcgi_internal.h"

static fcgi_conf *conf_get(hs_cf *cf, hs_loc_conf *lc)
{
    fcgi_conf **slot = (fcgi_conf **)&HS_MOD_SLOT(lc->mod, &hs_fastcgi_module);
    if (*slot == NULL) {
        fcgi_conf *c = hs_pcalloc(cf->pool, sizeof(*c));
        if (c == NULL || (c->up = hs_upstream_conf_new(cf, &hs_fcgi_proto)) == NULL)
            return NULL;
        c->pass_request_headers = HS_UNSET;
        *slot = c;
    }
    return *slot;
}

static fcgi_conf *here(hs_cf *cf)
{
    return conf_get(cf, cf->level[HS_LEVEL_LOC]);
}

static int fastcgi_pass(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    hs_loc_conf *lc = cf->level[HS_LEVEL_LOC];
    fcgi_conf *c = here(cf);
    if (c == NULL)
        return HS_ERROR;
    if (c->pass || lc->handler != NULL)
        return hs_cf_error(cf, n, "\"fastcgi_pass\" directive is duplicate");
    if (hs_upstream_conf_target(cf, n, c->up, n->args[1]) != HS_OK)
        return HS_ERROR;
    c->pass = true;
    lc->handler = &hs_fcgi_handler;
    return HS_OK;
}

/* fastcgi_param NAME VALUE [if_not_empty] */
static int fastcgi_param(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    fcgi_conf *c = here(cf);
    if (c == NULL)
        return HS_ERROR;
    if (n->nargs == 4 && !hs_str_eq_lit(n->args[3], "if_not_empty"))
        return hs_cf_error(cf, n, "invalid parameter \"%s\"", n->args[3].p);
    if (n->args[1].n == 0)
        return hs_cf_error(cf, n, "invalid parameter name \"\"");
    fcgi_param *p = hs_pvec_push(cf->pool, (void **)&c->params, &c->nparams, sizeof(*p));
    if (p == NULL)
        return HS_ERROR;
    p->name = n->args[1];
    p->if_not_empty = n->nargs == 4;
    return hs_cv_compile(cf, n, n->args[2], &p->value);
}

static int fastcgi_index(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    fcgi_conf *c = here(cf);
    if (c == NULL)
        return HS_ERROR;
    if (c->index.p)
        return hs_cf_error(cf, n, "\"fastcgi_index\" directive is duplicate");
    c->index = n->args[1];
    return HS_OK;
}

/* fastcgi_split_path_info REGEX: two captures, the script and the path info. */
static int split_path_info(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    fcgi_conf *c = here(cf);
    char err[256];
    if (c == NULL)
        return HS_ERROR;
    if (c->split_set)
        return hs_cf_error(cf, n, "\"fastcgi_split_path_info\" directive is duplicate");
    c->split = hs_regex_compile(cf->pool, n->args[1], false, err, sizeof(err));
    if (c->split == NULL)
        return hs_cf_error(cf, n, "%s", err);
    if (hs_regex_captures(c->split) < 2)
        return hs_cf_error(cf, n, "pattern \"%s\" must have 2 captures", n->args[1].p);
    c->split_set = true;
    return HS_OK;
}

static int pass_request_headers(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    fcgi_conf *c = here(cf);
    return c ? hs_set_flag(cf, n, &c->pass_request_headers, d) : HS_ERROR;
}

/* The settings every upstream protocol has: the row's offset names which. */
static int shared(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    fcgi_conf *c = here(cf);
    return c ? hs_upstream_conf_set(cf, n, c->up, (hs_up_setting)d->offset) : HS_ERROR;
}

#define S(name, args, which) {name, HS_CTX_HSL, args, shared, HS_LEVEL_NONE, which, NULL}

const hs_directive hs_fcgi_directives[] = {
    {"fastcgi_pass", HS_CTX_LOCATION | HS_CTX_IF, HS_ARGS_1, fastcgi_pass, HS_LEVEL_NONE, 0, NULL},
    {"fastcgi_param", HS_CTX_HSL, HS_ARGS_2 | HS_ARGS(3), fastcgi_param, HS_LEVEL_NONE, 0, NULL},
    {"fastcgi_index", HS_CTX_HSL, HS_ARGS_1, fastcgi_index, HS_LEVEL_NONE, 0, NULL},
    {"fastcgi_split_path_info", HS_CTX_LOCATION, HS_ARGS_1, split_path_info, HS_LEVEL_NONE, 0, NULL},
    {"fastcgi_pass_request_headers", HS_CTX_HSL, HS_ARGS_1, pass_request_headers, HS_LEVEL_NONE, 0, NULL},
    S("fastcgi_connect_timeout", HS_ARGS_1, HS_UP_CONNECT_TIMEOUT),
    S("fastcgi_read_timeout", HS_ARGS_1, HS_UP_READ_TIMEOUT),
    S("fastcgi_send_timeout", HS_ARGS_1, HS_UP_SEND_TIMEOUT),
    S("fastcgi_next_upstream", HS_ARGS_1MORE, HS_UP_NEXT_UPSTREAM),
    S("fastcgi_next_upstream_tries", HS_ARGS_1, HS_UP_NEXT_UPSTREAM_TRIES),
    S("fastcgi_next_upstream_timeout", HS_ARGS_1, HS_UP_NEXT_UPSTREAM_TIMEOUT),
    S("fastcgi_ignore_client_abort", HS_ARGS_1, HS_UP_IGNORE_CLIENT_ABORT),
    S("fastcgi_intercept_errors", HS_ARGS_1, HS_UP_INTERCEPT_ERRORS),
    S("fastcgi_buffering", HS_ARGS_1, HS_UP_BUFFERING),
    S("fastcgi_buffer_size", HS_ARGS_1, HS_UP_BUFFER_SIZE),
    S("fastcgi_buffers", HS_ARGS_2, HS_UP_BUFFERS),
    S("fastcgi_hide_header", HS_ARGS_1, HS_UP_HIDE_HEADER),
    S("fastcgi_pass_header", HS_ARGS_1, HS_UP_PASS_HEADER),
    S("fastcgi_keep_conn", HS_ARGS_1, HS_UP_KEEP_CONN),
    {NULL, 0, 0, NULL, 0, 0, NULL},
};

/* ---- inheritance ---- */

void hs_fcgi_merge_loc(hs_cf *cf, hs_loc_conf *child, const hs_loc_conf *parent)
{
    (void)cf;
    const fcgi_conf *p = fcgi_conf_of(parent);
    fcgi_conf *c = fcgi_conf_of(child);
    if (c == NULL) {
        HS_MOD_SLOT(child->mod, &hs_fastcgi_module) = (void *)p;
        return;
    }
    hs_upstream_conf_merge(c->up, p ? p->up : NULL);
    HS_MERGE(c->pass_request_headers, p ? p->pass_request_headers : HS_UNSET, 1);
    if (p == NULL)
        return;
    if (c->params == NULL) {
        c->params = p->params;
        c->nparams = p->nparams;
    }
    if (c->index.p == NULL)
        c->index = p->index;
    if (!c->split_set) {
        c->split = p->split;
        c->split_set = p->split_set;
    }
}

/* ---- after the http block ---- */

static int finish_tree(hs_cf *cf, hs_http_conf *http, hs_loc_conf *lc, bool *used)
{
    fcgi_conf *c = fcgi_conf_of(lc);
    if (lc->handler == &hs_fcgi_handler) {
        *used = true;
        if (c == NULL || !hs_upstream_conf_has_target(c->up))
            return HS_ERROR;
        if (hs_upstream_conf_resolve(cf, http, c->up) != HS_OK)
            return HS_ERROR;
    }
    for (size_t i = 0; i < lc->nchildren; i++)
        if (finish_tree(cf, http, lc->children[i], used) != HS_OK)
            return HS_ERROR;
    return HS_OK;
}

static int log_tries(hs_req *r)
{
    hs_upstream_count_tries(r, &hs_fcgi_proto);
    return HS_OK;
}

int hs_fcgi_http_finish(hs_cf *cf, hs_http_conf *http)
{
    bool used = false;
    for (size_t i = 0; i < http->nservers; i++)
        if (finish_tree(cf, http, http->servers[i]->loc, &used) != HS_OK)
            return HS_ERROR;
    /* the FastCGI response times go to the metrics when the request ends */
    return used ? hs_http_add_phase(cf, http, HS_PHASE_LOG, log_tries) : HS_OK;
}
