/* Upstream servers at run time: the balancing method's pick (balance_internal.h)
 * with passive health checks (max_fails / fail_timeout, backups), the
 * active connections of each server (least_conn, max_conns), and the
 * per-worker pool of idle keep-alive connections. Each worker keeps its own
 * view of health and load, unless the upstream has a zone: then it lives in
 * shared memory and every worker sees it (upstream_zone.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/shm.h"
#include "proxy/balance_internal.h"
#include "proxy/zone_internal.h"

static void lock(hs_upstream *up)
{
    if (up->zone)
        hs_shm_lock(up->zone->shm);
}

static void unlock(hs_upstream *up)
{
    if (up->zone)
        hs_shm_unlock(up->zone->shm);
}

/* Every untried server is marked down: the one that failed longest ago
 * rather than fail the request outright (a lone server is never taken out
 * of service, as in nginx); a full one (max_conns) never. */
static hs_upstream_server *fallback(hs_upstream *up, uint64_t tried)
{
    hs_upstream_server *s = NULL;
    for (size_t i = 0; i < up->nservers; i++) {
        hs_upstream_server *c = &up->servers[i];
        if (tried & (1ULL << (i & 63)) || c->down || (c->max_conns && c->st->conns >= c->max_conns))
            continue;
        if (up->nservers == 1 || s == NULL || c->st->down_until < s->st->down_until)
            s = c;
    }
    if (up->nservers > 1 && s && s->st->down_until > hs_now.mono_msec)
        return NULL;
    return s;
}

hs_upstream_server *hs_upstream_pick(hs_upstream *up, hs_req *r, uint64_t tried)
{
    lock(up);
    hs_upstream_server *s = up->lb->pick(up, r, tried);
    if (s == NULL)
        s = fallback(up, tried);
    if (s)
        s->st->conns++;
    unlock(up);
    return s;
}

void hs_upstream_release(hs_upstream *up, hs_upstream_server *s)
{
    lock(up);
    if (s->st->conns > 0)
        s->st->conns--;
    unlock(up);
}

bool hs_upstream_has_candidate(const hs_upstream *up, uint64_t tried)
{
    for (size_t i = 0; i < up->nservers; i++)
        if (!(tried & (1ULL << (i & 63))) && !up->servers[i].down &&
            (up->servers[i].st->down_until <= hs_now.mono_msec || up->servers[i].backup))
            return true;
    return false;
}

void hs_upstream_failed(hs_upstream *up, hs_upstream_server *s)
{
    if (s->max_fails == 0)
        return;
    uint64_t now = hs_now.mono_msec;
    lock(up);
    px_peer *p = s->st;
    if (p->fails == 0 || now - p->checked > (uint64_t)s->fail_timeout) {
        p->fails = 0;
        p->checked = now;
    }
    if (++p->fails >= s->max_fails)
        p->down_until = now + (uint64_t)s->fail_timeout;
    unlock(up);
}

/* A success ends the failures' count only once their fail_timeout window
 * is over: within it they add up (nginx's rule), so a server that fails
 * every other request still reaches max_fails. */
void hs_upstream_succeeded(hs_upstream *up, hs_upstream_server *s)
{
    lock(up);
    px_peer *p = s->st;
    if (p->fails && hs_now.mono_msec - p->checked > (uint64_t)s->fail_timeout)
        p->fails = 0;
    p->down_until = 0;
    unlock(up);
}

/* ---- connections ---- */

/* the iteration's batch (below): requests waiting for a connection, pools past keepalive */
static hs_timer batch_timer;
static hs_upconn **waiting;
static size_t nwaiting, capwaiting;
static bool in_batch;
static hs_upstream *over_list;

static void on_upconn_event(hs_ev *ev, uint32_t events);

static void on_upconn_timer(hs_timer *t)
{
    hs_upconn *u = (hs_upconn *)((char *)t - offsetof(hs_upconn, timer));
    if (u->r == NULL) {
        hs_upconn_close(u); /* idle too long */
        return;
    }
    hs_proxy_upstream_event(u, 0); /* 0: the deadline passed */
}

hs_upconn *hs_upconn_new(hs_upstream *up, hs_upstream_server *s)
{
    hs_upconn *u = calloc(1, sizeof(*u));
    if (u == NULL)
        return NULL;
    u->ev.on_event = on_upconn_event;
    u->timer.on_timer = on_upconn_timer;
    u->fd = -1;
    u->created = hs_now.mono_msec;
    u->up = up;
    u->server = s;
    memcpy(&u->addr, &s->addr, s->addrlen);
    u->addrlen = s->addrlen;
    return u;
}

/* Off the idle list (a connection on it: u->r == NULL, as the callers check). */
static void unlink_idle(hs_upconn *u)
{
    hs_upstream *up = u->up;
    if (u->prev == NULL && up->idle != u)
        return; /* not on the list */
    *(u->prev ? &u->prev->next : &up->idle) = u->next;
    *(u->next ? &u->next->prev : &up->idle_last) = u->prev;
    u->next = u->prev = NULL;
    up->nidle--;
}

void hs_upconn_close(hs_upconn *u)
{
    if (u->r == NULL && u->up)
        unlink_idle(u);
    if (u->wait_slot) /* off the batch: u is freed after this iteration, the batch may run in the next */
        waiting[u->wait_slot - 1] = NULL;
    u->wait_slot = 0;
    hs_timer_cancel(&u->timer);
    hs_up_close(u);
    /* freed after this loop iteration: an event for it may still be queued */
    hs_loop_free_later(u);
}

static void on_upconn_event(hs_ev *ev, uint32_t events)
{
    hs_upconn *u = (hs_upconn *)ev;
    if (u->fd < 0)
        return;
    if (u->r == NULL) {
        /* idle: any byte or a close from the upstream ends it */
        if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
            hs_upconn_close(u);
        return;
    }
    hs_proxy_upstream_event(u, events);
}

hs_upconn *hs_upstream_pool_get(hs_upstream *up, hs_upstream_server *s, const struct ssl_ctx_st *ctx,
                                const char *name)
{
    for (hs_upconn *u = up->idle; u; u = u->next) {
        if (u->server != s || u->ssl_ctx != ctx || (name && (u->ssl_name == NULL || strcmp(u->ssl_name, name) != 0)))
            continue;
        unlink_idle(u);
        hs_timer_cancel(&u->timer);
        u->reused = true;
        return u;
    }
    return NULL;
}

/* The end of a loop iteration's batch (a timer due at once: it runs after
 * the iteration's events). HTTP/2 streams come in bursts: one iteration
 * reads many responses, freeing their connections, and many new requests,
 * each asking for one. A request that finds the pool empty waits for the
 * batch's end and takes a connection freed meanwhile; a full pool closes its
 * least recently used connections only then. Every connect and close saved
 * is worth more than the rest of a proxied request. Between iterations a
 * pool holds at most `keepalive`, as nginx's. */

static void trim_over(void)
{
    while (over_list) {
        hs_upstream *up = over_list;
        over_list = up->next_over;
        up->over = false;
        up->next_over = NULL;
        while (up->nidle > up->keepalive && up->idle_last)
            hs_upconn_close(up->idle_last);
    }
}

static void run_batch(hs_timer *t)
{
    (void)t;
    in_batch = true; /* a request asking again now connects at once */
    for (size_t i = 0; i < nwaiting; i++) {
        hs_upconn *u = waiting[i];
        if (u == NULL)
            continue; /* its request ended meanwhile */
        u->wait_slot = 0;
        hs_proxy_pool_turn(u);
    }
    nwaiting = 0;
    in_batch = false;
    trim_over();
}

static void arm_batch(void)
{
    batch_timer.on_timer = run_batch;
    if (!hs_timer_armed(&batch_timer))
        hs_timer_set(&batch_timer, 0);
}

bool hs_upstream_wait_turn(hs_upconn *u)
{
    if (in_batch)
        return false;
    if (nwaiting == capwaiting) {
        size_t cap = capwaiting ? capwaiting * 2 : 64;
        hs_upconn **nw = realloc(waiting, cap * sizeof(*nw));
        if (nw == NULL)
            return false;
        waiting = nw;
        capwaiting = cap;
    }
    waiting[nwaiting++] = u;
    u->wait_slot = (uint32_t)nwaiting;
    arm_batch();
    return true;
}

static void mark_over(hs_upstream *up)
{
    arm_batch();
    if (up->over)
        return;
    up->over = true;
    up->next_over = over_list;
    over_list = up;
}

void hs_upstream_pool_put(hs_upconn *u)
{
    hs_upstream *up = u->up;
    u->r = NULL;
    /* keepalive_requests and keepalive_time: a connection that served its
     * share is closed rather than kept */
    if (up->keepalive == 0 || u->requests >= (uint32_t)up->keepalive_requests ||
        hs_now.mono_msec - u->created >= (uint64_t)up->keepalive_time) {
        hs_upconn_close(u);
        return;
    }
    if (up->nidle >= up->keepalive)
        mark_over(up);
    u->prev = NULL;
    u->next = up->idle;
    *(up->idle ? &up->idle->prev : &up->idle_last) = u;
    up->idle = u;
    up->nidle++;
    hs_timer_set(&u->timer, (uint64_t)up->keepalive_timeout);
}
