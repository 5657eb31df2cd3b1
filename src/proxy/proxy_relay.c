/* The response body: read from the upstream per its framing, written to the
 * client (chunk-encoded when its length is unknown) with bounded memory —
 * a slow client stops the reading of the upstream — and the endings of a
 * relay: complete, upstream broken, client gone. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/uio.h>

#include "proxy/proxy_internal.h"
#include "stats/counters.h"

/* ---- bytes for the client ---- */

static int cout_reserve(hs_proxy_state *px, size_t n)
{
    if (px->cout_len + n <= px->cout_cap)
        return HS_OK;
    size_t cap = px->cout_cap ? px->cout_cap : 16384;
    while (cap < px->cout_len + n)
        cap *= 2;
    char *nb = realloc(px->cout, cap);
    if (nb == NULL)
        return HS_ERROR;
    px->cout = nb;
    px->cout_cap = cap;
    return HS_OK;
}

int hs_proxy_cout_add(hs_proxy_state *px, const char *data, size_t n)
{
    if (px->client_gone || n == 0)
        return HS_OK;
    if (cout_reserve(px, n) != HS_OK)
        return HS_ERROR;
    memcpy(px->cout + px->cout_len, data, n);
    px->cout_len += n;
    return HS_OK;
}

/* Body bytes for the client, chunk-framed when we chunk. */
static int cout_body(hs_proxy_state *px, const char *data, size_t n)
{
    if (n == 0 || px->client_gone)
        return HS_OK;
    if (!px->client_chunked)
        return hs_proxy_cout_add(px, data, n);
    char size[24];
    int k = snprintf(size, sizeof(size), "%zx\r\n", n);
    if (hs_proxy_cout_add(px, size, (size_t)k) != HS_OK || hs_proxy_cout_add(px, data, n) != HS_OK)
        return HS_ERROR;
    return hs_proxy_cout_add(px, "\r\n", 2);
}

int hs_proxy_flush_client(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    while (px->cout_sent < px->cout_len) {
        struct iovec iov = {px->cout + px->cout_sent, px->cout_len - px->cout_sent};
        bool first = !r->resp.started;
        ssize_t n = hs_http_output(r, &iov, 1);
        if (n == HS_AGAIN)
            return HS_AGAIN;
        if (n <= 0)
            return HS_ERROR;
        if (first)
            r->resp.head_sent = r->resp.head_len;
        px->cout_sent += (size_t)n;
        r->resp.sent += (uint64_t)n;
    }
    px->cout_len = px->cout_sent = 0;
    return HS_OK;
}

/* ---- the upstream's body ---- */

int hs_proxy_consume_in(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    int rc = HS_AGAIN;
    if (px->resp_none) {
        px->upstream_clean = px->in_len == 0;
        rc = HS_OK;
    } else if (px->resp_chunked) {
        size_t n = px->in_len;
        ssize_t left = hs_chunked_decode(&px->dec, px->in, &n);
        if (left == HS_ERROR)
            return HS_ERROR;
        if (cout_body(px, px->in, n) != HS_OK)
            return HS_ERROR;
        if (left >= 0) {
            px->upstream_clean = left == 0;
            rc = HS_OK;
        }
    } else if (px->resp_until_close) {
        if (cout_body(px, px->in, px->in_len) != HS_OK)
            return HS_ERROR;
    } else {
        size_t take = (int64_t)px->in_len < px->resp_left ? px->in_len : (size_t)px->resp_left;
        if (cout_body(px, px->in, take) != HS_OK)
            return HS_ERROR;
        px->resp_left -= (int64_t)take;
        if (px->resp_left == 0) {
            px->upstream_clean = take == px->in_len;
            rc = HS_OK;
        }
    }
    px->in_len = 0;
    return rc;
}

/* ---- endings ---- */

void hs_proxy_relay_finished(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    cur_try(px)->response_us = since_start(px);
    hs_proxy_release_upstream(px, upstream_reusable(px));
    if (px->client_chunked && !px->client_gone && hs_proxy_cout_add(px, "0\r\n\r\n", 5) == HS_OK) {
        px->client_chunked = false;
        hs_proxy_relay(r);
        return;
    }
    bool gone = px->client_gone;
    hs_proxy_end(r);
    if (gone) {
        /* proxy_ignore_client_abort on: the upstream's late outcome is in the log line */
        hs_stats_upstream_after_abort(r);
        hs_http_end(r, HS_END_CLIENT_ABORT, 499);
        return;
    }
    hs_http_response_done(r);
}

void hs_proxy_relay_error(hs_req *r, bool client_side)
{
    hs_proxy_state *px = PX(r);
    cur_try(px)->response_us = since_start(px);
    hs_proxy_release_upstream(px, false);
    bool gone = px->client_gone;
    hs_proxy_end(r);
    if (client_side || gone) {
        hs_ending e = r->resp.started ? HS_END_CLIENT_ABORT_BODY : HS_END_CLIENT_ABORT;
        hs_http_end(r, e, r->resp.started ? 0 : 499);
    } else {
        /* the upstream broke off a response already under way: close the client too */
        hs_http_end(r, HS_END_OK, 0);
    }
}

/* ---- the relay ---- */

/* Writes what waits for the client. False when the relay stops here: the
 * client is slow (its EPOLLOUT resumes us), or it left and the request ended. */
static bool client_caught_up(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    if (px->client_gone)
        return true;
    int rc = hs_proxy_flush_client(r);
    if (rc == HS_AGAIN) {
        /* the client is slow: stop reading the upstream until it catches up */
        hs_http_client_deadline(r, r->loc->send_timeout, HS_END_SEND_TIMEOUT);
        return false;
    }
    if (rc == HS_ERROR) {
        if (px->pc->ignore_client_abort) {
            px->client_gone = true;
            return true;
        }
        hs_proxy_relay_error(r, true);
        return false;
    }
    hs_http_client_deadline(r, 0, HS_END_NONE);
    return true;
}

/* Fills px->in from the upstream. False when the relay stops here: nothing
 * to read yet, or the upstream closed (the request ended). */
static bool read_upstream(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    ssize_t n = hs_up_recv(px->u, px->in, px->in_cap);
    if (n == HS_AGAIN) {
        hs_timer_set(&px->u->timer, (uint64_t)px->pc->read_timeout);
        return false;
    }
    if (n <= 0) {
        if (n == 0 && px->resp_until_close) {
            px->upstream_clean = false;
            hs_proxy_relay_finished(r);
            return false;
        }
        hs_proxy_log_error(r, n == 0 ? 0 : errno, "upstream prematurely closed connection while reading upstream");
        hs_proxy_relay_error(r, false);
        return false;
    }
    px->in_len = (size_t)n;
    return true;
}

/* The upstream's response is complete. */
static void upstream_done(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    hs_timer_cancel(&px->u->timer);
    if (hs_proxy_flush_client(r) == HS_AGAIN && !px->client_gone) {
        /* finish the client side first; the upstream is done */
        hs_proxy_release_upstream(px, upstream_reusable(px));
        cur_try(px)->response_us = since_start(px);
        hs_http_client_deadline(r, r->loc->send_timeout, HS_END_SEND_TIMEOUT);
        return;
    }
    hs_proxy_relay_finished(r);
}

void hs_proxy_relay(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    for (;;) {
        if (!client_caught_up(r))
            return;
        if (px->u == NULL) {
            hs_proxy_relay_finished(r);
            return;
        }
        if (px->in_len == 0 && !px->resp_none && !read_upstream(r))
            return;
        int rc = hs_proxy_consume_in(r);
        if (rc == HS_ERROR) {
            hs_proxy_log_error(r, 0, "upstream sent an invalid body");
            hs_proxy_relay_error(r, false);
            return;
        }
        if (rc == HS_OK) {
            upstream_done(r);
            return;
        }
    }
}
