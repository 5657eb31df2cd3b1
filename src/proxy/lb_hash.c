/* hash KEY [consistent] and ip_hash. A plain hash maps the key's CRC32 onto
 * the servers' weights; a server that cannot take the request sends it to
 * the key rehashed, up to 20 times, then to round robin (nginx's rule).
 * consistent builds a ketama ring — 160 points per unit of weight, named
 * after the server as written — so removing a server moves only the keys
 * that were on it. ip_hash keys on the first three octets of an IPv4
 * client (the whole of an IPv6 one); other clients go round robin. */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

#include "proxy/balance_internal.h"

#define REHASH_TRIES 20
#define POINTS_PER_WEIGHT 160

static uint32_t crc(uint32_t seed, const void *p, size_t n)
{
    return (uint32_t)crc32(seed, p, (uInt)n);
}

/* The next hash after h for the try'th rehash of the key. */
static uint32_t rehash(uint32_t h, int try)
{
    char b[24];
    int n = snprintf(b, sizeof(b), "%d:%u", try, h);
    return crc(0, b, (size_t)n);
}

/* Walks from h by weights, rehashing while the server is unusable. */
static hs_upstream_server *by_hash(hs_upstream *up, uint32_t h, uint64_t tried)
{
    if (up->total_weight == 0)
        return NULL;
    for (int t = 0; t < REHASH_TRIES; t++) {
        size_t i = px_lb_by_weight(up, h % (uint32_t)up->total_weight);
        if (px_usable(up, i, tried))
            return &up->servers[i];
        h = rehash(h, t);
    }
    return px_lb_rr_pick(up, tried, false);
}

/* The first ring point at or after h (wrapping), then onwards to a usable server. */
static hs_upstream_server *on_ring(hs_upstream *up, uint32_t h, uint64_t tried)
{
    size_t lo = 0, hi = up->npoints;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (up->points[mid].hash < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t k = 0; k < up->npoints; k++) {
        const px_point *p = &up->points[(lo + k) % up->npoints];
        if (px_usable(up, p->server, tried))
            return &up->servers[p->server];
    }
    return NULL;
}

static hs_upstream_server *hash_pick(hs_upstream *up, hs_req *r, uint64_t tried)
{
    hs_str key;
    if (hs_cv_eval(&up->hash_key, r, r->pool, &key) != HS_OK || key.n == 0)
        return px_lb_rr_pick(up, tried, false); /* no key: round robin, as nginx */
    uint32_t h = crc(0, key.p, key.n);
    return up->consistent ? on_ring(up, h, tried) : by_hash(up, h, tried);
}

static int cmp_point(const void *a, const void *b)
{
    const px_point *x = a, *y = b;
    return x->hash < y->hash ? -1 : x->hash > y->hash ? 1 : (int)x->server - (int)y->server;
}

static int hash_init(hs_cf *cf, hs_upstream *up)
{
    if (!up->consistent)
        return HS_OK;
    size_t n = 0;
    for (size_t i = 0; i < up->nservers; i++)
        n += (size_t)up->servers[i].weight * POINTS_PER_WEIGHT;
    up->points = hs_palloc(cf->pool, n * sizeof(*up->points));
    if (up->points == NULL)
        return HS_ERROR;
    for (size_t i = 0; i < up->nservers; i++) {
        hs_upstream_server *s = &up->servers[i];
        uint32_t base = crc(0, s->name.p, s->name.n);
        for (int j = 0; j < s->weight * POINTS_PER_WEIGHT; j++) {
            char b[16];
            int bn = snprintf(b, sizeof(b), "-%d", j);
            up->points[up->npoints++] = (px_point){crc(base, b, (size_t)bn), (uint32_t)i};
        }
    }
    qsort(up->points, up->npoints, sizeof(*up->points), cmp_point);
    return HS_OK;
}

static hs_upstream_server *ip_hash_pick(hs_upstream *up, hs_req *r, uint64_t tried)
{
    const struct sockaddr *sa = &r->conn->peer.sa;
    const uint8_t *a;
    size_t n;
    if (sa->sa_family == AF_INET) {
        a = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
        n = 3;
    } else if (sa->sa_family == AF_INET6) {
        a = (const uint8_t *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
        n = 16;
    } else {
        return px_lb_rr_pick(up, tried, false);
    }
    uint32_t h = 89;
    for (size_t i = 0; i < n; i++)
        h = (h * 113 + a[i]) % 6271;
    return by_hash(up, h, tried);
}

const px_balancer px_lb_hash = {"hash", false, hash_init, hash_pick};
const px_balancer px_lb_ip_hash = {"ip_hash", false, NULL, ip_hash_pick};
