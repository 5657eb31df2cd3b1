/* The Upgrade tunnel (WebSocket and any other protocol switch), as nginx:
 * when the client asked to upgrade (an Upgrade header) and the upstream
 * answers 101, the 101 goes to the client with its Upgrade and Connection
 * fields and the exchange becomes a two-way byte tunnel.
 *
 * Each direction has one buffer of proxy_buffer_size bytes (upstream to
 * client: px->in, already there; client to upstream: one more), so a
 * tunnel holds at most two of them: a side that does not read stops the
 * reading of the other side (backpressure both ways). It ends, as nginx's,
 * when either side closes (EOF, reset, error) once what came from that side
 * has been passed on, or when a timeout fires: proxy_read_timeout with no
 * byte either way (nginx re-arms it on any activity), proxy_send_timeout
 * while the upstream takes nothing, send_timeout while the client takes
 * nothing. The request's log line (status 101) is written then, with its
 * ending: tunnel_client_close, tunnel_upstream_close, tunnel_timeout,
 * tunnel_send_timeout. A graceful stop leaves tunnels to run until
 * worker_shutdown_timeout, which ends them as `shutdown` (the core's
 * abandon). */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "core/errlog.h"
#include "proxy/proxy_internal.h"

/* One direction's bytes: p[pos, len) wait to be written. The flags say
 * whether its source may have more to read and its sink take more: set by
 * the socket's epoll events, cleared by an EAGAIN or a short read or write
 * (nginx's ready flags), so that a pump spends no system call on a socket
 * that has nothing for it. */
typedef struct {
    char *p;
    size_t cap, pos, len;
    bool eof;       /* its source closed (or failed) */
    bool can_read;  /* its source may have bytes */
    bool can_write; /* its sink may take bytes */
    bool buffered;  /* its source holds bytes no event announces (TLS): read until EAGAIN */
    bool chunky;    /* its sink may take less than it could (TLS records): write until EAGAIN */
    bool closing;   /* its source's close was announced (EPOLLRDHUP): read until the EOF */
} px_pipe;

enum { TUN_IDLE, TUN_UP_SEND, TUN_CLIENT_SEND };

/* Buffers read per pump: a tunnel whose peers keep up with it then lets the
 * worker's other events go first (it resumes 1 ms later), so that one fast
 * tunnel cannot hold the worker. */
#define PUMP_BUDGET 64

struct px_tunnel {
    px_pipe down;            /* upstream -> client (px->in) */
    px_pipe up;              /* client -> upstream */
    uint64_t active;         /* mono ms of the last byte moved either way */
    uint64_t up_since;       /* ... since the upstream last took bytes (or had none to take) */
    uint64_t client_since;   /* ... since the client did */
    uint64_t armed;          /* when u->timer fires (mono ms) */
    hs_timer resume;         /* a pump that used its budget goes on */
    hs_req *r;
};

bool hs_proxy_client_wants_upgrade(hs_req *r)
{
    /* HTTP/2 has no Upgrade (and nginx no extended CONNECT): never there */
    return r->conn->proto == NULL && r->stream == NULL && hs_http_find_header(&r->h, "Upgrade") != NULL;
}

/* ---- the end ---- */

void hs_proxy_tunnel_free(hs_proxy_state *px)
{
    if (px->tun == NULL)
        return;
    hs_timer_cancel(&px->tun->resume);
    free(px->tun->up.p); /* down.p is px->in: the proxy's own */
    free(px->tun);
    px->tun = NULL;
}

static void tunnel_end(hs_req *r, hs_ending why)
{
    hs_proxy_state *px = PX(r);
    if (px->ntries > 0)
        cur_try(px)->response_us = since_start(px);
    hs_proxy_release_upstream(px, false);
    hs_proxy_end(r);
    hs_http_end(r, why, 0); /* the 101 stays the logged status */
}

/* ---- moving bytes ---- */

/* Reads the client's bytes into the up pipe: first what the connection
 * buffer holds beyond the request head, then the transport. The count
 * read, 0 at EOF, HS_AGAIN, HS_ERROR. */
static ssize_t client_read(hs_req *r, px_pipe *pp)
{
    hs_conn *c = r->conn;
    char *at = pp->p + pp->len;
    size_t room = pp->cap - pp->len, held = 0;
    if (c->buf && c->buf_pos < c->buf_len) {
        held = c->buf_len - c->buf_pos < room ? c->buf_len - c->buf_pos : room;
        memcpy(at, c->buf + c->buf_pos, held);
        c->buf_pos += (uint32_t)held;
        if (held == room)
            return (ssize_t)held;
    }
    ssize_t n = hs_io_recv(&c->io, at + held, room - held);
    if (n > 0)
        c->bytes_in += (uint64_t)n;
    else if (n == HS_AGAIN)
        c->readable = false;
    else
        c->peer_closed = true;
    return held && n <= 0 ? (ssize_t)held : n > 0 ? n + (ssize_t)held : n; /* an EOF comes again next time */
}

static ssize_t client_write(hs_req *r, px_pipe *pp)
{
    struct iovec iov = {pp->p + pp->pos, pp->len - pp->pos};
    ssize_t w = hs_http_output(r, &iov, 1);
    if (w > 0)
        r->resp.sent += (uint64_t)w;
    return w;
}

static ssize_t upstream_read(hs_req *r, px_pipe *pp)
{
    return hs_up_recv(PX(r)->u, pp->p + pp->len, pp->cap - pp->len);
}

static ssize_t upstream_write(hs_req *r, px_pipe *pp)
{
    return hs_up_send(PX(r)->u, pp->p + pp->pos, pp->len - pp->pos);
}

typedef ssize_t (*px_io_fn)(hs_req *r, px_pipe *pp);

/* Writes what waits; true if a byte went. HS_ERROR (or 0) from the sink sets *failed. */
static bool pipe_write(hs_req *r, px_pipe *pp, px_io_fn wr, uint64_t *since, bool *failed)
{
    if (pp->pos == pp->len || !pp->can_write)
        return false;
    size_t want = pp->len - pp->pos;
    ssize_t w = wr(r, pp);
    if (w == HS_ERROR || w == 0) {
        *failed = true;
        return false;
    }
    if (w == HS_AGAIN || ((size_t)w < want && !pp->chunky))
        pp->can_write = false; /* the socket is full: its EPOLLOUT says when it is not */
    if (w <= 0)
        return false;
    pp->pos += (size_t)w;
    *since = hs_now.mono_msec;
    if (pp->pos == pp->len)
        pp->pos = pp->len = 0;
    return true;
}

/* Reads while there is room; true if a byte came. */
static bool pipe_read(hs_req *r, px_pipe *pp, px_io_fn rd)
{
    if (pp->eof || !pp->can_read || pp->len == pp->cap)
        return false;
    size_t room = pp->cap - pp->len;
    ssize_t n = rd(r, pp);
    if (n == HS_AGAIN) {
        pp->can_read = false;
        return false;
    }
    if (n <= 0) {
        pp->eof = true; /* EOF, reset or error: this side is done */
        return false;
    }
    if ((size_t)n < room && !pp->buffered && !pp->closing)
        pp->can_read = false; /* a short read drained the socket */
    pp->len += (size_t)n;
    return true;
}

/* Moves what it can through one pipe; true if a byte moved. */
static bool pipe_step(hs_req *r, px_pipe *pp, px_io_fn rd, px_io_fn wr, uint64_t *since, bool *sink_failed,
                      int *budget)
{
    bool moved = false;
    for (;;) {
        if (*budget <= 0)
            return moved;
        bool progress = pipe_write(r, pp, wr, since, sink_failed);
        if (*sink_failed)
            return moved;
        if (pp->len == 0)
            *since = hs_now.mono_msec; /* nothing waits for the sink */
        if (pipe_read(r, pp, rd)) {
            progress = true;
            (*budget)--;
        }
        if (!progress)
            return moved;
        moved = true;
    }
}

/* The nearest deadline and what it stands for. */
static uint64_t deadline(hs_req *r, struct px_tunnel *t, int *kind)
{
    hs_proxy_conf *pc = PX(r)->pc;
    uint64_t when = t->active + (uint64_t)pc->read_timeout;
    *kind = TUN_IDLE;
    if (t->up.len && t->up_since + (uint64_t)pc->send_timeout < when) {
        when = t->up_since + (uint64_t)pc->send_timeout;
        *kind = TUN_UP_SEND;
    }
    if (t->down.len && t->client_since + (uint64_t)r->loc->send_timeout < when) {
        when = t->client_since + (uint64_t)r->loc->send_timeout;
        *kind = TUN_CLIENT_SEND;
    }
    return when;
}

/* Arms u->timer for the nearest deadline. Lazily, as nginx: a deadline that
 * moved later by less than a second keeps the timer, which then fires a
 * little early and is armed again (hs_proxy_tunnel_timeout). */
static void arm(hs_req *r, struct px_tunnel *t)
{
    int kind;
    uint64_t when = deadline(r, t, &kind), now = hs_now.mono_msec;
    hs_timer *tm = &PX(r)->u->timer;
    if (hs_timer_armed(tm) && when >= t->armed && when - t->armed < 1000)
        return;
    t->armed = when > now ? when : now + 1;
    hs_timer_set(tm, t->armed - now);
}

/* Both directions, until nothing moves; ends the tunnel when a side closed
 * and its bytes were passed on, or a sink failed. */
static void pump(hs_req *r, struct px_tunnel *t)
{
    bool client_failed = false, up_failed = false;
    if (hs_http_stream_pending(r)) { /* the 101 head first */
        int rc = hs_http_stream_flush(r);
        if (rc == HS_ERROR) {
            tunnel_end(r, HS_END_TUNNEL_CLIENT_CLOSE);
            return;
        }
        if (rc == HS_AGAIN) {
            arm(r, t);
            return;
        }
    }
    int budget = PUMP_BUDGET;
    for (bool moved = true; moved && budget > 0 && !client_failed && !up_failed;) {
        moved = pipe_step(r, &t->down, upstream_read, client_write, &t->client_since, &client_failed, &budget);
        if (!client_failed)
            moved |= pipe_step(r, &t->up, client_read, upstream_write, &t->up_since, &up_failed, &budget);
        if (moved)
            t->active = hs_now.mono_msec;
    }
    if (client_failed || (t->up.eof && t->up.len == 0)) {
        tunnel_end(r, HS_END_TUNNEL_CLIENT_CLOSE);
        return;
    }
    if (up_failed || (t->down.eof && t->down.len == 0)) {
        tunnel_end(r, HS_END_TUNNEL_UPSTREAM_CLOSE);
        return;
    }
    if (budget <= 0)
        hs_timer_set(&t->resume, 1);
    arm(r, t);
}

static void on_resume(hs_timer *tm)
{
    struct px_tunnel *t = (struct px_tunnel *)((char *)tm - offsetof(struct px_tunnel, resume));
    pump(t->r, t);
}

void hs_proxy_tunnel_event(hs_req *r, bool from_client, uint32_t events)
{
    struct px_tunnel *t = PX(r)->tun;
    bool in = events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR), out = events & (EPOLLOUT | EPOLLHUP | EPOLLERR);
    px_pipe *src = from_client ? &t->up : &t->down, *sink = from_client ? &t->down : &t->up;
    src->can_read |= in;
    src->closing |= (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
    sink->can_write |= out;
    pump(r, t);
}

/* u->timer fired: which deadline it stood for, if it has come. */
void hs_proxy_tunnel_timeout(hs_req *r)
{
    struct px_tunnel *t = PX(r)->tun;
    int kind;
    uint64_t when = deadline(r, t, &kind), now = hs_now.mono_msec;
    if (when > now) { /* it moved while the timer was lazy */
        t->armed = when;
        hs_timer_set(&PX(r)->u->timer, when - now);
        return;
    }
    if (kind == TUN_CLIENT_SEND) {
        hs_log_ctx(HS_LOG_INFO, r, ETIMEDOUT, "client timed out while proxying upgraded connection");
        tunnel_end(r, HS_END_TUNNEL_SEND_TIMEOUT);
        return;
    }
    hs_proxy_log_error(r, ETIMEDOUT, "upstream timed out while proxying upgraded connection");
    tunnel_end(r, kind == TUN_UP_SEND ? HS_END_TUNNEL_SEND_TIMEOUT : HS_END_TUNNEL_TIMEOUT);
}

/* The head of the 101 is queued (hs_http_stream_start); px->in holds what
 * the upstream sent after it. */
void hs_proxy_tunnel_start(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    if (px->client_gone) { /* proxy_ignore_client_abort on, and the client left: no tunnel */
        hs_proxy_relay_error(r, HS_END_CLIENT_ABORT_BODY);
        return;
    }
    struct px_tunnel *t = calloc(1, sizeof(*t));
    char *up = malloc(px->in_cap);
    if (t == NULL || up == NULL) {
        free(t);
        free(up);
        hs_proxy_log_msg(r, "out of memory for an upgraded connection");
        hs_proxy_relay_error(r, HS_END_UPSTREAM_INVALID);
        return;
    }
    hs_conn *c = r->conn;
    if (r->loc->tcp_nodelay && !c->nodelay_set) { /* as nginx: a small frame goes at once, no Nagle delay */
        int one = 1;
        setsockopt(c->io.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        c->nodelay_set = true;
    }
    bool client_tls = c->io.t->pending != NULL, up_tls = px->u->ssl != NULL;
    t->down = (px_pipe){.p = px->in, .cap = px->in_cap, .len = px->in_len, .can_read = true, .can_write = true,
                        .buffered = up_tls, .chunky = client_tls};
    t->up = (px_pipe){.p = up, .cap = px->in_cap, .can_read = true, .can_write = true,
                      .buffered = client_tls, .chunky = up_tls};
    t->active = t->up_since = t->client_since = hs_now.mono_msec;
    t->resume.on_timer = on_resume;
    t->r = r;
    px->tun = t;
    px->state = PX_TUNNEL;
    cur_try(px)->response_us = -1;
    hs_http_client_deadline(r, 0, HS_END_NONE);
    pump(r, t);
}
