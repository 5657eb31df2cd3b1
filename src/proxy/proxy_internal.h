/* What the files of the proxy share: upstream groups, their servers and
 * keep-alive pools, the proxy_* settings of a location, the per-request
 * proxy state, and the steps of a proxied request that call each other
 * across files. Private to src/proxy. */
#ifndef HS_PROXY_PROXY_INTERNAL_H
#define HS_PROXY_PROXY_INTERNAL_H

#include <strings.h>

#include "core/clock.h"
#include "parse/chunked.h"
#include "http/http.h"
#include "http/phase.h"
#include "proxy/proxy.h"
#include "proxy/upstream.h"
#include "parse/response.h"
#include "proxy/rewrite_internal.h"

#define MAX_TRIES_LOGGED 8
#define MAX_RESP_HEADERS 100
#define BUFFERED_BODY_MAX (64 * 1024) /* bodies up to this are kept for retries */

typedef struct hs_upstream hs_upstream;
typedef struct hs_upconn hs_upconn;

/* ---- configuration (proxy_conf.c) ---- */

/* What workers share of a server when its upstream has a zone (in the
 * zone's shared memory), else this worker's own (in the server). */
typedef struct {
    int fails;              /* failures within fail_timeout */
    int conns;              /* active connections (least_conn, max_conns) */
    uint64_t checked;       /* mono ms of the first failure of the window */
    uint64_t down_until;    /* mono ms until which it is skipped */
} px_peer;

typedef struct {
    struct sockaddr_storage addr;
    socklen_t addrlen;
    char text[112];         /* "127.0.0.1:8081", "unix:/path": $upstream_addr */
    hs_str name;            /* the server as written ("app.local:8080"): the hash ring's point names */
    bool dynamic;           /* a name that did not resolve at load: the resolver asks at run time */
    char *host;             /* dynamic: the name, */
    int port;               /* its port, */
    const char *why;        /* and why it did not resolve at load */
    int weight;             /* weight= */
    int max_fails;          /* max_fails= (0: never marked down) */
    int max_conns;          /* max_conns= (0: no limit) */
    int64_t fail_timeout;   /* fail_timeout= in ms */
    bool backup;            /* backup */
    bool down;              /* down */
    px_peer own;            /* this worker's view of its health and load */
    px_peer *st;            /* &own, or its record in the upstream's zone */
    int current_weight;     /* smooth weighted round-robin state (per worker) */
    /* proxy_ssl_session_reuse: this worker's last TLS session with it, and
     * the SSL_CTX (the location's settings) it belongs to */
    struct ssl_session_st *ssl_session;
    const struct ssl_ctx_st *ssl_session_ctx;
} hs_upstream_server;

struct hs_upstream {
    hs_str name;                 /* upstream NAME, or "host:port" of a proxy_pass URL */
    hs_upstream_server *servers;
    size_t nservers;
    int keepalive;               /* idle connections kept per worker; 0 none */
    int64_t keepalive_timeout;   /* ms an idle one is kept (60s) */
    int64_t keepalive_time;      /* ms a connection may serve requests (1h) */
    int64_t keepalive_requests;  /* requests one connection may serve (1000) */
    const struct px_balancer *lb; /* the balancing method (round robin by default) */
    hs_cv hash_key;              /* hash KEY */
    bool consistent;             /* hash ... consistent: a ketama ring */
    struct px_point *points;     /* the ring, sorted by hash */
    size_t npoints;
    bool random_two;             /* random two [least_conn] */
    int total_weight;            /* of the non-backup servers */
    struct px_zone *zone;        /* zone NAME [SIZE]: state shared by the workers */
    struct hs_resolver *resolver; /* for dynamic servers: the http level's (or the location's) */
    int64_t resolver_timeout;
    bool implicit;               /* made from a proxy_pass URL */
    bool https;                  /* implicit: from an https:// URL (port 443 by default) */
    hs_upconn *idle;             /* this worker's idle connections, most recent first */
    hs_upconn *idle_last;        /* ... and the least recent: the one a full pool closes */
    int nidle;
    hs_upstream *next_over;      /* on the list of pools past keepalive this iteration */
    bool over;                   /* ... is on it */
    const char *file;
    int line;
    hs_upstream *next;           /* all upstreams of the http block */
};

/* proxy_next_upstream conditions */
enum {
    HS_NEXT_ERROR = 1 << 0,
    HS_NEXT_TIMEOUT = 1 << 1,
    HS_NEXT_INVALID_HEADER = 1 << 2,
    HS_NEXT_500 = 1 << 3,
    HS_NEXT_502 = 1 << 4,
    HS_NEXT_503 = 1 << 5,
    HS_NEXT_504 = 1 << 6,
    HS_NEXT_403 = 1 << 7,
    HS_NEXT_404 = 1 << 8,
    HS_NEXT_429 = 1 << 9,
    HS_NEXT_NON_IDEMPOTENT = 1 << 10,
    HS_NEXT_OFF = 1 << 11,
};

typedef struct {
    hs_str name;  /* header name */
    hs_cv value;  /* value; empty removes the header */
} hs_proxy_header;

/* A file named by a proxy_ssl_* directive, and where, for errors. */
typedef struct {
    hs_str path;                  /* absolute; NULL: not set */
    const char *file;
    int line;
} px_file;

/* The proxy_ssl_* settings of a level (proxy_ssl_conf.c). HS_UNSET and NULL
 * strings: not set here. */
typedef struct {
    int server_name;              /* proxy_ssl_server_name: send SNI */
    hs_cv name;                   /* proxy_ssl_name */
    bool has_name;                /* else the proxy_pass host */
    int verify;                   /* proxy_ssl_verify */
    int64_t verify_depth;
    px_file trusted;              /* proxy_ssl_trusted_certificate */
    px_file cert, key;            /* proxy_ssl_certificate(_key): ours to the upstream */
    int protocols;                /* PX_TLS_V* mask */
    hs_str ciphers;
    int session_reuse;            /* proxy_ssl_session_reuse */
} px_ssl_conf;

enum { PX_TLS_V10 = 1 << 0, PX_TLS_V11 = 1 << 1, PX_TLS_V12 = 1 << 2, PX_TLS_V13 = 1 << 3 };

typedef struct hs_proxy_conf {
    const hs_up_proto *proto;     /* HTTP (hs_proxy_http_proto), FastCGI ... */
    hs_upstream *upstream;        /* proxy_pass target; NULL when not set here */
    hs_str uri;                   /* URI part of proxy_pass ("" none) */
    bool has_uri;                 /* proxy_pass had a URI part: replace the location prefix */
    hs_str proxy_host;            /* $proxy_host */
    int http_version;             /* 10 or 11 */
    int keep_conn;                /* the upstream connection may be kept (HTTP/1.1, fastcgi_keep_conn) */
    hs_proxy_header *headers;     /* proxy_set_header; NULL = inherit */
    size_t nheaders;
    hs_str *hide, *pass;          /* proxy_hide_header, proxy_pass_header; NULL = inherit */
    size_t nhide, npass;
    int64_t connect_timeout, read_timeout, send_timeout; /* ms */
    int next_upstream;            /* HS_NEXT_* mask */
    int64_t next_upstream_tries;  /* 0 = unlimited */
    int64_t next_upstream_timeout; /* ms; 0 = unlimited */
    int ignore_client_abort;
    int intercept_errors;         /* proxy_intercept_errors: a status >= 300 with an error_page gets it */
    int buffering;
    int request_buffering;        /* read the whole body before connecting */
    int64_t buffer_size;          /* relay buffer (bounded memory per request) */
    const char *pass_file;        /* where proxy_pass was written, for errors */
    int pass_line;
    bool https;                   /* proxy_pass https://: TLS to the upstream */
    hs_str ssl_host;              /* the TLS name when it has no variables: proxy_ssl_name, else
                                     the proxy_pass host, without a port */
    px_ssl_conf ssl;
    struct ssl_ctx_st *ssl_ctx;   /* https: built when the http block is finished */
    bool vars;                    /* proxy_pass with variables: url evaluated per request */
    hs_cv url;
    hs_upstream *groups;          /* vars: the upstream blocks a name may choose */
    struct hs_resolver *resolver; /* resolver (inherited); NULL: none */
    int64_t resolver_timeout;     /* resolver_timeout, ms */
    px_rules redirects;           /* proxy_redirect (unset everywhere: default) */
    px_rules cookie_domains;      /* proxy_cookie_domain */
    px_rules cookie_paths;        /* proxy_cookie_path */
} hs_proxy_conf;

extern const hs_directive hs_proxy_directives[];
extern const hs_directive hs_proxy_ssl_directives[];
void hs_proxy_merge_loc(hs_cf *cf, hs_loc_conf *child, const hs_loc_conf *parent);
int hs_proxy_http_finish(hs_cf *cf, hs_http_conf *http);

/* The proxy settings of a level, created on first use; and as they are (NULL: none). */
hs_proxy_conf *hs_proxy_conf_get(hs_cf *cf, hs_loc_conf *lc);
static inline hs_proxy_conf *hs_proxy_conf_of(const hs_loc_conf *lc)
{
    return HS_MOD_SLOT(lc->mod, &hs_proxy_module);
}

/* ---- upstream_conf.c: upstream blocks and the groups of proxy_pass URLs ---- */

hs_upstream *hs_proxy_upstreams(hs_http_conf *http);
/* An upstream block (implicit false), or the group made from a proxy_pass
 * URL of that scheme (https: port 443 by default). */
hs_upstream *hs_proxy_find_upstream(hs_http_conf *http, hs_str name, bool implicit, bool https);
hs_upstream *hs_proxy_add_upstream(hs_cf *cf, hs_http_conf *http, hs_str name, const hs_conf_node *n);
/* Adds the servers of "host[:port]" (every address; port dport by default)
 * or "unix:/path" to u. */
int hs_proxy_resolve(hs_cf *cf, const hs_conf_node *n, hs_upstream *u, hs_str hostport, const char *dport);
/* After the http block: a server name that did not resolve at load needs
 * a resolver (the http level's for upstream blocks). */
int hs_proxy_dynamic_check(hs_cf *cf, hs_http_conf *http);
/* u's servers are all known: its method's checks and setup. */
int hs_upstream_ready(hs_cf *cf, hs_upstream *u);
int hs_proxy_upstream_block(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d);
extern const hs_directive hs_proxy_upstream_directives[];

/* ---- proxy_ssl_conf.c: the proxy_ssl_* settings ---- */

/* Every field unset. */
void hs_proxy_ssl_init(px_ssl_conf *c);
void hs_proxy_ssl_merge(px_ssl_conf *c, const px_ssl_conf *p);
/* The SSL_CTX of an https location; errors at the directive that caused them. */
int hs_proxy_ssl_ctx_build(hs_cf *cf, hs_proxy_conf *pc);

/* ---- upstream runtime (upstream.c) ---- */

/* An upstream connection, for one request or idle in a pool. */
struct hs_upconn {
    hs_ev ev;                /* first: epoll dispatch */
    hs_timer timer;          /* connect/send/read timeout, or idle expiry */
    int fd;
    hs_upstream *up;
    hs_upstream_server *server;
    struct sockaddr_storage addr;  /* the server's, or its name's address now */
    socklen_t addrlen;
    hs_req *r;               /* owning request; NULL when idle */
    hs_upconn *next, *prev;  /* pool list */
    bool reused;             /* came from the pool */
    bool connected;          /* the TCP handshake completed */
    bool counted;            /* counts as an active connection of its server */
    uint32_t wait_slot;      /* waits for the iteration's end (hs_upstream_wait_turn): its slot + 1; 0 not */
    uint32_t requests;       /* requests sent on it */
    uint64_t created;        /* mono ms when it was made (keepalive_time) */
    /* TLS (proxy_pass https://); all NULL for a plain connection */
    struct ssl_st *ssl;
    struct ssl_ctx_st *ssl_ctx;  /* the settings it was made with: the pool matches on them */
    char *ssl_name;              /* the name it was made for (SNI, verification) */
    bool ssl_failed;             /* a fatal TLS error: no close_notify */
};

/* Picks a server for r by the upstream's method, skipping failed, tried
 * and full (max_conns) ones, and counts a connection to it (give it back
 * with hs_upstream_release); NULL when none is usable. */
hs_upstream_server *hs_upstream_pick(hs_upstream *up, hs_req *r, uint64_t tried_mask);
void hs_upstream_release(hs_upstream *up, hs_upstream_server *s);
void hs_upstream_failed(hs_upstream *up, hs_upstream_server *s);
/* Is there a server not yet tried and not marked down? */
bool hs_upstream_has_candidate(const hs_upstream *up, uint64_t tried_mask);
void hs_upstream_succeeded(hs_upstream *up, hs_upstream_server *s);
/* An idle connection to server s from the pool made with the same TLS
 * settings and name (NULL, NULL: plain), or NULL. */
hs_upconn *hs_upstream_pool_get(hs_upstream *up, hs_upstream_server *s, const struct ssl_ctx_st *ctx,
                                const char *name);
/* Keeps a connection whose response was fully read; past `keepalive` the
 * least recently used ones are closed at the end of the loop iteration. */
void hs_upstream_pool_put(hs_upconn *u);
/* u, a new connection not yet opened, waits for the end of the iteration,
 * when hs_proxy_pool_turn gives its request a connection freed meanwhile or
 * opens u. false: it cannot wait (open it now). */
bool hs_upstream_wait_turn(hs_upconn *u);
/* proxy_upstream.c: u's turn came. */
void hs_proxy_pool_turn(hs_upconn *u);
void hs_upconn_close(hs_upconn *u);
hs_upconn *hs_upconn_new(hs_upstream *up, hs_upstream_server *s);

/* ---- the per-request state ---- */

typedef enum {
    PX_READ_BODY,  /* buffering the client's body before connecting */
    PX_RESOLVE,    /* waiting for the resolver (proxy_pass with variables) */
    PX_CONNECT,    /* non-blocking connect in progress */
    PX_HANDSHAKE,  /* TLS handshake with the upstream (proxy_connect_timeout still runs) */
    PX_SEND,       /* sending the request head (and buffered body) */
    PX_SEND_BODY,  /* streaming a large body from the client */
    PX_READ_HEAD,  /* waiting for the response head */
    PX_RELAY,      /* relaying the response body */
    PX_TUNNEL,     /* a 101: bytes both ways (proxy_tunnel.c) */
    PX_DONE,
} px_state;

/* What one try looked like, for $upstream_* (comma-separated over tries). */
typedef struct {
    const char *addr;
    int status;             /* 0: none ("-"), else the status or 502/504 for failures */
    int64_t connect_us, header_us, response_us; /* -1: not reached */
    int64_t length;         /* response body bytes received */
    uint64_t bytes_in, bytes_out; /* all bytes received from / sent to the upstream */
} px_try;

/* Kept in the request's slot (hs_http_get_ctx(r, &hs_proxy_module)) after
 * the proxy is done, for $upstream_* and the metrics of the log phase. */
typedef struct hs_proxy_state {
    hs_proxy_conf *pc;
    hs_upstream *up;        /* the group this request goes to (vars: once known) */
    hs_str proxy_host;      /* vars: the URL's host[:port] ($proxy_host, Host) */
    hs_str var_uri;         /* vars: the URL's URI part, sent as it is */
    bool var_has_uri;
    struct hs_resolve_ctx *resolving; /* the resolver's question, while asked */
    hs_upconn *u;
    px_state state;
    uint64_t tried;         /* servers already tried (bit per index) */
    int ntries;
    px_try tries[MAX_TRIES_LOGGED];
    uint64_t t_start;       /* µs when the current try started */
    uint64_t t_first;       /* µs when the first try started (proxy_next_upstream_timeout) */
    const char *ssl_name;   /* https: the TLS name of the current try */
    char *out;              /* request head + buffered body */
    size_t out_len, out_sent;
    const char *body;       /* the body read whole, when in memory */
    size_t body_len;
    int body_fd;            /* ... when in a temporary file (request/body.h); -1 none */
    int64_t body_size;      /* its length, in memory or in the file */
    bool body_buffered;     /* the body was read whole (retry possible) */
    bool body_chunked_out;  /* streamed to the upstream chunked (request_buffering off, HTTP/1.1) */
    bool body_streamed_all; /* a streamed body's last byte was taken from the client */
    hs_str preread;         /* a streamed body's first bytes, sent with the head (framed) */
    bool preread_taken;     /* ... taken once, for every try */
    char *sbuf;             /* a streamed chunk framed for the upstream, */
    size_t slen, ssent, scap; /* its length, what was sent, its room */
    char *fbuf;             /* the file body on its way: a piece read, */
    size_t fbuf_len, fbuf_sent; /* its length and what of it was sent, */
    int64_t file_off;       /* and where the next piece starts */
    hs_chunked dec;         /* the upstream's chunked response */
    bool request_sent;      /* some request byte reached the upstream */
    char *in;               /* upstream read buffer */
    size_t in_cap, in_len;
    hs_http_response resp;
    int64_t resp_left;      /* Content-Length bytes still due */
    bool resp_chunked, resp_until_close, resp_none;
    bool body_ended;        /* the end of the body was given to the core */
    bool head_kept;         /* px->resp's fields live in the request's pool */
    bool client_gone;       /* the client left; ignore_client_abort keeps us going */
    bool upstream_clean;    /* the response ended exactly: the connection may be reused */
    struct px_tunnel *tun;  /* after a 101: the tunnel's buffers and deadlines; NULL none */
    bool in_end;            /* the protocol's decoder saw the end of the response */
    bool in_end_clean;      /* ... and nothing after it */
    bool cache_fill;        /* the cache may store the response: a client who leaves does not stop it */
    bool cached;            /* the cache stores this response's body (hs_up_cache_hooks) */
    bool cache_complete;    /* ... and all of it came */
    /* Last, and not zeroed (hs_upstream_run): the parser fills what px->resp
     * counts, and 3.2 KB of zeroes per request showed in the profile. */
    hs_header resp_hdrs[MAX_RESP_HEADERS];
} hs_proxy_state;

static inline hs_proxy_state *PX(hs_req *r) { return hs_http_get_ctx(r, &hs_proxy_module); }

static inline px_try *cur_try(hs_proxy_state *px) { return &px->tries[(px->ntries - 1) % MAX_TRIES_LOGGED]; }

static inline int64_t since_start(hs_proxy_state *px) { return (int64_t)(hs_now.mono_usec - px->t_start); }

static inline bool uses_keepalive(hs_proxy_state *px)
{
    return px->pc->keep_conn > 0 && px->up->keepalive > 0;
}

/* The upstream connection may go back to the pool: the response ended exactly. */
static inline bool upstream_reusable(hs_proxy_state *px)
{
    return px->upstream_clean && px->resp.keep_alive && uses_keepalive(px);
}

/* ---- proxy.c: the request's life on the proxy's side ---- */

/* Gives the upstream connection back to the pool (reusable) or closes it. */
void hs_proxy_release_upstream(hs_proxy_state *px, bool reusable);
/* The request is finished on the proxy's side: hand the client connection
 * back to the core. */
void hs_proxy_end(hs_req *r);
void hs_proxy_log_error(hs_req *r, int err, const char *what);
/* The same without an errno. */
void hs_proxy_log_msg(hs_req *r, const char *what);

/* ---- proxy_io.c: the upstream connection's bytes, plain or TLS ---- */

/* Sends up to n bytes: the count sent, HS_AGAIN, or HS_ERROR (errno set). */
ssize_t hs_up_send(hs_upconn *u, const char *buf, size_t n);
/* Receives up to n bytes: the count, 0 at the end, HS_AGAIN, or HS_ERROR (errno set). */
ssize_t hs_up_recv(hs_upconn *u, char *buf, size_t n);
/* Closes the connection's TLS side (close_notify when it is sound) and socket. */
void hs_up_close(hs_upconn *u);
/* The TLS name of r's upstream connection (proxy_ssl_name, or the proxy_pass
 * host), without a port; NULL when it cannot be had. */
const char *hs_up_ssl_name(hs_req *r);
/* Starts TLS on u's connected socket for r (SNI, the saved session). */
int hs_up_ssl_start(hs_upconn *u, hs_req *r, const char *name);
/* One step of the handshake: HS_OK (done and verified as configured),
 * HS_AGAIN, or HS_ERROR (logged). */
int hs_up_handshake(hs_upconn *u, hs_req *r);
/* OpenSSL's error queue as text ("error:...:reason error:..."), emptied. */
const char *hs_proxy_ssl_errors(char *buf, size_t cap);
/* proxy_ssl_session_reuse: OpenSSL's callback for a new client session. */
int hs_up_ssl_new_session(struct ssl_st *ssl, struct ssl_session_st *sess);

/* ---- proxy_target.c: proxy_pass with variables ---- */

/* Where r goes: an upstream block of the URL's host name, an address, or
 * the resolver's answer. HS_OK: px->up is set; HS_AGAIN: the resolver is
 * asked (hs_proxy_connect follows); HS_DONE: the request was answered. */
int hs_proxy_target(hs_req *r);
/* The address of px->u's dynamic server: HS_OK (in u->addr), HS_AGAIN
 * (the resolver is asked; hs_proxy_connect_socket follows) or HS_DONE
 * (the try failed). */
int hs_proxy_resolve_server(hs_req *r);
/* Opens px->u's socket and starts connecting. */
void hs_proxy_connect_socket(hs_req *r);
/* The host the Host field and $proxy_host name. */
/* $proxy_host as a Host field: "localhost" for a unix socket, as nginx. */
static inline hs_str px_host_of(hs_str host)
{
    return hs_str_has_prefix(host, HS_STR("unix:")) ? HS_STR("localhost") : host;
}

static inline hs_str px_proxy_host(hs_proxy_state *px)
{
    return px_host_of(px->pc->vars ? px->proxy_host : px->pc->proxy_host);
}

/* ---- proxy_redirect.c: "/api" to "/api/" when "location /api/" proxies ---- */
int hs_proxy_redirect_register(hs_cf *cf, hs_http_conf *http);

/* ---- proxy_rewrite.c: proxy_redirect and proxy_cookie_* on the response head ---- */
/* Rewrites r->resp's Location, Refresh and Set-Cookie fields as the
 * location's rules say: HS_OK, or HS_ERROR (no memory). */
int hs_proxy_rewrite_head(hs_req *r);
void hs_proxy_rewrite_merge(px_rules *c, const px_rules *p);

/* ---- proxy_request.c: the request head for the upstream ---- */
extern const hs_up_proto hs_proxy_http_proto;

/* ---- proxy_conf.c: targets ---- */
/* The upstream of a target: an upstream block's name, else one made for
 * the address ("host:port", "unix:/path"; dport when it has no port). */
hs_upstream *hs_proxy_group_for(hs_cf *cf, hs_http_conf *http, hs_str name, const hs_conf_node *at, bool https,
                               const char *dport);
hs_proxy_conf *hs_proxy_conf_new(hs_pool *pool);
/* Inherits the settings every protocol has. */
void hs_proxy_merge_common(hs_proxy_conf *c, const hs_proxy_conf *p);
int hs_proxy_set_next_upstream(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d);
int hs_proxy_set_buffers(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d);
int hs_proxy_add_header_name(hs_cf *cf, hs_str **list, size_t *n, hs_str name);
/* Receives from the upstream into buf and decodes (the protocol's decode):
 * HS_OK with *got payload bytes (maybe 0), HS_AGAIN, HS_DONE at EOF,
 * HS_ERROR (errno), HS_DECLINED (malformed; logged). */
int hs_proxy_recv(hs_req *r, char *buf, size_t cap, size_t *got);

/* ---- proxy_body.c: the client's body ---- */

/* Buffers a small or chunked body, then connects. */
void hs_proxy_read_body(hs_req *r);
/* Sends the body read into a temporary file, after the head: HS_OK,
 * HS_AGAIN (wait for the upstream) or HS_ERROR (errno set). */
int hs_proxy_send_file_body(hs_proxy_state *px);
/* Streams the rest of a body to the upstream (chunked when body_chunked_out). */
void hs_proxy_send_stream(hs_req *r);
/* A streamed body's bytes already here, appended to the request q->out
 * (framed as the body goes: chunked or as they are). */
int hs_proxy_with_preread(hs_req *r, hs_up_req *q);
/* The client's body failed: status 0 when the client left in the middle of
 * it, else 400 or 413 for a malformed or too large one. Ends the request. */
void hs_proxy_body_failed(hs_req *r, int status);

/* ---- proxy_upstream.c: tries ---- */

/* Starts a try on the next server. */
void hs_proxy_connect(hs_req *r);
/* A try failed before the response head reached the client: retry or
 * answer status, the request ending as why (HS_END_UPSTREAM_*; HS_END_NONE
 * for hush's own 500s). */
void hs_proxy_fail(hs_req *r, int status, hs_ending why, const char *what);
/* May a failed try (condition HS_NEXT_*) go on to the next server? */
bool hs_proxy_may_retry(hs_req *r, int cond);
/* An upstream connection's epoll events, or 0 when its timer fired: called
 * by upstream.c (the pool's and the timers' dispatch). */
void hs_proxy_upstream_event(hs_upconn *u, uint32_t events);

/* ---- proxy_response.c: the response head ---- */
void hs_proxy_read_head(hs_req *r);

/* ---- proxy_relay.c: the response body ---- */

/* Consumes px->in per the response framing: HS_OK when the body is
 * complete, HS_AGAIN for more, HS_ERROR for a malformed body, HS_DONE for
 * one the protocol ended short of its declared length. */
int hs_proxy_consume_in(hs_req *r);
/* Ends the relay for consume_in's HS_ERROR or HS_DONE. */
void hs_proxy_body_broken(hs_req *r, int rc);
void hs_proxy_relay(hs_req *r);
void hs_proxy_relay_finished(hs_req *r);
/* The relay broke off: why is HS_END_CLIENT_ABORT_BODY when the client
 * failed, else the upstream's fault (HS_END_UPSTREAM_*). */
void hs_proxy_relay_error(hs_req *r, hs_ending why);

/* ---- proxy_tunnel.c: Upgrade (101) tunnels ---- */

/* The client asked to switch protocols (an HTTP/1.x Upgrade header). */
bool hs_proxy_client_wants_upgrade(hs_req *r);
/* The 101's head is queued and px->in holds what followed it: the tunnel starts. */
void hs_proxy_tunnel_start(hs_req *r);
/* A socket's epoll events during the tunnel (the client's, or the
 * upstream's): moves bytes both ways; may end the request. */
void hs_proxy_tunnel_event(hs_req *r, bool from_client, uint32_t events);
/* The upstream connection's timer fired during the tunnel. */
void hs_proxy_tunnel_timeout(hs_req *r);
/* Frees its buffers (hs_proxy_end). */
void hs_proxy_tunnel_free(hs_proxy_state *px);

/* ---- proxy_vars.c ---- */
extern const hs_var_def hs_proxy_variables[];
/* HS_PHASE_LOG: the response time of each try, for the metrics. */
int hs_proxy_log_tries(hs_req *r);

/* ---- building heads without printf (this runs for every proxied request) ---- */

static inline char *put(char *p, const char *s, size_t n)
{
    if (n)
        memcpy(p, s, n);
    return p + n;
}
#define PUT_LIT(p, lit) put((p), (lit), sizeof(lit) - 1)

static inline char *put_field(char *p, hs_str name, hs_str value)
{
    p = put(p, name.p, name.n);
    p = PUT_LIT(p, ": ");
    p = put(p, value.p, value.n);
    return PUT_LIT(p, "\r\n");
}

static inline char *put_u64(char *p, uint64_t v) { return p + hs_u64_to_str(v, p); }

/* Is name one of names (case-insensitive)? Lengths are compared first. */
static inline bool name_in(hs_str name, const hs_str *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (names[i].n == name.n && strncasecmp(names[i].p, name.p, name.n) == 0)
            return true;
    return false;
}

#endif
