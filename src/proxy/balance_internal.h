/* The balancing methods of an upstream group behind one small table: each
 * method picks a usable server for a request; the health rules, the
 * active-connection counts and the shared zone are upstream.c's. Private
 * to src/proxy. */
#ifndef HS_PROXY_BALANCE_INTERNAL_H
#define HS_PROXY_BALANCE_INTERNAL_H

#include "proxy/proxy_internal.h"

typedef struct px_balancer {
    const char *name;
    bool backup_ok;        /* the method allows "backup" servers */
    /* after the group's servers are known (a hash ring); NULL: nothing */
    int (*init)(hs_cf *cf, hs_upstream *up);
    /* a usable server for r, or NULL; the zone's lock is held */
    hs_upstream_server *(*pick)(hs_upstream *up, hs_req *r, uint64_t tried);
} px_balancer;

typedef struct px_point {
    uint32_t hash;
    uint32_t server;       /* index in up->servers */
} px_point;

extern const px_balancer px_lb_round_robin, px_lb_least_conn, px_lb_hash, px_lb_ip_hash, px_lb_random;

/* Neither tried, marked down, nor full (max_conns). */
static inline bool px_usable(const hs_upstream *up, size_t i, uint64_t tried)
{
    const hs_upstream_server *s = &up->servers[i];
    if ((tried & (1ULL << (i & 63))) || s->down || s->st->down_until > hs_now.mono_msec)
        return false;
    return s->max_conns == 0 || s->st->conns < s->max_conns;
}

/* Smooth weighted round robin among the usable servers of one tier
 * (backup or not); with least, only among those with the fewest active
 * connections per weight. */
hs_upstream_server *px_lb_weighted(hs_upstream *up, uint64_t tried, bool backup, bool least);
/* The primaries, then the backups, by px_lb_weighted. */
hs_upstream_server *px_lb_rr_pick(hs_upstream *up, uint64_t tried, bool least);
/* The server whose cumulative weight range holds w (w < up->total_weight). */
size_t px_lb_by_weight(const hs_upstream *up, uint32_t w);
/* A per-process pseudo-random number. */
uint32_t px_lb_rand(void);

#endif
