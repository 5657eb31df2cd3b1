/* upstream NAME { ... }: servers (host:port, unix:/path, and their
 * parameters), the balancing method (least_conn, hash, ip_hash, random),
 * keepalive and its limits, zone; and the groups made from proxy_pass URLs.
 * Names are resolved when the configuration is loaded. */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/un.h>

#include "core/units.h"
#include "proxy/balance_internal.h"
#include "proxy/zone_internal.h"

hs_upstream *hs_proxy_upstreams(hs_http_conf *http)
{
    return HS_MOD_SLOT(http->mod, &hs_proxy_module);
}

hs_upstream *hs_proxy_find_upstream(hs_http_conf *http, hs_str name, bool implicit, bool https)
{
    for (hs_upstream *u = hs_proxy_upstreams(http); u; u = u->next)
        if (u->implicit == implicit && (!implicit || u->https == https) && hs_str_eq(u->name, name))
            return u;
    return NULL;
}

hs_upstream *hs_proxy_add_upstream(hs_cf *cf, hs_http_conf *http, hs_str name, const hs_conf_node *n)
{
    hs_upstream *u = hs_pcalloc(cf->pool, sizeof(*u));
    u->name = hs_pstr(cf->pool, name);
    u->file = n ? n->file : "";
    u->line = n ? n->line : 0;
    u->lb = &px_lb_round_robin;
    u->keepalive_timeout = 60000;
    u->keepalive_time = 3600000;
    u->keepalive_requests = 1000;
    u->next = hs_proxy_upstreams(http);
    HS_MOD_SLOT(http->mod, &hs_proxy_module) = u;
    return u;
}

static void add_server(hs_cf *cf, hs_upstream *u, const struct sockaddr *sa, socklen_t len, const char *text,
                       hs_str name)
{
    hs_upstream_server *v = hs_pcalloc(cf->pool, (u->nservers + 1) * sizeof(*v));
    if (u->nservers)
        memcpy(v, u->servers, u->nservers * sizeof(*v));
    hs_upstream_server *s = &v[u->nservers++];
    memcpy(&s->addr, sa, len);
    s->addrlen = len;
    snprintf(s->text, sizeof(s->text), "%s", text);
    s->name = name;
    s->weight = 1;
    s->max_fails = 1;
    s->fail_timeout = 10000;
    u->servers = v;
}

/* A name that does not resolve now: the resolver asks at run time, if
 * there is one (hs_proxy_dynamic_check says after the http block). */
static int add_dynamic(hs_cf *cf, hs_upstream *u, const char *host, const char *port, hs_str name, const char *why)
{
    struct sockaddr_storage none = {.ss_family = AF_UNSPEC};
    add_server(cf, u, (struct sockaddr *)&none, 0, name.p, name);
    hs_upstream_server *s = &u->servers[u->nservers - 1];
    s->dynamic = true;
    s->host = hs_pstrndup(cf->pool, host, strlen(host));
    s->port = atoi(port);
    s->why = hs_pstrndup(cf->pool, why, strlen(why));
    return s->host && s->why ? HS_OK : HS_ERROR;
}

int hs_proxy_dynamic_check(hs_cf *cf, hs_http_conf *http)
{
    hs_proxy_conf *top = hs_proxy_conf_of(http->loc);
    for (hs_upstream *u = hs_proxy_upstreams(http); u; u = u->next) {
        if (!u->implicit && top && top->resolver) {
            u->resolver = top->resolver;
            u->resolver_timeout = top->resolver_timeout;
        }
        for (size_t i = 0; i < u->nservers; i++) {
            hs_upstream_server *s = &u->servers[i];
            hs_conf_node at = {.file = u->file, .line = u->line};
            if (s->dynamic && u->resolver == NULL)
                return hs_cf_error(cf, &at, "host not found in upstream \"%.*s\": %s", (int)s->name.n, s->name.p,
                                   s->why);
        }
    }
    return HS_OK;
}

/* "unix:/path": one server. */
static int add_unix(hs_cf *cf, const hs_conf_node *n, hs_upstream *u, hs_str path)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    if (path.n == 0 || path.n >= sizeof(sun.sun_path))
        return hs_cf_error(cf, n, "invalid unix domain socket path \"unix:%.*s\"", (int)path.n, path.p);
    memcpy(sun.sun_path, path.p, path.n);
    char text[120];
    snprintf(text, sizeof(text), "unix:%.*s", (int)path.n, path.p);
    add_server(cf, u, (struct sockaddr *)&sun, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + path.n + 1),
               text, hs_pstr(cf->pool, (hs_str){text, strlen(text)}));
    return HS_OK;
}

/* Splits "host:port" or "host" (port dport); brackets of IPv6 removed. */
static int split_host(hs_cf *cf, const hs_conf_node *n, hs_str hostport, const char *dport, char *host,
                      size_t hcap, char *port, size_t pcap)
{
    snprintf(port, pcap, "%s", dport);
    const char *colon = memrchr(hostport.p, ':', hostport.n);
    if (colon && memchr(hostport.p, ']', hostport.n) > (const void *)colon)
        colon = NULL; /* "[::1]" alone */
    size_t hn = colon ? (size_t)(colon - hostport.p) : hostport.n;
    if (hn == 0 || hn >= hcap)
        return hs_cf_error(cf, n, "invalid host in \"%.*s\"", (int)hostport.n, hostport.p);
    memcpy(host, hostport.p, hn);
    host[hn] = '\0';
    if (host[0] == '[' && host[hn - 1] == ']') {
        memmove(host, host + 1, hn - 2);
        host[hn - 2] = '\0';
    }
    if (colon) {
        int64_t p = hs_parse_int((hs_str){colon + 1, hostport.n - hn - 1});
        if (p < 1 || p > 65535)
            return hs_cf_error(cf, n, "invalid port in \"%.*s\"", (int)hostport.n, hostport.p);
        snprintf(port, pcap, "%d", (int)p);
    }
    return HS_OK;
}

int hs_proxy_resolve(hs_cf *cf, const hs_conf_node *n, hs_upstream *u, hs_str hostport, const char *dport)
{
    char host[256], port[16];
    if (hs_str_has_prefix(hostport, HS_STR("unix:")))
        return add_unix(cf, n, u, (hs_str){hostport.p + 5, hostport.n - 5});
    if (split_host(cf, n, hostport, dport, host, sizeof(host), port, sizeof(port)) != HS_OK)
        return HS_ERROR;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai;
    int rc = getaddrinfo(host, port, &hints, &res);
    hs_str name = hs_pstr(cf->pool, hostport);
    if (rc != 0)
        return add_dynamic(cf, u, host, port, name, gai_strerror(rc));
    for (ai = res; ai; ai = ai->ai_next) {
        char addr[INET6_ADDRSTRLEN], text[80];
        const void *a = ai->ai_family == AF_INET6 ? (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr
                                                  : (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr;
        inet_ntop(ai->ai_family, a, addr, sizeof(addr));
        snprintf(text, sizeof(text), ai->ai_family == AF_INET6 ? "[%s]:%s" : "%s:%s", addr, port);
        add_server(cf, u, ai->ai_addr, ai->ai_addrlen, text, name);
    }
    freeaddrinfo(res);
    return HS_OK;
}

/* N of "name=N" within [lo, hi], or -1. */
static int64_t param_int(hs_str a, size_t skip, int64_t lo, int64_t hi)
{
    int64_t v = hs_parse_int((hs_str){a.p + skip, a.n - skip});
    return v < lo || v > hi ? -1 : v;
}

static int server_param(hs_cf *cf, const hs_conf_node *n, hs_str a, hs_upstream_server *s)
{
    int64_t v = 0;
    if (hs_str_has_prefix(a, HS_STR("weight=")))
        v = s->weight = (int)param_int(a, 7, 1, 1000);
    else if (hs_str_has_prefix(a, HS_STR("max_fails=")))
        v = s->max_fails = (int)param_int(a, 10, 0, 1000000);
    else if (hs_str_has_prefix(a, HS_STR("max_conns=")))
        v = s->max_conns = (int)param_int(a, 10, 0, 1000000000);
    else if (hs_str_has_prefix(a, HS_STR("fail_timeout=")))
        v = s->fail_timeout = hs_parse_msec((hs_str){a.p + 13, a.n - 13});
    else if (hs_str_eq_lit(a, "backup"))
        s->backup = true;
    else if (hs_str_eq_lit(a, "down"))
        s->down = true;
    else
        v = -1;
    if (v < 0)
        return hs_cf_error(cf, n, "invalid parameter \"%s\"", a.p);
    return HS_OK;
}

static int upstream_server(hs_cf *cf, const hs_conf_node *n, hs_upstream *u)
{
    size_t first = u->nservers;
    if (hs_proxy_resolve(cf, n, u, n->args[1], "80") != HS_OK)
        return HS_ERROR;
    for (size_t i = first; i < u->nservers; i++)
        for (size_t k = 2; k < n->nargs; k++)
            if (server_param(cf, n, n->args[k], &u->servers[i]) != HS_OK)
                return HS_ERROR;
    return HS_OK;
}

/* ---- the balancing method ---- */

static int set_method(hs_cf *cf, const hs_conf_node *c, hs_upstream *u, const px_balancer *lb)
{
    if (u->lb != &px_lb_round_robin)
        return hs_cf_error(cf, c, "load balancing method redefined");
    u->lb = lb;
    return HS_OK;
}

static int method_hash(hs_cf *cf, const hs_conf_node *c, hs_upstream *u)
{
    if (c->nargs == 3 && !hs_str_eq_lit(c->args[2], "consistent"))
        return hs_cf_error(cf, c, "invalid parameter \"%s\"", c->args[2].p);
    u->consistent = c->nargs == 3;
    if (hs_cv_compile(cf, c, c->args[1], &u->hash_key) != HS_OK)
        return HS_ERROR;
    return set_method(cf, c, u, &px_lb_hash);
}

static int method_random(hs_cf *cf, const hs_conf_node *c, hs_upstream *u)
{
    for (size_t i = 1; i < c->nargs; i++) {
        bool ok = i == 1 ? hs_str_eq_lit(c->args[i], "two") : hs_str_eq_lit(c->args[i], "least_conn");
        if (!ok)
            return hs_cf_error(cf, c, "invalid parameter \"%s\"", c->args[i].p);
    }
    u->random_two = c->nargs >= 2;
    return set_method(cf, c, u, &px_lb_random);
}

/* ---- keepalive and its limits ---- */

static int keepalive_param(hs_cf *cf, const hs_conf_node *c, hs_upstream *u)
{
    hs_str name = c->args[0];
    int64_t v;
    if (hs_str_eq_lit(name, "keepalive")) {
        v = hs_parse_int(c->args[1]);
        u->keepalive = (int)v;
        v = v < 1 || v > 100000 ? -1 : v;
    } else if (hs_str_eq_lit(name, "keepalive_requests")) {
        v = u->keepalive_requests = hs_parse_int(c->args[1]);
        v = v < 1 ? -1 : v;
    } else if (hs_str_eq_lit(name, "keepalive_timeout")) {
        v = u->keepalive_timeout = hs_parse_msec(c->args[1]);
    } else {
        v = u->keepalive_time = hs_parse_msec(c->args[1]);
    }
    if (v < 0)
        return hs_cf_error(cf, c, "invalid value \"%s\"", c->args[1].p);
    return HS_OK;
}

/* ---- the block ---- */

/* The upstream block being read (its directives' setters fill it). */
static hs_upstream *current;

static int d_server(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    return upstream_server(cf, n, current);
}

static int d_keepalive(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    return keepalive_param(cf, n, current);
}

static int d_method(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    if (d->post)
        return set_method(cf, n, current, d->post);
    return hs_str_eq_lit(n->args[0], "hash") ? method_hash(cf, n, current) : method_random(cf, n, current);
}

static int d_zone(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    return hs_proxy_zone_conf(cf, n, current);
}

#define U(name, args, set, post) {name, HS_CTX_UPSTREAM, args, set, HS_LEVEL_NONE, 0, post}

const hs_directive hs_proxy_upstream_directives[] = {
    U("server", HS_ARGS_1MORE, d_server, NULL),
    U("keepalive", HS_ARGS_1, d_keepalive, NULL),
    U("keepalive_requests", HS_ARGS_1, d_keepalive, NULL),
    U("keepalive_timeout", HS_ARGS_1, d_keepalive, NULL),
    U("keepalive_time", HS_ARGS_1, d_keepalive, NULL),
    U("least_conn", HS_ARGS_0, d_method, &px_lb_least_conn),
    U("ip_hash", HS_ARGS_0, d_method, &px_lb_ip_hash),
    U("hash", HS_ARGS_1 | HS_ARGS_2, d_method, NULL),
    U("random", HS_ARGS_0 | HS_ARGS_1 | HS_ARGS_2, d_method, NULL),
    U("zone", HS_ARGS_1 | HS_ARGS_2, d_zone, NULL),
    {NULL, 0, 0, NULL, 0, 0, NULL},
};

int hs_upstream_ready(hs_cf *cf, hs_upstream *u)
{
    hs_conf_node at = {.file = u->file, .line = u->line};
    u->total_weight = 0;
    for (size_t i = 0; i < u->nservers; i++) {
        hs_upstream_server *s = &u->servers[i];
        s->st = &s->own; /* the zone's, once the master made it */
        if (s->backup && !u->lb->backup_ok)
            return hs_cf_error(cf, &at, "\"backup\" servers cannot be used with \"%s\" in upstream \"%s\"",
                               u->lb->name, u->name.p);
        if (!s->backup)
            u->total_weight += s->weight;
    }
    return u->lb->init ? u->lb->init(cf, u) : HS_OK;
}

int hs_proxy_upstream_block(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    hs_http_conf *http = cf->level[HS_LEVEL_HTTP];
    if (hs_proxy_find_upstream(http, n->args[1], false, false))
        return hs_cf_error(cf, n, "duplicate upstream \"%s\"", n->args[1].p);
    hs_upstream *u = hs_proxy_add_upstream(cf, http, n->args[1], n);
    current = u;
    int rc = hs_cf_block(cf, n, HS_CTX_UPSTREAM);
    current = NULL;
    if (rc != HS_OK)
        return HS_ERROR;
    if (u->nservers == 0)
        return hs_cf_error(cf, n, "no servers are inside upstream \"%s\"", u->name.p);
    return hs_upstream_ready(cf, u);
}
