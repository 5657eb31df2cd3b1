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

/* Body bytes for the client: the core filters and frames them; and for
 * the cache when it stores the response. */
static int cout_body(hs_req *r, const char *data, size_t n)
{
    hs_proxy_state *px = PX(r);
    if (px->cached && n)
        hs_up_cache_hooks->body(r, data, n);
    return px->client_gone ? HS_OK : hs_http_stream_body(r, data, n, false);
}

/* ---- the upstream's body ---- */

/* The body as it arrives, counted raw for $upstream_response_length (a
 * chunked body with its framing, as nginx counts it). */
int hs_proxy_consume_in(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    int rc = HS_AGAIN;
    if (px->resp_none) {
        px->upstream_clean = px->in_len == 0 && (px->pc->proto->decode == NULL || px->in_end_clean);
        rc = HS_OK;
    } else if (px->resp_chunked) {
        size_t n = px->in_len;
        ssize_t left = hs_chunked_decode(&px->dec, px->in, &n);
        if (left == HS_ERROR)
            return HS_ERROR;
        if (cout_body(r, px->in, n) != HS_OK)
            return HS_ERROR;
        cur_try(px)->length += (int64_t)px->in_len - (left > 0 ? left : 0);
        if (left >= 0) {
            px->upstream_clean = left == 0;
            rc = HS_OK;
        }
    } else if (px->resp_until_close) {
        /* a protocol's declared length trims what its records carry */
        size_t n = px->resp_left >= 0 && (int64_t)px->in_len > px->resp_left ? (size_t)px->resp_left : px->in_len;
        cur_try(px)->length += (int64_t)n;
        /* the protocol's end came with these bytes: the client's last chunk goes with them */
        bool last = px->in_end && px->resp_left <= (int64_t)n && !px->client_gone;
        if (last && px->cached && n)
            hs_up_cache_hooks->body(r, px->in, n);
        if (last ? hs_http_stream_body(r, px->in, n, true) != HS_OK : cout_body(r, px->in, n) != HS_OK)
            return HS_ERROR;
        px->body_ended |= last;
        if (px->resp_left >= 0)
            px->resp_left -= (int64_t)n;
        if (px->in_end) {
            px->upstream_clean = px->in_end_clean;
            rc = px->resp_left > 0 ? HS_DONE : HS_OK; /* HS_DONE: it ended short */
        }
    } else {
        size_t take = (int64_t)px->in_len < px->resp_left ? px->in_len : (size_t)px->resp_left;
        cur_try(px)->length += (int64_t)take;
        if (cout_body(r, px->in, take) != HS_OK)
            return HS_ERROR;
        px->resp_left -= (int64_t)take;
        if (px->resp_left == 0) {
            px->upstream_clean = take == px->in_len;
            rc = HS_OK;
        }
    }
    px->in_len = 0;
    px->cache_complete |= rc == HS_OK;
    return rc;
}

/* ---- endings ---- */

void hs_proxy_body_broken(hs_req *r, int rc)
{
    if (!PX(r)->client_gone)
        (void)hs_http_stream_flush(r); /* what came before the fault reaches the client */
    if (rc == HS_DONE) {
        hs_proxy_log_msg(r, "upstream prematurely closed connection while reading upstream");
        hs_proxy_relay_error(r, HS_END_UPSTREAM_TRUNCATED);
        return;
    }
    hs_proxy_log_error(r, 0, "upstream sent an invalid body");
    hs_proxy_relay_error(r, HS_END_UPSTREAM_INVALID);
}

void hs_proxy_relay_finished(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    px->cache_complete = true;
    cur_try(px)->response_us = since_start(px);
    hs_proxy_release_upstream(px, upstream_reusable(px));
    if (!px->client_gone && !px->body_ended) {
        /* the end of the body for the client: the last chunk, a filter's tail */
        px->body_ended = true;
        if (hs_http_stream_body(r, NULL, 0, true) == HS_OK && hs_http_stream_pending(r)) {
            hs_proxy_relay(r);
            return;
        }
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

void hs_proxy_relay_error(hs_req *r, hs_ending why)
{
    hs_proxy_state *px = PX(r);
    cur_try(px)->response_us = since_start(px);
    hs_proxy_release_upstream(px, false);
    bool gone = px->client_gone;
    hs_proxy_end(r);
    if (why == HS_END_CLIENT_ABORT_BODY || gone) {
        hs_ending e = r->resp.started ? HS_END_CLIENT_ABORT_BODY : HS_END_CLIENT_ABORT;
        hs_http_end(r, e, r->resp.started ? 0 : 499);
    } else {
        /* the upstream broke off a response already under way: the client's
         * is cut short too (closed: a short body, no last chunk) */
        hs_http_end(r, why, 0);
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
    int rc = hs_http_stream_flush(r);
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
        hs_proxy_relay_error(r, HS_END_CLIENT_ABORT_BODY);
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
    errno = 0; /* a TLS failure leaves errno as it was: no stale text in the line below */
    size_t got;
    int n = hs_proxy_recv(r, px->in, px->in_cap, &got);
    if (n == HS_AGAIN) {
        hs_timer_set(&px->u->timer, (uint64_t)px->pc->read_timeout);
        return false;
    }
    if (n == HS_DECLINED) {
        hs_proxy_relay_error(r, HS_END_UPSTREAM_INVALID); /* logged */
        return false;
    }
    if (n != HS_OK) {
        if (n == HS_DONE && px->resp_until_close && px->pc->proto->eof_ends_body) {
            px->upstream_clean = false;
            hs_proxy_relay_finished(r);
            return false;
        }
        if (n == HS_DONE) {
            hs_proxy_log_msg(r, "upstream prematurely closed connection while reading upstream");
            hs_proxy_relay_error(r, HS_END_UPSTREAM_TRUNCATED);
            return false;
        }
        hs_proxy_log_error(r, errno, "recv() failed while reading upstream");
        hs_proxy_relay_error(r, HS_END_UPSTREAM_RESET);
        return false;
    }
    px->in_len = got;
    return true;
}

/* The upstream's response is complete. */
static void upstream_done(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    hs_timer_cancel(&px->u->timer);
    if (hs_http_stream_flush(r) == HS_AGAIN && !px->client_gone) {
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
        if (rc == HS_ERROR || rc == HS_DONE) {
            hs_proxy_body_broken(r, rc);
            return;
        }
        if (rc == HS_OK) {
            upstream_done(r);
            return;
        }
    }
}
