/* An HTTP/2 connection: taken from HTTP/1.1 at its start (ALPN h2, or h2c's
 * preface on a plain address), its libnghttp2 session, reading frames in
 * and writing frames out through the transport (never more than one
 * batch of frames buffered), its idle deadline, and its ending: idle close,
 * the client's close, a protocol error (named), or a graceful stop. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "core/errlog.h"
#include "h2/h2_internal.h"
#include "stats/counters.h"

#define PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define PREFACE_LEN 24
#define OUT_BATCH 16384 /* frames gathered before one write */
/* Over TLS the client's bytes are decrypted in pieces this large: each
 * piece goes through the session before the next is decrypted, so a flood
 * dropped in one piece leaves the rest of what it sent undecrypted
 * (http2_recv_buffer_size is the most read at once on h2c). */
#define TLS_PIECE 4096

static h2_conn *dirty; /* connections with work for h2_run */
static char *recv_buf;  /* the worker's read buffer (http2_recv_buffer_size) */
static size_t recv_cap;
static nghttp2_session_callbacks *callbacks;
static nghttp2_option *options;

static h2_conn *hc_of(hs_conn *c) { return c->proto_state; }

/* ---- the connection's end ---- */

static void conn_close(h2_conn *hc, hs_ending why)
{
    hs_conn *c = hc->c;
    if (hc->ending)
        return;
    hc->ending = true;
    hs_conn_ended(c, why); /* retire (below) ends the streams' requests first */
}

/* Each request still in flight ends: the client left (or the stop came). */
static void retire(hs_conn *c)
{
    h2_conn *hc = hc_of(c);
    uint8_t ending = c->ending; /* the connection's, which each stream's log line overwrites */
    const char *rule = c->drop_rule;
    hc->ending = true;
    for (h2_stream *s = hc->streams, *next; s; s = next) {
        next = s->next;
        hs_req *r = s->r;
        if (r && r->srv == NULL) /* its head never completed */
            h2_conn_server(r, hc);
        h2_stream_head_for_log(s); /* a head that came in the read the connection ended in: its $request */
        if (r && ending == HS_END_DROP && !s->reset) { /* an abuse rule: its streams are dropped with it */
            if (r->owner && r->owner->on_abandon)
                r->owner->on_abandon(r);
            r->drop_rule = rule;
            hs_http_end_request(r, HS_END_DROP, 444);
        } else if (r) {
            bool stop = ending == HS_END_SHUTDOWN || (c->closing && !c->peer_closed); /* the worker stops */
            hs_ending why = stop ? HS_END_SHUTDOWN : r->resp.started ? HS_END_CLIENT_ABORT_BODY : HS_END_CLIENT_ABORT;
            hs_http_request_abandon(r, why); /* logs it; h2_end is not called */
        }
        s->r = NULL;
        h2_stream_free(s);
    }
    c->ending = ending;
    c->drop_rule = rule;
    hc->streams = hc->last = NULL;
    if (hc->listed) { /* off the dirty list */
        for (h2_conn **p = &dirty; *p; p = &(*p)->next_dirty)
            if (*p == hc) {
                *p = hc->next_dirty;
                break;
            }
    }
    nghttp2_session_del(hc->s);
    free(hc->out);
    hs_loop_free_later(hc); /* the connection log (closed hooks, next) still reads it */
}

void h2_fail(h2_conn *hc, uint32_t code, const char *why)
{
    if (hc->ending)
        return;
    if (why && hc->error == NULL)
        hc->error = why;
    hs_log(HS_LOG_INFO, "*%llu client sent invalid HTTP/2 data: %s while processing HTTP/2 connection, client: %s, server: %s",
           (unsigned long long)hc->c->number, why ? why : nghttp2_http2_strerror(code), hs_conn_peer_text(hc->c),
           hc->c->group->listen->text);
    nghttp2_session_terminate_session(hc->s, code);
    h2_mark(hc);
}

/* ---- output ---- */

static int out_add(h2_conn *hc, const uint8_t *data, size_t n)
{
    if (hc->out_len + n > hc->out_cap) {
        size_t cap = hc->out_cap ? hc->out_cap : OUT_BATCH + 1024;
        while (cap < hc->out_len + n)
            cap *= 2;
        char *p = realloc(hc->out, cap);
        if (p == NULL)
            return HS_ERROR;
        hc->out = p;
        hc->out_cap = cap;
    }
    memcpy(hc->out + hc->out_len, data, n);
    hc->out_len += n;
    return HS_OK;
}

/* Writes what is buffered: HS_OK (all), HS_AGAIN, HS_ERROR. */
static int out_write(h2_conn *hc)
{
    hs_conn *c = hc->c;
    while (hc->out_sent < hc->out_len) {
        struct iovec iov = {hc->out + hc->out_sent, hc->out_len - hc->out_sent};
        ssize_t w = hs_io_writev(&c->io, &iov, 1);
        if (w == HS_AGAIN) {
            hc->want_write = true;
            return HS_AGAIN;
        }
        if (w <= 0)
            return HS_ERROR;
        c->bytes_out += (uint64_t)w;
        hc->out_sent += (size_t)w;
    }
    hc->out_len = hc->out_sent = 0;
    return HS_OK;
}

/* Frames out until libnghttp2 has none or the transport is full. */
static int send_frames(h2_conn *hc)
{
    for (;;) {
        if (hc->want_write)
            return HS_AGAIN;
        int rc = out_write(hc);
        if (rc != HS_OK)
            return rc;
        while (hc->out_len < OUT_BATCH) {
            const uint8_t *data;
            ssize_t n = nghttp2_session_mem_send(hc->s, &data);
            if (n < 0)
                return HS_ERROR;
            if (n == 0)
                break;
            if (out_add(hc, data, (size_t)n) != HS_OK)
                return HS_ERROR;
        }
        if (hc->out_len == 0)
            return HS_OK;
    }
}

/* ---- input ---- */

/* The client's bytes into the session. HS_OK, or HS_DONE when the
 * connection ended. */
static int read_frames(h2_conn *hc)
{
    hs_conn *c = hc->c;
    size_t piece = c->io.t->secure && recv_cap > TLS_PIECE ? TLS_PIECE : recv_cap;
    while (!hc->ending) {
        ssize_t n = hs_io_recv(&c->io, recv_buf, piece);
        if (n == HS_AGAIN)
            return HS_OK;
        if (n <= 0) {
            c->peer_closed = true;
            conn_close(hc, c->requests ? HS_END_KEEPALIVE_CLOSE : HS_END_NO_REQUEST);
            return HS_DONE;
        }
        c->bytes_in += (uint64_t)n;
        ssize_t rv = nghttp2_session_mem_recv(hc->s, (const uint8_t *)recv_buf, (size_t)n);
        if (hc->drop || hc->ban) { /* an abuse rule or a ban, from a callback: dropped now */
            hc->drop ? h2_drop(hc, hc->drop - 1) : h2_ban_drop(hc);
            return HS_DONE;
        }
        if (hc->ending)
            return HS_DONE;
        if (rv == NGHTTP2_ERR_FLOODED || rv == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS || rv == NGHTTP2_ERR_HEADER_COMP) {
            /* the library's own flood checks, and a header block that does not decode */
            h2_drop(hc, rv == NGHTTP2_ERR_FLOODED ? H2_PING : rv == NGHTTP2_ERR_HEADER_COMP ? H2_HPACK : H2_CONTINUATION);
            return HS_DONE;
        }
        if (rv < 0) {
            hc->error = nghttp2_strerror((int)rv);
            h2_fail(hc, NGHTTP2_PROTOCOL_ERROR, hc->error);
            return HS_OK;
        }
        if ((size_t)n < piece && !(c->io.t->pending && c->io.t->pending(&c->io)))
            return HS_OK; /* drained: the next edge tells */
    }
    return HS_DONE;
}

/* ---- running ---- */

void h2_mark(h2_conn *hc)
{
    hc->dirty = true;
    if (hc->listed || hc->running)
        return; /* a running h2_run sees dirty and goes another round */
    hc->listed = true;
    hc->next_dirty = dirty;
    dirty = hc;
}

/* Delivers the streams' pending events to their requests. */
static bool deliver(h2_conn *hc)
{
    bool any = false;
    for (h2_stream *s = hc->streams, *next; s && !hc->ending && !hc->ban; s = next) {
        next = s->next; /* streams are freed only by sweep and retire (hc->ending) */
        if (s->ev == 0)
            continue;
        any = true;
        uint32_t ev = s->ev;
        s->ev = 0;
        h2_stream_event(s, ev);
    }
    return any;
}

/* Streams whose request ended and that libnghttp2 closed are freed. */
static void sweep(h2_conn *hc)
{
    for (h2_stream *s = hc->streams, *next; s; s = next) {
        next = s->next;
        if (s->r == NULL && s->closed)
            h2_stream_free(s);
    }
}

/* Idle, closing or done: the connection's state and deadline. */
static void settle(h2_conn *hc)
{
    hs_conn *c = hc->c;
    if (!nghttp2_session_want_read(hc->s) && !nghttp2_session_want_write(hc->s) && hc->out_len == 0) {
        bool err = hc->error != NULL;
        conn_close(hc, err ? HS_END_PROTOCOL_ERROR : c->requests ? HS_END_KEEPALIVE_CLOSE : HS_END_NO_REQUEST);
        return;
    }
    hs_conn_idle(c, hc->nstreams == 0); /* no stream open: closable at the connection limit (reap) */
    if (hc->nstreams > 0) { /* the streams' requests have their own deadlines; */
        c->state = HS_CONN_REQUEST;
        bool heads = false;
        for (h2_stream *s = hc->streams; s && !heads; s = s->next)
            heads = s->r && !s->head_done;
        if (!heads) /* but a header block begun must end within http2_recv_timeout */
            hs_timer_cancel(&c->timer);
        else if (!hs_timer_armed(&c->timer))
            hs_timer_set(&c->timer, (uint64_t)hc->conf->recv_timeout);
        return;
    }
    bool last = (int64_t)c->requests >= hc->requests_max; /* http2_max_requests, keepalive_requests */
    if ((c->closing || last) && !hc->goaway_sent) { /* graceful stop, or the last request: no new streams */
        hc->goaway_sent = true;
        nghttp2_session_terminate_session(hc->s, NGHTTP2_NO_ERROR);
        h2_mark(hc);
    }
    if (c->state != HS_CONN_KEEPALIVE || !hs_timer_armed(&c->timer)) {
        c->state = HS_CONN_KEEPALIVE;
        hs_timer_set(&c->timer, (uint64_t)hc->idle_msec);
    }
}

void h2_run(h2_conn *hc)
{
    if (hc->ban && !hc->ending && !hc->running)
        h2_ban_drop(hc);
    if (hc->running || hc->ending)
        return;
    hc->running = true;
    for (int round = 0; round < 64 && !hc->ending; round++) {
        hc->dirty = false;
        bool any = deliver(hc);
        if (hc->ban && !hc->ending) { /* a stream's request was banned: the whole connection goes */
            hc->running = false;
            h2_ban_drop(hc);
            return;
        }
        if (hc->ending)
            break;
        int rc = send_frames(hc);
        if (rc == HS_ERROR) {
            hc->running = false;
            conn_close(hc, hc->c->requests ? HS_END_KEEPALIVE_CLOSE : HS_END_NO_REQUEST);
            return;
        }
        sweep(hc);
        if (!any && !hc->dirty)
            break;
    }
    hc->running = false;
    if (hc->dirty && !hc->ending)
        h2_mark(hc); /* rounds ran out: the post hook goes on */
    if (!hc->ending)
        settle(hc);
}

/* The loop's post hook: connections that other modules' calls touched. */
static void run_dirty(void)
{
    while (dirty) {
        h2_conn *hc = dirty;
        dirty = hc->next_dirty;
        hc->listed = false;
        if (hc->dirty)
            h2_run(hc);
    }
}

/* ---- the protocol's connection operations ---- */

static void on_event(hs_conn *c, uint32_t events)
{
    h2_conn *hc = hc_of(c);
    if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
        hc->want_write = false;
    if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) && read_frames(hc) == HS_DONE)
        return;
    h2_run(hc);
}

static void on_timeout(hs_conn *c)
{
    h2_conn *hc = hc_of(c);
    if (hc->nstreams == 0) {
        conn_close(hc, c->requests ? HS_END_KEEPALIVE_CLOSE : HS_END_NO_REQUEST);
        return;
    }
    for (h2_stream *s = hc->streams; s; s = s->next) /* http2_recv_timeout: heads never completed */
        if (s->r && !s->head_done) {
            h2_conn_server(s->r, hc);
            hs_http_end(s->r, HS_END_HEADER_TIMEOUT, 408);
        }
    h2_run(hc);
}

/* At the worker's connection limit, an idle connection (no stream open)
 * makes room as an HTTP/1.1 keep-alive does, as nginx's: a GOAWAY
 * (NO_ERROR) tells the client to open another, then it closes. */
static void reap(hs_conn *c)
{
    h2_conn *hc = hc_of(c);
    if (!hc->goaway_sent && !hc->running) {
        hc->goaway_sent = true;
        nghttp2_session_terminate_session(hc->s, NGHTTP2_NO_ERROR);
        send_frames(hc);
    }
    conn_close(hc, c->requests ? HS_END_KEEPALIVE_CLOSE : HS_END_NO_REQUEST);
}

static int session_open(h2_conn *hc)
{
    const h2_conf *cf = hc->conf;
    hs_srv_conf *srv = hc->srv;
    int64_t list = cf->max_header_size > 0 ? cf->max_header_size
                                           : srv->large_header_buffers_num * srv->large_header_buffers_size;
    if (nghttp2_session_server_new2(&hc->s, callbacks, hc, options) != 0)
        return HS_ERROR;
    nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, (uint32_t)cf->max_concurrent_streams},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, (uint32_t)cf->body_preread_size},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, (uint32_t)list},
    };
    if (nghttp2_submit_settings(hc->s, NGHTTP2_FLAG_NONE, iv, sizeof(iv) / sizeof(iv[0])) != 0)
        return HS_ERROR;
    /* the connection's window is wide: each stream's own window bounds its body */
    return nghttp2_session_set_local_window_size(hc->s, NGHTTP2_FLAG_NONE, 0, (1 << 30)) == 0 ? HS_OK : HS_ERROR;
}

static bool conn_open(hs_conn *c, bool h2c)
{
    h2_conn *hc = calloc(1, sizeof(*hc));
    if (hc == NULL)
        return false;
    hc->c = c;
    hc->h2c = h2c;
    hs_str sni = c->io.t->server_name ? c->io.t->server_name(&c->io) : HS_NULL_STR;
    hc->srv = sni.n ? hs_http_find_server(c->group, sni, NULL) : c->group->default_srv;
    hc->conf = h2_conf_of(hc->srv->loc);
    hs_loc_conf *lc = hc->srv->loc;
    hc->idle_msec = hc->conf->idle_timeout > 0 ? hc->conf->idle_timeout : lc->keepalive_timeout;
    hc->requests_max = hc->conf->max_requests > 0 ? hc->conf->max_requests : lc->keepalive_requests;
    if (recv_cap < (size_t)hc->conf->recv_buffer_size) {
        free(recv_buf);
        recv_cap = (size_t)hc->conf->recv_buffer_size;
        recv_buf = malloc(recv_cap);
    }
    if (recv_buf == NULL || session_open(hc) != HS_OK) {
        recv_cap = recv_buf ? recv_cap : 0;
        nghttp2_session_del(hc->s);
        free(hc);
        return false;
    }
    if (lc->tcp_nodelay && !c->nodelay_set) {
        /* as nginx: a stream's small frames go out at once, not after the
         * client's delayed ACK (Nagle held every proxied response ~40 ms) */
        int one = 1;
        setsockopt(c->io.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        c->nodelay_set = true;
    }
    c->proto = &hs_h2_proto;
    c->proto_state = hc;
    hs_stats_h2(HS_H2_CONNECTIONS);
    c->state = HS_CONN_KEEPALIVE;
    hs_timer_set(&c->timer, (uint64_t)hc->idle_msec);
    on_event(c, EPOLLIN);
    return true;
}

/* A new connection of an address where HTTP/2 is spoken: h2 when ALPN
 * chose it (the SNI's server decided, h2_serves); on a plain address whose
 * default server speaks it, h2c when the first bytes are its preface. */
static bool start(hs_conn *c)
{
    if (c->io.t->alpn) {
        hs_str a = c->io.t->alpn(&c->io);
        return a.n == 2 && memcmp(a.p, "h2", 2) == 0 && conn_open(c, false);
    }
    if (c->group->ssl) /* plain HTTP sent to a TLS port: HTTP/1.1 answers it */
        return false;
    if (!h2_serves(c->group, c->group->default_srv))
        return false;
    char buf[PREFACE_LEN];
    ssize_t n = recv(c->io.fd, buf, sizeof(buf), MSG_PEEK);
    if (n <= 0 || memcmp(buf, PREFACE, (size_t)n) != 0)
        return false;
    if (n < PREFACE_LEN)
        return true; /* a part of the preface: wait for the rest */
    return conn_open(c, true);
}

void h2_post_init(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    hs_loop_on_post(run_dirty);
    nghttp2_session_callbacks_new(&callbacks);
    h2_callbacks_request(callbacks);
    h2_callbacks_response(callbacks);
    h2_callbacks_abuse(callbacks);
    nghttp2_option_new(&options);
    /* a stream's window reopens only as its body is taken: memory bounded */
    nghttp2_option_set_no_auto_window_update(options, 1);
    /* priorities are not acted on: no closed stream is kept for the tree */
    nghttp2_option_set_no_closed_streams(options, 1);
    /* http2_flood_limit continuation decides, not the library's own limit */
    nghttp2_option_set_max_continuations(options, 1u << 30);
}

const hs_proto hs_h2_proto = {
    .name = "h2",
    .start = start,
    .serves = h2_serves,
    .on_event = on_event,
    .on_timeout = on_timeout,
    .retire = retire,
    .head = h2_head,
    .write = h2_write,
    .flush = h2_flush,
    .body_take = h2_body_take,
    .body_untake = h2_body_untake,
    .ignore = h2_ignore,
    .done = h2_done,
    .end = h2_end,
    .reap = reap,
};
