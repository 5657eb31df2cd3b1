/* http, server and location blocks: creation, nesting, inheritance (merge). */
#include "http/conf.h"

#include <stdio.h>
#include <stdlib.h>

#include "http/conf_internal.h"
#include "http/phase.h"

hs_loc_conf *hs_loc_conf_create(hs_pool *pool)
{
    hs_loc_conf *lc = hs_pcalloc(pool, sizeof(*lc));
    if (lc == NULL)
        return NULL;
    lc->alias = HS_UNSET;
    lc->sendfile = HS_UNSET;
    lc->server_tokens = HS_UNSET;
    lc->keepalive_timeout = HS_UNSET_MSEC;
    lc->keepalive_requests = HS_UNSET;
    lc->client_body_timeout = HS_UNSET_MSEC;
    lc->send_timeout = HS_UNSET_MSEC;
    lc->client_max_body_size = HS_UNSET_SIZE;
    lc->tcp_nodelay = HS_UNSET;
    lc->tcp_nopush = HS_UNSET;
    lc->reset_timedout = HS_UNSET;
    lc->satisfy_any = HS_UNSET;
    lc->absolute_redirect = lc->port_in_redirect = lc->server_name_in_redirect = HS_UNSET;
    return lc;
}

hs_srv_conf *hs_srv_conf_create(hs_pool *pool)
{
    hs_srv_conf *sc = hs_pcalloc(pool, sizeof(*sc));
    if (sc == NULL)
        return NULL;
    sc->client_header_timeout = HS_UNSET_MSEC;
    sc->client_header_buffer_size = HS_UNSET_SIZE;
    sc->large_header_buffers_num = HS_UNSET;
    sc->large_header_buffers_size = HS_UNSET_SIZE;
    sc->log_empty_connections = HS_UNSET;
    return sc;
}

static int add_child(hs_pool *pool, hs_loc_conf *parent, hs_loc_conf *child)
{
    hs_loc_conf **v = hs_palloc(pool, (parent->nchildren + 1) * sizeof(*v));
    if (v == NULL)
        return HS_ERROR;
    if (parent->nchildren)
        memcpy(v, parent->children, parent->nchildren * sizeof(*v));
    v[parent->nchildren++] = child;
    parent->children = v;
    return HS_OK;
}

/* location [=|~|~*|^~] uri { ... }  and  location @name { ... } */
static int parse_location_head(hs_cf *cf, const hs_conf_node *n, hs_loc_conf *lc)
{
    hs_str mod = n->args[1], name = n->nargs == 3 ? n->args[2] : n->args[1];
    if (n->nargs == 3) {
        if (hs_str_eq_lit(mod, "="))
            lc->match = HS_LOC_EXACT;
        else if (hs_str_eq_lit(mod, "^~"))
            lc->match = HS_LOC_NOREGEX;
        else if (hs_str_eq_lit(mod, "~"))
            lc->match = HS_LOC_REGEX;
        else if (hs_str_eq_lit(mod, "~*"))
            lc->match = HS_LOC_REGEX_I;
        else
            return hs_cf_error(cf, n, "invalid location modifier \"%s\"", mod.p);
    } else if (name.n > 1 && name.p[0] == '=') {
        lc->match = HS_LOC_EXACT;
        name = (hs_str){name.p + 1, name.n - 1};
    } else if (name.n > 2 && name.p[0] == '~' && name.p[1] == '*') {
        lc->match = HS_LOC_REGEX_I;
        name = (hs_str){name.p + 2, name.n - 2};
    } else if (name.n > 1 && name.p[0] == '~') {
        lc->match = HS_LOC_REGEX;
        name = (hs_str){name.p + 1, name.n - 1};
    } else if (name.n > 0 && name.p[0] == '@') {
        lc->match = HS_LOC_NAMED;
    } else {
        lc->match = HS_LOC_PREFIX;
    }
    if (name.n == 0)
        return hs_cf_error(cf, n, "empty location name");
    lc->name = name;
    if (lc->match == HS_LOC_REGEX || lc->match == HS_LOC_REGEX_I) {
        char err[512];
        lc->regex = hs_regex_compile(cf->pool, name, lc->match == HS_LOC_REGEX_I, err, sizeof(err));
        if (lc->regex == NULL)
            return hs_cf_error(cf, n, "%s", err);
        hs_http_define_named_captures(cf, lc->regex);
    }
    return HS_OK;
}

static int location_block(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    hs_loc_conf *parent = cf->level[HS_LEVEL_LOC];
    if (n->nargs > 3)
        return hs_cf_error(cf, n, "invalid number of arguments in \"location\" directive");
    hs_loc_conf *lc = hs_loc_conf_create(cf->pool);
    lc->file = n->file;
    lc->line = n->line;
    lc->parent = parent;
    lc->server = parent->server;
    if (parse_location_head(cf, n, lc) != HS_OK)
        return HS_ERROR;
    if (parent->match == HS_LOC_EXACT || parent->match == HS_LOC_NAMED)
        return hs_cf_error(cf, n, "location \"%s\" cannot be inside the %s location \"%s\"",
                           lc->name.p, parent->match == HS_LOC_EXACT ? "exact" : "named",
                           parent->name.p);
    if (lc->match == HS_LOC_NAMED && parent->match != HS_LOC_SERVER)
        return hs_cf_error(cf, n, "named location \"%s\" can be on the server level only", lc->name.p);
    if ((lc->match == HS_LOC_PREFIX || lc->match == HS_LOC_NOREGEX || lc->match == HS_LOC_EXACT) &&
        (parent->match == HS_LOC_PREFIX || parent->match == HS_LOC_NOREGEX) &&
        !hs_str_has_prefix(lc->name, parent->name))
        return hs_cf_error(cf, n, "location \"%s\" is outside location \"%s\"", lc->name.p,
                           parent->name.p);
    for (size_t i = 0; i < parent->nchildren; i++) {
        hs_loc_conf *o = parent->children[i];
        bool same_kind = (o->match == lc->match) ||
                         ((o->match == HS_LOC_PREFIX || o->match == HS_LOC_NOREGEX) &&
                          (lc->match == HS_LOC_PREFIX || lc->match == HS_LOC_NOREGEX));
        if (same_kind && hs_str_eq(o->name, lc->name) && !o->regex && !o->anonymous)
            return hs_cf_error(cf, n, "duplicate location \"%s\"", lc->name.p);
    }
    if (add_child(cf->pool, parent, lc) != HS_OK)
        return hs_cf_error(cf, n, "out of memory");
    cf->level[HS_LEVEL_LOC] = lc;
    int rc = hs_cf_block(cf, n, HS_CTX_LOCATION);
    cf->level[HS_LEVEL_LOC] = parent;
    return rc;
}

hs_loc_conf *hs_http_add_anonymous(hs_cf *cf, const hs_conf_node *n, uint32_t ctx)
{
    hs_loc_conf *parent = cf->level[HS_LEVEL_LOC];
    hs_loc_conf *lc = hs_loc_conf_create(cf->pool);
    if (lc == NULL || add_child(cf->pool, parent, lc) != HS_OK) {
        hs_cf_error(cf, n, "out of memory");
        return NULL;
    }
    lc->anonymous = true;
    lc->file = n->file;
    lc->line = n->line;
    lc->parent = parent;
    lc->server = parent->server;
    lc->name = parent->name;   /* alias and proxy_pass strip the location's prefix */
    lc->match = parent->match;
    lc->regex = parent->regex;
    cf->level[HS_LEVEL_LOC] = lc;
    int rc = hs_cf_block(cf, n, ctx);
    cf->level[HS_LEVEL_LOC] = parent;
    return rc == HS_OK ? lc : NULL;
}

static int server_block(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    hs_http_conf *http = cf->level[HS_LEVEL_HTTP];
    hs_srv_conf *sc = hs_srv_conf_create(cf->pool);
    sc->loc = hs_loc_conf_create(cf->pool);
    sc->loc->match = HS_LOC_SERVER;
    sc->loc->server = sc;
    sc->loc->parent = http->loc;
    sc->loc->file = sc->file = n->file;
    sc->loc->line = sc->line = n->line;
    hs_srv_conf **slot = hs_pvec_push(cf->pool, (void **)&http->servers, &http->nservers, sizeof(*slot));
    if (slot == NULL)
        return HS_ERROR;
    *slot = sc;
    cf->level[HS_LEVEL_SRV] = sc;
    cf->level[HS_LEVEL_LOC] = sc->loc;
    int rc = hs_cf_block(cf, n, HS_CTX_SERVER);
    cf->level[HS_LEVEL_SRV] = http->srv;
    cf->level[HS_LEVEL_LOC] = http->loc;
    return rc;
}

/* Every "listen ... ssl" address got its transport from a module (the TLS
 * module gives it only to addresses whose servers have certificates). */
static int check_transports(hs_cf *cf, hs_http_conf *http)
{
    for (size_t i = 0; i < http->ngroups; i++) {
        hs_listen_conf *l = http->groups[i].listen;
        hs_conf_node at = {.file = l->file, .line = l->line};
        if (http->groups[i].ssl && http->groups[i].transport == NULL)
            return hs_cf_error(cf, &at, "no \"ssl_certificate\" is defined for the \"listen ... ssl\" directive");
    }
    return HS_OK;
}

static int http_block(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    hs_config *config = cf->user;
    if (config->http)
        return hs_cf_error(cf, n, "\"http\" directive is duplicate");
    hs_http_conf *http = hs_pcalloc(cf->pool, sizeof(*http));
    http->hooks = hs_pcalloc(cf->pool, sizeof(hs_http_hooks));
    http->srv = hs_srv_conf_create(cf->pool);
    http->loc = hs_loc_conf_create(cf->pool);
    http->loc->match = HS_LOC_SERVER;
    config->http = http;
    cf->level[HS_LEVEL_HTTP] = http;
    cf->level[HS_LEVEL_SRV] = http->srv;
    cf->level[HS_LEVEL_LOC] = http->loc;
    int rc = HS_OK;
    for (hs_module *const *m = cf->modules; rc == HS_OK && *m; m++)
        if ((*m)->http_init)
            rc = (*m)->http_init(cf, http);
    if (rc == HS_OK)
        rc = hs_cf_block(cf, n, HS_CTX_HTTP);
    if (rc == HS_OK)
        rc = hs_http_conf_finish(cf, http);
    for (hs_module *const *m = cf->modules; rc == HS_OK && *m; m++)
        if ((*m)->http_finish)
            rc = (*m)->http_finish(cf, http);
    if (rc == HS_OK)
        rc = check_transports(cf, http);
    cf->level[HS_LEVEL_SRV] = cf->level[HS_LEVEL_LOC] = NULL;
    return rc;
}

/* ---- inheritance ---- */

static void merge_loc(hs_cf *cf, hs_loc_conf *c, const hs_loc_conf *p)
{
    if (c->anonymous && c->handler == NULL)
        c->handler = p->handler; /* an if block answers as its location, as nginx */
    if (c->root.raw.p == NULL) {
        c->root = p->root;
        c->alias = p->alias;
        c->alias_at = p->alias_at;
    }
    HS_MERGE(c->alias, p->alias, 0);
    if (c->error_pages == NULL) {
        c->error_pages = p->error_pages;
        c->nerror_pages = p->nerror_pages;
    }
    HS_MERGE_PTR(c->types, p->types, NULL);
    if (c->default_type.p == NULL)
        c->default_type = p->default_type;
    HS_MERGE(c->sendfile, p->sendfile, 0);
    HS_MERGE(c->server_tokens, p->server_tokens, 1);
    HS_MERGE(c->keepalive_timeout, p->keepalive_timeout, 75000);
    HS_MERGE(c->keepalive_requests, p->keepalive_requests, 1000);
    HS_MERGE(c->client_body_timeout, p->client_body_timeout, 60000);
    HS_MERGE(c->send_timeout, p->send_timeout, 60000);
    HS_MERGE(c->client_max_body_size, p->client_max_body_size, 1024 * 1024);
    HS_MERGE(c->tcp_nodelay, p->tcp_nodelay, 1);
    HS_MERGE(c->tcp_nopush, p->tcp_nopush, 0);
    HS_MERGE(c->reset_timedout, p->reset_timedout, 0);
    HS_MERGE(c->satisfy_any, p->satisfy_any, 0);
    HS_MERGE(c->absolute_redirect, p->absolute_redirect, 1);
    HS_MERGE(c->port_in_redirect, p->port_in_redirect, 1);
    HS_MERGE(c->server_name_in_redirect, p->server_name_in_redirect, 0);
    for (hs_module *const *m = cf->modules; *m; m++)
        if ((*m)->merge_loc)
            (*m)->merge_loc(cf, c, p);
}

static int merge_tree(hs_cf *cf, hs_loc_conf *lc, const hs_loc_conf *parent)
{
    merge_loc(cf, lc, parent);
    if (lc->limit_except)
        merge_loc(cf, lc->limit_except, lc);
    for (size_t i = 0; i < lc->nchildren; i++)
        if (merge_tree(cf, lc->children[i], lc) != HS_OK)
            return HS_ERROR;
    return HS_OK;
}

static void merge_srv(hs_srv_conf *c, const hs_srv_conf *p)
{
    HS_MERGE(c->client_header_timeout, p->client_header_timeout, 60000);
    HS_MERGE(c->client_header_buffer_size, p->client_header_buffer_size, 1024);
    HS_MERGE(c->large_header_buffers_num, p->large_header_buffers_num, 4);
    HS_MERGE(c->large_header_buffers_size, p->large_header_buffers_size, 8192);
    HS_MERGE(c->log_empty_connections, p->log_empty_connections, 0);
}

int hs_http_conf_finish(hs_cf *cf, hs_http_conf *http)
{
    /* http-level defaults are the root of inheritance */
    hs_loc_conf root_defaults;
    memset(&root_defaults, 0, sizeof(root_defaults));
    hs_loc_conf *dflt = hs_loc_conf_create(cf->pool);
    root_defaults = *dflt;
    if (http->loc->types == NULL)
        http->loc->types = hs_http_default_types(cf);
    if (http->loc->default_type.p == NULL)
        http->loc->default_type = HS_STR("text/plain");
    if (http->loc->root.raw.p == NULL)
        hs_cv_compile(cf, NULL, hs_cstr(hs_cf_path(cf, HS_STR("html"))), &http->loc->root);
    merge_loc(cf, http->loc, &root_defaults);
    merge_srv(http->srv, http->srv);
    for (size_t i = 0; i < http->nservers; i++) {
        hs_srv_conf *sc = http->servers[i];
        merge_srv(sc, http->srv);
        if (merge_tree(cf, sc->loc, http->loc) != HS_OK)
            return HS_ERROR;
        if (sc->large_header_buffers_size < sc->client_header_buffer_size)
            sc->large_header_buffers_size = sc->client_header_buffer_size;
    }
    return hs_http_build_listen_groups(cf, http);
}

const hs_directive hs_http_block_directives[] = {
    {"http", HS_CTX_MAIN, HS_ARGS_0 | HS_ARGS_BLOCK, http_block, HS_LEVEL_NONE, 0, NULL},
    {"server", HS_CTX_HTTP, HS_ARGS_0 | HS_ARGS_BLOCK, server_block, HS_LEVEL_NONE, 0, NULL},
    {"location", HS_CTX_SERVER | HS_CTX_LOCATION, HS_ARGS_12 | HS_ARGS_BLOCK, location_block,
     HS_LEVEL_NONE, 0, NULL},
    {NULL, 0, 0, NULL, 0, 0, NULL},
};

hs_module hs_http_module = {
    .name = "http",
    .directives = {hs_http_block_directives, hs_http_core_directives, hs_http_listen_directives},
    .variables = hs_http_variables,
};
