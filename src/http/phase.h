/* What modules plug into the HTTP core: request phases (nginx's order),
 * connection hooks, content handlers, and the drop decider.
 *
 * A module registers its hooks from its http_finish (conf/module.h), into
 * the http block being finished, and only for what the configuration uses:
 * a phase without hooks costs nothing. Hooks of one phase run in module
 * order (src/modules.c). */
#ifndef HS_HTTP_PHASE_H
#define HS_HTTP_PHASE_H

#include "http/http.h"

/* The request phases, in the order they run. The core's own steps are in
 * brackets: they take no hooks. */
typedef enum {
    HS_PHASE_POST_READ,      /* the head is complete and the server chosen */
    HS_PHASE_SERVER_REWRITE, /* server-level rules (rewrite, if, set, return) */
    HS_PHASE_FIND_LOCATION,  /* [the location is chosen] */
    HS_PHASE_REWRITE,        /* location-level rules (rewrite, if, set, return) */
    HS_PHASE_PREACCESS,      /* limits (limit_req, limit_conn) */
    HS_PHASE_ACCESS,         /* allow/deny, auth_basic: combined by `satisfy` (see below) */
    HS_PHASE_CONTENT,        /* [the request body, then the location's handler] */
    HS_PHASE_LOG,            /* the request ended (logged or not): metrics, log line, bans */
    HS_PHASE__COUNT
} hs_phase;

/* A request-phase hook: HS_OK goes on with the next hook; HS_DONE means the
 * hook ended the request (answered, dropped) or holds it — then it calls
 * hs_http_phases_resume(r) when it lets go. LOG hooks' results are ignored. */
typedef int (*hs_phase_fn)(hs_req *r);
/* ACCESS hooks answer more: HS_OK lets the request in, HS_DECLINED says no
 * rule of the hook applies, a status (403, 401) refuses it, HS_DONE ended or
 * holds it. The core combines them as the location's `satisfy` says (all:
 * the first refusal answers; any: the first HS_OK lets the request in, a
 * refusal answers only when no hook does) and finalizes with the refusal; a
 * hook that refuses sets its response headers first (WWW-Authenticate). */

/* Accept hook, before a byte is read: HS_OK keeps the connection;
 * HS_DECLINED means the hook dropped it (closed fd, logged, counted). */
typedef int (*hs_accept_fn)(hs_listener *l, int fd, const struct sockaddr_storage *peer);
/* A connection's client address became known after accept (a PROXY
 * header's source, addr): HS_OK keeps it; HS_DONE: the hook dropped it
 * (hs_conn_drop). */
typedef int (*hs_addressed_fn)(hs_conn *c, const struct sockaddr *addr);
/* A connection ended: c->ending is its last ending (connection log). */
typedef void (*hs_conn_fn)(hs_conn *c);

/* How the connection of a dropped request ends (edge's drop_mode). The
 * request is already logged; the decider must close c (hs_conn_close) or
 * take its socket (hs_conn_release_fd). */
typedef void (*hs_drop_fn)(hs_conn *c, hs_loc_conf *lc);

/* A header filter runs once on every response (files, return, error
 * pages, proxied, metrics), just before its head is built. It may change
 * r->resp: the fields, the header list, content_length (-1: the core
 * chunks or closes), and r->resp.filtered to have the body filters see
 * the body. HS_OK, or HS_ERROR: a 500 if nothing was sent yet. */
typedef int (*hs_header_filter_fn)(hs_req *r);
/* A body filter sees the body of a response whose r->resp.filtered is set,
 * piece by piece, last at its end (n may be 0). It hands what it makes to
 * hs_http_body_pass(r, next, ...) with the next it was given; a filter
 * that does not apply to r passes its input on unchanged. */
typedef int (*hs_body_filter_fn)(hs_req *r, unsigned next, const char *data, size_t n, bool last);

/* The hooks of one http block. */
typedef struct hs_http_hooks {
    hs_phase_fn *phase[HS_PHASE__COUNT];
    uint8_t nphase[HS_PHASE__COUNT];
    hs_accept_fn *accept;
    uint8_t naccept;
    hs_addressed_fn *addressed;
    uint8_t naddressed;
    hs_conn_fn *closed;
    uint8_t nclosed;
    hs_header_filter_fn *header_filter;
    uint8_t nheader_filter;
    hs_body_filter_fn *body_filter;
    uint8_t nbody_filter;
    hs_drop_fn drop;           /* NULL: close as nginx's return 444 */
    const struct hs_handler *content; /* handler of locations that set none (files) */
} hs_http_hooks;

int hs_http_add_phase(hs_cf *cf, hs_http_conf *http, hs_phase phase, hs_phase_fn fn);
int hs_http_add_accept(hs_cf *cf, hs_http_conf *http, hs_accept_fn fn);
int hs_http_add_closed(hs_cf *cf, hs_http_conf *http, hs_conn_fn fn);
int hs_http_add_addressed(hs_cf *cf, hs_http_conf *http, hs_addressed_fn fn);
/* Runs the addressed hooks: HS_OK, or HS_DONE when one dropped c. */
int hs_http_conn_addressed(hs_conn *c, const struct sockaddr *addr);
int hs_http_add_header_filter(hs_cf *cf, hs_http_conf *http, hs_header_filter_fn fn);
int hs_http_add_body_filter(hs_cf *cf, hs_http_conf *http, hs_body_filter_fn fn);
/* Body bytes for the body filter number next (the framing after the last). */
int hs_http_body_pass(hs_req *r, unsigned next, const char *data, size_t n, bool last);
void hs_http_set_dropper(hs_http_conf *http, hs_drop_fn fn);
/* The handler of locations whose directives chose none (nginx: the static
 * module). Without one, such locations answer 404. */
void hs_http_set_default_handler(hs_http_conf *http, const struct hs_handler *h);

/* Goes on with the phases after the hook that returned HS_DONE to hold r. */
void hs_http_phases_resume(hs_req *r);

/* A content handler: what produces the response of a location. A module
 * sets lc->handler from a directive (proxy_pass, stub_status ...). */
typedef struct hs_handler {
    const char *name;
    /* Produces the response: ends with hs_http_send_response, finalize,
     * drop or end — now or later, from its own events. */
    void (*run)(hs_req *r);
    /* run reads the request body itself (hs_http_body_take); otherwise the
     * core reads and discards it first. */
    bool reads_body;
    /* While the handler owns the request (r->owner), the client's events:
     * EPOLLIN (more body, or a pipelined request to leave unread), EPOLLOUT,
     * and EPOLLRDHUP/HUP/ERR (the client left). */
    void (*on_client_event)(hs_req *r, uint32_t events);
    /* The connection is closing under the request (a deadline, a stop):
     * let go of what the handler holds; the core ends and logs it. */
    void (*on_abandon)(hs_req *r);
} hs_handler;

/* A rewrite-phase hook answers with handler h instead of the location's:
 * the content phase runs now with it (the request body read or discarded
 * first, as for any handler). The hook then returns HS_DONE. */
void hs_http_run_handler(hs_req *r, const hs_handler *h);

/* The handler takes over the client's events until it ends the request or
 * calls hs_http_release. */
void hs_http_own(hs_req *r, const hs_handler *h);
void hs_http_release(hs_req *r);

/* ---- connections, for hooks and the drop decider (conn.c) ---- */

/* Closes now; the struct is freed after this loop iteration. */
void hs_conn_close(hs_conn *c);
/* A connection ends without a request, as why (no_request, tls_failed
 * ...): counted, logged (connection log), closed. */
void hs_conn_end(hs_conn *c, hs_ending why);
/* A connection is dropped without a request by the named rule (a
 * ClientHello rule), with the ending why (drop, tls_rejected): counted and
 * logged, ended the way the drop decider says for the level lc. */
void hs_conn_drop(hs_conn *c, hs_ending why, const char *rule, hs_loc_conf *lc);
/* Takes the socket away from the connection, which closes without it: the
 * caller owns the fd (a tarpit holds it). */
int hs_conn_release_fd(hs_conn *c);
/* The client may have sent bytes we did not read (a drop then drains them,
 * so that the close sends FIN rather than RST). */
bool hs_conn_has_unread(hs_conn *c);
/* Counts an ending that no request carries (a bare connection, a drop at
 * accept) in the metrics. */
void hs_http_count_ending(hs_ending why);
/* The connection-log hooks for an accept-phase drop (no connection object
 * exists): a bare record of fd and peer is logged as dropped by rule. */
void hs_http_accept_dropped(hs_listener *l, int fd, const struct sockaddr_storage *peer, const char *rule);

#endif
