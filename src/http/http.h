/* Connections and requests, and the endings that record how each of them
 * finished (docs/design.md §2). This is what modules see of the HTTP core:
 * the objects, the request's life (finalize, responses, drops, internal
 * redirects), the request body and response output of the protocol under a
 * request. Phases and handlers are in http/phase.h. */
#ifndef HS_HTTP_HTTP_H
#define HS_HTTP_HTTP_H

#include <netinet/in.h>
#include <sys/types.h>

#include "event/loop.h"
#include "http/conf.h"
#include "core/buf.h"
#include "parse/fields.h"
#include "parse/request.h"
#include "parse/status.h"
#include "transport/transport.h"

/* How a request or connection ended: $close_reason. */
typedef enum {
    HS_END_NONE = 0,
    HS_END_OK,
    HS_END_DROP,
    HS_END_CLIENT_ABORT,
    HS_END_CLIENT_ABORT_BODY,
    HS_END_HEADER_TIMEOUT,
    HS_END_BODY_TIMEOUT,
    HS_END_SEND_TIMEOUT,
    HS_END_BAD_REQUEST,
    HS_END_NO_REQUEST,
    HS_END_KEEPALIVE_CLOSE,
    HS_END_SHUTDOWN,
    HS_END_TLS_REJECTED,     /* ssl_reject_handshake or a ClientHello rule refused it */
    HS_END_TLS_FAILED,       /* the handshake failed: no shared protocol or cipher, bad record, alert */
    HS_END_TLS_TIMEOUT,      /* the handshake did not finish within client_header_timeout */
    HS_END_PROTOCOL_ERROR,   /* an HTTP/2 connection error ($http2_error says which) */
    HS_END_BAD_PROXY_PROTOCOL, /* `listen ... proxy_protocol`: no valid PROXY header came first */
    /* the proxy's upstream faults (README "How endings are logged") */
    HS_END_UPSTREAM_REFUSED, HS_END_UPSTREAM_UNAVAILABLE, HS_END_UPSTREAM_RESET, HS_END_UPSTREAM_CLOSED,
    HS_END_UPSTREAM_TRUNCATED, HS_END_UPSTREAM_INVALID, HS_END_UPSTREAM_TIMEOUT,
    /* an Upgrade tunnel (101) ended: who closed it, or which timeout fired */
    HS_END_TUNNEL_CLIENT_CLOSE, HS_END_TUNNEL_UPSTREAM_CLOSE, HS_END_TUNNEL_TIMEOUT, HS_END_TUNNEL_SEND_TIMEOUT,
    HS_END__COUNT
} hs_ending;

const char *hs_ending_name(hs_ending e);

/* A listening socket of this worker. */
typedef struct hs_listener {
    hs_ev ev;                  /* epoll dispatch */
    int fd;
    hs_listen_group **groups;  /* address groups served by this socket */
    size_t ngroups;            /* >1 when a wildcard socket carries specific addresses */
    bool deferred;             /* TCP_DEFER_ACCEPT: a connection comes with its first bytes */
    struct hs_listener *next;
} hs_listener;

/* Where a connection is in its life (HTTP/1.1: one request at a time). */
typedef enum {
    HS_CONN_HANDSHAKE,   /* the transport is opening (TLS handshake) */
    HS_CONN_NEW,         /* accepted, no byte yet */
    HS_CONN_KEEPALIVE,   /* between requests, no byte of the next yet */
    HS_CONN_READ_HEAD,   /* part of a request head received */
    HS_CONN_REQUEST,     /* a request is past its head: see its own state */
    HS_CONN_LINGER,      /* response sent, draining input before close */
    HS_CONN_CLOSED,      /* closed; memory freed after this loop iteration */
} hs_conn_state;

typedef struct hs_req hs_req;
typedef struct hs_conn hs_conn;

struct hs_conn {
    hs_ev ev;                 /* epoll dispatch; first member */
    hs_timer timer;           /* the connection's deadline: head, keep-alive, linger */
    hs_io io;                 /* the transport (and the socket) */
    uint8_t state;            /* hs_conn_state */
    uint8_t ending;           /* hs_ending of the last request or of the connection */
    bool readable;            /* edge seen, not yet read to EAGAIN */
    bool writable;            /* socket accepts more output */
    bool peer_closed;         /* EOF or RDHUP seen */
    bool closing;             /* graceful stop: no keep-alive */
    bool must_linger;         /* the client may still be sending: drain before close */
    bool nodelay_set;         /* TCP_NODELAY already set */
    bool next_pipelined;      /* the next request was already buffered: $pipe "p" */
    bool plain_on_tls;        /* plain HTTP arrived on a TLS port: its request gets a 400 */
    uint32_t requests;        /* requests started on it: $connection_requests */
    hs_listen_group *group;   /* address group (server defaults, names) */
    union {
        struct sockaddr sa;
        struct sockaddr_in in4;
        struct sockaddr_in6 in6;
    } peer;                   /* client address */
    uint64_t number;          /* $connection */
    uint64_t start_msec;      /* monotonic ms at accept */
    uint64_t bytes_in;        /* received on this connection */
    uint64_t bytes_out;       /* sent on this connection */
    hs_req *req;              /* request in progress; NULL when idle */
    char *buf;                /* input buffer; NULL when idle */
    uint32_t buf_pos;         /* first unconsumed byte */
    uint32_t buf_len;         /* bytes held */
    uint32_t buf_cap;         /* allocated size */
    hs_conn *prev, *next;     /* all connections of the worker */
    hs_conn *idle_prev, *idle_next; /* the idle list, oldest first (conn.c); NULL when busy */
    const char *drop_rule;    /* $drop_rule of its last request, for the connection log */
    const struct hs_proto *proto; /* HTTP/2 (http/proto.h); NULL: HTTP/1.1 */
    void *proto_state;        /* that protocol's state of the connection */
    void *origin;             /* where a load balancer said it comes from (PROXY protocol, the
                                 realip module's); freed with the connection */
};

/* The response: its status, the fields the core knows, the list of the
 * others (docs/internals.md, "a response filter"), and its body. */
typedef struct {
    int status;               /* status code sent (or to log) */
    hs_str reason;            /* the status text when not hush's own (an upstream's, as nginx) */
    hs_str content_type;      /* Content-Type, empty for none */
    int64_t content_length;   /* -1 unknown: chunked for HTTP/1.1, else until close */
    time_t last_modified;     /* -1 none */
    hs_str last_modified_text;/* preformatted HTTP date of last_modified, or empty */
    hs_str etag;              /* quoted entity tag, empty for none */
    hs_str location;          /* Location header, empty for none */
    hs_str www_authenticate;  /* a 401's challenge: an access hook sets it, error pages keep it */
    hs_fields headers;        /* the other fields, in order (hs_fields_add(r->pool, ...)) */
    bool accept_ranges;       /* "Accept-Ranges: bytes" after the list (nginx's range filter) */
    uint8_t passed;           /* HS_PASSED_*: the list has the upstream's Server or Date instead of ours */
    hs_str content_range;     /* Content-Range value after the list, empty for none */
    hs_str body;              /* in-memory body */
    int file_fd;              /* file body, -1 none */
    off_t file_off;           /* next byte of the file to send */
    off_t file_end;           /* one past the last byte to send */
    char *head;               /* serialized head */
    size_t head_len;
    size_t head_sent;         /* bytes of head written */
    size_t body_sent;         /* bytes of the memory body written */
    hs_buf out;               /* a streamed response's bytes not yet written */
    bool header_only;         /* HEAD or 304: no body bytes */
    bool keepalive;           /* Connection: keep-alive */
    bool chunked;             /* the body goes out chunked */
    hs_str trailer;           /* with the last chunk: "Name: value\r\n" each (add_trailer) */
    bool streamed;            /* the body goes through hs_http_stream_* (r->resp.out) */
    bool filtered;            /* a header filter asked for the body filters */
    bool started;             /* the first byte went out */
    uint64_t sent;            /* bytes written: head and body */
} hs_resp;

enum { HS_PASSED_SERVER = 1, HS_PASSED_DATE = 2 };

/* Where a request is in its life, past its head. */
typedef enum {
    HS_REQ_HEAD,     /* its head is being read */
    HS_REQ_PHASES,   /* in the phases (or held in one: a limit_req delay) */
    HS_REQ_BODY,     /* the core reads and discards its body */
    HS_REQ_HANDLER,  /* a handler owns it and gets the client's events (the proxy) */
    HS_REQ_WRITE,    /* the core sends r->resp */
} hs_req_state;

struct hs_handler;

struct hs_req {
    hs_pool *pool;            /* request lifetime; reset between requests */
    hs_conn *conn;            /* the connection it came on (its address, its protocol) */
    hs_timer timer;           /* the request's deadline: body, send, or its handler's */
    uint8_t state;            /* hs_req_state */
    uint8_t phase;            /* phase being run (http/phase.h), for resuming */
    uint8_t phase_hook;       /* hook of that phase being run */
    hs_ending timer_ending;   /* what an expired handler deadline ends it as */
    const struct hs_handler *owner; /* handler that owns the client's events; NULL none */
    hs_http_request h;        /* the parsed head (slices into conn->buf) */
    hs_header *headers;       /* header array for h */
    uint32_t headers_cap;     /* its size: grows with the head (no count limit, as nginx) */
    hs_srv_conf *srv;         /* selected server */
    hs_loc_conf *loc;         /* selected location */
    hs_str uri;               /* normalized path: $uri */
    hs_str args;              /* $args */
    hs_str host;              /* lowercased Host without port, or empty */
    hs_str raw_line;          /* first line of an unparsable request, for $request */
    hs_str log_upstream;      /* "http://addr/uri" for error-log lines (set by a handler) */
    int captures[20];         /* last regex match offsets ($1..$9) */
    int ncaptures;            /* pairs set, 0 none */
    hs_str capture_subject;   /* subject of that match */
    hs_str *named;            /* named captures by slot, kept as nginx's variables */
    uint16_t nnamed;          /* slots allocated */
    hs_resp resp;
    hs_ending ending;         /* set once when it ends */
    const char *drop_rule;    /* $drop_rule for drops */
    const struct sockaddr *client; /* its client's address when a module knows better than the
                                      connection (realip: a header); NULL: conn->peer */
    uint64_t start_usec;      /* monotonic µs at the first byte */
    int64_t limit_rate, limit_rate_after; /* bytes/s of the response (0: none), after that many */
    bool rate_wait;           /* r->timer wakes the output that limit_rate held back */
    uint64_t start_msec_wall; /* wall ms at the first byte */
    size_t request_length;    /* bytes of head + body read */
    int64_t body_left;        /* Content-Length bytes still to read */
    int redirects;            /* internal redirects so far (error_page, try_files, rewrite) */
    bool internal;            /* redirected internally: `internal;` locations take it */
    bool uri_changed;         /* not the client's path: the proxy sends $uri and $args */
    bool location_stale;      /* rewritten, staying in its location (rewrite ... break):
                                 proxy_pass sends $uri whole (nginx's valid_location) */
    const struct hs_handler *handler; /* a hook's handler (return), not the location's */
    bool head_done;           /* the head was parsed */
    bool logged;              /* the access-log line was written */
    bool body_chunked;        /* the body is chunked and not yet at its end */
    bool body_done;           /* the request body was read to its end */
    bool pipelined;           /* read from the previous request's leftovers: $pipe */
    bool upstream;            /* a handler passed it to an upstream (the proxy) */
    bool bare;                /* stands for a connection without a request (an empty
                                 connection's 400 line, a connection-log line): no
                                 request counters, no bans; $bytes_sent is the connection's */
    void *chunked;            /* hs_chunked decoder of a chunked body */
    int error_page_status;    /* status before an error_page redirect (0 none) */
    int access_code;          /* `satisfy any`: the refusal kept while other access hooks try */
    const char *error_reason; /* a 400's reason on the built-in page (nginx's 495-497:
                                 certificate errors, plain HTTP to a TLS port); NULL none */
    void *stream;             /* its HTTP/2 stream (c->proto's); NULL for HTTP/1.1 */
    void **ctx;               /* modules' per-request state (hs_http_get_ctx); NULL until
                                 a module sets some: most requests need none */
};

/* A module's per-request state, or NULL when it set none. */
static inline void *hs_http_get_ctx(const hs_req *r, const hs_module *m)
{
    return r->ctx ? r->ctx[m->index] : NULL;
}
/* The request's client address: $remote_addr, the edge rules, the logs. */
static inline const struct sockaddr *hs_req_addr(const hs_req *r)
{
    return r->client ? r->client : &r->conn->peer.sa;
}
/* Sets it; the slots come from the request's pool on first use. HS_OK, or
 * HS_ERROR when out of memory. */
int hs_http_set_ctx(hs_req *r, const hs_module *m, void *state);

/* ---- the request's life (request.c) ---- */

/* Ends the request with a status, as nginx's finalize: an error_page for it
 * if one applies, else a built-in response; 444 drops it. */
void hs_http_finalize(hs_req *r, int status);
/* The same for a status a rule chose (limit_req_status ...): a 444 drops
 * the request by that rule. */
void hs_http_finalize_rule(hs_req *r, int status, const char *rule);
/* Sends the prepared response r->resp; then the request is done. */
void hs_http_send_response(hs_req *r);
/* Ends the request without (more of) a response, as `why` with the logged
 * status (0 keeps r->resp.status), and closes the connection. */
void hs_http_end(hs_req *r, hs_ending why, int status);
/* A handler's response went out completely: log it, then keep-alive or close. */
void hs_http_response_done(hs_req *r);
/* Drops the request without a byte (444) by the named rule; the connection
 * then ends the way the drop decider registered with hs_http_set_dropper
 * says (drop_mode). */
void hs_http_drop(hs_req *r, const char *rule);
/* Internal redirect (error_page, try_files, index): the phases start over
 * at server rewrite; after 10, a 500 ("rewrite or internal redirection cycle"). */
void hs_http_internal_redirect(hs_req *r, hs_str uri, hs_str args);
void hs_http_named_location(hs_req *r, hs_str name);
/* A rewrite changed $uri in the rewrite phase: the location is searched
 * again (nginx's post-rewrite), counted as an internal redirect. */
void hs_http_location_changed(hs_req *r);
/* An error_page would handle this status now. */
bool hs_http_has_error_page(hs_req *r, int status);
/* The status a handler's successful response gets (error_page =code). */
int hs_http_response_status(hs_req *r, int status);
/* Would the connection be kept alive after this request? */
bool hs_http_want_keepalive(hs_req *r);

/* A handler (r->owner) waits on the client: if nothing happens for msec,
 * the handler is abandoned and the request ends as why (body_timeout:
 * 408; send_timeout: the status already set). msec 0 cancels. */
void hs_http_client_deadline(hs_req *r, int64_t msec, hs_ending why);

/* ---- request body and response output (the protocol's, h1_*.c) ---- */

/* The next decoded body bytes that have arrived (reading from the client
 * when none are buffered): *data and *n (n may be 0). The bytes stay valid
 * until the next call for this request. Returns HS_OK when the body ends
 * with them, HS_AGAIN when more is to come (wait for the next client
 * event), HS_DECLINED when the client left in the middle, or an HTTP status:
 * 400 (malformed framing), 413 (over client_max_body_size). */
int hs_http_body_take(hs_req *r, const char **data, size_t *n);
/* Gives back the last n bytes of what hs_http_body_take returned: they
 * were not used and come again on the next call (Content-Length bodies). */
void hs_http_body_untake(hs_req *r, size_t n);
/* Writes raw response bytes to the client: the count written, HS_AGAIN
 * (wait for the client to be writable) or HS_ERROR (the client is gone). */
ssize_t hs_http_output(hs_req *r, const struct iovec *iov, int iovcnt);
/* A response whose body the handler produces piece by piece (the proxy):
 * r->resp holds the status and the header fields, content_length or -1.
 * Runs the header filters and queues the head; the framing
 * (Content-Length, chunked, or until close) and keep-alive are the
 * core's. Then hs_http_stream_body for each piece (through the body
 * filters, copied to r->resp.out), last at the end, and hs_http_stream_flush
 * to write what is queued: HS_OK (all written), HS_AGAIN or HS_ERROR. */
int hs_http_stream_start(hs_req *r);
int hs_http_stream_body(hs_req *r, const char *data, size_t n, bool last);
int hs_http_stream_flush(hs_req *r);
/* Its last piece queued, the core writes the rest and ends it (hs_http_send_response's end). */
void hs_http_stream_finish(hs_req *r);
/* Bytes queued and not written yet. */
static inline size_t hs_http_stream_pending(const hs_req *r) { return r->resp.out.len - r->resp.out.sent; }
/* The client left: what is queued is dropped. */
static inline void hs_http_stream_drop(hs_req *r) { r->resp.out.len = r->resp.out.sent = 0; }
/* "HTTP/1.1 100 Continue" when the client waits for it before its body. */
void hs_http_send_continue(hs_req *r);
/* The client's events no longer interest the request (a proxied request
 * that goes on after the client left). */
void hs_http_ignore_client(hs_req *r);

/* A record standing for connection c without a request (r->bare), to
 * render connection-level log lines with the request variables: its ending
 * and drop rule are the connection's. Free it with hs_http_bare_free. */
hs_req *hs_http_bare_request(hs_conn *c);
void hs_http_bare_free(hs_req *r);

/* ---- helpers for modules ---- */

/* "127.0.0.1" of the client, for log messages (static buffer). */
const char *hs_conn_peer_text(hs_conn *c);
/* Host for an absolute redirect (request Host, server name, or local
 * address), and "http://host[:port]" + path. */
hs_str hs_http_redirect_host(hs_req *r);
hs_str hs_http_absolute_url(hs_req *r, hs_str path);
/* Makes the named groups (?<name>...) of a regex variables, as nginx. */
void hs_http_define_named_captures(hs_cf *cf, hs_regex *re);
/* re matched subject (hs_regex_match's ov, n): $1..$9 until the next
 * match; its named groups set their variables. */
void hs_http_set_captures(hs_req *r, const hs_regex *re, hs_str subject, const int *ov, int n);
extern const hs_var_def hs_http_variables[];

/* ---- responses (response.c) ---- */

/* Prepares a complete small response with the built-in error page. */
void hs_http_error_response(hs_req *r, int status);

/* ---- selection (select.c) ---- */
hs_srv_conf *hs_http_find_server(hs_listen_group *g, hs_str host, hs_req *r);
hs_loc_conf *hs_http_find_location(hs_req *r, hs_loc_conf *server_loc, hs_str uri);
hs_loc_conf *hs_http_find_named(hs_srv_conf *srv, hs_str name);

/* ---- the worker's connections (conn.c, listen.c) ---- */

/* Sockets bound per worker (wildcards carry specific addresses of their port). */
size_t hs_http_bound_count(hs_http_conf *http);
typedef int (*hs_listen_take_fn)(const hs_listen_conf *lc, bool take); /* an open socket for lc, or -1 */
/* Master: binds (or takes, if take) nworkers * bound_count sockets (SO_REUSEPORT) into fds. */
int hs_http_sockets_create(hs_http_conf *http, int nworkers, int *fds, bool first_start, hs_listen_take_fn take,
                           char *err, size_t errlen);
/* Worker: starts accepting on its row of sockets. */
int hs_http_listeners_start(hs_http_conf *http, const int *fds, uint64_t worker_index, uint64_t nworkers);
void hs_http_listeners_close(void);
/* Graceful stop: stop accepting, close idle connections, let the rest finish. */
void hs_http_graceful_stop(void);
size_t hs_http_active_connections(void);
/* Calls fn for every open connection of this worker (metrics gauges). */
void hs_http_conn_each(void (*fn)(hs_conn *c, void *arg), void *arg);
void hs_http_close_all(hs_ending why);
void hs_conn_set_worker_connections(int64_t n);

#endif
