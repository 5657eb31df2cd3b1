/* proxy_pass with variables: the URL is made per request. Its host names
 * an upstream block (as nginx, the name without a port), or is an address,
 * or is resolved by the location's resolver without blocking — and without
 * one the request gets 502 and nginx's "no resolver defined to resolve"
 * line. The addresses become a group of the request's own (round robin
 * over them, no keep-alive pool). A URI part, when the URL has one, is the
 * whole URI sent upstream. */
#include <arpa/inet.h>
#include <stdio.h>
#include <strings.h>

#include "core/errlog.h"
#include "core/units.h"
#include "proxy/balance_internal.h"
#include "resolver/resolver.h"

/* Splits the URL into px->proxy_host and px->var_uri; the host (without
 * port or brackets) into host, the port into *port. */
static int split_url(hs_req *r, hs_str url, char *host, size_t cap, int *port)
{
    hs_proxy_state *px = PX(r);
    size_t scheme = px->pc->https ? 8 : 7;
    if (url.n <= scheme || strncasecmp(url.p, px->pc->https ? "https://" : "http://", scheme) != 0)
        return HS_ERROR;
    hs_str rest = {url.p + scheme, url.n - scheme};
    const char *slash = memchr(rest.p, '/', rest.n);
    px->proxy_host = slash ? (hs_str){rest.p, (size_t)(slash - rest.p)} : rest;
    px->var_has_uri = slash != NULL;
    px->var_uri = slash ? (hs_str){slash, (size_t)(rest.p + rest.n - slash)} : HS_NULL_STR;
    hs_str h = px->proxy_host;
    *port = px->pc->https ? 443 : 80;
    const char *colon = memrchr(h.p, ':', h.n), *close = memchr(h.p, ']', h.n);
    if (colon && (close == NULL || colon > close)) {
        int64_t p = hs_parse_int((hs_str){colon + 1, h.n - (size_t)(colon + 1 - h.p)});
        if (p < 1 || p > 65535)
            return HS_ERROR;
        *port = (int)p;
        h.n = (size_t)(colon - h.p);
    }
    if (h.n >= 2 && h.p[0] == '[' && h.p[h.n - 1] == ']')
        h = (hs_str){h.p + 1, h.n - 2};
    if (h.n == 0 || h.n >= cap)
        return HS_ERROR;
    memcpy(host, h.p, h.n);
    host[h.n] = '\0';
    return HS_OK;
}

/* a:port as a socket address and as text ("[v6]:port"). */
static void fill_addr(struct sockaddr_storage *ss, socklen_t *len, char *text, size_t cap, const hs_dns_addr *a,
                      int port)
{
    char addr[INET6_ADDRSTRLEN];
    inet_ntop(a->family, &a->a, addr, sizeof(addr));
    snprintf(text, cap, a->family == AF_INET6 ? "[%s]:%d" : "%s:%d", addr, port);
    if (a->family == AF_INET6) {
        struct sockaddr_in6 *sa = (struct sockaddr_in6 *)ss;
        *sa = (struct sockaddr_in6){.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port), .sin6_addr = a->a.v6};
        *len = sizeof(*sa);
    } else {
        struct sockaddr_in *sa = (struct sockaddr_in *)ss;
        *sa = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr = a->a.v4};
        *len = sizeof(*sa);
    }
}

/* A group of the request's own over the addresses. */
static hs_upstream *group_of(hs_req *r, const hs_dns_addr *a, size_t n, int port)
{
    hs_proxy_state *px = PX(r);
    hs_upstream *up = hs_pcalloc(r->pool, sizeof(*up));
    hs_upstream_server *v = hs_pcalloc(r->pool, n * sizeof(*v));
    if (up == NULL || v == NULL)
        return NULL;
    up->name = px->proxy_host;
    up->implicit = true;
    up->lb = &px_lb_round_robin;
    up->servers = v;
    up->nservers = n;
    for (size_t i = 0; i < n; i++) {
        hs_upstream_server *s = &v[i];
        fill_addr(&s->addr, &s->addrlen, s->text, sizeof(s->text), &a[i], port);
        s->name = up->name;
        s->weight = 1;
        s->max_fails = 1;
        s->fail_timeout = 10000;
        s->st = &s->own;
    }
    up->total_weight = (int)n;
    return up;
}

static hs_upstream *block_named(hs_proxy_conf *pc, hs_str host)
{
    for (hs_upstream *u = pc->groups; u; u = u->next)
        if (!u->implicit && u->name.n == host.n && strncasecmp(u->name.p, host.p, host.n) == 0)
            return u;
    return NULL;
}

static void resolve_failed(hs_req *r, const char *host, int err, const char *text)
{
    hs_log_ctx(HS_LOG_ERR, r, 0, "%s could not be resolved (%d: %s)", host, err, text ? text : "Unknown error");
    hs_proxy_fail(r, 502, HS_END_UPSTREAM_REFUSED, NULL);
}

/* The implicit group of a literal proxy_pass elsewhere naming host:port
 * (nginx looks there before asking a resolver). */
static hs_upstream *implicit_named(hs_proxy_conf *pc, const char *host, int port)
{
    char hp[HS_DNS_MAX_NAME + 8];
    int n = snprintf(hp, sizeof(hp), "%s:%d", host, port);
    size_t hn = strlen(host);
    for (hs_upstream *u = pc->groups; u; u = u->next) {
        if (!u->implicit)
            continue;
        if (n > 0 && u->name.n == (size_t)n && strncasecmp(u->name.p, hp, (size_t)n) == 0)
            return u;
        if (u->name.n == hn && port == (u->https ? 443 : 80) && strncasecmp(u->name.p, host, hn) == 0)
            return u;
    }
    return NULL;
}

/* A question to the resolver, in the request's pool. */
typedef struct {
    hs_resolve_ctx ctx;
    hs_req *r;
    int port;
    char host[HS_DNS_MAX_NAME + 1];
} px_question;

static void on_resolved(hs_resolve_ctx *ctx)
{
    px_question *q = ctx->data;
    hs_req *r = q->r;
    hs_proxy_state *px = PX(r);
    px->resolving = NULL;
    if (ctx->err || ctx->naddrs == 0) {
        resolve_failed(r, ctx->name, ctx->err, ctx->err_text);
        return;
    }
    px->up = group_of(r, ctx->addrs, ctx->naddrs, q->port);
    if (px->up == NULL) {
        hs_proxy_fail(r, 500, HS_END_NONE, NULL);
        return;
    }
    hs_proxy_connect(r);
}

/* host as an address literal, into a. */
static bool literal(const char *host, hs_dns_addr *a)
{
    if (inet_pton(AF_INET, host, &a->a.v4) == 1) {
        a->family = AF_INET;
        return true;
    }
    if (inet_pton(AF_INET6, host, &a->a.v6) == 1) {
        a->family = AF_INET6;
        return true;
    }
    return false;
}

/* Asks res for q->host: HS_OK (answered from its cache, in q->ctx), HS_AGAIN
 * (done is called with the answer), or HS_DONE (failed: the request is
 * answered). */
static int resolve(hs_req *r, px_question *q, struct hs_resolver *res, int64_t timeout,
                   void (*done)(hs_resolve_ctx *))
{
    hs_proxy_state *px = PX(r);
    q->r = r;
    q->ctx = (hs_resolve_ctx){.name = q->host, .timeout = timeout, .done = done, .data = q};
    int rc = hs_resolve(res, &q->ctx);
    if (rc == HS_AGAIN) {
        px->resolving = &q->ctx;
        px->state = PX_RESOLVE;
        return HS_AGAIN;
    }
    if (rc != HS_OK || q->ctx.err || q->ctx.naddrs == 0) {
        resolve_failed(r, q->host, rc != HS_OK ? 2 : q->ctx.err, rc != HS_OK ? "Server failure" : q->ctx.err_text);
        return HS_DONE;
    }
    return HS_OK;
}

/* Asks the resolver for q->host: HS_OK (px->up set from the cache),
 * HS_AGAIN, or HS_DONE (answered). */
static int ask(hs_req *r, px_question *q)
{
    hs_proxy_state *px = PX(r);
    hs_proxy_conf *pc = px->pc;
    if (pc->resolver == NULL) {
        hs_log_ctx(HS_LOG_ERR, r, 0, "no resolver defined to resolve %s", q->host);
        hs_proxy_fail(r, 502, HS_END_UPSTREAM_REFUSED, NULL);
        return HS_DONE;
    }
    int rc = resolve(r, q, pc->resolver, pc->resolver_timeout, on_resolved);
    if (rc != HS_OK)
        return rc;
    px->up = group_of(r, q->ctx.addrs, q->ctx.naddrs, q->port);
    return px->up ? HS_OK : HS_ERROR;
}

int hs_proxy_target(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    hs_str url;
    px_question *q = hs_pcalloc(r->pool, sizeof(*q));
    if (q == NULL || hs_cv_eval(&px->pc->url, r, r->pool, &url) != HS_OK) {
        hs_proxy_fail(r, 500, HS_END_NONE, NULL);
        return HS_DONE;
    }
    if (split_url(r, url, q->host, sizeof(q->host), &q->port) != HS_OK) {
        hs_log_ctx(HS_LOG_ERR, r, 0, "invalid URL \"%.*s\" in \"proxy_pass\"", (int)url.n, url.p);
        hs_proxy_fail(r, 500, HS_END_NONE, NULL);
        return HS_DONE;
    }
    hs_dns_addr a;
    hs_upstream *named = strchr(q->host, ':') ? NULL : block_named(px->pc, px->proxy_host);
    if (named == NULL)
        named = implicit_named(px->pc, q->host, q->port);
    if (named)
        px->up = named;
    else if (literal(q->host, &a))
        px->up = group_of(r, &a, 1, q->port);
    else {
        int rc = ask(r, q);
        if (rc != HS_ERROR)
            return rc;
    }
    if (px->up == NULL) {
        hs_proxy_fail(r, 500, HS_END_NONE, NULL);
        return HS_DONE;
    }
    return HS_OK;
}

/* ---- upstream servers whose names did not resolve at load ---- */

/* The try goes to a: the connection's address and $upstream_addr. */
static void server_address(hs_req *r, const hs_dns_addr *a, int port)
{
    hs_proxy_state *px = PX(r);
    char *text = hs_palloc(r->pool, 64);
    char scratch[64];
    fill_addr(&px->u->addr, &px->u->addrlen, text ? text : scratch, 64, a, port);
    if (text)
        cur_try(px)->addr = text;
}

static void on_server_resolved(hs_resolve_ctx *ctx)
{
    px_question *q = ctx->data;
    hs_req *r = q->r;
    PX(r)->resolving = NULL;
    if (ctx->err || ctx->naddrs == 0) {
        resolve_failed(r, q->host, ctx->err, ctx->err_text);
        return;
    }
    server_address(r, &ctx->addrs[0], q->port);
    hs_proxy_connect_socket(r);
}

int hs_proxy_resolve_server(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    hs_upstream_server *s = px->u->server;
    px_question *q = hs_pcalloc(r->pool, sizeof(*q));
    if (q == NULL || px->up->resolver == NULL) {
        hs_proxy_fail(r, 502, HS_END_UPSTREAM_REFUSED, NULL);
        return HS_DONE;
    }
    q->port = s->port;
    snprintf(q->host, sizeof(q->host), "%s", s->host);
    int rc = resolve(r, q, px->up->resolver, px->up->resolver_timeout, on_server_resolved);
    if (rc != HS_OK)
        return rc;
    server_address(r, &q->ctx.addrs[0], q->port);
    return HS_OK;
}
