/* Connections and requests of the HTTP/1.1 server, and the endings that
 * record how each of them finished (DESIGN.md §2). */
#ifndef HS_HTTP_HTTP_H
#define HS_HTTP_HTTP_H

#include <netinet/in.h>
#include <sys/types.h>

#include "event/loop.h"
#include "http/conf.h"
#include "http/parse.h"

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

/* Where a connection is in its life. */
typedef enum {
    HS_CONN_NEW,         /* accepted, no byte yet */
    HS_CONN_KEEPALIVE,   /* between requests, no byte of the next yet */
    HS_CONN_READ_HEAD,   /* part of a request head received */
    HS_CONN_READ_BODY,   /* reading (discarding) a request body */
    HS_CONN_WRITE,       /* sending a response */
    HS_CONN_LINGER,      /* response sent, draining input before close */
    HS_CONN_TARPIT,      /* dropped, held open and silent */
    HS_CONN_PROXY,       /* waiting on an upstream; the client is watched for aborts */
    HS_CONN_CLOSED,      /* closed; memory freed after this loop iteration */
} hs_conn_state;

typedef struct hs_req hs_req;
typedef struct hs_conn hs_conn;

struct hs_conn {
    hs_ev ev;                 /* epoll dispatch; first member */
    hs_timer timer;           /* the one deadline of the current state */
    int fd;
    uint8_t state;            /* hs_conn_state */
    bool readable;            /* edge seen, not yet read to EAGAIN */
    bool writable;            /* socket accepts more output */
    bool peer_closed;         /* EOF or RDHUP seen */
    bool closing;             /* graceful stop: no keep-alive */
    bool must_linger;         /* the client may still be sending: drain before close */
    bool nodelay_set;         /* TCP_NODELAY already set */
    bool next_pipelined;      /* the next request was already buffered: $pipe "p" */
    uint8_t ending;           /* hs_ending of the last request or of the connection */
    uint32_t requests;        /* requests started on it: $connection_requests */
    hs_listener *listener;    /* accepted on */
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
    const char *drop_rule;    /* $drop_rule of its last request, for the connection log */
};

/* The response being built and sent. */
typedef struct {
    int status;               /* status code sent (or to log) */
    hs_str content_type;      /* Content-Type, empty for none */
    int64_t content_length;   /* -1 unknown */
    time_t last_modified;     /* -1 none */
    hs_str last_modified_text;/* preformatted HTTP date of last_modified, or empty */
    hs_str etag;              /* quoted entity tag, empty for none */
    hs_str location;          /* Location header, empty for none */
    hs_str extra;             /* preformatted extra header lines ("Name: v\r\n"...) */
    hs_str body;              /* in-memory body */
    int file_fd;              /* file body, -1 none */
    off_t file_off;           /* next byte of the file to send */
    off_t file_end;           /* one past the last byte to send */
    char *head;               /* serialized head */
    size_t head_len;
    size_t head_sent;         /* bytes of head written */
    size_t body_sent;         /* bytes of the memory body written */
    bool header_only;         /* HEAD or 304: no body bytes */
    bool keepalive;           /* Connection: keep-alive */
    bool started;             /* the first byte went out */
    uint64_t sent;            /* bytes written: head and body */
} hs_resp;

struct hs_req {
    hs_pool *pool;            /* request lifetime; reset between requests */
    hs_conn *conn;
    hs_http_request h;        /* the parsed head (slices into conn->buf) */
    hs_header *headers;       /* header array for h */
    hs_srv_conf *srv;         /* selected server */
    hs_loc_conf *loc;         /* selected location */
    hs_str uri;               /* normalized path: $uri */
    hs_str args;              /* $args */
    hs_str host;              /* lowercased Host without port, or empty */
    hs_str raw_line;          /* first line of an unparsable request, for $request */
    int captures[20];         /* last regex match offsets ($1..$9) */
    int ncaptures;            /* pairs set, 0 none */
    hs_str capture_subject;   /* subject of that match */
    hs_resp resp;
    hs_ending ending;         /* set once when it ends */
    const char *drop_rule;    /* $drop_rule for drops */
    uint64_t start_usec;      /* monotonic µs at the first byte */
    uint64_t start_msec_wall; /* wall ms at the first byte */
    size_t request_length;    /* bytes of head + body read */
    int64_t body_left;        /* Content-Length bytes still to read (discard) */
    int redirects;            /* internal redirects so far (error_page, try_files) */
    bool head_done;           /* the head was parsed */
    bool logged;              /* the access-log line was written */
    bool body_chunked;        /* discarding a chunked body */
    bool body_done;           /* the request body was read to its end */
    bool pipelined;           /* read from the previous request's leftovers: $pipe */
    void *chunked;            /* hs_chunked state while discarding */
    int error_page_status;    /* status before an error_page redirect (0 none) */
    struct hs_proxy_state *px;/* proxy state (kept for $upstream_* after the proxy is done) */
    bool proxying;            /* the proxy owns the client connection's events */
    struct hs_edge_req *edge; /* edge-rule state (limits held, delay timer); NULL if none */
};

/* ---- connection layer (conn.c) ---- */
/* Sockets bound per worker (wildcards carry specific addresses of their port). */
size_t hs_http_bound_count(hs_http_conf *http);
/* Master: binds nworkers * bound_count sockets (SO_REUSEPORT) into fds. */
int hs_http_sockets_create(hs_http_conf *http, int nworkers, int *fds, bool first_start, char *err,
                           size_t errlen);
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

/* ---- request layer (request.c) ---- */
void hs_http_requests_attach_loop(void);
void hs_http_on_readable(hs_conn *c);
void hs_http_on_writable(hs_conn *c);
void hs_http_conn_timeout(hs_conn *c);
/* The connection is closing at the peer's or our initiative with nothing in flight. */
void hs_http_conn_ended(hs_conn *c, hs_ending why);
/* Ends the request with a status, as nginx's finalize. */
void hs_http_finalize(hs_req *r, int status);
/* Sends the prepared response r->resp. */
void hs_http_send_response(hs_req *r);
/* Internal redirect to uri (error_page, try_files). */
void hs_http_internal_redirect(hs_req *r, hs_str uri, hs_str args);
void hs_http_named_location(hs_req *r, hs_str name);
/* Drops the request without a byte (444). */
void hs_http_drop(hs_req *r, const char *rule);

/* ---- selection (select.c) ---- */
hs_srv_conf *hs_http_find_server(hs_listen_group *g, hs_str host, hs_req *r);
hs_loc_conf *hs_http_find_location(hs_req *r, hs_loc_conf *server_loc, hs_str uri);
hs_loc_conf *hs_http_find_named(hs_srv_conf *srv, hs_str name);

/* ---- handlers ---- */
void hs_http_static_handler(hs_req *r);
void hs_http_return_handler(hs_req *r);
int hs_http_try_files(hs_req *r); /* HS_OK handled, HS_DECLINED fall through */

/* ---- responses (response.c) ---- */
const char *hs_http_status_text(int status);
/* Builds the head of r->resp into r->pool; HS_OK or HS_ERROR. */
int hs_http_build_head(hs_req *r);
/* Prepares a complete small response with the built-in error page. */
void hs_http_error_response(hs_req *r, int status);
/* Writes what is pending; HS_OK done, HS_AGAIN wait for EPOLLOUT, HS_ERROR. */
int hs_http_write_pending(hs_req *r);

/* ---- access log (log.c) ---- */
void hs_http_log_request(hs_req *r);

/* ---- variables (variables.c) ---- */
extern const hs_var_def hs_http_variables[];
void hs_http_variables_register(void);
/* Makes the named groups of a server_name or location regex variables. */
void hs_http_define_named_captures(hs_cf *cf, const hs_regex *re);

#endif
