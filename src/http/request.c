/* The life of a request from its phases on: its memory, its deadline, the
 * response and how it is sent, error pages, and its ending — logged and
 * counted exactly once (docs/design.md §2), then handed back to the
 * protocol for keep-alive or close. */
#include <malloc.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/errlog.h"
#include "http/internal.h"

#define MAX_INTERNAL_REDIRECTS 10
#define REQ_POOL_CHUNK 8192
#define FREE_REQS_MAX 512 /* HTTP/2: a connection has up to 128 streams at once */
#define TRIM_AFTER_FREES 256

static hs_req *free_reqs; /* recycled requests, linked through conn */
static int n_free_reqs;
static unsigned freed_since_trim; /* request memory given back to malloc */

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

static void on_req_timer(hs_timer *t)
{
    hs_http_request_timeout((hs_req *)((char *)t - offsetof(hs_req, timer)));
}

hs_req *hs_req_new(hs_conn *c)
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
    r->timer.on_timer = on_req_timer;
    r->resp.file_fd = -1;
    r->resp.content_length = -1;
    r->resp.last_modified = -1;
    r->start_usec = hs_now.mono_usec;
    r->start_msec_wall = hs_now.msec;
    return r;
}

int hs_http_set_ctx(hs_req *r, const hs_module *m, void *state)
{
    if (r->ctx == NULL && (r->ctx = hs_pcalloc(r->pool, HS_MAX_MODULES * sizeof(void *))) == NULL)
        return HS_ERROR;
    r->ctx[m->index] = state;
    return HS_OK;
}

void hs_req_free(hs_req *r)
{
    hs_timer_cancel(&r->timer);
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

hs_req *hs_http_bare_request(hs_conn *c)
{
    hs_req *r = hs_req_new(c);
    if (r == NULL)
        return NULL;
    r->bare = true;
    r->srv = c->group->default_srv;
    r->loc = r->srv->loc;
    r->ending = (hs_ending)c->ending;
    r->drop_rule = c->ending == HS_END_DROP || c->ending == HS_END_TLS_REJECTED ? c->drop_rule : NULL;
    r->start_usec = c->start_msec * 1000;
    return r;
}

void hs_http_bare_free(hs_req *r) { hs_req_free(r); }

/* ---- endings ---- */

void hs_http_log_and_count(hs_req *r)
{
    if (r->logged)
        return;
    r->logged = true;
    if (r->ending == HS_END_NONE)
        r->ending = HS_END_OK;
    if (!r->bare) {
        r->conn->ending = (uint8_t)r->ending;
        r->conn->drop_rule = r->drop_rule;
        HS_HTTP_COUNT(endings[r->ending]);
        HS_HTTP_COUNT(requests_all);
        if (r->ending == HS_END_DROP)
            HS_HTTP_COUNT(dropped_request);
    }
    hs_http_hooks *h = hs_conn_hooks(r->conn);
    for (uint8_t i = 0; i < h->nphase[HS_PHASE_LOG]; i++)
        h->phase[HS_PHASE_LOG][i](r);
}

void hs_http_end_request(hs_req *r, hs_ending why, int status)
{
    hs_conn *c = r->conn;
    r->ending = why;
    if (status)
        r->resp.status = status;
    r->owner = NULL;
    hs_http_log_and_count(r);
    hs_req_free(r);
    c->req = NULL;
}

void hs_http_end(hs_req *r, hs_ending why, int status)
{
    hs_conn *c = r->conn;
    if (c->proto) {
        c->proto->end(r, why, status);
        return;
    }
    bool timeout = why == HS_END_HEADER_TIMEOUT || why == HS_END_BODY_TIMEOUT || why == HS_END_SEND_TIMEOUT;
    if (timeout && r->loc && r->loc->reset_timedout)
        hs_tcp_set_reset(c->io.fd); /* reset_timedout_connection: RST, no FIN_WAIT on the server */
    hs_http_end_request(r, why, status);
    hs_conn_close(c);
}

/* The core's default drop: close, as nginx's return 444 (RST under
 * reset_timedout_connection). */
static void drop_close(hs_conn *c, hs_loc_conf *lc)
{
    if (lc->reset_timedout)
        hs_tcp_set_reset(c->io.fd);
    hs_conn_close(c);
}

void hs_http_drop(hs_req *r, const char *rule)
{
    hs_conn *c = r->conn;
    hs_loc_conf *lc = r->loc ? r->loc : hs_conn_default_srv(c)->loc;
    hs_drop_fn drop = hs_conn_hooks(c)->drop ? hs_conn_hooks(c)->drop : drop_close;
    r->drop_rule = rule;
    if (c->proto) { /* HTTP/2: the stream is reset, the connection goes on */
        c->proto->end(r, HS_END_DROP, 444);
        return;
    }
    hs_http_end_request(r, HS_END_DROP, 444);
    drop(c, lc);
}

/* Called with the request's connection for every request that ends with its
 * response sent: logs it and hands the connection back to the protocol. */
static void request_done(hs_req *r)
{
    hs_conn *c = r->conn;
    int64_t keepalive_msec = r->loc ? r->loc->keepalive_timeout : 0;
    bool nodelay = r->loc && r->loc->tcp_nodelay;
    bool keep = r->resp.keepalive;
    if (c->proto) {
        c->proto->done(r);
        return;
    }
    r->owner = NULL;
    hs_http_log_and_count(r);
    hs_req_free(r);
    hs_h1_request_done(c, keep, keepalive_msec, nodelay);
}

void hs_http_response_done(hs_req *r)
{
    hs_conn *c = r->conn;
    request_done(r);
    /* finished from the handler's own events: go on with what the client
     * pipelined meanwhile */
    if (c->state == HS_CONN_KEEPALIVE && (c->buf || c->readable) && !c->proto)
        hs_h1_on_readable(c);
}

/* ---- sending ---- */

void hs_http_write_step(hs_req *r)
{
    int rc = r->conn->proto ? r->conn->proto->write(r) : hs_h1_write_pending(r);
    if (rc == HS_OK) {
        hs_timer_cancel(&r->timer);
        request_done(r);
        return;
    }
    if (rc == HS_AGAIN) {
        if (!r->rate_wait)
            hs_timer_set(&r->timer, (uint64_t)r->loc->send_timeout);
        return;
    }
    /* the client went away while we were sending */
    hs_ending why = r->resp.started ? HS_END_CLIENT_ABORT_BODY : HS_END_CLIENT_ABORT;
    hs_http_end(r, why, r->resp.started ? 0 : 499);
}

bool hs_http_want_keepalive(hs_req *r)
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

int hs_http_response_head(hs_req *r)
{
    hs_resp *rs = &r->resp;
    hs_http_hooks *h = hs_conn_hooks(r->conn);
    if (r->h.method_id == HS_METHOD_HEAD || rs->status == 304 || rs->status == 204 || rs->status < 200)
        rs->header_only = true;
    for (uint8_t i = 0; i < h->nheader_filter; i++)
        if (h->header_filter[i](r) != HS_OK)
            return HS_ERROR;
    bool unframed = rs->content_length < 0 && !rs->header_only;
    rs->chunked = unframed && r->h.version == 11;
    rs->keepalive = hs_http_want_keepalive(r) && (!unframed || rs->chunked);
    return r->conn->proto ? r->conn->proto->head(r) : hs_h1_build_head(r);
}

void hs_http_stream_finish(hs_req *r)
{
    r->conn->state = HS_CONN_REQUEST;
    r->state = HS_REQ_WRITE;
    hs_http_write_step(r);
}

void hs_http_send_response(hs_req *r)
{
    if (hs_http_response_head(r) != HS_OK || (r->resp.filtered && hs_h1_filter_body(r) != HS_OK)) {
        hs_http_end(r, HS_END_BAD_REQUEST, 500);
        return;
    }
    hs_http_stream_finish(r);
}

/* ---- error pages and finalize ---- */

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

static void redirect_to_page(hs_req *r, hs_str uri)
{
    if (r->h.method_id != HS_METHOD_HEAD)
        r->h.method_id = HS_METHOD_GET; /* error pages are fetched with GET */
    const char *q = memchr(uri.p, '?', uri.n);
    hs_str path = q ? (hs_str){uri.p, (size_t)(q - uri.p)} : uri;
    hs_str args = q ? (hs_str){q + 1, uri.n - path.n - 1} : HS_NULL_STR;
    hs_http_internal_redirect(r, path, args);
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
    } else if (uri.p[0] != '/') {
        /* an absolute URL: redirect the client (302, or the =code given) */
        hs_http_error_response(r, ep->overwrite > 0 ? ep->overwrite : 302);
        r->resp.location = uri;
        hs_http_send_response(r);
    } else {
        redirect_to_page(r, uri);
    }
    return true;
}

void hs_http_finalize(hs_req *r, int status) { hs_http_finalize_rule(r, status, "return"); }

void hs_http_finalize_rule(hs_req *r, int status, const char *rule)
{
    if (status == 444) { /* nginx's "close without a response", from any rule */
        hs_http_drop(r, rule);
        return;
    }
    if (status >= 300 && run_error_page(r, status))
        return;
    hs_http_error_response(r, status);
    hs_http_send_response(r);
}

int hs_http_response_status(hs_req *r, int status)
{
    if (r->error_page_status > 0)
        return r->error_page_status;
    return status;
}

/* ---- handlers that own the request ---- */

void hs_http_own(hs_req *r, const hs_handler *h)
{
    r->owner = h;
    r->state = HS_REQ_HANDLER;
    r->conn->state = HS_CONN_REQUEST;
}

void hs_http_release(hs_req *r) { r->owner = NULL; }

void hs_http_client_deadline(hs_req *r, int64_t msec, hs_ending why)
{
    r->timer_ending = why;
    if (r->rate_wait)
        return; /* the timer wakes limit_rate's pause first */
    if (msec > 0)
        hs_timer_set(&r->timer, (uint64_t)msec);
    else
        hs_timer_cancel(&r->timer);
}

void hs_http_request_abandon(hs_req *r, hs_ending why)
{
    if (r->owner && r->owner->on_abandon)
        r->owner->on_abandon(r);
    hs_http_end_request(r, why, r->resp.started ? 0 : 499);
}

void hs_http_request_timeout(hs_req *r)
{
    if (r->rate_wait) { /* limit_rate's pause is over: as if the socket became writable */
        r->rate_wait = false;
        hs_http_request_event(r, EPOLLOUT);
        return;
    }
    hs_ending why = r->state == HS_REQ_WRITE ? HS_END_SEND_TIMEOUT
                  : r->state == HS_REQ_BODY  ? HS_END_BODY_TIMEOUT
                                             : r->timer_ending;
    if (r->owner && r->owner->on_abandon)
        r->owner->on_abandon(r);
    hs_http_end(r, why, why == HS_END_BODY_TIMEOUT ? 408 : 0);
}

void hs_http_request_event(hs_req *r, uint32_t events)
{
    hs_conn *c = r->conn;
    if (r->owner) {
        r->owner->on_client_event(r, events);
        return;
    }
    if (r->state == HS_REQ_WRITE && r->rate_wait && (events & (EPOLLHUP | EPOLLERR))) /* gone while limit_rate held */
        hs_http_end(r, r->resp.started ? HS_END_CLIENT_ABORT_BODY : HS_END_CLIENT_ABORT, r->resp.started ? 0 : 499);
    else if (r->state == HS_REQ_WRITE && c->writable)
        hs_http_write_step(r);
    else if (r->state == HS_REQ_BODY && c->readable)
        hs_h1_body_event(r);
    else if (r->state == HS_REQ_PHASES && (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
        hs_http_end(r, HS_END_CLIENT_ABORT, 499); /* it left while a phase held it (a limit_req delay) */
}

/* ---- internal redirects ---- */

/* Too many internal redirects, or a named location that does not exist. */
static void redirect_failed(hs_req *r)
{
    r->error_page_status = -2;
    hs_http_error_response(r, 500);
    hs_http_send_response(r);
}

void hs_http_named_location(hs_req *r, hs_str name)
{
    hs_loc_conf *l = hs_http_find_named(r->srv, name);
    if (l == NULL || ++r->redirects > MAX_INTERNAL_REDIRECTS) {
        hs_log_ctx(HS_LOG_ERR, r, 0, "could not find named location \"%.*s\"", (int)name.n, name.p);
        redirect_failed(r);
        return;
    }
    r->loc = l;
    r->internal = true;
    r->handler = NULL;
    hs_http_run_location(r);
}

bool hs_http_redirect_allowed(hs_req *r, hs_str uri)
{
    if (++r->redirects <= MAX_INTERNAL_REDIRECTS)
        return true;
    hs_log_ctx(HS_LOG_ERR, r, 0, "rewrite or internal redirection cycle while processing \"%.*s\"", (int)uri.n,
               uri.p);
    redirect_failed(r);
    return false;
}
