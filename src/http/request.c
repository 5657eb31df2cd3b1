/* The life of a request on a connection: read and parse the head, pick the
 * server and location, discard an unwanted body, run the handler, send the
 * response, log the ending, then keep-alive, pipeline or close. */
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/errlog.h"
#include "edge/drop.h"
#include "edge/edge.h"
#include "http/chunked.h"
#include "http/http.h"
#include "http/path.h"
#include "http/proxy.h"
#include "http/request_internal.h"
#include "stats/stats.h"

#define MAX_HEADERS 100
#define MAX_INTERNAL_REDIRECTS 10
#define REQ_POOL_CHUNK 8192
#define FREE_REQS_MAX 64

static hs_req *free_reqs; /* recycled requests, linked through conn */
static int n_free_reqs;
static unsigned freed_since_trim; /* request memory given back to malloc */

#define TRIM_AFTER_FREES 256

/* After a burst (thousands of connections that each sent one request and
 * now sit idle), give the freed request memory back to the kernel once the
 * worker is idle, so idle connections cost only their small struct. */
static void trim_when_idle(void)
{
    if (freed_since_trim >= TRIM_AFTER_FREES) {
        freed_since_trim = 0;
        malloc_trim(0);
    }
}

void hs_http_requests_attach_loop(void) { hs_loop_on_idle(trim_when_idle); }

/* ---- request objects ---- */

static hs_req *req_get(hs_conn *c)
{
    hs_req *r = free_reqs;
    if (r) {
        free_reqs = (hs_req *)r->conn;
        n_free_reqs--;
    } else {
        r = malloc(sizeof(*r));
        if (r == NULL)
            return NULL;
        r->pool = hs_pool_create(REQ_POOL_CHUNK);
        if (r->pool == NULL) {
            free(r);
            return NULL;
        }
    }
    hs_pool *pool = r->pool;
    memset(r, 0, sizeof(*r));
    r->pool = pool;
    r->conn = c;
    r->resp.file_fd = -1;
    r->resp.content_length = -1;
    r->resp.last_modified = -1;
    r->start_usec = hs_now.mono_usec;
    r->start_msec_wall = hs_now.msec;
    r->headers = hs_palloc(pool, MAX_HEADERS * sizeof(hs_header));
    return r;
}

static void req_put(hs_req *r)
{
    hs_pool_reset(r->pool); /* closes the response file through its cleanup */
    if (n_free_reqs >= FREE_REQS_MAX) {
        hs_pool_destroy(r->pool);
        free(r);
        if (++freed_since_trim == TRIM_AFTER_FREES)
            hs_loop_want_idle();
        return;
    }
    r->conn = (hs_conn *)free_reqs;
    free_reqs = r;
    n_free_reqs++;
}

/* ---- input buffer ---- */

static hs_srv_conf *default_srv(hs_conn *c) { return c->group->default_srv; }

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

void hs_conn_buf_release(hs_conn *c)
{
    free(c->buf);
    c->buf = NULL;
    c->buf_cap = c->buf_pos = c->buf_len = 0;
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

/* Reads what the socket has into the buffer. Returns bytes read, 0 for EOF,
 * HS_AGAIN, or HS_ERROR (reset). */
static ssize_t conn_recv(hs_conn *c)
{
    for (;;) {
        size_t room = c->buf_cap - c->buf_len;
        ssize_t n = recv(c->fd, c->buf + c->buf_len, room, 0);
        if (n > 0) {
            c->buf_len += (uint32_t)n;
            c->bytes_in += (uint64_t)n;
            /* a short read drained the socket: the next edge will tell us more */
            if ((size_t)n < room)
                c->readable = false;
            return n;
        }
        if (n == 0) {
            c->peer_closed = true;
            c->readable = false;
            return 0;
        }
        if (errno == EINTR)
            continue;
        c->readable = false;
        if (errno == EAGAIN)
            return HS_AGAIN;
        c->peer_closed = true;
        return HS_ERROR;
    }
}

/* ---- endings without a request ---- */

void hs_http_conn_ended(hs_conn *c, hs_ending why)
{
    c->ending = (uint8_t)why;
    hs_stats_ending(why);
    if (why == HS_END_NO_REQUEST && default_srv(c)->log_empty_connections) {
        hs_req *r = req_get(c);
        if (r) {
            r->srv = default_srv(c);
            r->loc = r->srv->loc;
            r->resp.status = 400;
            r->ending = why;
            r->start_usec = c->start_msec * 1000;
            hs_http_log_request(r);
            req_put(r);
        }
    }
    hs_conn_close(c);
}

/* ---- finishing ---- */

static void conn_go_idle(hs_conn *c, int64_t keepalive_msec, bool nodelay)
{
    c->state = HS_CONN_KEEPALIVE;
    if (nodelay && !c->nodelay_set) {
        /* as nginx: small responses on a kept-alive connection must not wait for Nagle */
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        c->nodelay_set = true;
    }
    if (c->buf_pos >= c->buf_len)
        hs_conn_buf_release(c);
    hs_timer_set(&c->timer, (uint64_t)keepalive_msec);
}

static void request_log_and_count(hs_req *r)
{
    if (r->logged)
        return;
    r->logged = true;
    if (r->ending == HS_END_NONE)
        r->ending = HS_END_OK;
    r->conn->ending = (uint8_t)r->ending;
    hs_stats_request(r);
    hs_http_log_request(r);
    hs_edge_request_ended(r);
}

/* The request is over (response sent, or ended otherwise). */
static void request_done(hs_req *r, bool keepalive)
{
    hs_conn *c = r->conn;
    int64_t keepalive_msec = r->loc ? r->loc->keepalive_timeout : 0;
    bool nodelay = r->loc && r->loc->tcp_nodelay;
    request_log_and_count(r);
    req_put(r);
    c->req = NULL;
    c->next_pipelined = c->buf_pos < c->buf_len;
    if (!keepalive || c->closing) {
        hs_conn_linger_close(c);
        return;
    }
    conn_go_idle(c, keepalive_msec, nodelay);
}

/* Ends the request here without a response (timeouts, aborts, drops). */
void hs_http_end_request(hs_req *r, hs_ending why, int status)
{
    hs_conn *c = r->conn;
    r->ending = why;
    if (status)
        r->resp.status = status;
    request_log_and_count(r);
    req_put(r);
    c->req = NULL;
}

void hs_http_drop(hs_req *r, const char *rule)
{
    hs_conn *c = r->conn;
    hs_loc_conf *lc = r->loc ? r->loc : default_srv(c)->loc;
    r->drop_rule = rule;
    hs_stats_drop(rule);
    hs_http_end_request(r, HS_END_DROP, 444);
    hs_drop_conn(c, lc->drop_mode, lc->tarpit_msec);
}

/* ---- sending ---- */

static void response_written(hs_req *r)
{
    hs_conn *c = r->conn;
    hs_timer_cancel(&c->timer);
    bool keep = r->resp.keepalive;
    if (r->resp.file_fd >= 0) {
        /* the fd is closed by the pool cleanup registered when it was opened */
        r->resp.file_fd = -1;
    }
    request_done(r, keep);
}

static void read_heads(hs_conn *c);

/* A response produced elsewhere (the proxy) is complete: finish the request
 * and go on with what the client pipelined meanwhile. */
void hs_http_response_done(hs_req *r)
{
    hs_conn *c = r->conn;
    response_written(r);
    if (c->state == HS_CONN_KEEPALIVE && (c->buf || c->readable))
        read_heads(c);
}

static void write_step(hs_req *r)
{
    hs_conn *c = r->conn;
    int rc = hs_http_write_pending(r);
    if (rc == HS_OK) {
        response_written(r);
        return;
    }
    if (rc == HS_AGAIN) {
        hs_timer_set(&c->timer, (uint64_t)r->loc->send_timeout);
        return;
    }
    /* the client went away while we were sending */
    hs_ending why = r->resp.started ? HS_END_CLIENT_ABORT_BODY : HS_END_CLIENT_ABORT;
    hs_http_end_request(r, why, r->resp.started ? 0 : 499);
    hs_conn_close(c);
}

static bool want_keepalive(hs_req *r)
{
    hs_conn *c = r->conn;
    hs_loc_conf *lc = r->loc;
    if (!r->head_done || !r->h.keep_alive || c->closing || lc == NULL)
        return false;
    if (lc->keepalive_timeout == 0 || c->requests >= (uint64_t)lc->keepalive_requests)
        return false;
    if ((r->h.chunked || r->h.content_length > 0) && !r->body_done)
        return false; /* an unread body stays unread: close after responding */
    return true;
}

bool hs_http_want_keepalive(hs_req *r) { return want_keepalive(r); }

void hs_http_send_response(hs_req *r)
{
    hs_conn *c = r->conn;
    hs_resp *rs = &r->resp;
    if (r->h.method_id == HS_METHOD_HEAD || rs->status == 304 || rs->status == 204 ||
        rs->status < 200)
        rs->header_only = true;
    rs->keepalive = want_keepalive(r);
    if (hs_http_build_head(r) != HS_OK) {
        hs_http_end_request(r, HS_END_BAD_REQUEST, 500);
        hs_conn_close(c);
        return;
    }
    c->state = HS_CONN_WRITE;
    write_step(r);
}

static const hs_error_page *find_error_page(hs_loc_conf *lc, int status)
{
    for (size_t i = 0; lc && i < lc->nerror_pages; i++)
        if (lc->error_pages[i].code == status)
            return &lc->error_pages[i];
    return NULL;
}

bool hs_http_has_error_page(hs_req *r, int status)
{
    return find_error_page(r->loc, status) != NULL && r->error_page_status == 0;
}

static bool run_error_page(hs_req *r, int status)
{
    const hs_error_page *ep = find_error_page(r->loc, status);
    if (ep == NULL || r->redirects >= MAX_INTERNAL_REDIRECTS || r->error_page_status)
        return false;
    hs_str uri;
    if (hs_cv_eval(&ep->uri, r, r->pool, &uri) != HS_OK || uri.n == 0)
        return false;
    r->error_page_status = ep->overwrite > 0 ? ep->overwrite : (ep->overwrite == 0 ? status : -1);
    if (uri.p[0] == '@') {
        hs_http_named_location(r, uri);
        return true;
    }
    if (uri.p[0] != '/') {
        /* an absolute URL: redirect the client (302, or the =code given) */
        hs_http_error_response(r, ep->overwrite > 0 ? ep->overwrite : 302);
        r->resp.location = uri;
        hs_http_send_response(r);
        return true;
    }
    if (r->h.method_id != HS_METHOD_HEAD)
        r->h.method_id = HS_METHOD_GET; /* error pages are fetched with GET */
    const char *q = memchr(uri.p, '?', uri.n);
    hs_str path = q ? (hs_str){uri.p, (size_t)(q - uri.p)} : uri;
    hs_str args = q ? (hs_str){q + 1, uri.n - path.n - 1} : HS_NULL_STR;
    hs_http_internal_redirect(r, path, args);
    return true;
}

void hs_http_finalize(hs_req *r, int status)
{
    if (status == 444) {
        hs_http_drop(r, r->drop_rule ? r->drop_rule : "return");
        return;
    }
    if (status >= 300 && run_error_page(r, status))
        return;
    hs_http_error_response(r, status);
    hs_http_send_response(r);
}

/* Status to use for a response produced under an error_page redirect. */
int hs_http_response_status(hs_req *r, int status)
{
    if (r->error_page_status > 0)
        return r->error_page_status;
    return status;
}

/* A malformed request: answer with the status and close. */
static void bad_request(hs_req *r, int status, const char *why)
{
    hs_conn *c = r->conn;
    if (why)
        hs_log(HS_LOG_INFO, "*%llu client sent invalid request: %s, client: %s",
               (unsigned long long)c->number, why, hs_conn_peer_text(c));
    r->ending = HS_END_BAD_REQUEST;
    r->resp.status = status;
    if (r->srv == NULL) {
        r->srv = default_srv(c);
        r->loc = r->srv->loc;
    }
    r->h.keep_alive = false;
    c->must_linger = true;
    hs_timer_cancel(&c->timer);
    hs_http_error_response(r, status);
    hs_http_send_response(r);
}

/* ---- body discarding ---- */

static void run_handler(hs_req *r);

/* Copies the head out of the connection buffer so the buffer can be reused
 * for body bytes (slices into it are rebased). */
static int head_detach(hs_req *r)
{
    hs_conn *c = r->conn;
    const char *old = c->buf + c->buf_pos - r->h.head_len;
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
    return HS_OK;
}

size_t hs_http_take_chunked(hs_req *r, hs_chunked *d, int *rc)
{
    hs_conn *c = r->conn;
    size_t avail = c->buf_len - c->buf_pos, n = avail;
    ssize_t left = hs_chunked_decode(d, c->buf + c->buf_pos, &n);
    if (left == HS_ERROR) {
        *rc = HS_ERROR;
        return 0;
    }
    /* the decoded bytes are at buf_pos; what follows the body stays in place */
    size_t used = left >= 0 ? avail - (size_t)left : avail;
    r->request_length += used;
    c->buf_pos = left >= 0 ? c->buf_len - (uint32_t)left : c->buf_len;
    *rc = left >= 0 ? HS_OK : HS_AGAIN;
    return n;
}

/* Consumes body bytes already in the buffer. HS_OK when the body is done. */
static int discard_buffered(hs_req *r)
{
    hs_conn *c = r->conn;
    size_t avail = c->buf_len - c->buf_pos;
    if (!r->body_chunked) {
        size_t take = (int64_t)avail < r->body_left ? avail : (size_t)r->body_left;
        c->buf_pos += (uint32_t)take;
        r->body_left -= (int64_t)take;
        r->request_length += take;
        return r->body_left == 0 ? HS_OK : HS_AGAIN;
    }
    int rc;
    hs_chunked *d = r->chunked;
    hs_http_take_chunked(r, d, &rc);
    if (rc == HS_ERROR)
        return HS_ERROR;
    if (r->loc->client_max_body_size && d->total > (uint64_t)r->loc->client_max_body_size)
        return 413;
    if (rc == HS_OK)
        r->body_chunked = false;
    return rc;
}

static void discard_body_step(hs_req *r)
{
    hs_conn *c = r->conn;
    for (;;) {
        int rc = discard_buffered(r);
        if (rc == HS_OK) {
            hs_timer_cancel(&c->timer);
            r->body_left = 0;
            r->body_done = true;
            run_handler(r);
            return;
        }
        if (rc == HS_ERROR || rc == 413) {
            r->body_left = 0;
            r->body_chunked = false;
            bad_request(r, rc == 413 ? 413 : 400, rc == 413 ? "body too large" : "invalid chunked body");
            return;
        }
        if (c->buf_pos == c->buf_len)
            c->buf_pos = c->buf_len = 0;
        ssize_t n = conn_recv(c);
        if (n == HS_AGAIN) {
            hs_timer_set(&c->timer, (uint64_t)r->loc->client_body_timeout);
            return;
        }
        if (n <= 0) {
            hs_http_end_request(r, HS_END_CLIENT_ABORT_BODY, 400);
            hs_conn_close(c);
            return;
        }
    }
}

static void start_discard_body(hs_req *r)
{
    hs_conn *c = r->conn;
    bool whole_body_here = !r->h.chunked && c->buf_len - c->buf_pos >= (uint64_t)r->h.content_length;
    if (!whole_body_here && head_detach(r) != HS_OK) {
        bad_request(r, 500, NULL);
        return;
    }
    r->body_left = r->h.chunked ? 0 : r->h.content_length;
    if (r->h.chunked) {
        r->chunked = hs_palloc(r->pool, sizeof(hs_chunked));
        hs_chunked_init(r->chunked);
        r->body_chunked = true;
    }
    c->state = HS_CONN_READ_BODY;
    discard_body_step(r);
}

/* ---- locations and handlers ---- */

static bool has_body(const hs_req *r) { return r->h.chunked || r->h.content_length > 0; }

static void run_handler(hs_req *r)
{
    hs_loc_conf *lc = r->loc;
    switch (lc->handler) {
    case HS_HANDLER_RETURN:
        hs_http_return_handler(r);
        return;
    case HS_HANDLER_STUB_STATUS:
        hs_stats_stub_status_handler(r);
        return;
    case HS_HANDLER_METRICS:
        hs_stats_metrics_handler(r);
        return;
    default:
        if (lc->try_files && hs_http_try_files(r) == HS_OK)
            return;
        hs_http_static_handler(r);
    }
}

/* "100 Continue" for a client that waits before sending its body. It is
 * tiny and goes out on an idle socket; if it cannot be sent now the client
 * sends its body after its own timeout anyway. */
void hs_http_send_continue(hs_req *r)
{
    static const char line[] = "HTTP/1.1 100 Continue\r\n\r\n";
    if (r->h.version < 11)
        return;
    ssize_t n = send(r->conn->fd, line, sizeof(line) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0)
        r->conn->bytes_out += (uint64_t)n;
}

/* Runs the selected location: drops and limits first, then the body, then
 * the handler. */
void hs_http_run_location(hs_req *r)
{
    if (hs_edge_location_phase(r) != HS_OK)
        return;
    hs_loc_conf *lc = r->loc;
    if (lc->return_set && lc->return_code == 444) {
        hs_http_drop(r, "return");
        return;
    }
    if (lc->handler == HS_HANDLER_PROXY && !(lc->client_max_body_size &&
                                             r->h.content_length > lc->client_max_body_size)) {
        hs_proxy_handler(r); /* the proxy reads the body itself */
        return;
    }
    if (!has_body(r) || r->redirects > 0) {
        run_handler(r);
        return;
    }
    if (lc->client_max_body_size && r->h.content_length > lc->client_max_body_size) {
        hs_log(HS_LOG_ERR, "*%llu client intended to send too large body: %lld bytes, client: %s",
               (unsigned long long)r->conn->number, (long long)r->h.content_length,
               hs_conn_peer_text(r->conn));
        bad_request(r, 413, NULL);
        return;
    }
    if (r->h.expect_continue && r->conn->buf_len == r->conn->buf_pos)
        hs_http_send_continue(r);
    start_discard_body(r);
}

static int set_uri(hs_req *r, hs_str raw)
{
    char *out = hs_palloc(r->pool, raw.n + 1);
    size_t n;
    if (out == NULL || hs_http_normalize_path(raw, out, &n) != HS_OK)
        return HS_ERROR;
    r->uri = (hs_str){out, n};
    return HS_OK;
}

void hs_http_internal_redirect(hs_req *r, hs_str uri, hs_str args)
{
    if (++r->redirects > MAX_INTERNAL_REDIRECTS) {
        hs_log(HS_LOG_ERR, "*%llu rewrite or internal redirection cycle while processing \"%.*s\"",
               (unsigned long long)r->conn->number, (int)uri.n, uri.p);
        r->error_page_status = -2;
        hs_http_error_response(r, 500);
        hs_http_send_response(r);
        return;
    }
    if (set_uri(r, uri) != HS_OK) {
        r->uri = uri;
    }
    r->args = args;
    if (hs_edge_server_phase(r) != HS_OK)
        return;
    if (r->srv->loc->return_set) {
        /* a server-level return runs before any location is chosen, as in nginx */
        hs_http_run_location(r);
        return;
    }
    r->loc = hs_http_find_location(r, r->srv->loc, r->uri);
    hs_http_run_location(r);
}

void hs_http_named_location(hs_req *r, hs_str name)
{
    hs_loc_conf *l = hs_http_find_named(r->srv, name);
    if (l == NULL || ++r->redirects > MAX_INTERNAL_REDIRECTS) {
        hs_log(HS_LOG_ERR, "*%llu could not find named location \"%.*s\"",
               (unsigned long long)r->conn->number, (int)name.n, name.p);
        r->error_page_status = -2;
        hs_http_error_response(r, 500);
        hs_http_send_response(r);
        return;
    }
    r->loc = l;
    hs_http_run_location(r);
}

/* The head is complete: route the request. */
static void process_request(hs_req *r)
{
    hs_conn *c = r->conn;
    r->head_done = true;
    r->request_length = r->h.head_len;
    r->args = r->h.args;
    hs_timer_cancel(&c->timer);
    char *host = hs_palloc(r->pool, r->h.host.n + 1);
    size_t host_len = 0;
    if (r->h.host.n && hs_http_parse_host(r->h.host, host, &host_len) != HS_OK) {
        bad_request(r, 400, "invalid host");
        return;
    }
    r->host = (hs_str){host, host_len};
    r->srv = hs_http_find_server(c->group, r->host, r);
    r->loc = r->srv->loc;
    if (r->h.path.n == 0 || r->h.path.p[0] != '/') {
        /* "*" (OPTIONS) and CONNECT targets are not served */
        bad_request(r, r->h.method_id == HS_METHOD_CONNECT ? 405 : 400, NULL);
        return;
    }
    if (set_uri(r, r->h.path) != HS_OK) {
        bad_request(r, 400, "invalid path");
        return;
    }
    if (hs_edge_request_start(r) != HS_OK || hs_edge_server_phase(r) != HS_OK)
        return;
    if (r->srv->loc->return_set) {
        /* a server-level return runs before any location is chosen, as in nginx */
        hs_http_run_location(r);
        return;
    }
    r->loc = hs_http_find_location(r, r->srv->loc, r->uri);
    hs_http_run_location(r);
}

/* ---- reading heads ---- */

static void head_too_large(hs_req *r)
{
    if (!r->h.request_line_done) {
        bad_request(r, 414, "request line too long");
        return;
    }
    bad_request(r, 431, "request header too large");
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
        bad_request(r, 414, "request line too long");
        return true;
    }
    for (size_t i = 0; i < r->h.nheaders; i++) {
        const hs_header *h = &r->headers[i];
        if ((size_t)(h->value.p + h->value.n - h->name.p) + 2 > limit) {
            bad_request(r, 431, "request header line too long");
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

/* Parses what the buffer holds. HS_OK: a request was handled (or is in
 * flight); HS_AGAIN: need more bytes; HS_DECLINED: the request ended the
 * connection or made it wait. */
static int parse_step(hs_conn *c)
{
    hs_req *r = c->req;
    size_t avail = c->buf_len - c->buf_pos;
    int rc = hs_http_parse_request(c->buf + c->buf_pos, avail, &r->h, r->headers, MAX_HEADERS);
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
        bad_request(r, r->h.error_status ? r->h.error_status : 400, r->h.error_reason);
        return HS_DECLINED;
    }
    if (head_line_too_long(r)) {
        c->buf_pos = c->buf_len;
        return HS_DECLINED;
    }
    c->buf_pos += (uint32_t)r->h.head_len;
    c->state = HS_CONN_READ_HEAD;
    process_request(r);
    return HS_OK;
}

static int start_request(hs_conn *c)
{
    c->req = req_get(c);
    if (c->req == NULL)
        return HS_ERROR;
    c->requests++;
    c->req->pipelined = c->next_pipelined;
    c->next_pipelined = false;
    if (c->state == HS_CONN_KEEPALIVE)
        hs_timer_set(&c->timer, (uint64_t)default_srv(c)->client_header_timeout);
    c->state = HS_CONN_READ_HEAD;
    return HS_OK;
}

/* EOF or error while waiting for (the rest of) a head. */
static void head_eof(hs_conn *c)
{
    if (c->req == NULL) {
        hs_http_conn_ended(c, c->state == HS_CONN_NEW ? HS_END_NO_REQUEST : HS_END_KEEPALIVE_CLOSE);
        return;
    }
    /* a partial head and the client left: nginx logs this as 400 */
    hs_req *r = c->req;
    if (r->srv == NULL) {
        r->srv = default_srv(c);
        r->loc = r->srv->loc;
    }
    hs_http_end_request(r, HS_END_BAD_REQUEST, 400);
    hs_conn_close(c);
}

static void read_heads(hs_conn *c)
{
    while (c->state == HS_CONN_NEW || c->state == HS_CONN_KEEPALIVE || c->state == HS_CONN_READ_HEAD) {
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
        if (c->buf_len == c->buf_cap) {
            int g = buf_grow_for_head(c);
            if (g == HS_DECLINED) {
                head_too_large(c->req);
                continue;
            }
            if (g != HS_OK) {
                hs_conn_close(c);
                return;
            }
        }
        if (!c->readable && !c->peer_closed) {
            if (c->req == NULL && c->buf_pos >= c->buf_len)
                hs_conn_buf_release(c); /* idle: hold no buffer */
            return;
        }
        ssize_t n = conn_recv(c);
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

void hs_http_on_readable(hs_conn *c)
{
    switch (c->state) {
    case HS_CONN_NEW:
    case HS_CONN_KEEPALIVE:
    case HS_CONN_READ_HEAD:
        read_heads(c);
        break;
    case HS_CONN_READ_BODY:
        discard_body_step(c->req);
        /* the request may have finished: its pipelined successor is already buffered */
        if (c->state == HS_CONN_KEEPALIVE && (c->buf || c->readable))
            read_heads(c);
        break;
    case HS_CONN_LINGER:
        hs_conn_linger_read(c);
        break;
    default:
        break; /* read later, in order */
    }
}

void hs_http_on_writable(hs_conn *c)
{
    if (c->state != HS_CONN_WRITE || c->req == NULL)
        return;
    write_step(c->req);
    /* the response may have finished: go on with pipelined input */
    if (c->state == HS_CONN_CLOSED)
        return;
    if (c->state == HS_CONN_KEEPALIVE && (c->buf || c->readable))
        read_heads(c);
}

void hs_http_conn_timeout(hs_conn *c)
{
    hs_req *r = c->req;
    if (r && r->proxying) {
        hs_ending why = c->state == HS_CONN_WRITE ? HS_END_SEND_TIMEOUT : HS_END_BODY_TIMEOUT;
        hs_proxy_abandon(r);
        hs_http_end_request(r, why, why == HS_END_BODY_TIMEOUT ? 408 : 0);
        hs_conn_close(c);
        return;
    }
    switch (c->state) {
    case HS_CONN_NEW:
        if (r == NULL) {
            hs_http_conn_ended(c, HS_END_NO_REQUEST);
            return;
        }
        __attribute__((fallthrough)); /* bytes arrived but not a whole head */
    case HS_CONN_READ_HEAD:
        if (r == NULL) {
            hs_http_conn_ended(c, HS_END_KEEPALIVE_CLOSE);
            return;
        }
        if (r->srv == NULL) {
            r->srv = default_srv(c);
            r->loc = r->srv->loc;
        }
        hs_http_end_request(r, HS_END_HEADER_TIMEOUT, 408);
        hs_conn_close(c);
        return;
    case HS_CONN_KEEPALIVE:
        hs_http_conn_ended(c, HS_END_KEEPALIVE_CLOSE);
        return;
    case HS_CONN_READ_BODY:
        hs_http_end_request(r, HS_END_BODY_TIMEOUT, 408);
        hs_conn_close(c);
        return;
    case HS_CONN_WRITE:
        hs_http_end_request(r, HS_END_SEND_TIMEOUT, 0);
        hs_conn_close(c);
        return;
    case HS_CONN_LINGER:
        hs_conn_close(c);
        return;
    case HS_CONN_TARPIT:
        hs_drop_tarpit_expired(c);
        return;
    }
}
