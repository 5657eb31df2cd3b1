/* Tries: picking a server, connecting (or reusing a kept-alive connection),
 * sending the request, failing over to the next server when the rules
 * allow, and the dispatch of an upstream connection's events. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "core/errlog.h"
#include "proxy/proxy_internal.h"

static void proxy_send(hs_req *r);
static void ready_to_send(hs_req *r);

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

bool hs_proxy_may_retry(hs_req *r, int cond)
{
    hs_proxy_state *px = PX(r);
    hs_proxy_conf *pc = px->pc;
    if (!(pc->next_upstream & cond) || r->resp.started || px->client_gone)
        return false;
    if (px->request_sent && !idempotent(r) && !(pc->next_upstream & HS_NEXT_NON_IDEMPOTENT))
        return false;
    if (px->request_sent && !px->body_buffered && (r->h.content_length > 0 || px->body_chunked_out))
        return false; /* a streamed body cannot be sent again */
    if (pc->next_upstream_tries && px->ntries >= pc->next_upstream_tries)
        return false;
    if (pc->next_upstream_timeout && hs_now.mono_usec - px->t_first >= (uint64_t)pc->next_upstream_timeout * 1000)
        return false;
    return px->ntries < (int)px->up->nservers + 1;
}

static void start_try(hs_req *r, hs_upstream_server *s)
{
    hs_proxy_state *px = PX(r);
    px->ntries++;
    px_try *t = cur_try(px);
    *t = (px_try){.addr = s->text, .status = 0, .connect_us = -1, .header_us = -1, .response_us = -1};
    px->t_start = hs_now.mono_usec;
    if (px->ntries == 1)
        px->t_first = px->t_start;
    px->request_sent = false;
    px->in_len = 0; /* nothing of an earlier try's answer (a proxy_next_upstream http_404) */
    px->upstream_clean = false;
    px->in_end = px->in_end_clean = false;
    px->out_sent = 0;
    px->file_off = 0;
    px->fbuf_len = px->fbuf_sent = 0;
}

static int open_socket(hs_upconn *u)
{
    int fd = socket(u->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    if (u->addr.ss_family != AF_UNIX)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    u->fd = fd;
    if (hs_ev_add(fd, &u->ev, EPOLLIN | EPOLLOUT | EPOLLRDHUP) != 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&u->addr, u->addrlen) == 0)
        return 1; /* at once (a unix socket): no wait for EPOLLOUT */
    return errno == EINPROGRESS ? 0 : -errno;
}

/* Every server is marked down: a 502, and a try named after the group with
 * that status in $upstream_addr and $upstream_status, as nginx logs it. */
static void no_live_upstreams(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    hs_upstream *up = px->up;
    r->log_upstream = hs_cstr(hs_psprintf(r->pool, "%s://%.*s%.*s", px->pc->https ? "https" : px->pc->proto->scheme,
                                          (int)up->name.n, up->name.p, (int)r->h.target.n, r->h.target.p));
    hs_log_ctx(HS_LOG_ERR, r, 0, "no live upstreams while connecting to upstream");
    const char *name = hs_psprintf(r->pool, "%.*s", (int)up->name.n, up->name.p);
    px->ntries++;
    *cur_try(px) = (px_try){.addr = name ? name : "-", .connect_us = -1, .header_us = -1, .response_us = -1};
    px->t_start = hs_now.mono_usec;
    hs_proxy_fail(r, 502, HS_END_UPSTREAM_UNAVAILABLE, NULL);
}

/* The protocol's request for this try. */
static int build_request(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    hs_up_req q = {.addr = cur_try(px)->addr, .body = px->body_buffered ? px->body : NULL,
                   .body_len = px->body_buffered ? px->body_len : 0,
                   .body_size = px->body_buffered ? px->body_size : 0, .body_in_file = px->body_fd >= 0};
    if (px->pc->proto->request(r, &q) != HS_OK)
        return HS_ERROR;
    px->out = (char *)q.out.p;
    px->out_len = q.out.n;
    px->out_sent = 0;
    return HS_OK;
}

/* A kept-alive connection from the pool carries r's request. */
static void use_kept(hs_req *r, hs_upconn *u)
{
    hs_proxy_state *px = PX(r);
    u->r = r;
    u->counted = true;
    px->u = u;
    cur_try(px)->connect_us = 0;
    px->state = PX_SEND;
    proxy_send(r);
}

void hs_proxy_connect(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    hs_proxy_conf *pc = px->pc;
    if (px->up == NULL && hs_proxy_target(r) != HS_OK)
        return; /* asking the resolver, or answered */
    hs_upstream *up = px->up;
    hs_upstream_server *s = hs_upstream_pick(up, r, px->tried);
    if (s == NULL) {
        no_live_upstreams(r);
        return;
    }
    start_try(r, s);
    if (build_request(r) != HS_OK) {
        hs_proxy_fail(r, 500, HS_END_NONE, NULL);
        return;
    }
    px->ssl_name = NULL;
    if (pc->https && (px->ssl_name = hs_up_ssl_name(r)) == NULL) {
        hs_proxy_fail(r, 500, HS_END_NONE, NULL);
        return;
    }
    hs_upconn *u = uses_keepalive(px) ? hs_upstream_pool_get(up, s, pc->ssl_ctx, px->ssl_name) : NULL;
    if (u) {
        use_kept(r, u);
        return;
    }
    u = hs_upconn_new(up, s);
    if (u == NULL) {
        hs_upstream_release(up, s);
        hs_proxy_fail(r, 500, HS_END_NONE, NULL);
        return;
    }
    u->r = r;
    u->counted = true;
    px->u = u;
    if (s->dynamic && hs_proxy_resolve_server(r) != HS_OK)
        return; /* asking the resolver, or failed */
    if (uses_keepalive(px) && hs_upstream_wait_turn(u)) {
        px->state = PX_CONNECT; /* no socket yet, no timer: the turn comes in this iteration */
        return;
    }
    hs_proxy_connect_socket(r);
}

void hs_proxy_pool_turn(hs_upconn *u)
{
    hs_req *r = u->r;
    hs_proxy_state *px = PX(r);
    hs_upconn *kept = hs_upstream_pool_get(u->up, u->server, px->pc->ssl_ctx, px->ssl_name);
    if (kept == NULL) {
        hs_proxy_connect_socket(r);
        return;
    }
    u->counted = false; /* the request's count of a connection to the server goes to the kept one */
    hs_proxy_release_upstream(px, false); /* u, never opened */
    use_kept(r, kept);
}

void hs_proxy_connect_socket(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    int err = open_socket(px->u);
    if (err < 0) {
        hs_proxy_log_error(r, -err, "connect() failed while connecting to upstream");
        hs_proxy_fail(r, 502, HS_END_UPSTREAM_REFUSED, NULL);
        return;
    }
    if (err == 1 && !px->pc->https) {
        px->u->connected = true;
        ready_to_send(r);
        return;
    }
    px->state = PX_CONNECT;
    hs_timer_set(&px->u->timer, (uint64_t)px->pc->connect_timeout);
}

/* A try failed before the response head reached the client: retry on the
 * next server when allowed, else answer status (502, 504). */
/* The proxy_next_upstream condition of a failure. */
static int next_cond(hs_ending why)
{
    return why == HS_END_UPSTREAM_TIMEOUT ? HS_NEXT_TIMEOUT
         : why == HS_END_UPSTREAM_INVALID ? HS_NEXT_INVALID_HEADER : HS_NEXT_ERROR;
}

void hs_proxy_fail(hs_req *r, int status, hs_ending why, const char *what)
{
    hs_proxy_state *px = PX(r);
    bool timeout = why == HS_END_UPSTREAM_TIMEOUT;
    if (what)
        hs_proxy_log_error(r, timeout ? ETIMEDOUT : errno, what);
    bool reused = px->u && px->u->reused;
    if (px->ntries > 0) {
        cur_try(px)->status = status;
        cur_try(px)->response_us = since_start(px);
        if (px->u && !reused)
            hs_upstream_failed(px->up, px->u->server);
    }
    hs_upstream_server *s = px->u ? px->u->server : NULL;
    hs_proxy_release_upstream(px, false);
    /* a kept-alive connection the upstream had already closed is nobody's fault: try again */
    if (reused && s && !r->resp.started && !px->client_gone && (idempotent(r) || !px->request_sent)) {
        hs_proxy_connect(r);
        return;
    }
    if (s)
        px->tried |= 1ULL << ((size_t)(s - px->up->servers) & 63);
    if (s && hs_proxy_may_retry(r, next_cond(why))) {
        if (hs_upstream_has_candidate(px->up, px->tried)) {
            hs_proxy_connect(r);
            return;
        }
        if (px->ntries < (int)px->up->nservers) {
            /* a try is left but every other server is down: nginx's
             * "no live upstreams", the group's name in $upstream_addr */
            no_live_upstreams(r);
            return;
        }
    }
    /* proxy_cache_use_stale error, timeout ...: asked before hs_proxy_end ends the fill */
    bool stale = !px->client_gone && px->cache_fill && hs_up_cache_hooks->stale(r, why, status);
    hs_proxy_end(r);
    if (px->client_gone) {
        hs_http_end(r, HS_END_CLIENT_ABORT, 499);
        return;
    }
    if (stale) {
        hs_up_cache_hooks->serve(r);
        return;
    }
    r->h.keep_alive = r->h.keep_alive && (r->h.content_length <= 0 || px->body_buffered);
    r->ending = why; /* kept through the error page unless the client leaves meanwhile */
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
        ssize_t n = hs_up_send(px->u, px->out + px->out_sent, px->out_len - px->out_sent);
        if (n < 0)
            return (int)n;
        px->out_sent += (size_t)n;
        px->request_sent = true;
    }
    return HS_OK;
}

static void proxy_send(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    int rc = send_out(px);
    if (rc == HS_OK && px->body_fd >= 0)
        rc = hs_proxy_send_file_body(px);
    if (rc == HS_AGAIN) {
        hs_timer_set(&px->u->timer, (uint64_t)px->pc->send_timeout);
        return;
    }
    if (rc == HS_ERROR) {
        hs_proxy_fail(r, 502, HS_END_UPSTREAM_RESET, "send() to upstream failed");
        return;
    }
    px->u->requests++;
    if (!px->body_buffered && (r->h.content_length > 0 || px->body_chunked_out) && !px->body_streamed_all) {
        px->state = PX_SEND_BODY;
        hs_proxy_send_stream(r);
        return;
    }
    px->state = PX_READ_HEAD;
    hs_timer_set(&px->u->timer, (uint64_t)px->pc->read_timeout);
}

/* ---- events ---- */

/* A deadline of the upstream connection passed. */
static void upstream_timeout(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    if (px->state == PX_TUNNEL) {
        hs_proxy_tunnel_timeout(r);
        return;
    }
    if (px->state == PX_RELAY) {
        hs_proxy_log_error(r, ETIMEDOUT, "upstream timed out while reading upstream");
        hs_proxy_relay_error(r, HS_END_UPSTREAM_TIMEOUT);
        return;
    }
    const char *what = px->state == PX_CONNECT ? "upstream timed out while connecting to upstream"
                     : px->state == PX_HANDSHAKE ? "upstream timed out while SSL handshaking to upstream"
                     : px->state == PX_READ_HEAD ? "upstream timed out while reading response header from upstream"
                                                 : "upstream timed out while sending request to upstream";
    hs_proxy_fail(r, 504, HS_END_UPSTREAM_TIMEOUT, what);
}

/* Connected (and, for https, the handshake done): the request goes. The
 * timer set at connect covered both. */
static void ready_to_send(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    cur_try(px)->connect_us = since_start(px);
    px->state = PX_SEND;
    proxy_send(r);
}

static void handshake(hs_req *r)
{
    int rc = hs_up_handshake(PX(r)->u, r);
    if (rc == HS_AGAIN)
        return;
    if (rc != HS_OK) {
        hs_proxy_fail(r, 502, HS_END_UPSTREAM_REFUSED, NULL); /* logged */
        return;
    }
    ready_to_send(r);
}

static void connected(hs_req *r, hs_upconn *u, uint32_t events)
{
    hs_proxy_state *px = PX(r);
    int err = so_error(u->fd);
    if (err) {
        errno = err;
        hs_proxy_fail(r, 502, HS_END_UPSTREAM_REFUSED, "connect() failed while connecting to upstream");
        return;
    }
    if (!(events & EPOLLOUT))
        return;
    u->connected = true;
    if (!px->pc->https) {
        ready_to_send(r);
        return;
    }
    if (hs_up_ssl_start(u, r, px->ssl_name) != HS_OK) {
        hs_proxy_fail(r, 502, HS_END_UPSTREAM_REFUSED, NULL); /* logged */
        return;
    }
    px->state = PX_HANDSHAKE;
    handshake(r);
}

void hs_proxy_upstream_event(hs_upconn *u, uint32_t events)
{
    hs_req *r = u->r;
    hs_proxy_state *px = PX(r);
    if (events == 0) {
        upstream_timeout(r);
        return;
    }
    switch (px->state) {
    case PX_CONNECT:
        connected(r, u, events);
        return;
    case PX_HANDSHAKE:
        handshake(r);
        return;
    case PX_SEND:
        proxy_send(r);
        return;
    case PX_SEND_BODY:
        hs_proxy_send_stream(r);
        return;
    case PX_READ_HEAD:
        if (events == EPOLLOUT && u->ssl == NULL)
            return; /* writable only (a connect that completed at once): nothing to read */
        hs_proxy_read_head(r);
        return;
    case PX_RELAY:
        if (hs_http_stream_pending(r) && !px->client_gone)
            return; /* the client is behind: its EPOLLOUT resumes us */
        hs_proxy_relay(r);
        return;
    case PX_TUNNEL:
        hs_proxy_tunnel_event(r, false, events);
        return;
    default:
        return;
    }
}
