/* The request body over HTTP/1.1: Content-Length or chunked framing, read
 * through the connection buffer. hs_http_body_take is what the core's
 * discarding and handlers that read bodies themselves (the proxy) use; they
 * see decoded bytes and never the framing or the socket. */
#include <stdlib.h>

#include "core/errlog.h"
#include "http/internal.h"

#define BODY_BUF_SIZE 16384

int hs_h1_head_detach(hs_req *r)
{
    hs_conn *c = r->conn;
    /* the head, then the body bytes taken so far: request_length of them */
    const char *old = c->buf + c->buf_pos - r->request_length;
    char *copy = hs_palloc(r->pool, r->h.head_len);
    if (copy == NULL)
        return HS_ERROR;
    memcpy(copy, old, r->h.head_len);
#define REBASE(s)                                                                        \
    do {                                                                                 \
        if ((s).p >= old && (s).p < old + r->h.head_len)                                 \
            (s).p = copy + ((s).p - old);                                                \
    } while (0)
    REBASE(r->h.method);
    REBASE(r->h.request_line);
    REBASE(r->h.target);
    REBASE(r->h.path);
    REBASE(r->h.args);
    REBASE(r->h.abs_host);
    REBASE(r->h.host);
    REBASE(r->args);
    for (size_t i = 0; i < r->h.nheaders; i++) {
        REBASE(r->headers[i].name);
        REBASE(r->headers[i].value);
    }
#undef REBASE
    r->h.head_len = 0; /* nothing of the head is in the buffer any more */
    return HS_OK;
}

void hs_h1_body_init(hs_req *r)
{
    r->body_chunked = r->h.chunked;
    r->body_left = r->h.chunked || r->h.content_length < 0 ? 0 : r->h.content_length;
    r->body_done = !r->h.chunked && r->body_left == 0;
    if (r->body_chunked) {
        r->chunked = hs_palloc(r->pool, sizeof(hs_chunked));
        if (r->chunked)
            hs_chunked_init(r->chunked); /* else out of memory: take reports 500 */
    }
}

/* Body bytes the buffer holds: decoded in place (chunked) or as they are,
 * up to the end of the body. */
static int take_buffered(hs_req *r, const char **data, size_t *n)
{
    hs_conn *c = r->conn;
    size_t avail = c->buf_len - c->buf_pos;
    *data = c->buf + c->buf_pos;
    if (!r->body_chunked) {
        size_t take = (int64_t)avail < r->body_left ? avail : (size_t)r->body_left;
        c->buf_pos += (uint32_t)take;
        r->body_left -= (int64_t)take;
        r->request_length += take;
        *n = take;
        return r->body_left == 0 ? HS_OK : HS_AGAIN;
    }
    hs_chunked *d = r->chunked;
    if (d == NULL)
        return 500;
    size_t len = avail;
    ssize_t left = hs_chunked_decode(d, c->buf + c->buf_pos, &len);
    if (left == HS_ERROR)
        return 400;
    /* the decoded bytes are at buf_pos; what follows the body stays in place */
    size_t used = left >= 0 ? avail - (size_t)left : avail;
    r->request_length += used;
    c->buf_pos += (uint32_t)used;
    *n = len;
    if (r->loc->client_max_body_size && d->total > (uint64_t)r->loc->client_max_body_size)
        return 413;
    return left >= 0 ? HS_OK : HS_AGAIN;
}

/* The buffer is empty: make it ready for body bytes. The first time, the
 * head still lives in it and moves to the request's pool. */
static int buffer_for_body(hs_req *r)
{
    hs_conn *c = r->conn;
    if (r->h.head_len && c->buf && hs_h1_head_detach(r) != HS_OK)
        return HS_ERROR;
    if (c->buf == NULL) {
        c->buf = malloc(BODY_BUF_SIZE);
        if (c->buf == NULL)
            return HS_ERROR;
        c->buf_cap = BODY_BUF_SIZE;
    }
    c->buf_pos = c->buf_len = 0;
    return HS_OK;
}

int hs_http_body_take(hs_req *r, const char **data, size_t *n)
{
    hs_conn *c = r->conn;
    *n = 0;
    if (c->proto)
        return c->proto->body_take(r, data, n);
    if (r->body_done)
        return HS_OK;
    for (;;) {
        if (c->buf && c->buf_pos < c->buf_len) {
            int rc = take_buffered(r, data, n);
            if (rc == HS_OK)
                r->body_done = true;
            if (rc != HS_AGAIN || *n > 0)
                return rc;
        }
        if (buffer_for_body(r) != HS_OK)
            return 500;
        ssize_t got = hs_conn_recv(c);
        if (got == HS_AGAIN)
            return HS_AGAIN;
        if (got <= 0)
            return HS_DECLINED;
    }
}

void hs_http_body_untake(hs_req *r, size_t n)
{
    /* only a Content-Length body's bytes are still where they were read */
    hs_conn *c = r->conn;
    if (c->proto) {
        c->proto->body_untake(r, n);
        return;
    }
    c->buf_pos -= (uint32_t)n;
    r->body_left += (int64_t)n;
    r->request_length -= n;
    r->body_done = false;
}

/* ---- discarding ---- */

static void discard_step(hs_req *r)
{
    for (;;) {
        const char *data;
        size_t n;
        int rc = hs_http_body_take(r, &data, &n);
        if (rc == HS_OK) {
            hs_timer_cancel(&r->timer);
            hs_http_run_content(r);
            return;
        }
        if (rc == HS_AGAIN && n > 0)
            continue;
        if (rc == HS_AGAIN) {
            hs_timer_set(&r->timer, (uint64_t)r->loc->client_body_timeout);
            return;
        }
        if (rc == HS_DECLINED) {
            hs_http_end(r, HS_END_CLIENT_ABORT_BODY, 400);
            return;
        }
        r->body_left = 0;
        r->body_chunked = false;
        hs_h1_bad_request(r, rc, rc == 413 ? "body too large" : rc == 400 ? "invalid chunked body" : NULL);
        return;
    }
}

void hs_h1_discard_body(hs_req *r)
{
    r->state = HS_REQ_BODY;
    discard_step(r);
}

void hs_h1_body_event(hs_req *r) { discard_step(r); }
