/* The request's real address, as nginx's realip module finds it: when the
 * address the request came from is trusted (set_real_ip_from), the last
 * address of the real_ip_header field replaces it; with real_ip_recursive
 * the walk goes on leftwards (and over earlier X-Forwarded-For fields)
 * while the address found is trusted too, and stops at the first one that
 * is not: the client. The new address is the request's (r->client), so
 * every rule and log line of the request sees it; requests multiplexed on
 * one connection (HTTP/2) each have their own. */
#include <arpa/inet.h>

#include "realip/realip_internal.h"

/* Whether the request's address was already replaced. */
typedef struct {
    rip_addr addr;
} rip_req;

bool hs_realip_trusted(const rip_loc *rl, const struct sockaddr *sa)
{
    for (size_t i = 0; i < rl->nfrom; i++)
        if (hs_cidr_match(&rl->from[i], sa))
            return true;
    return false;
}

/* An address without a port: IPv4, then IPv6. */
static int parse_plain(hs_str t, rip_addr *out)
{
    char buf[INET6_ADDRSTRLEN + 1];
    if (t.n == 0 || t.n >= sizeof(buf))
        return HS_DECLINED;
    memcpy(buf, t.p, t.n);
    buf[t.n] = '\0';
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, buf, &out->in4.sin_addr) == 1) {
        out->in4.sin_family = AF_INET;
        return HS_OK;
    }
    if (inet_pton(AF_INET6, buf, &out->in6.sin6_addr) == 1) {
        out->in6.sin6_family = AF_INET6;
        return HS_OK;
    }
    return HS_DECLINED;
}

static int parse_port(hs_str t)
{
    int port = 0;
    if (t.n == 0 || t.n > 5)
        return -1;
    for (size_t i = 0; i < t.n; i++) {
        if (t.p[i] < '0' || t.p[i] > '9')
            return -1;
        port = port * 10 + (t.p[i] - '0');
    }
    return port >= 1 && port <= 65535 ? port : -1;
}

int hs_realip_parse_addr(hs_str t, rip_addr *out)
{
    if (parse_plain(t, out) == HS_OK)
        return HS_OK;
    const char *colon;
    hs_str host;
    if (t.n && t.p[0] == '[') { /* [v6]:port */
        const char *close = memchr(t.p, ']', t.n);
        if (close == NULL || close + 1 >= t.p + t.n || close[1] != ':')
            return HS_DECLINED;
        host = (hs_str){t.p + 1, (size_t)(close - t.p - 1)};
        colon = close + 1;
    } else {
        colon = memchr(t.p, ':', t.n);
        if (colon == NULL)
            return HS_DECLINED;
        host = (hs_str){t.p, (size_t)(colon - t.p)};
    }
    int port = parse_port((hs_str){colon + 1, (size_t)(t.p + t.n - colon - 1)});
    if (port < 0 || parse_plain(host, out) != HS_OK)
        return HS_DECLINED;
    if (out->sa.sa_family == AF_INET)
        out->in4.sin_port = htons((uint16_t)port);
    else
        out->in6.sin6_port = htons((uint16_t)port);
    return HS_OK;
}

/* One field's list, from its end: HS_OK (every address up to its start was
 * taken, each trusted), HS_DONE (stopped at an untrusted address, or at one
 * that does not parse, after taking at least one), HS_DECLINED (nothing
 * taken: *addr untrusted, or the last element is not an address). */
static int walk_list(const rip_loc *rl, rip_addr *addr, hs_str list, bool recursive)
{
    bool found = false;
    while (hs_realip_trusted(rl, &addr->sa)) {
        size_t end = list.n, start;
        while (end > 0 && (list.p[end - 1] == ' ' || list.p[end - 1] == ','))
            end--;
        for (start = end; start > 0 && list.p[start - 1] != ' ' && list.p[start - 1] != ','; start--)
            ;
        rip_addr a;
        if (hs_realip_parse_addr((hs_str){list.p + start, end - start}, &a) != HS_OK)
            break;
        *addr = a;
        found = true;
        if (!recursive || start == 0)
            return HS_OK;
        list.n = start - 1;
    }
    return found ? HS_DONE : HS_DECLINED;
}

/* Every X-Forwarded-For field, the last first; without recursion only the last. */
static int walk_xff(hs_req *r, const rip_loc *rl, rip_addr *addr)
{
    int rc = HS_DECLINED;
    bool found = false;
    for (size_t i = r->h.nheaders; i-- > 0;) {
        const hs_header *h = &r->h.headers[i];
        if (!hs_str_caseeq_lit(h->name, "X-Forwarded-For"))
            continue;
        rc = walk_list(rl, addr, h->value, rl->recursive);
        if (!rl->recursive)
            break;
        if (rc == HS_DECLINED && found)
            return HS_DONE;
        if (rc != HS_OK)
            break;
        found = true;
    }
    return rc;
}

/* The value real_ip_header names (its first field), or NULL. */
static const hs_str *field_value(hs_req *r, const rip_loc *rl)
{
    for (size_t i = 0; i < r->h.nheaders; i++)
        if (hs_str_caseeq(r->h.headers[i].name, rl->header))
            return &r->h.headers[i].value;
    return NULL;
}

/* The address the settings rl give the request; HS_OK when they apply. */
static int find(hs_req *r, const rip_loc *rl, rip_addr *addr)
{
    const struct sockaddr *from = hs_realip_socket_peer(r->conn);
    memcpy(addr, from, from->sa_family == AF_INET6 ? sizeof(addr->in6) : sizeof(addr->in4));
    if (from->sa_family == AF_UNIX)
        addr->sa.sa_family = AF_UNIX; /* (the path is not needed: unix: is one address) */
    if (rl->type == RIP_PROXY_PROTOCOL) {
        const struct sockaddr *pp = hs_realip_proxy_src(r->conn);
        if (pp == NULL || !hs_realip_trusted(rl, from))
            return HS_DECLINED; /* no PROXY address on this connection, or not from a trusted one */
        memcpy(addr, pp, pp->sa_family == AF_INET6 ? sizeof(addr->in6) : sizeof(addr->in4));
        return HS_OK;
    }
    if (rl->type == RIP_X_FORWARDED_FOR)
        return walk_xff(r, rl, addr) == HS_DECLINED ? HS_DECLINED : HS_OK;
    const hs_str *v = field_value(r, rl);
    if (v == NULL)
        return HS_DECLINED;
    return walk_list(rl, addr, *v, rl->recursive) == HS_DECLINED ? HS_DECLINED : HS_OK;
}

static int apply(hs_req *r, const hs_loc_conf *lc)
{
    const rip_loc *rl = lc ? rip_loc_of(lc) : NULL;
    if (rl == NULL || rl->nfrom == 0 || !r->head_done || hs_http_get_ctx(r, &hs_realip_module))
        return HS_OK;
    rip_req *st = hs_palloc(r->pool, sizeof(*st));
    if (st == NULL || find(r, rl, &st->addr) != HS_OK)
        return HS_OK;
    if (hs_http_set_ctx(r, &hs_realip_module, st) != HS_OK)
        return HS_OK;
    r->client = &st->addr.sa;
    return HS_OK;
}

int hs_realip_post_read(hs_req *r)
{
    /* a connection whose PROXY header set its address: a request whose
     * server does not take it has the connection's own address, as nginx */
    if (hs_realip_socket_peer(r->conn) != &r->conn->peer.sa)
        r->client = hs_realip_socket_peer(r->conn);
    return apply(r, r->srv ? r->srv->loc : NULL);
}

int hs_realip_preaccess(hs_req *r) { return apply(r, r->loc); }
