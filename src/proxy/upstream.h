/* The upstream machinery for a second protocol beside HTTP (FastCGI): the
 * proxy's upstream groups and keep-alive pools, balancing, tries and
 * proxy_next_upstream, timeouts, the client's abort (499) and what the
 * upstream did after it, the relay with bounded memory, intercepted
 * errors, $upstream_* and the upstream metrics. A protocol brings only its
 * request encoding and its response decoding (an hs_up_proto), and keeps
 * its settings in an hs_upstream_conf made and filled through the
 * functions below. The HTTP proxy is the first such protocol. */
#ifndef HS_PROXY_UPSTREAM_H
#define HS_PROXY_UPSTREAM_H

#include "conf/module.h"
#include "http/phase.h"
#include "parse/response.h"

/* What the machinery hands a protocol's request encoder for a try. */
typedef struct {
    const char *addr;     /* the try's server: "127.0.0.1:9000", "unix:/run/php.sock" */
    const char *body;     /* the client's body when it is in memory (body_len bytes), else NULL */
    size_t body_len;
    int64_t body_size;    /* its whole length, in memory or in a file; 0 none */
    bool body_in_file;    /* the body follows in pieces (body_prefix, body_suffix) */
    hs_str out;           /* set by the encoder: the bytes to send first, in r's pool */
} hs_up_req;

typedef struct hs_up_proto {
    const char *scheme;   /* "http", "fastcgi": the ", upstream: ..." of error-log lines */
    int metrics;          /* which upstream latency series: 0 HTTP, 1 FastCGI */
    /* The request (and a body in memory) for a try; sets r->log_upstream. */
    int (*request)(hs_req *r, hs_up_req *q);
    /* A body from a file goes in pieces of at most 16 KiB: the bytes in
     * front of a piece of n bytes (at most 8) and after the last one (at
     * most 16). NULL: none. */
    size_t (*body_prefix)(hs_req *r, char *out, size_t n);
    size_t (*body_suffix)(hs_req *r, char *out);
    /* The upstream's bytes buf[0..*n) just received, decoded in place into
     * the response stream (*n shrinks): HS_AGAIN (more to come), HS_OK (the
     * response ended exactly here), HS_DONE (it ended, and bytes followed),
     * HS_ERROR (malformed: logged). NULL: the bytes are the stream. */
    int (*decode)(hs_req *r, char *buf, size_t *n);
    /* The head at the start of the stream: HS_OK (resp filled, head_len
     * set), HS_AGAIN, HS_ERROR (resp->error says why). */
    int (*head)(hs_req *r, const char *buf, size_t len, hs_http_response *resp, hs_header *hdrs, size_t max);
    /* The client left and the upstream connection is about to close: the
     * bytes to send it first (at most 16; 0: none). NULL: none. */
    size_t (*abort)(hs_req *r, char *out);
    /* The upstream's fields a client does not get unless X_pass_header names them. */
    const hs_str *hidden;
    size_t nhidden;
    bool eof_ends_body;   /* an EOF ends a body without a length (HTTP/1.0) */
} hs_up_proto;

/* The settings of a level that uses a protocol: opaque outside src/proxy. */
typedef struct hs_proxy_conf hs_upstream_conf;

/* The shared settings a protocol's directives set (fastcgi_read_timeout ...). */
typedef enum {
    HS_UP_CONNECT_TIMEOUT, HS_UP_READ_TIMEOUT, HS_UP_SEND_TIMEOUT, HS_UP_NEXT_UPSTREAM,
    HS_UP_NEXT_UPSTREAM_TRIES, HS_UP_NEXT_UPSTREAM_TIMEOUT, HS_UP_IGNORE_CLIENT_ABORT, HS_UP_INTERCEPT_ERRORS, HS_UP_BUFFERING,
    HS_UP_BUFFER_SIZE, HS_UP_BUFFERS, HS_UP_HIDE_HEADER, HS_UP_PASS_HEADER, HS_UP_KEEP_CONN,
} hs_up_setting;

hs_upstream_conf *hs_upstream_conf_new(hs_cf *cf, const hs_up_proto *proto);
/* Sets one shared setting from the directive n. */
int hs_upstream_conf_set(hs_cf *cf, const hs_conf_node *n, hs_upstream_conf *c, hs_up_setting which);
/* The target: an upstream block's name, "host:port" or "unix:/path"
 * (resolved after the http block by hs_upstream_conf_resolve). */
int hs_upstream_conf_target(hs_cf *cf, const hs_conf_node *n, hs_upstream_conf *c, hs_str target);
bool hs_upstream_conf_has_target(const hs_upstream_conf *c);
/* Inherits what c does not set from p (NULL: the defaults). */
void hs_upstream_conf_merge(hs_upstream_conf *c, const hs_upstream_conf *p);
int hs_upstream_conf_resolve(hs_cf *cf, hs_http_conf *http, hs_upstream_conf *c);
bool hs_upstream_conf_keep_conn(const hs_upstream_conf *c);

/* A cache in front of the upstream (src/cache sets hs_up_cache; NULL:
 * none). The machinery asks it before the first try, shows it the
 * response it relays, and asks it again when the upstream fails. */
typedef struct hs_up_cache {
    /* Before the first try: HS_DONE when it answered r (a hit), HS_AGAIN
     * when it holds r (proxy_cache_lock: it calls hs_upstream_run again
     * later), HS_OK to go to the upstream with a response it may store (a
     * client who leaves does not stop it), HS_DECLINED to go without. */
    int (*lookup)(hs_req *r, hs_upstream_conf *c, const hs_up_proto *proto);
    /* The request fields the cache adds when it may store the answer
     * ("If-None-Match: ...\r\n": proxy_cache_revalidate), in r's pool. */
    hs_str (*fields)(hs_req *r);
    /* The response head (r->resp, as the client gets it; resp, the
     * upstream's): true when the cache stores this response. */
    bool (*head)(hs_req *r, const hs_http_response *resp);
    /* The stored response's body bytes, decoded, as they come. */
    void (*body)(hs_req *r, const char *data, size_t n);
    /* The upstream side ended: complete (the whole body came) or not;
     * client_gone: the client had left meanwhile. */
    void (*end)(hs_req *r, bool complete, bool client_gone);
    /* The upstream failed (why: HS_END_UPSTREAM_*) or answered status (a
     * 5xx, or a 304 to a revalidation): true when the stored entry answers r
     * instead (proxy_cache_use_stale; a revalidated entry); */
    bool (*stale)(hs_req *r, hs_ending why, int status);
    /* ... which serve then sends, once the machinery let go of r. */
    void (*serve)(hs_req *r);
} hs_up_cache;
extern const hs_up_cache *hs_up_cache_hooks;

/* A handler's run: passes r to c's upstream with c's protocol. */
void hs_upstream_run(hs_req *r, hs_upstream_conf *c);
/* HS_PHASE_LOG: the tries' response times of a request proto passed, for
 * the metrics (a protocol's module registers it for itself). */
void hs_upstream_count_tries(hs_req *r, const hs_up_proto *proto);

#endif
