/* The proxy handler: read the request body (small and chunked bodies are
 * buffered so a retry can resend them, large ones stream), connect to an
 * upstream server or reuse a kept-alive connection, send the request, parse
 * the response head, relay the body with bounded memory, and account for
 * every way it can end — above all a client that leaves while the upstream
 * works (499, detected through EPOLLRDHUP at once, not when the upstream
 * answers). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/errlog.h"
#include "http/chunked.h"
#include "http/proxy.h"
#include "http/request_internal.h"
#include "stats/counters.h"
#include "version.h"

#define MAX_TRIES_LOGGED 8
#define MAX_RESP_HEADERS 100
#define BUFFERED_BODY_MAX (64 * 1024) /* bodies up to this are kept for retries */
#define CHUNKED_BODY_MAX (64 * 1024 * 1024)

typedef enum {
    PX_READ_BODY,  /* buffering the client's body before connecting */
    PX_CONNECT,    /* non-blocking connect in progress */
    PX_SEND,       /* sending the request head (and buffered body) */
    PX_SEND_BODY,  /* streaming a large body from the client */
    PX_READ_HEAD,  /* waiting for the response head */
    PX_RELAY,      /* relaying the response body */
    PX_DONE,
} px_state;

/* What one try looked like, for $upstream_* (comma-separated over tries). */
typedef struct {
    const char *addr;
    int status;             /* 0: none ("-"), else the status or 502/504 for failures */
    int64_t connect_us, header_us, response_us; /* -1: not reached */
} px_try;

typedef struct hs_proxy_state {
    hs_proxy_conf *pc;
    hs_upconn *u;
    px_state state;
    uint64_t tried;         /* servers already tried (bit per index) */
    int ntries;
    px_try tries[MAX_TRIES_LOGGED];
    uint64_t t_start;       /* µs when the current try started */
    char *out;              /* request head + buffered body */
    size_t out_len, out_sent;
    char *body;             /* buffered request body */
    size_t body_len, body_cap;
    int64_t stream_left;    /* large body bytes still to relay from the client */
    bool body_buffered;     /* body fully in memory (retry possible) */
    hs_chunked dec;         /* client chunked body, then upstream chunked response */
    bool request_sent;      /* some request byte reached the upstream */
    char *in;               /* upstream read buffer */
    size_t in_cap, in_len;
    hs_http_response resp;
    hs_header resp_hdrs[MAX_RESP_HEADERS];
    int64_t resp_left;      /* Content-Length bytes still due */
    bool resp_chunked, resp_until_close, resp_none;
    bool client_chunked;    /* we chunk-encode the body to the client */
    char *cout;             /* bytes waiting for the client */
    size_t cout_len, cout_sent, cout_cap;
    bool client_gone;       /* the client left; ignore_client_abort keeps us going */
    bool upstream_clean;    /* the response ended exactly: the connection may be reused */
} hs_proxy_state;

static void proxy_connect(hs_req *r);
static void proxy_send(hs_req *r);
static void proxy_read_head(hs_req *r);
static void proxy_relay(hs_req *r);
static int consume_in(hs_req *r);
static void relay_error(hs_req *r, bool client_side);
static void proxy_fail(hs_req *r, int status, bool timeout, const char *what);

static hs_proxy_state *PX(hs_req *r) { return r->px; }

/* ---- helpers ---- */

static px_try *cur_try(hs_proxy_state *px) { return &px->tries[(px->ntries - 1) % MAX_TRIES_LOGGED]; }

static int64_t since_start(hs_proxy_state *px) { return (int64_t)(hs_now.mono_usec - px->t_start); }

static void release_upstream(hs_proxy_state *px, bool reusable)
{
    hs_upconn *u = px->u;
    if (u == NULL)
        return;
    px->u = NULL;
    hs_timer_cancel(&u->timer);
    if (reusable && u->up->keepalive > 0) {
        hs_upstream_pool_put(u);
        return;
    }
    u->r = NULL;
    u->up = NULL; /* not in a pool list */
    hs_upconn_close(u);
}

static void free_buffers(hs_proxy_state *px)
{
    free(px->in);
    free(px->cout);
    px->in = px->cout = NULL;
}

static void log_upstream_error(hs_req *r, int err, const char *what)
{
    hs_proxy_state *px = PX(r);
    hs_log_errno(HS_LOG_ERR, err, "*%llu %s, client: %s, upstream: \"%s\", request: \"%.*s\"",
                 (unsigned long long)r->conn->number, what, hs_conn_peer_text(r->conn),
                 px->u ? px->u->server->text : "-", (int)r->h.request_line.n, r->h.request_line.p);
}

/* The request is finished on the proxy's side: hand the client connection
 * back to the request layer. */
static void end_proxying(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    px->state = PX_DONE;
    r->proxying = false;
    free_buffers(px);
}

/* ---- building heads without printf (this runs for every proxied request) ---- */

static char *put(char *p, const char *s, size_t n)
{
    if (n)
        memcpy(p, s, n);
    return p + n;
}
#define PUT_LIT(p, lit) put((p), (lit), sizeof(lit) - 1)

static char *put_field(char *p, hs_str name, hs_str value)
{
    p = put(p, name.p, name.n);
    p = PUT_LIT(p, ": ");
    p = put(p, value.p, value.n);
    return PUT_LIT(p, "\r\n");
}

static char *put_u64(char *p, uint64_t v) { return p + hs_u64_to_str(v, p); }

/* Is name one of names (case-insensitive)? Lengths are compared first. */
static bool name_in(hs_str name, const hs_str *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (names[i].n == name.n && strncasecmp(names[i].p, name.p, name.n) == 0)
            return true;
    return false;
}

/* ---- the request to the upstream ---- */

static bool hop_by_hop(hs_str name)
{
    static const hs_str names[] = {HS_STR("Connection"), HS_STR("Keep-Alive"), HS_STR("Proxy-Connection"),
                                   HS_STR("TE"), HS_STR("Trailer"), HS_STR("Transfer-Encoding"),
                                   HS_STR("Upgrade"), HS_STR("Content-Length"), HS_STR("Expect"), HS_STR("Host")};
    return name_in(name, names, HS_ARRAY_LEN(names));
}

static bool set_by_conf(hs_proxy_conf *pc, hs_str name)
{
    for (size_t i = 0; i < pc->nheaders; i++)
        if (hs_str_caseeq(pc->headers[i].name, name))
            return true;
    return false;
}

/* The URI sent upstream: the client's as sent, or with the location prefix
 * replaced by proxy_pass's URI part (then escaped again). */
static hs_str upstream_uri(hs_req *r, hs_proxy_conf *pc)
{
    if (!pc->has_uri) {
        if (r->h.target.n && r->h.target.p[0] == '/')
            return r->h.target;
        /* absolute-form: the path and query only */
        return hs_cstr(hs_psprintf(r->pool, "%.*s%s%.*s", (int)r->h.path.n, r->h.path.p, r->h.args.n ? "?" : "",
                                   (int)r->h.args.n, r->h.args.p));
    }
    hs_str rest = r->uri;
    hs_loc_conf *lc = r->loc;
    if ((lc->match == HS_LOC_PREFIX || lc->match == HS_LOC_NOREGEX || lc->match == HS_LOC_EXACT) &&
        hs_str_has_prefix(rest, lc->name))
        rest = (hs_str){rest.p + lc->name.n, rest.n - lc->name.n};
    char *out = hs_palloc(r->pool, pc->uri.n + rest.n * 3 + r->args.n + 2), *p = out;
    memcpy(p, pc->uri.p, pc->uri.n);
    p += pc->uri.n;
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < rest.n; i++) {
        unsigned char c = (unsigned char)rest.p[i];
        if (c <= 0x20 || c >= 0x7f || c == '%' || c == '?' || c == '#') {
            *p++ = '%';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 15];
        } else {
            *p++ = (char)c;
        }
    }
    if (r->args.n) {
        *p++ = '?';
        memcpy(p, r->args.p, r->args.n);
        p += r->args.n;
    }
    return (hs_str){out, (size_t)(p - out)};
}

static bool uses_keepalive(hs_proxy_conf *pc) { return pc->http_version == 11 && pc->upstream->keepalive > 0; }

static int build_request(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    hs_proxy_conf *pc = px->pc;
    hs_str uri = upstream_uri(r, pc);
    size_t cap = r->h.method.n + uri.n + 64 + px->body_len;
    for (size_t i = 0; i < r->h.nheaders; i++)
        cap += r->headers[i].name.n + r->headers[i].value.n + 4;
    hs_str values[64];
    size_t nset = pc->nheaders < 64 ? pc->nheaders : 64;
    bool host_set = false, conn_set = false;
    for (size_t i = 0; i < nset; i++) {
        if (hs_cv_eval(&pc->headers[i].value, r, r->pool, &values[i]) != HS_OK)
            return HS_ERROR;
        cap += pc->headers[i].name.n + values[i].n + 4;
        host_set |= hs_str_caseeq_lit(pc->headers[i].name, "Host");
        conn_set |= hs_str_caseeq_lit(pc->headers[i].name, "Connection");
    }
    cap += pc->proxy_host.n + 64;
    char *b = hs_palloc(r->pool, cap), *p = b;
    if (b == NULL)
        return HS_ERROR;
    p = put(p, r->h.method.p, r->h.method.n);
    *p++ = ' ';
    p = put(p, uri.p, uri.n);
    p = pc->http_version == 11 ? PUT_LIT(p, " HTTP/1.1\r\n") : PUT_LIT(p, " HTTP/1.0\r\n");
    if (!host_set)
        p = put_field(p, HS_STR("Host"), pc->proxy_host);
    if (!conn_set && !uses_keepalive(pc))
        p = PUT_LIT(p, "Connection: close\r\n");
    for (size_t i = 0; i < nset; i++)
        if (values[i].n) /* an empty value removes the header */
            p = put_field(p, pc->headers[i].name, values[i]);
    for (size_t i = 0; i < r->h.nheaders; i++) {
        hs_header *h = &r->headers[i];
        if (!hop_by_hop(h->name) && (nset == 0 || !set_by_conf(pc, h->name)))
            p = put_field(p, h->name, h->value);
    }
    int64_t body = px->body_buffered ? (int64_t)px->body_len : r->h.content_length;
    if (body > 0 || r->h.chunked || r->h.content_length == 0) {
        p = PUT_LIT(p, "Content-Length: ");
        p = put_u64(p, (uint64_t)(body > 0 ? body : 0));
        p = PUT_LIT(p, "\r\n");
    }
    p = PUT_LIT(p, "\r\n");
    if (px->body_buffered && px->body_len) {
        memcpy(p, px->body, px->body_len);
        p += px->body_len;
    }
    px->out = b;
    px->out_len = (size_t)(p - b);
    px->out_sent = 0;
    return HS_OK;
}

/* ---- reading the client's body ---- */

static int body_append(hs_proxy_state *px, hs_pool *pool, const char *data, size_t n)
{
    if (px->body_len + n > px->body_cap) {
        size_t cap = px->body_cap ? px->body_cap * 2 : 16384;
        while (cap < px->body_len + n)
            cap *= 2;
        char *nb = hs_palloc(pool, cap);
        if (nb == NULL)
            return HS_ERROR;
        if (px->body_len)
            memcpy(nb, px->body, px->body_len);
        px->body = nb;
        px->body_cap = cap;
    }
    memcpy(px->body + px->body_len, data, n);
    px->body_len += n;
    return HS_OK;
}

/* Moves what the connection buffer holds of the body into px->body.
 * HS_OK: the body is complete. */
static int take_buffered_body(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    hs_conn *c = r->conn;
    size_t avail = c->buf_len - c->buf_pos;
    if (!r->h.chunked) {
        size_t want = (size_t)r->h.content_length - px->body_len;
        size_t take = avail < want ? avail : want;
        if (take && body_append(px, r->pool, c->buf + c->buf_pos, take) != HS_OK)
            return HS_ERROR;
        c->buf_pos += (uint32_t)take;
        r->request_length += take;
        return px->body_len == (size_t)r->h.content_length ? HS_OK : HS_AGAIN;
    }
    int rc;
    const char *decoded = c->buf + c->buf_pos;
    size_t n = hs_http_take_chunked(r, &px->dec, &rc);
    if (rc == HS_ERROR || (n && body_append(px, r->pool, decoded, n) != HS_OK))
        return HS_ERROR;
    int64_t limit = r->loc->client_max_body_size ? r->loc->client_max_body_size : CHUNKED_BODY_MAX;
    if ((int64_t)px->body_len > limit)
        return 413;
    return rc;
}

static ssize_t client_recv(hs_conn *c)
{
    if (c->buf == NULL) {
        c->buf = malloc(16384);
        if (c->buf == NULL)
            return HS_ERROR;
        c->buf_cap = 16384;
        c->buf_pos = c->buf_len = 0;
    }
    if (c->buf_pos == c->buf_len)
        c->buf_pos = c->buf_len = 0;
    if (c->buf_len == c->buf_cap)
        return HS_AGAIN; /* full of unconsumed bytes: wait until they are used */
    ssize_t n = recv(c->fd, c->buf + c->buf_len, c->buf_cap - c->buf_len, 0);
    if (n > 0) {
        c->buf_len += (uint32_t)n;
        c->bytes_in += (uint64_t)n;
        return n;
    }
    if (n == 0)
        return 0;
    return errno == EAGAIN ? HS_AGAIN : HS_ERROR;
}

static void client_body_failed(hs_req *r, int status)
{
    hs_conn *c = r->conn;
    end_proxying(r);
    if (status == 0) {
        /* the client left in the middle of its body */
        hs_http_end_request(r, HS_END_CLIENT_ABORT_BODY, 400);
        hs_conn_close(c);
        return;
    }
    r->h.keep_alive = false;
    c->must_linger = true;
    r->ending = HS_END_BAD_REQUEST;
    hs_http_finalize(r, status);
}

static void read_body(hs_req *r)
{
    hs_conn *c = r->conn;
    for (;;) {
        int rc = take_buffered_body(r);
        if (rc == HS_OK) {
            hs_timer_cancel(&c->timer);
            PX(r)->body_buffered = true;
            proxy_connect(r);
            return;
        }
        if (rc != HS_AGAIN) {
            client_body_failed(r, rc == 413 ? 413 : 400);
            return;
        }
        ssize_t n = client_recv(c);
        if (n == HS_AGAIN) {
            hs_timer_set(&c->timer, (uint64_t)r->loc->client_body_timeout);
            return;
        }
        if (n <= 0) {
            client_body_failed(r, 0);
            return;
        }
    }
}

/* ---- trying servers ---- */

static bool idempotent(hs_req *r)
{
    switch (r->h.method_id) {
    case HS_METHOD_POST:
    case HS_METHOD_PATCH:
    case HS_METHOD_LOCK:
        return false;
    case HS_METHOD_UNKNOWN:
        return false;
    default:
        return true;
    }
}

static bool may_retry(hs_req *r, int cond)
{
    hs_proxy_state *px = PX(r);
    hs_proxy_conf *pc = px->pc;
    if (!(pc->next_upstream & cond) || r->resp.started || px->client_gone)
        return false;
    if (px->request_sent && !idempotent(r) && !(pc->next_upstream & HS_NEXT_NON_IDEMPOTENT))
        return false;
    if (px->request_sent && !px->body_buffered && r->h.content_length > 0)
        return false; /* a streamed body cannot be sent again */
    if (pc->next_upstream_tries && px->ntries >= pc->next_upstream_tries)
        return false;
    return px->ntries < (int)pc->upstream->nservers + 1;
}

static void start_try(hs_req *r, hs_upstream_server *s)
{
    hs_proxy_state *px = PX(r);
    px->ntries++;
    px_try *t = cur_try(px);
    *t = (px_try){.addr = s->text, .status = 0, .connect_us = -1, .header_us = -1, .response_us = -1};
    px->t_start = hs_now.mono_usec;
    px->request_sent = false;
    px->out_sent = 0;
}

static int open_socket(hs_upconn *u)
{
    int fd = socket(u->server->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    u->fd = fd;
    if (hs_ev_add(fd, &u->ev, EPOLLIN | EPOLLOUT | EPOLLRDHUP) != 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&u->server->addr, u->server->addrlen) != 0 && errno != EINPROGRESS)
        return -errno;
    return 0;
}

static void proxy_connect(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    hs_proxy_conf *pc = px->pc;
    hs_upstream *up = pc->upstream;
    hs_upstream_server *s = hs_upstream_pick(up, px->tried);
    if (s == NULL) {
        hs_log(HS_LOG_ERR, "*%llu no live upstreams while connecting to upstream \"%.*s\", client: %s",
               (unsigned long long)r->conn->number, (int)up->name.n, up->name.p, hs_conn_peer_text(r->conn));
        proxy_fail(r, 502, false, NULL);
        return;
    }
    start_try(r, s);
    if (build_request(r) != HS_OK) {
        proxy_fail(r, 500, false, NULL);
        return;
    }
    r->conn->state = HS_CONN_PROXY;
    hs_upconn *u = uses_keepalive(pc) ? hs_upstream_pool_get(up, s) : NULL;
    if (u) {
        u->r = r;
        px->u = u;
        cur_try(px)->connect_us = 0;
        px->state = PX_SEND;
        proxy_send(r);
        return;
    }
    u = hs_upconn_new(up, s);
    if (u == NULL) {
        proxy_fail(r, 500, false, NULL);
        return;
    }
    u->r = r;
    px->u = u;
    int err = open_socket(u);
    if (err) {
        log_upstream_error(r, -err, "connect() failed");
        proxy_fail(r, 502, false, NULL);
        return;
    }
    px->state = PX_CONNECT;
    hs_timer_set(&u->timer, (uint64_t)pc->connect_timeout);
}

/* A try failed before the response head reached the client: retry on the
 * next server when allowed, else answer status (502, 504). */
static void proxy_fail(hs_req *r, int status, bool timeout, const char *what)
{
    hs_proxy_state *px = PX(r);
    if (what)
        log_upstream_error(r, timeout ? ETIMEDOUT : errno, what);
    bool reused = px->u && px->u->reused;
    if (px->ntries > 0) {
        cur_try(px)->status = status;
        cur_try(px)->response_us = since_start(px);
        if (px->u && !reused)
            hs_upstream_failed(px->u->server);
    }
    hs_upstream_server *s = px->u ? px->u->server : NULL;
    release_upstream(px, false);
    /* a kept-alive connection the upstream had already closed is nobody's fault: try again */
    if (reused && s && !r->resp.started && !px->client_gone && (idempotent(r) || !px->request_sent)) {
        proxy_connect(r);
        return;
    }
    if (s)
        px->tried |= 1ULL << ((size_t)(s - px->pc->upstream->servers) & 63);
    if (s && may_retry(r, timeout ? HS_NEXT_TIMEOUT : HS_NEXT_ERROR) &&
        hs_upstream_has_candidate(px->pc->upstream, px->tried)) {
        proxy_connect(r);
        return;
    }
    hs_conn *c = r->conn;
    end_proxying(r);
    if (px->client_gone) {
        hs_http_end_request(r, HS_END_CLIENT_ABORT, 499);
        hs_conn_close(c);
        return;
    }
    hs_timer_cancel(&c->timer);
    r->h.keep_alive = r->h.keep_alive && (r->h.content_length <= 0 || px->body_buffered);
    hs_http_finalize(r, status);
}

static int so_error(int fd)
{
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        return errno;
    return err;
}

/* ---- sending ---- */

static int send_out(hs_proxy_state *px)
{
    while (px->out_sent < px->out_len) {
        ssize_t n = send(px->u->fd, px->out + px->out_sent, px->out_len - px->out_sent, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno == EAGAIN ? HS_AGAIN : HS_ERROR;
        }
        px->out_sent += (size_t)n;
        px->request_sent = true;
    }
    return HS_OK;
}

/* Streams the rest of a large Content-Length body from the client. */
static void send_stream(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    hs_conn *c = r->conn;
    while (px->stream_left > 0) {
        if (c->buf && c->buf_pos < c->buf_len) {
            size_t avail = c->buf_len - c->buf_pos;
            size_t take = (int64_t)avail < px->stream_left ? avail : (size_t)px->stream_left;
            ssize_t n = send(px->u->fd, c->buf + c->buf_pos, take, MSG_NOSIGNAL);
            if (n < 0 && errno == EAGAIN) {
                hs_timer_set(&px->u->timer, (uint64_t)px->pc->send_timeout);
                return;
            }
            if (n <= 0) {
                proxy_fail(r, 502, false, "send() to upstream failed");
                return;
            }
            c->buf_pos += (uint32_t)n;
            px->stream_left -= n;
            r->request_length += (size_t)n;
            continue;
        }
        ssize_t n = client_recv(c);
        if (n == HS_AGAIN) {
            hs_timer_set(&c->timer, (uint64_t)r->loc->client_body_timeout);
            return;
        }
        if (n <= 0) {
            release_upstream(px, false);
            client_body_failed(r, 0);
            return;
        }
    }
    hs_timer_cancel(&c->timer);
    /* the answer cannot be there yet: wait for its EPOLLIN instead of a read that fails */
    px->state = PX_READ_HEAD;
    hs_timer_set(&px->u->timer, (uint64_t)px->pc->read_timeout);
}

static void proxy_send(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    int rc = send_out(px);
    if (rc == HS_AGAIN) {
        hs_timer_set(&px->u->timer, (uint64_t)px->pc->send_timeout);
        return;
    }
    if (rc == HS_ERROR) {
        proxy_fail(r, 502, false, "send() to upstream failed");
        return;
    }
    px->u->requests++;
    if (!px->body_buffered && r->h.content_length > 0) {
        px->stream_left = r->h.content_length;
        px->state = PX_SEND_BODY;
        send_stream(r);
        return;
    }
    px->state = PX_READ_HEAD;
    hs_timer_set(&px->u->timer, (uint64_t)px->pc->read_timeout);
}

/* ---- the response head ---- */

static bool hidden_response_header(hs_str name)
{
    static const hs_str names[] = {
        HS_STR("Connection"), HS_STR("Keep-Alive"), HS_STR("Transfer-Encoding"), HS_STR("Content-Length"),
        HS_STR("Server"), HS_STR("Date"), HS_STR("Proxy-Connection"), HS_STR("Trailer"), HS_STR("Upgrade"),
        HS_STR("X-Pad")};
    if (name.n > 8 && strncasecmp(name.p, "X-Accel-", 8) == 0)
        return true;
    return name_in(name, names, HS_ARRAY_LEN(names));
}

static bool retry_status(hs_proxy_state *px, int status)
{
    int cond = status == 500 ? HS_NEXT_500 : status == 502 ? HS_NEXT_502 : status == 503 ? HS_NEXT_503
             : status == 504 ? HS_NEXT_504 : status == 403 ? HS_NEXT_403 : status == 404 ? HS_NEXT_404
             : status == 429 ? HS_NEXT_429 : 0;
    return cond && (px->pc->next_upstream & cond);
}

/* Decides the framing of the body, both ways. */
static void plan_body(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    hs_http_response *h = &px->resp;
    int s = h->status;
    px->resp_none = r->h.method_id == HS_METHOD_HEAD || s == 204 || s == 304 || (s >= 100 && s < 200);
    px->resp_chunked = !px->resp_none && h->chunked;
    px->resp_left = px->resp_none ? 0 : h->content_length;
    px->resp_until_close = !px->resp_none && !h->chunked && h->content_length < 0;
    if (px->resp_chunked)
        hs_chunked_init(&px->dec);
    bool length_known = px->resp_none || h->content_length >= 0;
    px->client_chunked = !length_known && r->h.version == 11;
}

static int build_client_head(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    hs_http_response *h = &px->resp;
    hs_resp *rs = &r->resp;
    size_t cap = 512;
    for (size_t i = 0; i < h->nheaders; i++)
        cap += h->headers[i].name.n + h->headers[i].value.n + 4;
    char *b = hs_palloc(r->pool, cap + h->reason.n), *p = b;
    if (b == NULL)
        return HS_ERROR;
    const char *text = hs_http_status_text(h->status);
    p = PUT_LIT(p, "HTTP/1.1 ");
    p = put_u64(p, (uint64_t)h->status);
    *p++ = ' ';
    p = text ? put(p, text, strlen(text)) : put(p, h->reason.p, h->reason.n);
    p = PUT_LIT(p, "\r\n");
    p = r->loc->server_tokens ? PUT_LIT(p, "Server: " HS_SERVER_TOKEN "\r\nDate: ") : PUT_LIT(p, "Server: hush\r\nDate: ");
    p = put(p, hs_now.http_date, hs_now.http_date_len);
    p = PUT_LIT(p, "\r\n");
    for (size_t i = 0; i < h->nheaders; i++) {
        hs_header *f = &h->headers[i];
        if (hidden_response_header(f->name))
            continue;
        p = put_field(p, f->name, f->value);
        if (f->name.n == 12 && strncasecmp(f->name.p, "Content-Type", 12) == 0)
            rs->content_type = f->value;
    }
    if (h->content_length >= 0 && h->status != 304 && h->status != 204) {
        p = PUT_LIT(p, "Content-Length: ");
        p = put_u64(p, (uint64_t)h->content_length);
        p = PUT_LIT(p, "\r\n");
    } else if (px->client_chunked) {
        p = PUT_LIT(p, "Transfer-Encoding: chunked\r\n");
    }
    rs->keepalive = hs_http_want_keepalive(r) && (!px->resp_until_close || px->client_chunked);
    p = rs->keepalive ? PUT_LIT(p, "Connection: keep-alive\r\n\r\n") : PUT_LIT(p, "Connection: close\r\n\r\n");
    rs->head = b;
    rs->head_len = (size_t)(p - b);
    rs->status = h->status;
    rs->content_length = h->content_length;
    return HS_OK;
}

static int cout_reserve(hs_proxy_state *px, size_t n)
{
    if (px->cout_len + n <= px->cout_cap)
        return HS_OK;
    size_t cap = px->cout_cap ? px->cout_cap : 16384;
    while (cap < px->cout_len + n)
        cap *= 2;
    char *nb = realloc(px->cout, cap);
    if (nb == NULL)
        return HS_ERROR;
    px->cout = nb;
    px->cout_cap = cap;
    return HS_OK;
}

static int cout_add(hs_proxy_state *px, const char *data, size_t n)
{
    if (px->client_gone || n == 0)
        return HS_OK;
    if (cout_reserve(px, n) != HS_OK)
        return HS_ERROR;
    memcpy(px->cout + px->cout_len, data, n);
    px->cout_len += n;
    return HS_OK;
}

/* Body bytes for the client, chunk-framed when we chunk. */
static int cout_body(hs_proxy_state *px, const char *data, size_t n)
{
    if (n == 0 || px->client_gone)
        return HS_OK;
    if (!px->client_chunked)
        return cout_add(px, data, n);
    char size[24];
    int k = snprintf(size, sizeof(size), "%zx\r\n", n);
    if (cout_add(px, size, (size_t)k) != HS_OK || cout_add(px, data, n) != HS_OK)
        return HS_ERROR;
    return cout_add(px, "\r\n", 2);
}

static void head_received(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    hs_http_response *h = &px->resp;
    cur_try(px)->status = h->status;
    cur_try(px)->header_us = since_start(px);
    uint64_t tried = px->tried | 1ULL << ((size_t)(px->u->server - px->pc->upstream->servers) & 63);
    if (retry_status(px, h->status) && hs_upstream_has_candidate(px->pc->upstream, tried) &&
        may_retry(r, HS_NEXT_ERROR | HS_NEXT_TIMEOUT | HS_NEXT_500 | HS_NEXT_502 | HS_NEXT_503 | HS_NEXT_504 |
                         HS_NEXT_403 | HS_NEXT_404 | HS_NEXT_429)) {
        px->tried = tried;
        cur_try(px)->response_us = since_start(px);
        release_upstream(px, false);
        proxy_connect(r);
        return;
    }
    hs_upstream_succeeded(px->u->server);
    plan_body(r);
    if (!px->client_gone && build_client_head(r) != HS_OK) {
        proxy_fail(r, 500, false, NULL);
        return;
    }
    size_t extra = px->in_len - h->head_len;
    memmove(px->in, px->in + h->head_len, extra);
    px->in_len = extra;
    if (!px->client_gone) {
        if (cout_add(px, r->resp.head, r->resp.head_len) != HS_OK) {
            proxy_fail(r, 500, false, NULL);
            return;
        }
    }
    if (px->in_len || px->resp_none) {
        /* the body (or all of it) came with the head: one write to the client */
        int rc = consume_in(r);
        if (rc == HS_ERROR) {
            px->state = PX_RELAY;
            relay_error(r, false);
            return;
        }
        if (rc == HS_OK) {
            cur_try(px)->response_us = since_start(px);
            release_upstream(px, px->upstream_clean && px->resp.keep_alive && uses_keepalive(px->pc));
        }
    }
    px->state = PX_RELAY;
    r->conn->state = HS_CONN_WRITE;
    proxy_relay(r);
}

static void proxy_read_head(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    for (;;) {
        if (px->in_len) {
            int rc = hs_http_parse_response(px->in, px->in_len, &px->resp, px->resp_hdrs, MAX_RESP_HEADERS);
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
                hs_log(HS_LOG_ERR, "*%llu upstream sent invalid header (%s) while reading response header from upstream, upstream: \"%s\"",
                       (unsigned long long)r->conn->number, px->resp.error ? px->resp.error : "?", px->u->server->text);
                proxy_fail(r, 502, false, NULL);
                return;
            }
        }
        if (px->in_len == px->in_cap) {
            hs_log(HS_LOG_ERR, "*%llu upstream sent too big header, upstream: \"%s\"", (unsigned long long)r->conn->number,
                   px->u->server->text);
            proxy_fail(r, 502, false, NULL);
            return;
        }
        ssize_t n = recv(px->u->fd, px->in + px->in_len, px->in_cap - px->in_len, 0);
        if (n > 0) {
            px->in_len += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EAGAIN)
            return;
        if (n < 0 && errno == EINTR)
            continue;
        /* closed or reset before a whole head */
        proxy_fail(r, 502, false, n == 0 ? "upstream prematurely closed connection while reading response header" :
                                           "recv() failed while reading response header");
        return;
    }
}

/* ---- relaying the body ---- */

static int flush_client(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    hs_conn *c = r->conn;
    while (px->cout_sent < px->cout_len) {
        ssize_t n = send(c->fd, px->cout + px->cout_sent, px->cout_len - px->cout_sent, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                return HS_AGAIN;
            return HS_ERROR;
        }
        if (!r->resp.started) {
            r->resp.started = true;
            r->resp.head_sent = r->resp.head_len;
        }
        px->cout_sent += (size_t)n;
        r->resp.sent += (uint64_t)n;
        c->bytes_out += (uint64_t)n;
    }
    px->cout_len = px->cout_sent = 0;
    return HS_OK;
}

/* Consumes px->in per the response framing. Returns HS_OK when the body is
 * complete, HS_AGAIN for more, HS_ERROR for a malformed body. */
static int consume_in(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    int rc = HS_AGAIN;
    if (px->resp_none) {
        px->upstream_clean = px->in_len == 0;
        rc = HS_OK;
    } else if (px->resp_chunked) {
        size_t n = px->in_len;
        ssize_t left = hs_chunked_decode(&px->dec, px->in, &n);
        if (left == HS_ERROR)
            return HS_ERROR;
        if (cout_body(px, px->in, n) != HS_OK)
            return HS_ERROR;
        if (left >= 0) {
            px->upstream_clean = left == 0;
            rc = HS_OK;
        }
    } else if (px->resp_until_close) {
        if (cout_body(px, px->in, px->in_len) != HS_OK)
            return HS_ERROR;
    } else {
        size_t take = (int64_t)px->in_len < px->resp_left ? px->in_len : (size_t)px->resp_left;
        if (cout_body(px, px->in, take) != HS_OK)
            return HS_ERROR;
        px->resp_left -= (int64_t)take;
        if (px->resp_left == 0) {
            px->upstream_clean = take == px->in_len;
            rc = HS_OK;
        }
    }
    px->in_len = 0;
    return rc;
}

static void relay_finished(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    hs_conn *c = r->conn;
    cur_try(px)->response_us = since_start(px);
    bool reusable = px->upstream_clean && px->resp.keep_alive && uses_keepalive(px->pc);
    release_upstream(px, reusable);
    if (px->client_chunked && !px->client_gone && cout_add(px, "0\r\n\r\n", 5) == HS_OK) {
        px->client_chunked = false;
        proxy_relay(r);
        return;
    }
    bool gone = px->client_gone;
    end_proxying(r);
    if (gone) {
        /* proxy_ignore_client_abort on: the upstream's late outcome is in the log line */
        hs_stats_upstream_after_abort(r);
        hs_http_end_request(r, HS_END_CLIENT_ABORT, 499);
        hs_conn_close(c);
        return;
    }
    hs_http_response_done(r);
}

static void relay_error(hs_req *r, bool client_side)
{
    hs_proxy_state *px = PX(r);
    hs_conn *c = r->conn;
    cur_try(px)->response_us = since_start(px);
    release_upstream(px, false);
    bool gone = px->client_gone;
    end_proxying(r);
    if (client_side || gone) {
        hs_ending e = r->resp.started ? HS_END_CLIENT_ABORT_BODY : HS_END_CLIENT_ABORT;
        hs_http_end_request(r, e, r->resp.started ? 0 : 499);
    } else {
        /* the upstream broke off a response already under way: close the client too */
        hs_http_end_request(r, HS_END_OK, 0);
    }
    hs_conn_close(c);
}

static void proxy_relay(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    hs_conn *c = r->conn;
    for (;;) {
        if (!px->client_gone) {
            int rc = flush_client(r);
            if (rc == HS_AGAIN) {
                /* the client is slow: stop reading the upstream until it catches up */
                hs_timer_set(&c->timer, (uint64_t)r->loc->send_timeout);
                return;
            }
            if (rc == HS_ERROR) {
                if (px->pc->ignore_client_abort) {
                    px->client_gone = true;
                    continue;
                }
                relay_error(r, true);
                return;
            }
            hs_timer_cancel(&c->timer);
        }
        if (px->u == NULL) {
            relay_finished(r);
            return;
        }
        if (px->in_len == 0 && !px->resp_none) {
            ssize_t n = recv(px->u->fd, px->in, px->in_cap, 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && errno == EAGAIN) {
                hs_timer_set(&px->u->timer, (uint64_t)px->pc->read_timeout);
                return;
            }
            if (n <= 0) {
                if (n == 0 && px->resp_until_close) {
                    px->upstream_clean = false;
                    relay_finished(r);
                    return;
                }
                log_upstream_error(r, n == 0 ? 0 : errno, "upstream prematurely closed connection while reading upstream");
                relay_error(r, false);
                return;
            }
            px->in_len = (size_t)n;
        }
        int rc = consume_in(r);
        if (rc == HS_ERROR) {
            log_upstream_error(r, 0, "upstream sent an invalid body");
            relay_error(r, false);
            return;
        }
        if (rc == HS_OK) {
            hs_timer_cancel(&px->u->timer);
            if (flush_client(r) == HS_AGAIN && !px->client_gone) {
                /* finish the client side first; the upstream is done */
                release_upstream(px, px->upstream_clean && px->resp.keep_alive && uses_keepalive(px->pc));
                cur_try(px)->response_us = since_start(px);
                hs_timer_set(&c->timer, (uint64_t)r->loc->send_timeout);
                return;
            }
            relay_finished(r);
            return;
        }
    }
}

/* ---- events ---- */

void hs_proxy_upstream_event(hs_upconn *u, uint32_t events)
{
    hs_req *r = u->r;
    hs_proxy_state *px = PX(r);
    if (events == 0) {
        /* a deadline passed */
        if (px->state == PX_RELAY) {
            log_upstream_error(r, ETIMEDOUT, "upstream timed out while reading upstream");
            relay_error(r, false);
        } else {
            const char *what = px->state == PX_CONNECT ? "upstream timed out while connecting to upstream"
                             : px->state == PX_READ_HEAD ? "upstream timed out while reading response header from upstream"
                                                         : "upstream timed out while sending request to upstream";
            proxy_fail(r, 504, true, what);
        }
        return;
    }
    switch (px->state) {
    case PX_CONNECT: {
        int err = so_error(u->fd);
        if (err) {
            errno = err;
            proxy_fail(r, 502, false, "connect() failed");
            return;
        }
        if (!(events & EPOLLOUT))
            return;
        u->connected = true;
        cur_try(px)->connect_us = since_start(px);
        px->state = PX_SEND;
        proxy_send(r);
        return;
    }
    case PX_SEND:
        proxy_send(r);
        return;
    case PX_SEND_BODY:
        send_stream(r);
        return;
    case PX_READ_HEAD:
        proxy_read_head(r);
        return;
    case PX_RELAY:
        if (px->cout_len > px->cout_sent && !px->client_gone)
            return; /* the client is behind: its EPOLLOUT resumes us */
        proxy_relay(r);
        return;
    default:
        return;
    }
}

void hs_proxy_client_writable(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    if (px->state != PX_RELAY)
        return;
    if (px->u == NULL) {
        /* the upstream finished first: just drain to the client */
        if (flush_client(r) == HS_OK) {
            hs_timer_cancel(&r->conn->timer);
            relay_finished(r);
        }
        return;
    }
    proxy_relay(r);
}

size_t hs_proxy_try_times(hs_req *r, int64_t *us, size_t max)
{
    hs_proxy_state *px = PX(r);
    size_t n = 0;
    int first = px->ntries > MAX_TRIES_LOGGED ? px->ntries - MAX_TRIES_LOGGED : 0;
    for (int i = first; i < px->ntries && n < max; i++)
        us[n++] = px->tries[i % MAX_TRIES_LOGGED].response_us;
    return n;
}

void hs_proxy_client_readable(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    if (px->state == PX_READ_BODY)
        read_body(r);
    else if (px->state == PX_SEND_BODY)
        send_stream(r);
    /* otherwise: pipelined bytes wait in the socket until this request is done */
}

void hs_proxy_client_gone(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    hs_conn *c = r->conn;
    if (px->client_gone)
        return;
    if (px->state == PX_READ_BODY || px->state == PX_SEND_BODY) {
        release_upstream(px, false);
        client_body_failed(r, 0);
        return;
    }
    if (px->pc->ignore_client_abort && px->u) {
        /* let the upstream finish; its outcome is logged when it does */
        px->client_gone = true;
        hs_timer_cancel(&c->timer);
        hs_ev_del(c->fd);
        px->cout_len = px->cout_sent = 0;
        return;
    }
    if (px->ntries > 0)
        cur_try(px)->response_us = since_start(px);
    release_upstream(px, false); /* closed now: the upstream sees it at once */
    end_proxying(r);
    hs_ending e = r->resp.started ? HS_END_CLIENT_ABORT_BODY : HS_END_CLIENT_ABORT;
    hs_http_end_request(r, e, r->resp.started ? 0 : 499);
    hs_conn_close(c);
}

/* The client connection is closing under us (timeout, stop): let go of the
 * upstream side. The caller ends and logs the request. */
void hs_proxy_abandon(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    if (px->ntries > 0 && cur_try(px)->response_us < 0)
        cur_try(px)->response_us = since_start(px);
    release_upstream(px, false);
    end_proxying(r);
}

/* ---- entry ---- */

void hs_proxy_handler(hs_req *r)
{
    hs_proxy_conf *pc = hs_proxy_conf_of(r->loc);
    hs_proxy_state *px = hs_pcalloc(r->pool, sizeof(*px));
    if (px == NULL || pc == NULL || pc->upstream == NULL) {
        hs_http_finalize(r, 500);
        return;
    }
    px->pc = pc;
    px->in_cap = (size_t)pc->buffer_size;
    px->in = malloc(px->in_cap);
    if (px->in == NULL) {
        hs_http_finalize(r, 500);
        return;
    }
    r->px = px;
    r->proxying = true;
    hs_conn *c = r->conn;
    c->state = HS_CONN_PROXY;
    hs_timer_cancel(&c->timer);
    bool small = r->h.content_length <= BUFFERED_BODY_MAX;
    if (r->h.expect_continue && (r->h.chunked || r->h.content_length > 0) && c->buf_pos == c->buf_len)
        hs_http_send_continue(r);
    if (r->h.chunked || (r->h.content_length > 0 && small)) {
        if (r->h.chunked)
            hs_chunked_init(&px->dec);
        px->state = PX_READ_BODY;
        read_body(r);
        return;
    }
    px->body_buffered = r->h.content_length <= 0;
    proxy_connect(r);
}

/* ---- $upstream_* ---- */

static size_t put_secs(char *p, int64_t us)
{
    if (us < 0) {
        *p = '-';
        return 1;
    }
    int64_t ms = us / 1000;
    return (size_t)sprintf(p, "%lld.%03lld", (long long)(ms / 1000), (long long)(ms % 1000));
}

int hs_proxy_var(hs_req *r, int which, hs_str *out, hs_pool *pool)
{
    hs_proxy_state *px = r->px;
    if (px == NULL || px->ntries == 0)
        return HS_DECLINED;
    int n = px->ntries < MAX_TRIES_LOGGED ? px->ntries : MAX_TRIES_LOGGED;
    char *b = hs_palloc(pool, (size_t)n * 96), *p = b;
    if (b == NULL)
        return HS_DECLINED;
    for (int i = 0; i < n; i++) {
        px_try *t = &px->tries[i];
        if (i) {
            *p++ = ',';
            *p++ = ' ';
        }
        switch (which) {
        case HS_UPVAR_ADDR: p += sprintf(p, "%s", t->addr); break;
        case HS_UPVAR_STATUS: p += t->status ? sprintf(p, "%d", t->status) : sprintf(p, "-"); break;
        case HS_UPVAR_CONNECT: p += put_secs(p, t->connect_us); break;
        case HS_UPVAR_HEADER: p += put_secs(p, t->header_us); break;
        default: p += put_secs(p, t->response_us); break;
        }
    }
    *out = (hs_str){b, (size_t)(p - b)};
    return HS_OK;
}
