/* Drop modes at work: the drop decider of the HTTP core, accept-phase
 * drops, and the tarpit, which holds dropped sockets open and silent. */
#include "edge/drop.h"

#include <stdlib.h>
#include <unistd.h>

#include "core/errlog.h"
#include "edge/edge_conf.h"

#define TARPIT_MAX_DEFAULT 1024 /* tarpit_max */

static uint32_t tarpitted; /* sockets held now */

uint32_t hs_edge_tarpitted(void) { return tarpitted; }

static bool silent_configured; /* some drop_mode silent was read */

void hs_drop_note_silent(void) { silent_configured = true; }

void hs_drop_probe_silent(void)
{
    if (silent_configured && !hs_tcp_silent_works())
        hs_log(HS_LOG_WARN, "drop_mode silent needs CAP_NET_ADMIN (TCP_REPAIR); "
                            "silent drops fall back to reset");
}

/* ---- the tarpit ---- */

/* A dropped socket held open: no connection object, just the fd, a timer
 * and the epoll registration that notices the client leave. */
typedef struct {
    hs_ev ev;       /* first member: epoll dispatch */
    hs_timer timer; /* the end of the tarpit time */
    int fd;
} held_fd;

static void held_release(held_fd *h, bool reset)
{
    tarpitted--;
    hs_timer_cancel(&h->timer);
    if (reset)
        hs_tcp_set_reset(h->fd);
    close(h->fd);
    h->fd = -1;
    hs_loop_free_later(h); /* an event for it may still be queued in this iteration */
}

static void on_held_event(hs_ev *ev, uint32_t events)
{
    held_fd *h = (held_fd *)ev;
    if (h->fd >= 0 && (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
        held_release(h, false);
}

static void on_held_timer(hs_timer *t)
{
    held_fd *h = (held_fd *)((char *)t - offsetof(held_fd, timer));
    held_release(h, true);
}

static bool tarpit_fd(int fd, int64_t tarpit_msec)
{
    held_fd *h = calloc(1, sizeof(*h));
    if (h == NULL)
        return false;
    h->ev.on_event = on_held_event;
    h->timer.on_timer = on_held_timer;
    h->fd = fd;
    if (hs_ev_add(fd, &h->ev, EPOLLRDHUP) != 0) {
        free(h);
        return false;
    }
    tarpitted++;
    hs_timer_set(&h->timer, (uint64_t)tarpit_msec);
    return true;
}

/* ---- dropping ---- */

/* Prepares the socket for close() the way mode says; unread: whether the
 * client may have sent bytes we did not read. */
static void prepare_close(int fd, int mode, bool unread)
{
    switch (mode) {
    case HS_DROP_RESET:
    case HS_DROP_TARPIT: /* no room left in the tarpit */
        hs_tcp_set_reset(fd);
        break;
    case HS_DROP_SILENT:
        if (!hs_tcp_set_silent(fd))
            hs_tcp_set_reset(fd);
        break;
    default:
        if (unread)
            hs_tcp_drain(fd); /* so that close() sends FIN, not RST */
        break;
    }
}

void hs_edge_drop_fd(int fd, int mode, int64_t tarpit_msec, int64_t tarpit_max)
{
    if (mode == HS_DROP_TARPIT && tarpitted < tarpit_max && tarpit_fd(fd, tarpit_msec))
        return;
    prepare_close(fd, mode, true);
    close(fd);
}

void hs_edge_drop_conn(hs_conn *c, hs_loc_conf *lc)
{
    struct hs_edge_loc *e = hs_edge_loc_of(lc);
    int mode = e ? e->drop_mode : HS_DROP_UNSET;
    if (mode == HS_DROP_UNSET) /* no drop_mode: nginx's 444, which reset_timedout_connection resets */
        mode = lc->reset_timedout ? HS_DROP_RESET : HS_DROP_CLOSE;
    int64_t tarpit_max = e && e->http ? e->http->tarpit_max : TARPIT_MAX_DEFAULT;
    if (mode == HS_DROP_TARPIT && tarpitted < tarpit_max) {
        bool unread = hs_conn_has_unread(c);
        int fd = hs_conn_release_fd(c);
        if (tarpit_fd(fd, e->tarpit_msec))
            return;
        prepare_close(fd, HS_DROP_RESET, unread);
        close(fd);
        return;
    }
    prepare_close(c->io.fd, mode, hs_conn_has_unread(c));
    hs_conn_close(c);
}
