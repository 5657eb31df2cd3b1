/* Weighted round robin (the default) and least_conn: both are nginx's
 * smooth weighted round robin, least_conn only among the servers with the
 * fewest active connections per weight. Helpers the other methods share. */
#include <unistd.h>

#include "core/clock.h"
#include "proxy/balance_internal.h"

/* a's load is below b's: conns/weight compared without division */
static bool less_loaded(const hs_upstream_server *a, const hs_upstream_server *b)
{
    return (int64_t)a->st->conns * b->weight < (int64_t)b->st->conns * a->weight;
}

static bool same_load(const hs_upstream_server *a, const hs_upstream_server *b)
{
    return (int64_t)a->st->conns * b->weight == (int64_t)b->st->conns * a->weight;
}

/* The least loaded usable server of the tier, or NULL. */
static hs_upstream_server *least_of(hs_upstream *up, uint64_t tried, bool backup)
{
    hs_upstream_server *least = NULL;
    for (size_t i = 0; i < up->nservers; i++) {
        hs_upstream_server *s = &up->servers[i];
        if (s->backup == backup && px_usable(up, i, tried) && (least == NULL || less_loaded(s, least)))
            least = s;
    }
    return least;
}

hs_upstream_server *px_lb_weighted(hs_upstream *up, uint64_t tried, bool backup, bool least)
{
    hs_upstream_server *best = NULL, *floor = least ? least_of(up, tried, backup) : NULL;
    int total = 0;
    if (least && floor == NULL)
        return NULL;
    for (size_t i = 0; i < up->nservers; i++) {
        hs_upstream_server *s = &up->servers[i];
        if (s->backup != backup || !px_usable(up, i, tried) || (floor && !same_load(s, floor)))
            continue;
        s->current_weight += s->weight;
        total += s->weight;
        if (best == NULL || s->current_weight > best->current_weight)
            best = s;
    }
    if (best)
        best->current_weight -= total;
    return best;
}

hs_upstream_server *px_lb_rr_pick(hs_upstream *up, uint64_t tried, bool least)
{
    hs_upstream_server *s = px_lb_weighted(up, tried, false, least);
    return s ? s : px_lb_weighted(up, tried, true, least);
}

size_t px_lb_by_weight(const hs_upstream *up, uint32_t w)
{
    for (size_t i = 0; i < up->nservers; i++) {
        if (up->servers[i].backup)
            continue;
        if (w < (uint32_t)up->servers[i].weight)
            return i;
        w -= (uint32_t)up->servers[i].weight;
    }
    return 0;
}

uint32_t px_lb_rand(void)
{
    static uint64_t x;
    if (x == 0)
        x = (hs_now.mono_usec ^ ((uint64_t)getpid() << 32)) | 1;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return (uint32_t)(x >> 16);
}

static hs_upstream_server *rr_pick(hs_upstream *up, hs_req *r, uint64_t tried)
{
    (void)r;
    return px_lb_rr_pick(up, tried, false);
}

static hs_upstream_server *least_conn_pick(hs_upstream *up, hs_req *r, uint64_t tried)
{
    (void)r;
    return px_lb_rr_pick(up, tried, true);
}

const px_balancer px_lb_round_robin = {"round robin", true, NULL, rr_pick};
const px_balancer px_lb_least_conn = {"least_conn", true, NULL, least_conn_pick};
