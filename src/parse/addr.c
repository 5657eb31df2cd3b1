/* Listen addresses (parse/addr.h). */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>

#include "core/units.h"
#include "parse/addr.h"

/* Where an address goes. */
typedef struct {
    struct sockaddr_storage *addr;
    socklen_t *addrlen;
    int *port;
    bool *wildcard;
} addr_out;

int hs_parse_port(hs_str s)
{
    int64_t p = hs_parse_int(s);
    return (p >= 1 && p <= 65535) ? (int)p : -1;
}

void hs_address_text(const struct sockaddr_storage *ss, int port, char *text, size_t n)
{
    char host[INET6_ADDRSTRLEN];
    if (ss->ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, host, sizeof(host));
        snprintf(text, n, "[%s]:%d", host, port);
    } else {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, host, sizeof(host));
        snprintf(text, n, "%s:%d", host, port);
    }
}

static int set_ipv4(addr_out *l, const char *host, int port)
{
    struct sockaddr_in *a4 = (struct sockaddr_in *)l->addr;
    memset(l->addr, 0, sizeof(*l->addr));
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    *l->addrlen = sizeof(*a4);
    *l->port = port;
    if (host == NULL || strcmp(host, "*") == 0) {
        a4->sin_addr.s_addr = htonl(INADDR_ANY);
    } else if (inet_pton(AF_INET, host, &a4->sin_addr) != 1) {
        struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res;
        if (getaddrinfo(host, NULL, &hints, &res) != 0)
            return HS_ERROR;
        a4->sin_addr = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
        freeaddrinfo(res);
    }
    *l->wildcard = a4->sin_addr.s_addr == htonl(INADDR_ANY);
    return HS_OK;
}

static int set_ipv6(addr_out *l, const char *host, int port)
{
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)l->addr;
    memset(l->addr, 0, sizeof(*l->addr));
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)port);
    *l->addrlen = sizeof(*a6);
    *l->port = port;
    if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
        return HS_ERROR;
    *l->wildcard = IN6_IS_ADDR_UNSPECIFIED(&a6->sin6_addr);
    return HS_OK;
}

int hs_parse_address(hs_str a, struct sockaddr_storage *ss, socklen_t *len, int *port_out, bool *wildcard)
{
    addr_out out = {ss, len, port_out, wildcard}, *l = &out;
    char host[256];
    int port = 80;
    if (a.n >= sizeof(host))
        return HS_ERROR;
    if (a.p[0] == '[') {
        const char *close = memchr(a.p, ']', a.n);
        if (close == NULL)
            return HS_ERROR;
        size_t hn = (size_t)(close - a.p - 1);
        memcpy(host, a.p + 1, hn);
        host[hn] = '\0';
        size_t rest = a.n - (size_t)(close - a.p) - 1;
        if (rest) {
            if (close[1] != ':' || (port = hs_parse_port((hs_str){close + 2, rest - 1})) < 0)
                return HS_ERROR;
        }
        return set_ipv6(l, host, port);
    }
    const char *colon = memchr(a.p, ':', a.n);
    if (colon == NULL) {
        if (hs_parse_int(a) >= 0) {
            int p = hs_parse_port(a); /* all digits: a port, never a host */
            return p > 0 ? set_ipv4(l, NULL, p) : HS_ERROR;
        }
        memcpy(host, a.p, a.n);
        host[a.n] = '\0';
        return set_ipv4(l, host, 80);
    }
    size_t hn = (size_t)(colon - a.p);
    memcpy(host, a.p, hn);
    host[hn] = '\0';
    if ((port = hs_parse_port((hs_str){colon + 1, a.n - hn - 1})) < 0)
        return HS_ERROR;
    return set_ipv4(l, host, port);
}

