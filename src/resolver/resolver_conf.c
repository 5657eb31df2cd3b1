/* resolver ADDRESS … [valid=TIME] [ipv6=on|off]: the name servers (an IPv4
 * or IPv6 address, "[v6]", or a name resolved now, each with an optional
 * ":port", 53 by default). status_zone= and the rest are errors. */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "core/units.h"
#include "resolver/resolver.h"

static int add_addr(hs_cf *cf, hs_resolver *res, const struct sockaddr *sa, socklen_t len)
{
    struct sockaddr_storage *a = hs_pvec_push(cf->pool, (void **)&res->addrs, &res->naddrs, sizeof(*a));
    if (a == NULL)
        return HS_ERROR;
    memcpy(a, sa, len);
    socklen_t *l = hs_pcalloc(cf->pool, res->naddrs * sizeof(*l));
    if (l == NULL)
        return HS_ERROR;
    if (res->naddrs > 1)
        memcpy(l, res->lens, (res->naddrs - 1) * sizeof(*l));
    l[res->naddrs - 1] = len;
    res->lens = l;
    return HS_OK;
}

static int server(hs_cf *cf, const hs_conf_node *n, hs_resolver *res, hs_str a)
{
    char host[256], port[8] = "53";
    const char *colon = memrchr(a.p, ':', a.n);
    bool bracket = a.n && a.p[0] == '[';
    if (bracket ? (colon && colon > (const char *)memchr(a.p, ']', a.n)) : (colon && memchr(a.p, ':', a.n) == colon)) {
        int64_t p = hs_parse_int((hs_str){colon + 1, a.n - (size_t)(colon + 1 - a.p)});
        if (p < 1 || p > 65535)
            return hs_cf_error(cf, n, "invalid port in resolver \"%s\"", a.p);
        snprintf(port, sizeof(port), "%d", (int)p);
        a.n = (size_t)(colon - a.p);
    }
    if (bracket && a.n >= 2 && a.p[a.n - 1] == ']')
        a = (hs_str){a.p + 1, a.n - 2};
    if (a.n == 0 || a.n >= sizeof(host))
        return hs_cf_error(cf, n, "invalid resolver address \"%.*s\"", (int)a.n, a.p);
    memcpy(host, a.p, a.n);
    host[a.n] = '\0';
    struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *ai;
    int rc = getaddrinfo(host, port, &hints, &ai);
    if (rc != 0)
        return hs_cf_error(cf, n, "host not found in resolver \"%s\": %s", host, gai_strerror(rc));
    for (struct addrinfo *p = ai; p; p = p->ai_next)
        if (add_addr(cf, res, p->ai_addr, p->ai_addrlen) != HS_OK) {
            freeaddrinfo(ai);
            return HS_ERROR;
        }
    freeaddrinfo(ai);
    return HS_OK;
}

static int param(hs_cf *cf, const hs_conf_node *n, hs_resolver *res, hs_str a)
{
    if (hs_str_has_prefix(a, HS_STR("valid="))) {
        res->valid = hs_parse_msec((hs_str){a.p + 6, a.n - 6});
        if (res->valid < 0)
            return hs_cf_error(cf, n, "invalid parameter \"%s\"", a.p);
        return HS_OK;
    }
    if (hs_str_eq_lit(a, "ipv6=on") || hs_str_eq_lit(a, "ipv6=off")) {
        res->ipv6 = a.p[6] == 'n';
        return HS_OK;
    }
    return hs_cf_error(cf, n, "invalid parameter \"%s\"", a.p);
}

int hs_resolver_conf(hs_cf *cf, const hs_conf_node *n, hs_resolver **out)
{
    if (*out)
        return hs_cf_error(cf, n, "\"resolver\" directive is duplicate");
    hs_resolver *res = hs_pcalloc(cf->pool, sizeof(*res));
    if (res == NULL)
        return HS_ERROR;
    res->valid = -1;
    res->ipv6 = true;
    for (size_t i = 1; i < n->nargs; i++) {
        hs_str a = n->args[i];
        int rc = memchr(a.p, '=', a.n) ? param(cf, n, res, a) : server(cf, n, res, a);
        if (rc != HS_OK)
            return HS_ERROR;
    }
    if (res->naddrs == 0)
        return hs_cf_error(cf, n, "no name servers in \"resolver\"");
    *out = res;
    return HS_OK;
}
