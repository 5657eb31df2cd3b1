/* Upstream servers at run time: weighted round robin with passive health
 * checks (max_fails / fail_timeout, backups), and the per-worker pool of idle
 * keep-alive connections. Each worker keeps its own view, as nginx does for
 * upstreams without a shared zone. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "proxy/proxy_internal.h"

#define IDLE_TIMEOUT_MSEC 60000

static bool usable(const hs_upstream_server *s, size_t i, uint64_t tried)
{
    return !(tried & (1ULL << (i & 63))) && s->down_until <= hs_now.mono_msec;
}

/* Smooth weighted round robin among the usable servers of one tier. */
static hs_upstream_server *pick_tier(hs_upstream *up, uint64_t tried, bool backup)
{
    hs_upstream_server *best = NULL;
    int total = 0;
    for (size_t i = 0; i < up->nservers; i++) {
        hs_upstream_server *s = &up->servers[i];
        if (s->backup != backup || !usable(s, i, tried))
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

hs_upstream_server *hs_upstream_pick(hs_upstream *up, uint64_t tried)
{
    hs_upstream_server *s = pick_tier(up, tried, false);
    if (s == NULL)
        s = pick_tier(up, tried, true);
    if (s)
        return s;
    /* every untried server is marked down: try the one that failed longest
     * ago rather than fail the request outright (a lone server is never
     * taken out of service, as in nginx) */
    for (size_t i = 0; i < up->nservers; i++) {
        hs_upstream_server *c = &up->servers[i];
        if (tried & (1ULL << (i & 63)) || c->down_until == UINT64_MAX)
            continue;
        if (up->nservers == 1 || s == NULL || c->down_until < s->down_until)
            s = c;
    }
    if (up->nservers > 1 && s && s->down_until > hs_now.mono_msec)
        return NULL;
    return s;
}

bool hs_upstream_has_candidate(const hs_upstream *up, uint64_t tried)
{
    for (size_t i = 0; i < up->nservers; i++)
        if (!(tried & (1ULL << (i & 63))) && up->servers[i].down_until != UINT64_MAX &&
            (up->servers[i].down_until <= hs_now.mono_msec || up->servers[i].backup))
            return true;
    return false;
}

void hs_upstream_failed(hs_upstream_server *s)
{
    if (s->max_fails == 0)
        return;
    uint64_t now = hs_now.mono_msec;
    if (s->fails == 0 || now - s->checked > (uint64_t)s->fail_timeout) {
        s->fails = 0;
        s->checked = now;
    }
    if (++s->fails >= s->max_fails)
        s->down_until = now + (uint64_t)s->fail_timeout;
}

/* A success ends the failures' count only once their fail_timeout window
 * is over: within it they add up (nginx's rule), so a server that fails
 * every other request still reaches max_fails. */
void hs_upstream_succeeded(hs_upstream_server *s)
{
    if (s->fails && hs_now.mono_msec - s->checked > (uint64_t)s->fail_timeout)
        s->fails = 0;
    if (s->down_until != UINT64_MAX)
        s->down_until = 0;
}

/* ---- connections ---- */

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
    u->up = up;
    u->server = s;
    return u;
}

static void unlink_idle(hs_upconn *u)
{
    hs_upstream *up = u->up;
    for (hs_upconn **p = &up->idle; *p; p = &(*p)->next) {
        if (*p == u) {
            *p = u->next;
            up->nidle--;
            break;
        }
    }
    u->next = NULL;
}

void hs_upconn_close(hs_upconn *u)
{
    if (u->r == NULL && u->up)
        unlink_idle(u);
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

void hs_upstream_pool_put(hs_upconn *u)
{
    hs_upstream *up = u->up;
    u->r = NULL;
    if (up->keepalive == 0) {
        hs_upconn_close(u);
        return;
    }
    if (up->nidle >= up->keepalive) {
        /* full: the least recently used one goes */
        hs_upconn *last = up->idle;
        while (last && last->next)
            last = last->next;
        if (last)
            hs_upconn_close(last);
    }
    u->next = up->idle;
    up->idle = u;
    up->nidle++;
    hs_timer_set(&u->timer, IDLE_TIMEOUT_MSEC);
}
