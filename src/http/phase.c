/* A request from its complete head to its handler: the server is chosen,
 * then the phases run in nginx's order — post-read, server rewrite, the
 * location is found, rewrite, preaccess, access, content — each a list of
 * the hooks modules registered. A hook may hold the request and resume it
 * later (limit_req's delay). Internal redirects start over at the server
 * rewrite phase; a rewrite of $uri in a location searches the location
 * again (hs_http_location_changed). */
#include <stdlib.h>

#include "core/errlog.h"
#include "http/internal.h"
#include "parse/path.h"

/* ---- registration ---- */

static hs_http_hooks *hooks_of(hs_cf *cf, hs_http_conf *http)
{
    if (http->hooks == NULL)
        http->hooks = hs_pcalloc(cf->pool, sizeof(hs_http_hooks));
    return http->hooks;
}

/* Appends fn to a pool-allocated list of function pointers. */
static int push_fn(hs_cf *cf, void ***list, uint8_t *n, void *fn)
{
    if (*n == UINT8_MAX)
        return HS_ERROR;
    void **v = hs_palloc(cf->pool, (*n + 1u) * sizeof(void *));
    if (v == NULL)
        return HS_ERROR;
    if (*n)
        memcpy(v, *list, *n * sizeof(void *));
    v[(*n)++] = fn;
    *list = v;
    return HS_OK;
}

int hs_http_add_phase(hs_cf *cf, hs_http_conf *http, hs_phase phase, hs_phase_fn fn)
{
    hs_http_hooks *h = hooks_of(cf, http);
    return push_fn(cf, (void ***)&h->phase[phase], &h->nphase[phase], (void *)fn);
}

int hs_http_add_accept(hs_cf *cf, hs_http_conf *http, hs_accept_fn fn)
{
    hs_http_hooks *h = hooks_of(cf, http);
    return push_fn(cf, (void ***)&h->accept, &h->naccept, (void *)fn);
}

int hs_http_add_closed(hs_cf *cf, hs_http_conf *http, hs_conn_fn fn)
{
    hs_http_hooks *h = hooks_of(cf, http);
    return push_fn(cf, (void ***)&h->closed, &h->nclosed, (void *)fn);
}

int hs_http_add_addressed(hs_cf *cf, hs_http_conf *http, hs_addressed_fn fn)
{
    hs_http_hooks *h = hooks_of(cf, http);
    return push_fn(cf, (void ***)&h->addressed, &h->naddressed, (void *)fn);
}

int hs_http_conn_addressed(hs_conn *c, const struct sockaddr *addr)
{
    hs_http_hooks *h = c->group->hooks;
    for (uint8_t i = 0; i < h->naddressed; i++)
        if (h->addressed[i](c, addr) != HS_OK)
            return HS_DONE;
    return HS_OK;
}

int hs_http_add_header_filter(hs_cf *cf, hs_http_conf *http, hs_header_filter_fn fn)
{
    hs_http_hooks *h = hooks_of(cf, http);
    return push_fn(cf, (void ***)&h->header_filter, &h->nheader_filter, (void *)fn);
}

int hs_http_add_body_filter(hs_cf *cf, hs_http_conf *http, hs_body_filter_fn fn)
{
    hs_http_hooks *h = hooks_of(cf, http);
    return push_fn(cf, (void ***)&h->body_filter, &h->nbody_filter, (void *)fn);
}

void hs_http_set_dropper(hs_http_conf *http, hs_drop_fn fn) { http->hooks->drop = fn; }

void hs_http_set_default_handler(hs_http_conf *http, const hs_handler *h) { http->hooks->content = h; }

/* ---- running the phases ---- */

/* The hooks of phase p from hook `from` on. HS_OK: all let the request
 * pass; HS_DONE: one ended it or holds it. */
static int run_hooks(hs_req *r, hs_phase p, uint8_t from)
{
    hs_http_hooks *h = hs_conn_hooks(r->conn);
    r->phase = (uint8_t)p;
    for (uint8_t i = from; i < h->nphase[p]; i++) {
        r->phase_hook = i;
        if (h->phase[p][i](r) != HS_OK)
            return HS_DONE;
    }
    return HS_OK;
}

/* The access phase, combined as `satisfy` says (http/phase.h); under
 * `any` a 401 is kept over a 403, so that the client is asked for a password. */
static int run_access(hs_req *r, uint8_t from)
{
    hs_http_hooks *h = hs_conn_hooks(r->conn);
    r->phase = HS_PHASE_ACCESS;
    if (from == 0)
        r->access_code = 0;
    for (uint8_t i = from; i < h->nphase[HS_PHASE_ACCESS]; i++) {
        r->phase_hook = i;
        int rc = h->phase[HS_PHASE_ACCESS][i](r);
        if (rc == HS_DONE)
            return HS_DONE;
        if (rc == HS_OK && r->loc->satisfy_any) {
            r->access_code = 0;
            r->resp.www_authenticate = HS_NULL_STR; /* an earlier hook's challenge is moot */
            return HS_OK;
        }
        if (rc > 0 && !r->loc->satisfy_any) {
            hs_http_finalize(r, rc);
            return HS_DONE;
        }
        if (rc > 0 && r->access_code != 401)
            r->access_code = rc;
    }
    if (r->access_code == 0)
        return HS_OK;
    hs_http_finalize(r, r->access_code);
    return HS_DONE;
}

/* Runs the phases from phase p (hook `from` of it) to the handler. */
static void run_from(hs_req *r, hs_phase p, uint8_t from)
{
    r->state = HS_REQ_PHASES;
    switch (p) {
    case HS_PHASE_POST_READ:
        if (run_hooks(r, HS_PHASE_POST_READ, from) != HS_OK)
            return;
        from = 0;
        __attribute__((fallthrough));
    case HS_PHASE_SERVER_REWRITE:
        if (run_hooks(r, HS_PHASE_SERVER_REWRITE, from) != HS_OK)
            return;
        from = 0;
        __attribute__((fallthrough));
    case HS_PHASE_FIND_LOCATION:
        r->loc = hs_http_find_location(r, r->srv->loc, r->uri);
        r->location_stale = false;
        __attribute__((fallthrough));
    default:
        hs_http_run_location(r);
        return;
    }
}

/* The location's phases, from the one r stands in. */
static void run_location_from(hs_req *r, hs_phase p, uint8_t from)
{
    r->state = HS_REQ_PHASES;
    switch (p) {
    default:
        if (run_hooks(r, HS_PHASE_REWRITE, from) != HS_OK)
            return;
        from = 0;
        __attribute__((fallthrough));
    case HS_PHASE_PREACCESS:
        if (run_hooks(r, HS_PHASE_PREACCESS, from) != HS_OK)
            return;
        from = 0;
        __attribute__((fallthrough));
    case HS_PHASE_ACCESS:
        if (run_access(r, from) != HS_OK)
            return;
        __attribute__((fallthrough));
    case HS_PHASE_CONTENT:
        r->phase = HS_PHASE_CONTENT;
        hs_http_run_content(r);
    }
}

void hs_http_run_location(hs_req *r) { run_location_from(r, HS_PHASE_REWRITE, 0); }

void hs_http_phases_resume(hs_req *r)
{
    uint8_t next = (uint8_t)(r->phase_hook + 1);
    if (r->phase < HS_PHASE_REWRITE)
        run_from(r, (hs_phase)r->phase, next);
    else
        run_location_from(r, (hs_phase)r->phase, next);
}

/* ---- content ---- */

static void not_found(hs_req *r) { hs_http_finalize(r, 404); }

static const hs_handler no_handler = {.name = "none", .run = not_found};

static const hs_handler *handler_of(hs_req *r)
{
    if (r->handler)
        return r->handler;
    if (r->loc->handler)
        return r->loc->handler;
    const hs_handler *h = hs_conn_hooks(r->conn)->content;
    return h ? h : &no_handler;
}

static bool body_too_large(hs_req *r)
{
    int64_t max = r->loc->client_max_body_size;
    if (max == 0 || r->h.content_length <= max)
        return false;
    hs_log_ctx(HS_LOG_ERR, r, 0, "client intended to send too large body: %lld bytes",
               (long long)r->h.content_length);
    return true;
}

void hs_http_run_content(hs_req *r)
{
    const hs_handler *h = handler_of(r);
    /* after an internal redirect too (rewrite ... last), while no body byte was taken */
    bool body = !r->body_done && (r->redirects == 0 || r->request_length == r->h.head_len);
    if (body && body_too_large(r)) {
        hs_h1_bad_request(r, 413, NULL);
        return;
    }
    if (body && !h->reads_body) {
        hs_http_send_continue(r);
        hs_h1_discard_body(r);
        return;
    }
    r->state = HS_REQ_PHASES;
    h->run(r);
}

void hs_http_run_handler(hs_req *r, const hs_handler *h)
{
    r->handler = h;
    r->phase = HS_PHASE_CONTENT;
    hs_http_run_content(r);
}

/* ---- from the head to the phases ---- */

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
    if (!hs_http_redirect_allowed(r, uri))
        return;
    if (set_uri(r, uri) != HS_OK)
        r->uri = uri;
    r->args = args;
    r->internal = r->uri_changed = true;
    r->handler = NULL;
    r->loc = r->srv->loc;
    run_from(r, HS_PHASE_SERVER_REWRITE, 0);
}

void hs_http_location_changed(hs_req *r)
{
    if (!hs_http_redirect_allowed(r, r->uri))
        return;
    r->internal = r->uri_changed = true;
    r->handler = NULL;
    run_from(r, HS_PHASE_FIND_LOCATION, 0);
}

/* The Host header, lowercased and without its port. */
static int set_host(hs_req *r)
{
    char *host = hs_palloc(r->pool, r->h.host.n + 1);
    size_t host_len = 0;
    if (host == NULL || (r->h.host.n && hs_http_parse_host(r->h.host, host, &host_len) != HS_OK))
        return HS_ERROR;
    r->host = (hs_str){host, host_len};
    return HS_OK;
}

void hs_http_process_request(hs_req *r)
{
    hs_io_request_started(&r->conn->io);
    r->head_done = true;
    r->request_length = r->h.head_len;
    r->args = r->h.args;
    hs_h1_body_init(r);
    if (set_host(r) != HS_OK) {
        hs_h1_bad_request(r, 400, "invalid host");
        return;
    }
    r->srv = hs_http_find_server(r->conn->group, r->host, r);
    r->loc = r->srv->loc;
    if (r->h.path.n == 0 || r->h.path.p[0] != '/') {
        /* "*" (OPTIONS) and CONNECT targets are not served */
        hs_h1_bad_request(r, r->h.method_id == HS_METHOD_CONNECT ? 405 : 400, NULL);
        return;
    }
    if (set_uri(r, r->h.path) != HS_OK) {
        hs_h1_bad_request(r, 400, "invalid path");
        return;
    }
    if (r->h.method_id == HS_METHOD_TRACE) { /* never echoed back, as nginx */
        hs_h1_bad_request(r, 405, "client sent TRACE method");
        return;
    }
    run_from(r, HS_PHASE_POST_READ, 0);
}
