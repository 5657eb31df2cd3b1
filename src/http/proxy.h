/* The reverse proxy: upstream groups, their servers and keep-alive pools,
 * the proxy_* settings of a location, and the per-request proxy state. */
#ifndef HS_HTTP_PROXY_H
#define HS_HTTP_PROXY_H

#include "http/http.h"
#include "http/resp_parse.h"

typedef struct hs_upstream hs_upstream;
typedef struct hs_upconn hs_upconn;

typedef struct {
    struct sockaddr_storage addr;
    socklen_t addrlen;
    char text[80];          /* "127.0.0.1:8081": $upstream_addr */
    int weight;             /* weight= */
    int max_fails;          /* max_fails= (0: never marked down) */
    int64_t fail_timeout;   /* fail_timeout= in ms */
    bool backup;            /* backup */
    /* this worker's view of its health and share */
    int current_weight;     /* smooth weighted round-robin state */
    int fails;              /* failures within fail_timeout */
    uint64_t checked;       /* mono ms of the first failure of the window */
    uint64_t down_until;    /* mono ms until which it is skipped */
} hs_upstream_server;

struct hs_upstream {
    hs_str name;                 /* upstream NAME, or "host:port" of a proxy_pass URL */
    hs_upstream_server *servers;
    size_t nservers;
    int keepalive;               /* idle connections kept per worker; 0 none */
    bool implicit;               /* made from a proxy_pass URL */
    hs_upconn *idle;             /* this worker's idle connections, most recent first */
    int nidle;
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

typedef struct hs_proxy_conf {
    hs_upstream *upstream;        /* proxy_pass target; NULL when not set here */
    hs_str uri;                   /* URI part of proxy_pass ("" none) */
    bool has_uri;                 /* proxy_pass had a URI part: replace the location prefix */
    hs_str proxy_host;            /* $proxy_host */
    int http_version;             /* 10 or 11 */
    hs_proxy_header *headers;     /* proxy_set_header; NULL = inherit */
    size_t nheaders;
    int64_t connect_timeout, read_timeout, send_timeout; /* ms */
    int next_upstream;            /* HS_NEXT_* mask */
    int64_t next_upstream_tries;  /* 0 = unlimited */
    int ignore_client_abort;
    int buffering;
    int64_t buffer_size;          /* relay buffer (bounded memory per request) */
    const char *pass_file;        /* where proxy_pass was written, for errors */
    int pass_line;
} hs_proxy_conf;

extern const hs_directive hs_proxy_directives[];
extern hs_module hs_proxy_module;

/* The proxy settings of a level, created on first use; and as they are (NULL: none). */
hs_proxy_conf *hs_proxy_conf_get(hs_cf *cf, hs_loc_conf *lc);
static inline hs_proxy_conf *hs_proxy_conf_of(const hs_loc_conf *lc)
{
    return HS_MOD_SLOT(lc->mod, &hs_proxy_module);
}

/* ---- upstream runtime (upstream.c) ---- */

/* An upstream connection, for one request or idle in a pool. */
struct hs_upconn {
    hs_ev ev;                /* first: epoll dispatch */
    hs_timer timer;          /* connect/send/read timeout, or idle expiry */
    int fd;
    hs_upstream *up;
    hs_upstream_server *server;
    hs_req *r;               /* owning request; NULL when idle */
    hs_upconn *next;         /* pool list */
    bool reused;             /* came from the pool */
    bool connected;          /* the TCP handshake completed */
    uint32_t requests;       /* requests sent on it */
};

/* Picks a server (weighted round robin, skipping failed ones, then backups). */
hs_upstream_server *hs_upstream_pick(hs_upstream *up, uint64_t tried_mask);
void hs_upstream_failed(hs_upstream_server *s);
/* Is there a server not yet tried and not marked down? */
bool hs_upstream_has_candidate(const hs_upstream *up, uint64_t tried_mask);
void hs_upstream_succeeded(hs_upstream_server *s);
/* An idle connection to server s from the pool, or NULL. */
hs_upconn *hs_upstream_pool_get(hs_upstream *up, hs_upstream_server *s);
/* Keeps a connection whose response was fully read; closes it when the pool is full. */
void hs_upstream_pool_put(hs_upconn *u);
void hs_upconn_close(hs_upconn *u);
hs_upconn *hs_upconn_new(hs_upstream *up, hs_upstream_server *s);
/* An upstream connection's epoll events, or 0 when its timer fired: defined
 * in proxy.c, called by upstream.c (the pool's and the timers' dispatch). */
void hs_proxy_upstream_event(hs_upconn *u, uint32_t events);

/* ---- the proxy handler (proxy.c) ---- */
void hs_proxy_handler(hs_req *r);
/* The client connection closed or half-closed while the request is proxied. */
void hs_proxy_client_gone(hs_req *r);
/* The client can take more of the response. */
void hs_proxy_client_writable(hs_req *r);
/* The client sent more (request body bytes). */
void hs_proxy_client_readable(hs_req *r);
/* The client connection is closing (timeout, stop): drop the upstream side. */
void hs_proxy_abandon(hs_req *r);
/* Response time in µs of each try (-1 where none), oldest first; returns
 * how many were written (at most max). For the metrics histogram. */
size_t hs_proxy_try_times(hs_req *r, int64_t *us, size_t max);
/* $upstream_* values for the access log. */
int hs_proxy_var(hs_req *r, int which, hs_str *out, hs_pool *pool);
enum { HS_UPVAR_ADDR, HS_UPVAR_STATUS, HS_UPVAR_CONNECT, HS_UPVAR_HEADER, HS_UPVAR_RESPONSE };

#endif
