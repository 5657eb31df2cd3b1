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
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "core/errlog.h"
#include "proxy/proxy_internal.h"

/* One direction's bytes: p[pos, len) wait to be written. */
typedef struct {
    char *p;
    size_t cap, pos, len;
    bool eof;  /* its source closed (or failed) */
} px_pipe;

enum { TUN_IDLE, TUN_UP_SEND, TUN_CLIENT_SEND };

struct px_tunnel {
    px_pipe down;            /* upstream -> client (px->in) */
    px_pipe up;              /* client -> upstream */
    uint64_t active;         /* mono ms of the last byte moved either way */
    uint64_t up_since;       /* ... since the upstream last took bytes (or had none to take) */
    uint64_t client_since;   /* ... since the client did */
    int timer_kind;          /* which deadline u->timer stands for */
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
    size_t room = pp->cap - pp->len;
    if (c->buf && c->buf_pos < c->buf_len) {
        size_t n = c->buf_len - c->buf_pos < room ? c->buf_len - c->buf_pos : room;
        memcpy(pp->p + pp->len, c->buf + c->buf_pos, n);
        c->buf_pos += (uint32_t)n;
        return (ssize_t)n;
    }
    ssize_t n = hs_io_recv(&c->io, pp->p + pp->len, room);
    if (n > 0)
        c->bytes_in += (uint64_t)n;
    else if (n == HS_AGAIN)
        c->readable = false;
    else
        c->peer_closed = true;
    return n;
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

/* Moves what it can through one pipe: reads while there is room, writes
 * while there are bytes. *since is reset when the sink takes bytes or has
 * none waiting. Returns true if a byte moved; HS_ERROR from the sink sets
 * *sink_failed. */
static bool pipe_step(hs_req *r, px_pipe *pp, px_io_fn rd, px_io_fn wr, uint64_t *since, bool *sink_failed)
{
    bool moved = false;
    for (;;) {
        bool progress = false;
        if (pp->pos < pp->len) {
            ssize_t w = wr(r, pp);
            if (w == HS_ERROR || w == 0) {
                *sink_failed = true;
                return moved;
            }
            if (w > 0) {
                pp->pos += (size_t)w;
                *since = hs_now.mono_msec;
                progress = true;
            }
        }
        if (pp->pos == pp->len) {
            pp->pos = pp->len = 0;
            *since = hs_now.mono_msec;
        }
        if (!pp->eof && pp->len < pp->cap) {
            ssize_t n = rd(r, pp);
            if (n > 0) {
                pp->len += (size_t)n;
                progress = true;
            } else if (n != HS_AGAIN) {
                pp->eof = true; /* EOF, reset or error: this side is done */
            }
        }
        if (!progress)
            return moved;
        moved = true;
    }
}

/* Arms u->timer for the nearest deadline. */
static void arm(hs_req *r, struct px_tunnel *t)
{
    hs_proxy_state *px = PX(r);
    uint64_t when = t->active + (uint64_t)px->pc->read_timeout;
    t->timer_kind = TUN_IDLE;
    if (t->up.pos < t->up.len && t->up_since + (uint64_t)px->pc->send_timeout < when) {
        when = t->up_since + (uint64_t)px->pc->send_timeout;
        t->timer_kind = TUN_UP_SEND;
    }
    if (t->down.pos < t->down.len && t->client_since + (uint64_t)r->loc->send_timeout < when) {
        when = t->client_since + (uint64_t)r->loc->send_timeout;
        t->timer_kind = TUN_CLIENT_SEND;
    }
    uint64_t now = hs_now.mono_msec;
    hs_timer_set(&px->u->timer, when > now ? when - now : 1);
}

/* Both directions, until nothing moves; ends the tunnel when a side closed
 * and its bytes were passed on, or a sink failed. */
void hs_proxy_tunnel_pump(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    struct px_tunnel *t = px->tun;
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
    for (bool moved = true; moved;) {
        moved = pipe_step(r, &t->down, upstream_read, client_write, &t->client_since, &client_failed);
        moved |= pipe_step(r, &t->up, client_read, upstream_write, &t->up_since, &up_failed);
        if (moved)
            t->active = hs_now.mono_msec;
        if (client_failed || up_failed)
            break;
    }
    if (client_failed || (t->up.eof && t->up.len == 0)) {
        tunnel_end(r, HS_END_TUNNEL_CLIENT_CLOSE);
        return;
    }
    if (up_failed || (t->down.eof && t->down.len == 0)) {
        tunnel_end(r, HS_END_TUNNEL_UPSTREAM_CLOSE);
        return;
    }
    arm(r, t);
}

/* u->timer fired: which deadline it stood for. */
void hs_proxy_tunnel_timeout(hs_req *r)
{
    struct px_tunnel *t = PX(r)->tun;
    if (t->timer_kind == TUN_CLIENT_SEND) {
        hs_log_ctx(HS_LOG_INFO, r, ETIMEDOUT, "client timed out while proxying upgraded connection");
        tunnel_end(r, HS_END_TUNNEL_SEND_TIMEOUT);
        return;
    }
    hs_proxy_log_error(r, ETIMEDOUT, "upstream timed out while proxying upgraded connection");
    tunnel_end(r, t->timer_kind == TUN_UP_SEND ? HS_END_TUNNEL_SEND_TIMEOUT : HS_END_TUNNEL_TIMEOUT);
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
    t->down = (px_pipe){.p = px->in, .cap = px->in_cap, .len = px->in_len};
    t->up = (px_pipe){.p = up, .cap = px->in_cap};
    t->active = t->up_since = t->client_since = hs_now.mono_msec;
    px->tun = t;
    px->state = PX_TUNNEL;
    cur_try(px)->response_us = -1;
    hs_http_client_deadline(r, 0, HS_END_NONE);
    hs_proxy_tunnel_pump(r);
}
