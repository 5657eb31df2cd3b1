/* HTTP/1.1 on a connection: reading and parsing request heads into the
 * connection buffer (with nginx's buffer limits), pipelining, keep-alive
 * between requests, and the endings of a connection that never completes a
 * head. The request's life from a complete head on is request.c's. */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "core/errlog.h"
#include "http/internal.h"

/* Header fields a request's array holds at first; it doubles as needed:
 * only large_client_header_buffers bound a head, as in nginx. */
#define FIRST_HEADERS 64

static hs_srv_conf *default_srv(hs_conn *c) { return hs_conn_default_srv(c); }

/* ---- the input buffer ---- */

static int buf_ensure(hs_conn *c)
{
    if (c->buf)
        return HS_OK;
    uint32_t cap = (uint32_t)default_srv(c)->client_header_buffer_size;
    c->buf = malloc(cap);
    if (c->buf == NULL)
        return HS_ERROR;
    c->buf_cap = cap;
    c->buf_pos = c->buf_len = 0;
    return HS_OK;
}

/* Makes room for more head bytes: moves the unparsed part to the front, then
 * grows up to large_client_header_buffers. HS_DECLINED when at the limit. */
static int buf_grow_for_head(hs_conn *c)
{
    if (c->buf_pos > 0) {
        memmove(c->buf, c->buf + c->buf_pos, c->buf_len - c->buf_pos);
        c->buf_len -= c->buf_pos;
        c->buf_pos = 0;
        if (c->buf_len < c->buf_cap)
            return HS_OK;
    }
    hs_srv_conf *s = default_srv(c);
    uint64_t limit = (uint64_t)(s->large_header_buffers_num * s->large_header_buffers_size);
    if (c->buf_cap >= limit)
        return HS_DECLINED;
    uint64_t cap = c->buf_cap < (uint64_t)s->large_header_buffers_size ? (uint64_t)s->large_header_buffers_size
                                                                     : (uint64_t)c->buf_cap * 2;
    if (cap > limit)
        cap = limit;
    char *nb = realloc(c->buf, cap);
    if (nb == NULL)
        return HS_ERROR;
    c->buf = nb;
    c->buf_cap = (uint32_t)cap;
    return HS_OK;
}

/* ---- malformed requests ---- */

void hs_h1_bad_request(hs_req *r, int status, const char *why)
{
    hs_conn *c = r->conn;
    if (why)
        hs_log_ctx(HS_LOG_INFO, r, 0, "client sent invalid request: %s while reading client request %s",
                   why, r->h.request_line_done ? "headers" : "line");
    r->ending = HS_END_BAD_REQUEST;
    r->resp.status = status;
    if (r->srv == NULL) {
        r->srv = default_srv(c);
        r->loc = r->srv->loc;
    }
    r->h.keep_alive = false;
    r->body_done = true; /* never read: the connection closes (lingering) after the answer */
    c->must_linger = true;
    hs_timer_cancel(&c->timer);
    hs_http_finalize_rule(r, status, NULL); /* the server's error_page applies, as nginx */
}

static void head_too_large(hs_req *r)
{
    if (!r->h.request_line_done) {
        hs_h1_bad_request(r, 414, "request line too long");
        return;
    }
    hs_h1_bad_request(r, 431, "request header too large");
}

static bool line_too_long(hs_req *r, size_t parsed_len)
{
    hs_srv_conf *s = default_srv(r->conn);
    return parsed_len - r->h.line_start >= (size_t)s->large_header_buffers_size;
}

/* large_client_header_buffers: no single line may be longer than one
 * buffer, even when the whole head fit (414 for the request line, 431 for a
 * header line). */
static bool head_line_too_long(hs_req *r)
{
    size_t limit = (size_t)default_srv(r->conn)->large_header_buffers_size;
    if (r->h.request_line.n + 2 > limit) {
        hs_h1_bad_request(r, 414, "request line too long");
        return true;
    }
    for (size_t i = 0; i < r->h.nheaders; i++) {
        const hs_header *h = &r->headers[i];
        if ((size_t)(h->value.p + h->value.n - h->name.p) + 2 > limit) {
            hs_h1_bad_request(r, 431, "request header line too long");
            return true;
        }
    }
    return false;
}

/* The first line of a request that failed to parse, as nginx logs it in
 * $request (a TLS handshake on a plain port shows up as "\x16\x03..."). */
static hs_str first_line(const char *p, size_t n)
{
    while (n && (*p == '\r' || *p == '\n')) {
        p++;
        n--;
    }
    size_t i = 0;
    while (i < n && i < 2048 && p[i] != '\r' && p[i] != '\n')
        i++;
    return (hs_str){p, i};
}

/* ---- reading heads ---- */

/* Parses what the buffer holds. HS_OK: a request was handled (or is in
 * flight); HS_AGAIN: need more bytes; HS_DECLINED: the request ended the
 * connection or made it wait. */
static int parse_head(hs_conn *c, hs_req *r, size_t avail)
{
    for (;;) {
        int rc = hs_http_parse_request(c->buf + c->buf_pos, avail, &r->h, r->headers, r->headers_cap);
        if (rc != HS_ERROR || !r->h.headers_full)
            return rc;
        hs_header *more = hs_palloc(r->pool, 2 * (size_t)r->headers_cap * sizeof(hs_header));
        if (more == NULL)
            return rc;
        r->headers = more;
        r->headers_cap *= 2;
    }
}

static int parse_step(hs_conn *c)
{
    hs_req *r = c->req;
    size_t avail = c->buf_len - c->buf_pos;
    int rc = parse_head(c, r, avail);
    if (rc == HS_AGAIN) {
        if (line_too_long(r, avail)) {
            head_too_large(r);
            return HS_DECLINED;
        }
        return HS_AGAIN;
    }
    if (rc == HS_ERROR) {
        if (!r->h.request_line_done)
            r->raw_line = first_line(c->buf + c->buf_pos, avail);
        c->buf_pos = c->buf_len;
        hs_h1_bad_request(r, r->h.error_status ? r->h.error_status : 400, r->h.error_reason);
        return HS_DECLINED;
    }
    if (head_line_too_long(r)) {
        c->buf_pos = c->buf_len;
        return HS_DECLINED;
    }
    c->buf_pos += (uint32_t)r->h.head_len;
    c->state = HS_CONN_REQUEST;
    hs_timer_cancel(&c->timer);
    if (c->plain_on_tls) { /* nginx's 497: answered with 400 and a page that says why */
        c->buf_pos = c->buf_len;
        r->error_reason = "The plain HTTP request was sent to HTTPS port";
        hs_h1_bad_request(r, 400, "plain HTTP request sent to HTTPS port");
        return HS_DECLINED;
    }
    hs_http_process_request(r);
    return HS_OK;
}

static int start_request(hs_conn *c)
{
    hs_req *r = hs_req_new(c);
    if (r == NULL)
        return HS_ERROR;
    r->headers = hs_palloc(r->pool, FIRST_HEADERS * sizeof(hs_header));
    r->headers_cap = FIRST_HEADERS;
    if (r->headers == NULL) {
        hs_req_free(r);
        return HS_ERROR;
    }
    c->req = r;
    hs_conn_idle(c, false);
    c->requests++;
    r->pipelined = c->next_pipelined;
    c->next_pipelined = false;
    if (c->state == HS_CONN_KEEPALIVE)
        hs_timer_set(&c->timer, (uint64_t)default_srv(c)->client_header_timeout);
    c->state = HS_CONN_READ_HEAD;
    return HS_OK;
}

/* A request without its server (its head never completed) is logged under
 * the address's default server. */
static void default_server(hs_req *r)
{
    if (r->srv == NULL) {
        r->srv = default_srv(r->conn);
        r->loc = r->srv->loc;
    }
}

/* EOF or error while waiting for (the rest of) a head. */
static void head_eof(hs_conn *c)
{
    if (c->req == NULL) {
        hs_conn_ended(c, c->state == HS_CONN_NEW ? HS_END_NO_REQUEST : HS_END_KEEPALIVE_CLOSE);
        return;
    }
    /* a partial head and the client left: nginx logs this as 400 */
    default_server(c->req);
    hs_http_end(c->req, HS_END_BAD_REQUEST, 400);
}

static bool reading_heads(hs_conn *c)
{
    return c->state == HS_CONN_NEW || c->state == HS_CONN_KEEPALIVE || c->state == HS_CONN_READ_HEAD;
}

/* One more head byte is needed: make room for it, or end the request.
 * HS_OK: read on; HS_DONE: the request ended, go on with the loop;
 * HS_ERROR: the connection was closed. */
static int room_for_head(hs_conn *c)
{
    if (c->buf_len < c->buf_cap)
        return HS_OK;
    int g = buf_grow_for_head(c);
    if (g == HS_DECLINED) {
        head_too_large(c->req);
        return HS_DONE;
    }
    if (g != HS_OK) {
        hs_conn_close(c);
        return HS_ERROR;
    }
    return HS_OK;
}

static void read_heads(hs_conn *c)
{
    while (reading_heads(c)) {
        if (c->req == NULL && c->buf && c->buf_pos == c->buf_len)
            c->buf_pos = c->buf_len = 0;
        if (buf_ensure(c) != HS_OK) {
            hs_conn_close(c);
            return;
        }
        if (c->buf_pos < c->buf_len) {
            if (c->req == NULL && start_request(c) != HS_OK) {
                hs_conn_close(c);
                return;
            }
            int rc = parse_step(c);
            if (rc == HS_OK || rc == HS_DECLINED)
                continue; /* handled: maybe the next pipelined request */
        }
        int room = room_for_head(c);
        if (room == HS_DONE)
            continue;
        if (room == HS_ERROR)
            return;
        if (!c->readable && !c->peer_closed) {
            if (c->req == NULL && c->buf_pos >= c->buf_len)
                hs_conn_buf_release(c); /* idle: hold no buffer */
            return;
        }
        ssize_t n = hs_conn_recv(c);
        if (n == HS_AGAIN) {
            if (c->req == NULL && c->buf_len == 0)
                hs_conn_buf_release(c);
            return;
        }
        if (n <= 0) {
            head_eof(c);
            return;
        }
    }
}

void hs_h1_on_readable(hs_conn *c)
{
    if (reading_heads(c))
        read_heads(c);
}

/* ---- between requests ---- */

void hs_h1_request_done(hs_conn *c, bool keepalive, int64_t keepalive_msec, bool nodelay)
{
    c->req = NULL;
    c->next_pipelined = c->buf_pos < c->buf_len;
    if (!keepalive || c->closing) {
        hs_conn_linger_close(c);
        return;
    }
    c->state = HS_CONN_KEEPALIVE;
    if (nodelay && !c->nodelay_set) {
        /* as nginx: small responses on a kept-alive connection must not wait for Nagle */
        int one = 1;
        setsockopt(c->io.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        c->nodelay_set = true;
    }
    if (c->buf_pos >= c->buf_len) {
        hs_conn_buf_release(c);
        hs_conn_idle(c, true); /* nothing pipelined: it only waits */
    }
    hs_timer_set(&c->timer, (uint64_t)keepalive_msec);
}

void hs_h1_on_timeout(hs_conn *c)
{
    hs_req *r = c->req;
    switch (c->state) {
    case HS_CONN_NEW:
        if (r == NULL) {
            hs_conn_ended(c, HS_END_NO_REQUEST);
            return;
        }
        __attribute__((fallthrough)); /* bytes arrived but not a whole head */
    case HS_CONN_READ_HEAD:
        if (r == NULL) {
            hs_conn_ended(c, HS_END_KEEPALIVE_CLOSE);
            return;
        }
        default_server(r);
        hs_http_end(r, HS_END_HEADER_TIMEOUT, 408);
        return;
    case HS_CONN_KEEPALIVE:
        hs_conn_ended(c, HS_END_KEEPALIVE_CLOSE);
        return;
    default:
        return;
    }
}

/* "100 Continue" for a client that waits before sending its body. It is
 * tiny and goes out on an idle socket; if it cannot be sent now the client
 * sends its body after its own timeout anyway. */
void hs_http_send_continue(hs_req *r)
{
    static const char line[] = "HTTP/1.1 100 Continue\r\n\r\n";
    hs_conn *c = r->conn;
    if (!r->h.expect_continue || r->h.version < 11 || c->buf_pos < c->buf_len)
        return; /* not asked for, HTTP/1.0, or the body is already coming */
    struct iovec iov = {(void *)line, sizeof(line) - 1};
    ssize_t n = hs_io_writev(&c->io, &iov, 1);
    if (n > 0)
        c->bytes_out += (uint64_t)n;
}
