/* The proxy handler: read the request body (small and chunked bodies are
 * buffered so a retry can resend them, large ones stream), connect to an
 * upstream server or reuse a kept-alive connection, send the request, parse
 * the response head, relay the body with bounded memory, and account for
 * every way it can end — above all a client that leaves while the upstream
 * works (499, detected through EPOLLRDHUP at once, not when the upstream
 * answers).
 *
 * This file has the module and handler records, the request's state, the
 * handler's entry, the client's events and the abandon; the steps are in
 * proxy_body.c, proxy_upstream.c, proxy_request.c, proxy_response.c and
 * proxy_relay.c. */
#include <stdlib.h>

#include "core/errlog.h"
#include "proxy/zone_internal.h"
#include "resolver/resolver.h"

static void proxy_run(hs_req *r);
static void proxy_client_event(hs_req *r, uint32_t events);
static void proxy_abandon(hs_req *r);

const hs_up_cache *hs_up_cache_hooks;

const hs_handler hs_proxy_handler = {
    .name = "proxy",
    .run = proxy_run,
    .reads_body = true,
    .on_client_event = proxy_client_event,
    .on_abandon = proxy_abandon,
};

hs_module hs_proxy_module = {
    .name = "proxy",
    .directives = {hs_proxy_directives, hs_proxy_ssl_directives, hs_proxy_upstream_directives,
                   hs_proxy_rewrite_directives},
    .variables = hs_proxy_variables,
    .merge_loc = hs_proxy_merge_loc,
    .http_finish = hs_proxy_http_finish,
    .master_init = hs_proxy_master_init,
};

/* ---- the state ---- */

void hs_proxy_release_upstream(hs_proxy_state *px, bool reusable)
{
    hs_upconn *u = px->u;
    if (u == NULL)
        return;
    px->u = NULL;
    hs_timer_cancel(&u->timer);
    if (u->counted) {
        u->counted = false;
        hs_upstream_release(u->up, u->server);
    }
    if (reusable && u->up->keepalive > 0) {
        hs_upstream_pool_put(u);
        return;
    }
    u->r = NULL;
    u->up = NULL; /* not in a pool list */
    hs_upconn_close(u);
}

static void free_buffers(hs_proxy_state *px)
{
    hs_proxy_tunnel_free(px);
    free(px->sbuf);
    px->sbuf = NULL;
    free(px->in);
    px->in = NULL;
}

void hs_proxy_log_error(hs_req *r, int err, const char *what)
{
    hs_log_ctx(HS_LOG_ERR, r, err, "%s", what);
}

void hs_proxy_log_msg(hs_req *r, const char *what)
{
    hs_log_ctx(HS_LOG_ERR, r, 0, "%s", what);
}

void hs_proxy_end(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    px->state = PX_DONE;
    if (px->resolving) {
        hs_resolve_cancel(px->resolving);
        px->resolving = NULL;
    }
    hs_http_client_deadline(r, 0, HS_END_NONE);
    hs_http_release(r);
    free_buffers(px);
    if (px->cache_fill) { /* the fill ends, stored or not: others need not wait for it */
        px->cache_fill = px->cached = false;
        hs_up_cache_hooks->end(r, px->cache_complete, px->client_gone);
    }
}

/* ---- entry ---- */

/* All of a Content-Length body already read with the head (HTTP/1.1). */
static bool body_here(hs_req *r)
{
    const hs_conn *c = r->conn;
    return c->proto == NULL && (int64_t)(c->buf_len - c->buf_pos) >= r->h.content_length;
}

static void proxy_run(hs_req *r)
{
    hs_upstream_run(r, hs_proxy_conf_of(r->loc));
}

void hs_upstream_run(hs_req *r, hs_proxy_conf *pc)
{
    /* the cache first: a hit costs no proxy state */
    int cache = hs_up_cache_hooks && pc ? hs_up_cache_hooks->lookup(r, pc, pc->proto) : HS_DECLINED;
    if (cache == HS_DONE || cache == HS_AGAIN)
        return;
    hs_proxy_state *px = hs_palloc(r->pool, sizeof(*px));
    if (px)
        memset(px, 0, offsetof(hs_proxy_state, resp_hdrs));
    if (px == NULL || pc == NULL || (pc->upstream == NULL && !pc->vars)) {
        hs_http_finalize(r, 500);
        return;
    }
    px->pc = pc;
    px->up = pc->upstream;
    px->in_cap = (size_t)pc->buffer_size;
    if (hs_http_set_ctx(r, &hs_proxy_module, px) != HS_OK) {
        hs_http_finalize(r, 500);
        return;
    }
    px->cache_fill = cache == HS_OK;
    if ((px->in = malloc(px->in_cap)) == NULL) {
        hs_http_finalize(r, 500);
        return;
    }
    r->upstream = true;
    if (r->ending >= HS_END_UPSTREAM_REFUSED)
        r->ending = HS_END_NONE; /* an error_page's upstream: its own outcome is the ending */
    hs_http_own(r, &hs_proxy_handler);
    hs_http_client_deadline(r, 0, HS_END_NONE);
    /* proxy_request_buffering on (nginx's default): the whole body first;
     * off: streamed as it comes, as nginx — but a small body that came
     * whole with the head is kept (a retry can resend it); a chunked one
     * streams chunked to an HTTP/1.1 upstream, else is read whole */
    bool whole = pc->request_buffering || (r->h.content_length <= BUFFERED_BODY_MAX && body_here(r));
    px->body_chunked_out = r->h.chunked && !pc->request_buffering && pc->proto == &hs_proxy_http_proto &&
                           pc->http_version == 11;
    px->body_fd = -1;
    if (r->h.expect_continue)
        hs_http_send_continue(r); /* as nginx, even for an empty body (not when it is already coming) */
    if ((r->h.chunked && !px->body_chunked_out) || (r->h.content_length > 0 && whole)) {
        px->state = PX_READ_BODY;
        hs_proxy_read_body(r);
        return;
    }
    px->body_buffered = r->h.content_length <= 0 && !px->body_chunked_out;
    hs_proxy_connect(r);
}

/* ---- the client's events ---- */


/* The client can take more of the response. */
static void client_writable(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    if (px->state != PX_RELAY)
        return;
    if (px->u == NULL) {
        /* the upstream finished first: just drain to the client */
        if (hs_http_stream_flush(r) == HS_OK) {
            hs_http_client_deadline(r, 0, HS_END_NONE);
            hs_proxy_relay_finished(r);
        }
        return;
    }
    hs_proxy_relay(r);
}

/* The client sent more (request body bytes). */
static void client_readable(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    if (px->state == PX_READ_BODY)
        hs_proxy_read_body(r);
    else if (px->state == PX_SEND_BODY)
        hs_proxy_send_stream(r);
    /* otherwise: pipelined bytes wait in the socket until this request is done */
}

/* The protocol's last word to an upstream whose client left (FastCGI's
 * FCGI_ABORT_REQUEST), sent when the socket takes it at once. */
static void say_abort(hs_proxy_state *px)
{
    char buf[16];
    if (px->u == NULL || !px->request_sent || px->pc->proto->abort == NULL)
        return;
    size_t n = px->pc->proto->abort(px->u->r, buf);
    if (n > 0)
        (void)hs_up_send(px->u, buf, n);
}

/* The client connection closed or half-closed while the request is proxied. */
static void client_gone(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    if (px->client_gone)
        return;
    if (px->state == PX_READ_BODY || px->state == PX_SEND_BODY) {
        hs_proxy_release_upstream(px, false);
        hs_proxy_body_failed(r, 0);
        return;
    }
    if ((px->pc->ignore_client_abort || px->cache_fill) && px->u) {
        /* let the upstream finish; its outcome is logged when it does (a
         * response the cache may store completes its entry, as nginx's) */
        if (px->cache_fill && !px->pc->ignore_client_abort)
            hs_log_ctx(HS_LOG_INFO, r, 0, "client closed connection while its response is cached: "
                                          "the upstream's response goes on to complete the cache entry");
        px->client_gone = true;
        hs_http_client_deadline(r, 0, HS_END_NONE);
        hs_http_ignore_client(r);
        hs_http_stream_drop(r);
        return;
    }
    if (px->ntries > 0)
        cur_try(px)->response_us = since_start(px);
    say_abort(px);
    hs_proxy_release_upstream(px, false); /* closed now: the upstream sees it at once */
    hs_proxy_end(r);
    hs_ending e = r->resp.started ? HS_END_CLIENT_ABORT_BODY : HS_END_CLIENT_ABORT;
    hs_http_end(r, e, r->resp.started ? 0 : 499);
}

/* A close or half-close is an abort, noticed now rather than when the
 * upstream answers. */
static void proxy_client_event(hs_req *r, uint32_t events)
{
    hs_conn *c = r->conn;
    if (PX(r)->state == PX_TUNNEL) { /* bytes either way; a close is read as an EOF */
        hs_proxy_tunnel_event(r, true, events);
        return;
    }
    if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        client_gone(r);
    else if (events & EPOLLOUT)
        client_writable(r);
    /* r may have ended above (and its memory gone to the next request);
     * HTTP/2 (c->proto) brings EPOLLIN alone, so r is still there */
    if ((events & EPOLLIN) && c->state != HS_CONN_CLOSED && (c->req == r || c->proto) &&
        r->owner == &hs_proxy_handler)
        client_readable(r);
}

/* The client connection is closing under us (timeout, stop): let go of the
 * upstream side. The core ends and logs the request. */
static void proxy_abandon(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    if (px->ntries > 0 && cur_try(px)->response_us < 0)
        cur_try(px)->response_us = since_start(px);
    hs_proxy_release_upstream(px, false);
    hs_proxy_end(r);
}
