/* random [two [least_conn]]: a server drawn at random by weight; with two,
 * two different servers drawn so, and the one with fewer active
 * connections per weight taken (least_conn, the only method nginx offers
 * there). A draw that lands on an unusable server is drawn again, up to 20
 * times, then round robin decides. */
#include "proxy/balance_internal.h"

#define DRAWS 20

static int draw(hs_upstream *up, uint64_t tried, int other)
{
    if (up->total_weight == 0)
        return -1;
    for (int t = 0; t < DRAWS; t++) {
        size_t i = px_lb_by_weight(up, px_lb_rand() % (uint32_t)up->total_weight);
        if ((int)i != other && px_usable(up, i, tried))
            return (int)i;
    }
    return -1;
}

static hs_upstream_server *random_pick(hs_upstream *up, hs_req *r, uint64_t tried)
{
    (void)r;
    int a = draw(up, tried, -1);
    if (a < 0)
        return px_lb_rr_pick(up, tried, up->random_two);
    if (!up->random_two)
        return &up->servers[a];
    int b = draw(up, tried, a);
    if (b < 0)
        return &up->servers[a];
    hs_upstream_server *x = &up->servers[a], *y = &up->servers[b];
    return (int64_t)y->st->conns * x->weight < (int64_t)x->st->conns * y->weight ? y : x;
}

const px_balancer px_lb_random = {"random", false, NULL, random_pick};
