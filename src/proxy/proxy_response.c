/* The upstream's response head: reading and parsing it, retrying on the
 * statuses proxy_next_upstream names, deciding the body's framing both ways,
 * and the head the client gets. */
#include <errno.h>
#include <string.h>

#include "core/errlog.h"
#include "proxy/proxy_internal.h"

/* The upstream's fields the client does not get: hop-by-hop ones and those
 * hush writes itself always; Server, Date, X-Pad and X-Accel-* unless
 * proxy_pass_header names them; and what proxy_hide_header names. */
static bool hidden_response_header(const hs_proxy_conf *pc, hs_str name, int status)
{
    if (status == 101 && hs_str_caseeq(name, HS_STR("Upgrade")))
        return false; /* the protocol switched to: the client's tunnel needs it */
    static const hs_str always[] = {HS_STR("Connection"), HS_STR("Keep-Alive"), HS_STR("Transfer-Encoding"),
                                    HS_STR("Content-Length"), HS_STR("Proxy-Connection"), HS_STR("Trailer"),
                                    HS_STR("Upgrade")};
    if (name_in(name, always, HS_ARRAY_LEN(always)) || name_in(name, pc->hide, pc->nhide))
        return true;
    bool dflt = name_in(name, pc->proto->hidden, pc->proto->nhidden) ||
                (name.n > 8 && strncasecmp(name.p, "X-Accel-", 8) == 0);
    return dflt && !name_in(name, pc->pass, pc->npass);
}

/* Fields nginx keeps only the first of. */
static bool single_field(hs_str name)
{
    static const hs_str names[] = {HS_STR("Content-Type"), HS_STR("Expires"), HS_STR("Last-Modified"),
                                   HS_STR("ETag"), HS_STR("Location"), HS_STR("Server"), HS_STR("Date")};
    return name_in(name, names, HS_ARRAY_LEN(names));
}

static bool retry_status(hs_proxy_state *px, int status)
{
    int cond = status == 500 ? HS_NEXT_500 : status == 502 ? HS_NEXT_502 : status == 503 ? HS_NEXT_503
             : status == 504 ? HS_NEXT_504 : status == 403 ? HS_NEXT_403 : status == 404 ? HS_NEXT_404
             : status == 429 ? HS_NEXT_429 : 0;
    return cond && (px->pc->next_upstream & cond);
}

/* Decides how the upstream's body is read (the client's framing is the core's). */
static void plan_body(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    hs_http_response *h = &px->resp;
    int s = h->status;
    px->resp_none = r->h.method_id == HS_METHOD_HEAD || s == 204 || s == 304 || (s >= 100 && s < 200);
    px->resp_chunked = !px->resp_none && h->chunked;
    px->resp_left = px->resp_none ? 0 : h->content_length;
    px->resp_until_close = !px->resp_none && !h->chunked && h->content_length < 0;
    if (px->pc->proto->decode) {
        /* the protocol's records frame the body; a Content-Length only trims it */
        px->resp_chunked = false;
        px->resp_until_close = !px->resp_none;
    }
    if (px->resp_chunked)
        hs_chunked_init(&px->dec);
}

/* The upstream's head becomes r->resp: its status, Content-Type, length and
 * its other fields but the hop-by-hop ones, copied into the request's pool
 * (px->in is reused for the body); px->resp keeps all of them there. */
/* A slice of the head in px->in, at the same place in its copy; one that
 * is elsewhere (a protocol's static default, as FastCGI's reason) as it is. */
static hs_str rebase(const hs_proxy_state *px, const char *copy, hs_str s, size_t len)
{
    if (s.p < px->in || s.p >= px->in + len)
        return s;
    return (hs_str){copy + (s.p - px->in), s.n};
}

static int take_head(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    hs_http_response *h = &px->resp;
    hs_resp *rs = &r->resp;
    char *copy = hs_palloc(r->pool, h->head_len);
    if (copy == NULL || hs_fields_reserve(r->pool, &rs->headers, (uint32_t)h->nheaders + 8) != HS_OK)
        return HS_ERROR;
    memcpy(copy, px->in, h->head_len);
    rs->status = h->status;
    rs->reason = rebase(px, copy, h->reason, h->head_len);
    rs->content_length = h->content_length;
    px->head_kept = true; /* h->headers now point into the copy, for $upstream_http_NAME */
    for (size_t i = 0; i < h->nheaders; i++) {
        hs_header f = {rebase(px, copy, h->headers[i].name, h->head_len),
                       rebase(px, copy, h->headers[i].value, h->head_len)};
        h->headers[i] = f;
        if (hidden_response_header(px->pc, f.name, h->status))
            continue;
        if (hs_str_caseeq(f.name, HS_STR("Server")) || hs_str_caseeq(f.name, HS_STR("Date")))
            rs->passed |= f.name.p[0] == 'S' || f.name.p[0] == 's' ? HS_PASSED_SERVER : HS_PASSED_DATE;
        bool ct = hs_str_caseeq(f.name, HS_STR("Content-Type"));
        if (single_field(f.name) && (ct ? rs->content_type.n > 0 : hs_fields_find(&rs->headers, f.name) != NULL))
            continue; /* a second one of a single-value field is ignored, as nginx */
        if (ct)
            rs->content_type = f.value;
        else
            rs->headers.v[rs->headers.n++] = f;
    }
    return hs_proxy_rewrite_head(r);
}

/* The head asks for another try: a status proxy_next_upstream names, and a
 * server left to try. Starts it and returns true. */
static bool retried(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    uint64_t tried = px->tried | 1ULL << ((size_t)(px->u->server - px->up->servers) & 63);
    if (!retry_status(px, px->resp.status) || !hs_upstream_has_candidate(px->up, tried) ||
        !hs_proxy_may_retry(r, HS_NEXT_ERROR | HS_NEXT_TIMEOUT | HS_NEXT_500 | HS_NEXT_502 | HS_NEXT_503 |
                                   HS_NEXT_504 | HS_NEXT_403 | HS_NEXT_404 | HS_NEXT_429))
        return false;
    px->tried = tried;
    cur_try(px)->response_us = since_start(px);
    if (px->resp.status != 403 && px->resp.status != 404)
        hs_upstream_failed(px->up, px->u->server); /* nginx: a 5xx or 429 it moves on from counts toward max_fails */
    hs_proxy_release_upstream(px, false);
    hs_proxy_connect(r);
    return true;
}

/* proxy_intercept_errors on: a status >= 300 that has an error_page gets
 * the page instead of the upstream's answer. Returns true when it did. */
static bool intercepted(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    int status = px->resp.status;
    if (!px->pc->intercept_errors || status < 300 || px->client_gone || !hs_http_has_error_page(r, status))
        return false;
    cur_try(px)->response_us = since_start(px);
    hs_proxy_release_upstream(px, false);
    hs_proxy_end(r);
    hs_http_finalize(r, status);
    return true;
}

/* proxy_cache_use_stale http_5xx: a stale cache entry instead of the
 * upstream's error; proxy_cache_revalidate: the entry the upstream's 304
 * made fresh again. Returns true when it answered. */
static bool stale_answer(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    if (!px->cache_fill || px->client_gone || (px->resp.status < 500 && px->resp.status != 304) ||
        !hs_up_cache_hooks->stale(r, HS_END_NONE, px->resp.status))
        return false;
    cur_try(px)->response_us = since_start(px);
    hs_proxy_release_upstream(px, false);
    hs_proxy_end(r);
    hs_up_cache_hooks->serve(r);
    return true;
}

static void head_received(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    hs_http_response *h = &px->resp;
    cur_try(px)->status = h->status;
    cur_try(px)->header_us = since_start(px);
    if (h->status == 101 && !hs_proxy_client_wants_upgrade(r)) {
        hs_proxy_log_msg(r, "upstream sent \"101 Switching Protocols\" to a request without \"Upgrade\" "
                            "while reading response header from upstream");
        hs_proxy_fail(r, 502, HS_END_UPSTREAM_INVALID, NULL);
        return;
    }
    if (retried(r) || stale_answer(r))
        return;
    hs_upstream_succeeded(px->up, px->u->server);
    if (intercepted(r))
        return;
    plan_body(r);
    if ((!px->client_gone || px->cache_fill) && take_head(r) != HS_OK) {
        hs_proxy_fail(r, 500, HS_END_NONE, NULL);
        return;
    }
    px->cached = px->cache_fill && hs_up_cache_hooks->head(r, h);
    if (!px->client_gone && hs_http_stream_start(r) != HS_OK) {
        hs_proxy_fail(r, 500, HS_END_NONE, NULL);
        return;
    }
    size_t extra = px->in_len - h->head_len;
    memmove(px->in, px->in + h->head_len, extra);
    px->in_len = extra;
    if (h->status == 101 && px->pc->proto == &hs_proxy_http_proto) {
        hs_proxy_tunnel_start(r);
        return;
    }
    if (px->in_len || px->resp_none || px->resp_left == 0 || px->in_end) {
        /* the body (or all of it, or an empty one) came with the head: one write to the client */
        int rc = hs_proxy_consume_in(r);
        if (rc == HS_ERROR || rc == HS_DONE) {
            px->state = PX_RELAY;
            hs_proxy_body_broken(r, rc);
            return;
        }
        if (rc == HS_OK) {
            cur_try(px)->response_us = since_start(px);
            hs_proxy_release_upstream(px, upstream_reusable(px));
        }
    }
    px->state = PX_RELAY;
    hs_proxy_relay(r);
}

void hs_proxy_read_head(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    for (;;) {
        if (px->in_len) {
            int rc = px->pc->proto->head(r, px->in, px->in_len, &px->resp, px->resp_hdrs, MAX_RESP_HEADERS);
            if (rc == HS_OK && px->resp.status >= 100 && px->resp.status < 200 && px->resp.status != 101) {
                /* an interim response (100 Continue): skip it */
                memmove(px->in, px->in + px->resp.head_len, px->in_len - px->resp.head_len);
                px->in_len -= px->resp.head_len;
                continue;
            }
            if (rc == HS_OK) {
                head_received(r);
                return;
            }
            if (rc == HS_ERROR) {
                hs_log_ctx(HS_LOG_ERR, r, 0, "upstream sent invalid header (%s) while reading response header from upstream",
                           px->resp.error ? px->resp.error : "?");
                hs_proxy_fail(r, 502, HS_END_UPSTREAM_INVALID, NULL);
                return;
            }
        }
        if (px->in_end) {
            hs_proxy_log_msg(r, "upstream prematurely closed connection while reading response header from upstream");
            hs_proxy_fail(r, 502, HS_END_UPSTREAM_CLOSED, NULL);
            return;
        }
        if (px->in_len == px->in_cap) {
            hs_log_ctx(HS_LOG_ERR, r, 0, "upstream sent too big header while reading response header from upstream");
            hs_proxy_fail(r, 502, HS_END_UPSTREAM_INVALID, NULL);
            return;
        }
        size_t got;
        int n = hs_proxy_recv(r, px->in + px->in_len, px->in_cap - px->in_len, &got);
        if (n == HS_OK) {
            px->in_len += got;
            continue;
        }
        if (n == HS_AGAIN)
            return;
        if (n == HS_DECLINED) {
            hs_proxy_fail(r, 502, HS_END_UPSTREAM_INVALID, NULL); /* logged */
            return;
        }
        /* closed or reset before a whole head */
        bool eof = n == HS_DONE;
        if (eof)
            errno = 0; /* nothing to add after the message */
        hs_proxy_fail(r, 502, eof ? HS_END_UPSTREAM_CLOSED : HS_END_UPSTREAM_RESET, eof ? "upstream prematurely closed connection while reading response header from upstream"
                                            : "recv() failed while reading response header from upstream");
        return;
    }
}
