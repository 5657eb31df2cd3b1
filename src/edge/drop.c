#include "edge/drop.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/errlog.h"
#include "edge/edge_conf.h"
#include "http/request_internal.h"
#include "stats/counters.h"

#ifndef TCP_REPAIR
#define TCP_REPAIR 19
#endif

#define TARPIT_MAX_DEFAULT 1024 /* tarpit_max */

static int silent_works = -1; /* -1 unknown, 0 no (fall back to reset), 1 yes */
static int tarpitted;         /* connections held now */

void hs_drop_probe_silent(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    silent_works = fd >= 0 && setsockopt(fd, SOL_TCP, TCP_REPAIR, &one, sizeof(one)) == 0;
    if (fd >= 0)
        close(fd);
    if (!silent_works)
        hs_log(HS_LOG_WARN, "drop_mode silent needs CAP_NET_ADMIN (TCP_REPAIR); "
                            "silent drops fall back to reset");
}

/* Reads and forgets what the client already sent, so close() sends FIN and
 * not RST (Linux resets when unread data is discarded). */
static void drain(int fd)
{
    char tmp[4096];
    for (int i = 0; i < 16; i++) {
        ssize_t n = recv(fd, tmp, sizeof(tmp), MSG_DONTWAIT);
        if (n < (ssize_t)sizeof(tmp))
            return; /* a short read took all there was: spare the EAGAIN */
    }
}

static void set_reset(int fd)
{
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

static bool set_silent(int fd)
{
    if (silent_works == -1)
        hs_drop_probe_silent();
    int one = 1;
    return silent_works && setsockopt(fd, SOL_TCP, TCP_REPAIR, &one, sizeof(one)) == 0;
}

void hs_drop_fd(int fd, int mode)
{
    switch (mode) {
    case HS_DROP_RESET:
    case HS_DROP_TARPIT: /* without a connection object there is nothing to hold */
        set_reset(fd);
        break;
    case HS_DROP_SILENT:
        if (!set_silent(fd))
            set_reset(fd);
        break;
    default:
        drain(fd);
        break;
    }
    close(fd);
}

/* A connection dropped at accept and held in the tarpit: no hs_conn, just
 * the fd, a timer and the epoll registration that notices the client leave. */
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
        set_reset(h->fd);
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

void hs_drop_fd_mode(int fd, int mode, int64_t tarpit_msec, int64_t tarpit_max)
{
    if (mode == HS_DROP_TARPIT && tarpitted < tarpit_max && tarpit_fd(fd, tarpit_msec))
        return;
    hs_drop_fd(fd, mode);
}

static int64_t tarpit_max_of(hs_conn *c)
{
    struct hs_edge_loc *e = hs_edge_loc_of(c->group->default_srv->loc);
    return e && e->http ? e->http->tarpit_max : TARPIT_MAX_DEFAULT;
}

void hs_drop_conn(hs_conn *c, int mode, int64_t tarpit_msec)
{
    if (mode == HS_DROP_TARPIT && tarpitted < tarpit_max_of(c)) {
        tarpitted++;
        c->state = HS_CONN_TARPIT;
        hs_conn_buf_release(c);
        hs_timer_set(&c->timer, (uint64_t)tarpit_msec);
        return;
    }
    if (mode == HS_DROP_TARPIT)
        mode = HS_DROP_RESET;
    switch (mode) {
    case HS_DROP_RESET:
        set_reset(c->fd);
        break;
    case HS_DROP_SILENT:
        if (!set_silent(c->fd))
            set_reset(c->fd);
        break;
    default:
        if (c->readable || c->buf_pos < c->buf_len)
            drain(c->fd); /* else our last read was short: nothing is left unread */
        break;
    }
    hs_conn_close(c);
}

void hs_drop_tarpit_expired(hs_conn *c)
{
    tarpitted--;
    set_reset(c->fd);
    hs_conn_close(c);
}

/* A tarpitted connection that the client closed itself. */
void hs_drop_tarpit_gone(hs_conn *c)
{
    tarpitted--;
    hs_conn_close(c);
}
