/* The proxy_* directives: their parsing, inheritance, and the resolution
 * of proxy_pass targets after the http block (upstream blocks are
 * upstream_conf.c's). */
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/units.h"
#include "proxy/zone_internal.h"
#include "resolver/resolver.h"

#define LOCP(field) HS_LEVEL_NONE, offsetof(hs_proxy_conf, field)

hs_proxy_conf *hs_proxy_conf_new(hs_pool *pool)
{
    hs_proxy_conf *pc = hs_pcalloc(pool, sizeof(*pc));
    pc->proto = &hs_proxy_http_proto;
    pc->http_version = HS_UNSET;
    pc->keep_conn = HS_UNSET;
    pc->connect_timeout = pc->read_timeout = pc->send_timeout = HS_UNSET_MSEC;
    pc->next_upstream = HS_UNSET;
    pc->next_upstream_tries = HS_UNSET;
    pc->next_upstream_timeout = HS_UNSET_MSEC;
    pc->ignore_client_abort = HS_UNSET;
    pc->intercept_errors = HS_UNSET;
    pc->buffering = HS_UNSET;
    pc->request_buffering = HS_UNSET;
    pc->buffer_size = HS_UNSET_SIZE;
    pc->resolver_timeout = HS_UNSET_MSEC;
    hs_proxy_ssl_init(&pc->ssl);
    hs_proxy_rewrite_init(&pc->redirects, &pc->cookie_domains, &pc->cookie_paths);
    return pc;
}

hs_proxy_conf *hs_proxy_conf_get(hs_cf *cf, hs_loc_conf *lc)
{
    hs_proxy_conf **slot = (hs_proxy_conf **)&HS_MOD_SLOT(lc->mod, &hs_proxy_module);
    if (*slot == NULL)
        *slot = hs_proxy_conf_new(cf->pool);
    return *slot;
}

/* ---- proxy_pass ---- */

/* proxy_pass with variables: the URL is made per request (proxy_target.c). */
static int proxy_pass_vars(hs_cf *cf, const hs_conf_node *n, hs_loc_conf *lc, hs_proxy_conf *pc)
{
    if (hs_cv_compile(cf, n, n->args[1], &pc->url) != HS_OK)
        return HS_ERROR;
    pc->vars = true;
    pc->upstream = NULL;
    lc->handler = &hs_proxy_handler;
    pc->pass_file = n->file;
    pc->pass_line = n->line;
    return HS_OK;
}

static int proxy_resolver(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    return hs_resolver_conf(cf, n, &hs_proxy_conf_get(cf, cf->level[HS_LEVEL_LOC])->resolver);
}

static int proxy_pass(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    hs_loc_conf *lc = cf->level[HS_LEVEL_LOC];
    hs_proxy_conf *pc = hs_proxy_conf_get(cf, lc);
    hs_str url = n->args[1];
    if (pc->upstream || lc->handler != NULL)
        return hs_cf_error(cf, n, "\"proxy_pass\" directive is duplicate");
    /* as nginx: the scheme, not the upstream block, decides TLS */
    pc->https = hs_str_has_prefix(url, HS_STR("https://"));
    if (!pc->https && !hs_str_has_prefix(url, HS_STR("http://")))
        return hs_cf_error(cf, n, "invalid URL prefix in \"%s\"", url.p);
    if (memchr(url.p, '$', url.n))
        return proxy_pass_vars(cf, n, lc, pc);
    size_t scheme = pc->https ? 8 : 7;
    hs_str rest = {url.p + scheme, url.n - scheme};
    /* http://unix:/path:/uri — the socket's path ends at a colon */
    bool unix_path = hs_str_has_prefix(rest, HS_STR("unix:"));
    const char *slash = unix_path ? memchr(rest.p + 5, ':', rest.n - 5) : memchr(rest.p, '/', rest.n);
    hs_str hostport = slash ? (hs_str){rest.p, (size_t)(slash - rest.p)} : rest;
    if (hostport.n == 0)
        return hs_cf_error(cf, n, "no host in \"%s\"", url.p);
    pc->has_uri = slash != NULL && !(unix_path && slash + 1 == rest.p + rest.n);
    if (pc->has_uri && lc->anonymous)
        return hs_cf_error(cf, n, "\"proxy_pass\" cannot have URI part in location given by regular expression, "
                                  "or inside named location, or inside \"if\" statement, or inside \"limit_except\" block");
    if (unix_path && slash)
        slash++;
    pc->uri = slash ? (hs_str){slash, (size_t)(rest.p + rest.n - slash)} : HS_NULL_STR;
    pc->proxy_host = hostport;
    /* the name is resolved after the http block: upstreams may come later */
    pc->upstream = (hs_upstream *)1;
    lc->handler = &hs_proxy_handler;
    pc->pass_file = n->file;
    pc->pass_line = n->line;
    return HS_OK;
}

static int proxy_set_header(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    hs_proxy_conf *pc = hs_proxy_conf_get(cf, cf->level[HS_LEVEL_LOC]);
    hs_proxy_header *h = hs_pvec_push(cf->pool, (void **)&pc->headers, &pc->nheaders, sizeof(*h));
    if (h == NULL)
        return HS_ERROR;
    h->name = n->args[1];
    return hs_cv_compile(cf, n, n->args[2], &h->value);
}

int hs_proxy_add_header_name(hs_cf *cf, hs_str **list, size_t *n, hs_str name)
{
    hs_str *h = hs_pvec_push(cf->pool, (void **)list, n, sizeof(*h));
    if (h == NULL)
        return HS_ERROR;
    *h = name;
    return HS_OK;
}

/* proxy_hide_header / proxy_pass_header NAME: lists, inherited whole. */
static int header_list(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    hs_proxy_conf *pc = hs_proxy_conf_get(cf, cf->level[HS_LEVEL_LOC]);
    if (d->name[6] == 'h')
        return hs_proxy_add_header_name(cf, &pc->hide, &pc->nhide, n->args[1]);
    return hs_proxy_add_header_name(cf, &pc->pass, &pc->npass, n->args[1]);
}

static int proxy_field(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    hs_proxy_conf *pc = hs_proxy_conf_get(cf, cf->level[HS_LEVEL_LOC]);
    return ((hs_directive_set)d->post)(cf, n, (char *)pc + d->offset, d);
}

static int http_version(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)d;
    int *v = conf;
    if (hs_str_eq_lit(n->args[1], "1.0"))
        *v = 10;
    else if (hs_str_eq_lit(n->args[1], "1.1"))
        *v = 11;
    else
        return hs_cf_error(cf, n, "invalid value \"%s\" in \"proxy_http_version\"", n->args[1].p);
    return HS_OK;
}

int hs_proxy_set_next_upstream(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)d;
    static const hs_conf_enum names[] = {
        {"error", HS_NEXT_ERROR}, {"timeout", HS_NEXT_TIMEOUT}, {"invalid_header", HS_NEXT_INVALID_HEADER},
        {"http_500", HS_NEXT_500}, {"http_502", HS_NEXT_502}, {"http_503", HS_NEXT_503},
        {"http_504", HS_NEXT_504}, {"http_403", HS_NEXT_403}, {"http_404", HS_NEXT_404},
        {"http_429", HS_NEXT_429}, {"non_idempotent", HS_NEXT_NON_IDEMPOTENT}, {"off", HS_NEXT_OFF},
        {NULL, 0}};
    int *v = conf, mask = 0;
    for (size_t i = 1; i < n->nargs; i++) {
        const hs_conf_enum *e = names;
        while (e->name && !hs_str_eq_lit(n->args[i], e->name))
            e++;
        if (e->name == NULL)
            return hs_cf_error(cf, n, "invalid value \"%s\" in \"%s\"", n->args[i].p, n->args[0].p);
        mask |= e->value;
    }
    if ((mask & HS_NEXT_OFF) && mask != HS_NEXT_OFF)
        return hs_cf_error(cf, n, "\"off\" cannot be combined with other values");
    *v = mask;
    return HS_OK;
}

int hs_proxy_set_buffers(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)d;
    int64_t num = hs_parse_int(n->args[1]), size = hs_parse_size(n->args[2]);
    if (num < 1 || size < 1 || num > 1024 || size > 64 * 1024 * 1024)
        return hs_cf_error(cf, n, "invalid value in \"%s\"", n->args[0].p);
    if (num < 2)
        return hs_cf_error(cf, n, "there must be at least 2 \"%s\"", n->args[0].p);
    int64_t *v = conf;
    *v = num * size; /* the relay buffer: hush bounds memory per request to this */
    return HS_OK;
}

#define P(name, args, setter, field)                                                                      \
    {name, HS_CTX_HSL, args, proxy_field, HS_LEVEL_NONE, offsetof(hs_proxy_conf, field), (const void *)setter}

const hs_directive hs_proxy_directives[] = {
    {"upstream", HS_CTX_HTTP, HS_ARGS_1 | HS_ARGS_BLOCK, hs_proxy_upstream_block, HS_LEVEL_NONE, 0, NULL},
    {"proxy_pass", HS_CTX_LOCATION | HS_CTX_IF, HS_ARGS_1, proxy_pass, HS_LEVEL_NONE, 0, NULL},
    {"proxy_set_header", HS_CTX_HSL, HS_ARGS_2, proxy_set_header, HS_LEVEL_NONE, 0, NULL},
    {"proxy_hide_header", HS_CTX_HSL, HS_ARGS_1, header_list, HS_LEVEL_NONE, 0, NULL},
    {"proxy_pass_header", HS_CTX_HSL, HS_ARGS_1, header_list, HS_LEVEL_NONE, 0, NULL},
    P("proxy_http_version", HS_ARGS_1, http_version, http_version),
    P("proxy_connect_timeout", HS_ARGS_1, hs_set_msec, connect_timeout),
    P("proxy_read_timeout", HS_ARGS_1, hs_set_msec, read_timeout),
    P("proxy_send_timeout", HS_ARGS_1, hs_set_msec, send_timeout),
    P("proxy_next_upstream", HS_ARGS_1MORE, hs_proxy_set_next_upstream, next_upstream),
    P("proxy_next_upstream_tries", HS_ARGS_1, hs_set_num, next_upstream_tries),
    P("proxy_next_upstream_timeout", HS_ARGS_1, hs_set_msec, next_upstream_timeout),
    P("proxy_ignore_client_abort", HS_ARGS_1, hs_set_flag, ignore_client_abort),
    P("proxy_intercept_errors", HS_ARGS_1, hs_set_flag, intercept_errors),
    P("proxy_buffering", HS_ARGS_1, hs_set_flag, buffering),
    P("proxy_buffer_size", HS_ARGS_1, hs_set_size, buffer_size),
    P("proxy_buffers", HS_ARGS_2, hs_proxy_set_buffers, buffer_size),
    P("proxy_request_buffering", HS_ARGS_1, hs_set_flag, request_buffering),
    {"resolver", HS_CTX_HSL, HS_ARGS_1MORE, proxy_resolver, HS_LEVEL_NONE, 0, NULL},
    P("resolver_timeout", HS_ARGS_1, hs_set_msec, resolver_timeout),
    {NULL, 0, 0, NULL, 0, 0, NULL},
};

/* ---- after the http block ---- */

/* The defaults of the settings every protocol has (nginx's). */
static const hs_proxy_conf common_defaults = {
    .connect_timeout = 60000, .read_timeout = 60000, .send_timeout = 60000,
    .next_upstream = HS_NEXT_ERROR | HS_NEXT_TIMEOUT, .next_upstream_tries = 0, .ignore_client_abort = 0,
    .intercept_errors = 0, .buffering = 1, .request_buffering = 1, .buffer_size = 64 * 1024, .keep_conn = 0};

void hs_proxy_merge_common(hs_proxy_conf *c, const hs_proxy_conf *p)
{
    const hs_proxy_conf *d = &common_defaults;
    if (p == NULL)
        p = d;
    HS_MERGE(c->connect_timeout, p->connect_timeout, d->connect_timeout);
    HS_MERGE(c->read_timeout, p->read_timeout, d->read_timeout);
    HS_MERGE(c->send_timeout, p->send_timeout, d->send_timeout);
    HS_MERGE(c->next_upstream, p->next_upstream, d->next_upstream);
    HS_MERGE(c->next_upstream_tries, p->next_upstream_tries, d->next_upstream_tries);
    HS_MERGE(c->next_upstream_timeout, p->next_upstream_timeout, 0);
    HS_MERGE(c->ignore_client_abort, p->ignore_client_abort, d->ignore_client_abort);
    HS_MERGE(c->intercept_errors, p->intercept_errors, d->intercept_errors);
    HS_MERGE(c->buffering, p->buffering, d->buffering);
    HS_MERGE(c->request_buffering, p->request_buffering, d->request_buffering);
    HS_MERGE(c->buffer_size, p->buffer_size, d->buffer_size);
    HS_MERGE(c->keep_conn, p->keep_conn, d->keep_conn);
    if (c->hide == NULL) {
        c->hide = p->hide;
        c->nhide = p->nhide;
    }
    if (c->pass == NULL) {
        c->pass = p->pass;
        c->npass = p->npass;
    }
}

void hs_proxy_merge_loc(hs_cf *cf, hs_loc_conf *child, const hs_loc_conf *parent)
{
    (void)cf;
    const hs_proxy_conf *p = hs_proxy_conf_of(parent);
    hs_proxy_conf *c = hs_proxy_conf_of(child);
    if (c == NULL) {
        /* nothing set here: the parent's settings as they are */
        HS_MOD_SLOT(child->mod, &hs_proxy_module) = (void *)p;
        return;
    }
    hs_proxy_merge_common(c, p);
    px_ssl_conf unset;
    hs_proxy_ssl_init(&unset);
    hs_proxy_ssl_merge(&c->ssl, p ? &p->ssl : &unset);
    hs_proxy_conf dflt = {.resolver_timeout = 30000};
    hs_proxy_rewrite_init(&dflt.redirects, &dflt.cookie_domains, &dflt.cookie_paths);
    if (p == NULL)
        p = &dflt;
    hs_proxy_rewrite_merge(&c->redirects, &p->redirects);
    HS_MERGE(c->resolver_timeout, p->resolver_timeout, 30000);
    if (c->resolver == NULL)
        c->resolver = p->resolver;
    hs_proxy_rewrite_merge(&c->cookie_domains, &p->cookie_domains);
    hs_proxy_rewrite_merge(&c->cookie_paths, &p->cookie_paths);
    HS_MERGE(c->http_version, p == &dflt ? HS_UNSET : p->http_version, 10);
    c->keep_conn = c->http_version == 11;
    if (c->headers == NULL) {
        c->headers = p->headers;
        c->nheaders = p->nheaders;
    }
}

hs_upstream *hs_proxy_group_for(hs_cf *cf, hs_http_conf *http, hs_str name, const hs_conf_node *at, bool https,
                               const char *dport)
{
    hs_upstream *u = hs_proxy_find_upstream(http, name, false, false);
    if (u == NULL)
        u = hs_proxy_find_upstream(http, name, true, https);
    if (u == NULL) {
        u = hs_proxy_add_upstream(cf, http, name, at);
        u->implicit = true;
        u->https = https;
        if (hs_proxy_resolve(cf, at, u, name, dport) != HS_OK || hs_upstream_ready(cf, u) != HS_OK)
            return NULL;
    }
    return u;
}

static int resolve_pass(hs_cf *cf, hs_http_conf *http, hs_loc_conf *lc)
{
    hs_proxy_conf *pc = hs_proxy_conf_of(lc);
    hs_conf_node at = {.file = pc->pass_file, .line = pc->pass_line};
    if (pc->vars) /* its groups: once every location's implicit group exists (share_groups) */
        return pc->https ? hs_proxy_ssl_ctx_build(cf, pc) : HS_OK;
    hs_upstream *u = hs_proxy_group_for(cf, http, pc->proxy_host, &at, pc->https, pc->https ? "443" : "80");
    if (u == NULL)
        return HS_ERROR;
    pc->upstream = u;
    if (u->implicit && u->resolver == NULL && pc->resolver) {
        u->resolver = pc->resolver; /* a name that did not resolve: this location's resolver asks */
        u->resolver_timeout = pc->resolver_timeout;
    }
    return pc->https ? hs_proxy_ssl_ctx_build(cf, pc) : HS_OK;
}

/* Resolves the proxy_pass targets of lc and the locations under it; *used
 * tells whether there was one. */
static int finish_tree(hs_cf *cf, hs_http_conf *http, hs_loc_conf *lc, bool *used)
{
    if (lc->handler == &hs_proxy_handler) {
        *used = true;
        if (resolve_pass(cf, http, lc) != HS_OK)
            return HS_ERROR;
    }
    for (size_t i = 0; i < lc->nchildren; i++)
        if (finish_tree(cf, http, lc->children[i], used) != HS_OK)
            return HS_ERROR;
    return HS_OK;
}

/* A proxy_pass with variables looks among all the groups, the implicit ones
 * of locations after it included. */
static void share_groups(hs_loc_conf *lc, hs_upstream *groups)
{
    if (lc->handler == &hs_proxy_handler && hs_proxy_conf_of(lc)->vars)
        hs_proxy_conf_of(lc)->groups = groups;
    for (size_t i = 0; i < lc->nchildren; i++)
        share_groups(lc->children[i], groups);
}

/* The TLS sessions a worker kept (proxy_ssl_session_reuse) go with the
 * configuration. */
static void free_sessions(void *data)
{
    for (hs_upstream *u = data; u; u = u->next) {
        for (size_t i = 0; i < u->nservers; i++) {
            SSL_SESSION_free(u->servers[i].ssl_session);
            u->servers[i].ssl_session = NULL;
        }
    }
}

int hs_proxy_http_finish(hs_cf *cf, hs_http_conf *http)
{
    bool used = false;
    for (size_t i = 0; i < http->nservers; i++)
        if (finish_tree(cf, http, http->servers[i]->loc, &used) != HS_OK)
            return HS_ERROR;
    for (size_t i = 0; i < http->nservers; i++)
        share_groups(http->servers[i]->loc, hs_proxy_upstreams(http));
    if (hs_proxy_dynamic_check(cf, http) != HS_OK || hs_proxy_zones_check(cf, hs_proxy_upstreams(http)) != HS_OK)
        return HS_ERROR;
    if (hs_proxy_upstreams(http) && hs_pool_cleanup_add(cf->pool, free_sessions, hs_proxy_upstreams(http)) != HS_OK)
        return HS_ERROR;
    if (hs_proxy_redirect_register(cf, http) != HS_OK)
        return HS_ERROR;
    /* the upstream response times go to the metrics when the request ends */
    if (used)
        return hs_http_add_phase(cf, http, HS_PHASE_LOG, hs_proxy_log_tries);
    return HS_OK;
}
