/* The client's request body on its way to the upstream. Small and chunked
 * bodies are buffered whole before connecting, so that a retry can send
 * them again; large Content-Length bodies stream to the upstream after the
 * head, as they arrive. The core hands us decoded bytes (hs_http_body_take):
 * no framing, no client socket. */
#include "proxy/proxy_internal.h"

static int body_append(hs_proxy_state *px, hs_pool *pool, const char *data, size_t n)
{
    if (px->body_len + n > px->body_cap) {
        size_t cap = px->body_cap ? px->body_cap * 2 : 16384;
        while (cap < px->body_len + n)
            cap *= 2;
        char *nb = hs_palloc(pool, cap);
        if (nb == NULL)
            return HS_ERROR;
        if (px->body_len)
            memcpy(nb, px->body, px->body_len);
        px->body = nb;
        px->body_cap = cap;
    }
    memcpy(px->body + px->body_len, data, n);
    px->body_len += n;
    return HS_OK;
}

void hs_proxy_body_failed(hs_req *r, int status)
{
    hs_conn *c = r->conn;
    hs_proxy_end(r);
    if (status == 0) {
        /* the client left in the middle of its body */
        hs_http_end(r, HS_END_CLIENT_ABORT_BODY, 400);
        return;
    }
    r->h.keep_alive = false;
    c->must_linger = true;
    r->ending = HS_END_BAD_REQUEST;
    hs_http_finalize(r, status);
}

/* What a failed hs_http_body_take means here: 0 when the client left,
 * else the status to answer (413, or 400 for anything malformed). */
static int body_error(int rc)
{
    if (rc == HS_DECLINED)
        return 0;
    return rc == 413 ? 413 : 400;
}

/* ---- buffered bodies ---- */

/* Moves what has arrived of the body into px->body. HS_OK: the body is
 * complete; HS_AGAIN: wait for the client; else a failure (body_error). */
static int take_body(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    for (;;) {
        const char *data;
        size_t n;
        int rc = hs_http_body_take(r, &data, &n);
        if (n && body_append(px, r->pool, data, n) != HS_OK)
            return HS_ERROR;
        /* client_max_body_size 0 ("no limit") still bounds what we hold */
        if (r->loc->client_max_body_size == 0 && (int64_t)px->body_len > CHUNKED_BODY_MAX)
            return 413;
        if (rc != HS_AGAIN || n == 0)
            return rc;
    }
}

void hs_proxy_read_body(hs_req *r)
{
    int rc = take_body(r);
    if (rc == HS_OK) {
        hs_http_client_deadline(r, 0, HS_END_NONE);
        PX(r)->body_buffered = true;
        hs_proxy_connect(r);
        return;
    }
    if (rc == HS_AGAIN) {
        hs_http_client_deadline(r, r->loc->client_body_timeout, HS_END_BODY_TIMEOUT);
        return;
    }
    hs_proxy_body_failed(r, body_error(rc));
}

/* ---- streamed bodies ---- */

/* Sends body bytes to the upstream; what it does not take now goes back to
 * the core and comes again on the next take. HS_OK: all sent; HS_AGAIN:
 * wait for the upstream; HS_ERROR: the try failed (and was dealt with). */
static int stream_out(hs_req *r, const char *data, size_t n)
{
    hs_proxy_state *px = PX(r);
    size_t done = 0;
    while (done < n) {
        ssize_t w = hs_up_send(px->u, data + done, n - done);
        if (w == HS_AGAIN) {
            hs_http_body_untake(r, n - done);
            hs_timer_set(&px->u->timer, (uint64_t)px->pc->send_timeout);
            return HS_AGAIN;
        }
        if (w <= 0) {
            hs_proxy_fail(r, 502, false, "send() to upstream failed");
            return HS_ERROR;
        }
        done += (size_t)w;
    }
    return HS_OK;
}

void hs_proxy_send_stream(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    for (;;) {
        const char *data;
        size_t n;
        int rc = hs_http_body_take(r, &data, &n);
        if (n > 0 && stream_out(r, data, n) != HS_OK)
            return;
        if (rc == HS_OK)
            break;
        if (rc == HS_AGAIN && n > 0)
            continue;
        if (rc == HS_AGAIN) {
            hs_http_client_deadline(r, r->loc->client_body_timeout, HS_END_BODY_TIMEOUT);
            return;
        }
        hs_proxy_release_upstream(px, false);
        hs_proxy_body_failed(r, body_error(rc));
        return;
    }
    hs_http_client_deadline(r, 0, HS_END_NONE);
    /* the answer cannot be there yet: wait for its EPOLLIN instead of a read that fails */
    px->state = PX_READ_HEAD;
    hs_timer_set(&px->u->timer, (uint64_t)px->pc->read_timeout);
}
