/* Connection objects: their transport, events and deadline, closing and
 * lingering, the ending of a connection without a request, and the
 * worker's list of connections (graceful stop, close all). What the bytes
 * mean is the protocol's (h1.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/errlog.h"
#include "http/internal.h"

#define LINGER_MSEC 5000

static hs_conn conns_head = {.prev = &conns_head, .next = &conns_head}; /* all live connections */
static hs_conn *graveyard;        /* closed, freed after this iteration */
static size_t active;             /* live connections */
static int64_t max_connections = 512;
static hs_http_counts private_counts;
hs_http_counts *hs_http_counts_cur = &private_counts;

void hs_conn_set_worker_connections(int64_t n) { max_connections = n > 0 ? n : 512; }
size_t hs_http_active_connections(void) { return active; }
bool hs_conn_room(void) { return (int64_t)active < max_connections; }

/* ---- the idle list ---- */

static hs_conn idle_head = {.idle_prev = &idle_head, .idle_next = &idle_head};
static size_t idle_count;
static hs_log_limit reuse_log;

void hs_conn_idle(hs_conn *c, bool idle)
{
    if (idle == (c->idle_next != NULL))
        return;
    if (idle) { /* to the tail: the head is the one idle the longest */
        c->idle_prev = idle_head.idle_prev;
        c->idle_next = &idle_head;
        idle_head.idle_prev->idle_next = c;
        idle_head.idle_prev = c;
        idle_count++;
        return;
    }
    idle_count--;
    c->idle_prev->idle_next = c->idle_next;
    c->idle_next->idle_prev = c->idle_prev;
    c->idle_prev = c->idle_next = NULL;
}

/* What the deadline of a connection that waits would make of it. */
static hs_ending idle_ending(hs_conn *c)
{
    if (c->state == HS_CONN_HANDSHAKE) /* a transport has no state before a byte came */
        return c->io.state ? c->io.t->handshake_timeout : HS_END_NO_REQUEST;
    return c->state == HS_CONN_KEEPALIVE ? HS_END_KEEPALIVE_CLOSE : HS_END_NO_REQUEST;
}

/* nginx's answer to a worker nearly full (ngx_drain_connections): when
 * at most 1/16 of worker_connections is free, or a descriptor is missing
 * (force), the connections that only wait are closed, the longest waiting
 * first (a TLS handshake stalled the longest, unlike nginx's, is one), an eighth of them at a time (1 to 32), with the ending their
 * timeout would have given them. Returns how many. */
size_t hs_conn_reap_idle(bool force)
{
    if (idle_count == 0 || (!force && (int64_t)active < max_connections - max_connections / 16))
        return 0;
    size_t max = idle_count / 8 > 32 ? 32 : idle_count / 8 ? idle_count / 8 : 1;
    hs_log_limited(&reuse_log, HS_LOG_WARN, 0, "%lld worker_connections are not enough, reusing connections",
                   (long long)max_connections);
    for (size_t n = 0; n < max; n++) {
        hs_conn *c = idle_head.idle_next;
        hs_conn_idle(c, false);
        if (c->proto && c->proto->reap)
            c->proto->reap(c);
        else
            hs_conn_ended(c, idle_ending(c));
    }
    return max;
}

void hs_http_conn_each(void (*fn)(hs_conn *c, void *arg), void *arg)
{
    for (hs_conn *c = conns_head.next; c != &conns_head; c = c->next)
        fn(c, arg);
}

const char *hs_conn_peer_text(hs_conn *c)
{
    static char text[INET6_ADDRSTRLEN];
    if (c->peer.sa.sa_family == AF_UNIX)
        return "unix:";
    if (c->peer.sa.sa_family == AF_INET6)
        inet_ntop(AF_INET6, &c->peer.in6.sin6_addr, text, sizeof(text));
    else
        inet_ntop(AF_INET, &c->peer.in4.sin_addr, text, sizeof(text));
    return text;
}

void hs_http_count_ending(hs_ending why)
{
    HS_HTTP_COUNT(endings[why]);
    if (why == HS_END_DROP)
        HS_HTTP_COUNT(dropped_accept);
}

/* ---- closing ---- */

void hs_conn_free_graveyard(void)
{
    while (graveyard) {
        hs_conn *c = graveyard;
        graveyard = c->next;
        free(c->origin);
        free(c);
    }
}

static void run_closed_hooks(hs_conn *c)
{
    hs_http_hooks *h = hs_conn_hooks(c);
    for (uint8_t i = 0; i < h->nclosed; i++)
        h->closed[i](c);
}

/* Everything of a close but the socket itself. */
static void conn_retire(hs_conn *c)
{
    hs_conn_idle(c, false);
    hs_timer_cancel(&c->timer);
    if (c->proto)
        c->proto->retire(c);
    if (c->req) /* a request still attached ended without a logged ending: account for it */
        hs_http_request_abandon(c->req, HS_END_SHUTDOWN);
    hs_conn_buf_release(c);
    run_closed_hooks(c);
    c->state = HS_CONN_CLOSED;
    c->prev->next = c->next;
    c->next->prev = c->prev;
    c->next = graveyard;
    graveyard = c;
    active--;
}

void hs_conn_close(hs_conn *c)
{
    if (c->state == HS_CONN_CLOSED)
        return;
    conn_retire(c);
    hs_io_close(&c->io);
}

int hs_conn_release_fd(hs_conn *c)
{
    int fd = c->io.fd;
    hs_ev_del(fd);
    conn_retire(c);
    if (c->io.t->release)
        c->io.t->release(&c->io); /* after the closed hooks: the connection log reads it */
    c->io.fd = -1;
    return fd;
}

bool hs_conn_has_unread(hs_conn *c) { return c->readable || c->buf_pos < c->buf_len; }

static void linger_read(hs_conn *c)
{
    char tmp[4096];
    for (;;) {
        ssize_t n = hs_io_recv(&c->io, tmp, sizeof(tmp));
        if (n > 0)
            continue;
        if (n == HS_AGAIN) {
            c->readable = false;
            return;
        }
        hs_conn_close(c); /* EOF or error: the client is done */
        return;
    }
}

void hs_conn_linger_close(hs_conn *c)
{
    bool pending = c->buf_pos < c->buf_len || c->readable || c->must_linger;
    hs_conn_buf_release(c);
    if (!pending || c->peer_closed) {
        hs_conn_close(c);
        return;
    }
    hs_io_shutdown(&c->io);
    c->state = HS_CONN_LINGER;
    hs_timer_set(&c->timer, LINGER_MSEC);
    linger_read(c);
}

/* ---- input ---- */

void hs_conn_buf_release(hs_conn *c)
{
    free(c->buf);
    c->buf = NULL;
    c->buf_cap = c->buf_pos = c->buf_len = 0;
}

ssize_t hs_conn_recv(hs_conn *c)
{
    size_t room = c->buf_cap - c->buf_len;
    ssize_t n = hs_io_recv(&c->io, c->buf + c->buf_len, room);
    if (n > 0) {
        c->buf_len += (uint32_t)n;
        c->bytes_in += (uint64_t)n;
        /* a short read drained the socket: the next edge will tell us more
         * (unless the transport holds more than it returned) */
        if ((size_t)n < room && !(c->io.t->pending && c->io.t->pending(&c->io)))
            c->readable = false;
        return n;
    }
    c->readable = false;
    if (n != HS_AGAIN)
        c->peer_closed = true;
    return n;
}

/* ---- events ---- */

static void on_conn_timer(hs_timer *t)
{
    hs_conn *c = (hs_conn *)((char *)t - offsetof(hs_conn, timer));
    if (c->state == HS_CONN_LINGER)
        hs_conn_close(c);
    else if (c->state == HS_CONN_HANDSHAKE) /* client_header_timeout covers the handshake, as nginx */
        hs_conn_ended(c, idle_ending(c));
    else if (c->proto)
        c->proto->on_timeout(c);
    else
        hs_h1_on_timeout(c);
}

/* Input at the start: HTTP/2 where the address has it and the client chose it, else HTTP/1.1. */
static void conn_readable(hs_conn *c)
{
    const hs_proto *p = c->group->proto;
    if (!(p && c->state == HS_CONN_NEW && c->requests == 0 && p->start(c)))
        hs_h1_on_readable(c); /* else HTTP/2 keeps c on the idle list while no stream is open */
}

/* The transport's opening (the TLS handshake). When it is done, HTTP
 * starts: what the transport already holds is read at once. */
static void handshake_step(hs_conn *c)
{
    int rc = c->io.t->handshake(&c->io);
    if (rc == HS_DONE)
        return; /* the transport ended and closed the connection */
    hs_conn_idle(c, false); /* a step made: to the idle list's tail (the head stalled the longest) */
    if (rc == HS_AGAIN) {
        hs_conn_idle(c, true);
        return;
    }
    if (rc == HS_DECLINED)
        c->plain_on_tls = true;
    else if (rc != HS_OK) {
        hs_conn_ended(c, HS_END_TLS_FAILED);
        return;
    }
    c->state = HS_CONN_NEW;
    c->readable |= c->buf == NULL; /* a transport that read into c->buf said what is left */
    hs_conn_idle(c, true);
    conn_readable(c);
}

static void on_conn_event(hs_ev *ev, uint32_t events)
{
    hs_conn *c = (hs_conn *)ev;
    if (c->state == HS_CONN_CLOSED)
        return;
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        c->readable = true;
    if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
        c->writable = true;
    if (c->state == HS_CONN_HANDSHAKE) {
        handshake_step(c);
        return;
    }
    if (c->proto) {
        c->proto->on_event(c, events);
        return;
    }
    if (c->state == HS_CONN_REQUEST && c->req)
        hs_http_request_event(c->req, events);
    if (c->state == HS_CONN_LINGER) {
        if (c->readable)
            linger_read(c);
        return;
    }
    if (c->state != HS_CONN_CLOSED && c->state != HS_CONN_REQUEST && (c->readable || c->buf))
        conn_readable(c);
}

void hs_conn_start(hs_listener *l, int fd, const struct sockaddr_storage *peer, socklen_t plen,
                   hs_listen_group *g, uint64_t number)
{
    hs_conn *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        close(fd);
        return;
    }
    c->ev.on_event = on_conn_event;
    c->timer.on_timer = on_conn_timer;
    c->io = (hs_io){.t = g->transport ? g->transport : &hs_transport_tcp, .fd = fd};
    c->group = g;
    memcpy(&c->peer, peer, plen < sizeof(c->peer) ? plen : sizeof(c->peer));
    c->number = number;
    c->start_msec = hs_now.mono_msec;
    c->state = c->io.t->handshake ? HS_CONN_HANDSHAKE : HS_CONN_NEW;
    c->writable = true;
    c->next = conns_head.next;
    c->prev = &conns_head;
    conns_head.next->prev = c;
    conns_head.next = c;
    active++;
    hs_conn_idle(c, true);
    hs_timer_set(&c->timer, (uint64_t)g->default_srv->client_header_timeout);
    if (l->deferred) {
        /* Read before registering: a deferred connection comes with its
         * first bytes (or its FIN), and one dropped or answered and closed on
         * this first read never costs an epoll_ctl. Registering later loses
         * nothing: EPOLL_CTL_ADD reports a socket already readable or
         * writable. Without deferred accept the bytes are seldom there yet,
         * and a read would only return EAGAIN. */
        c->readable = true;
        if (c->state == HS_CONN_HANDSHAKE)
            handshake_step(c);
        else
            conn_readable(c);
        if (c->state == HS_CONN_CLOSED)
            return;
    }
    if (hs_ev_add(fd, &c->ev, EPOLLIN | EPOLLOUT | EPOLLRDHUP) != 0) {
        hs_log_errno(HS_LOG_ALERT, errno, "epoll_ctl(ADD) failed");
        hs_conn_close(c);
    }
}

/* ---- endings without a request ---- */

void hs_conn_ended(hs_conn *c, hs_ending why)
{
    c->ending = (uint8_t)why;
    hs_http_count_ending(why);
    if (why == HS_END_NO_REQUEST && hs_conn_default_srv(c)->log_empty_connections) {
        hs_req *r = hs_http_bare_request(c); /* the ending is counted above: only the line */
        if (r) {
            r->resp.status = 400;
            hs_http_log_and_count(r);
            hs_req_free(r);
        }
    }
    hs_conn_close(c);
}

void hs_conn_end(hs_conn *c, hs_ending why) { hs_conn_ended(c, why); }

void hs_conn_drop(hs_conn *c, hs_ending why, const char *rule, hs_loc_conf *lc)
{
    hs_drop_fn drop = hs_conn_hooks(c)->drop;
    c->ending = (uint8_t)why;
    c->drop_rule = rule;
    hs_http_count_ending(why);
    if (drop)
        drop(c, lc);
    else
        hs_conn_close(c);
}

void hs_http_graceful_stop(void)
{
    hs_http_listeners_close();
    for (hs_conn *c = conns_head.next, *next; c != &conns_head; c = next) {
        next = c->next;
        c->closing = true;
        if (c->state == HS_CONN_KEEPALIVE && c->req == NULL && c->proto && c->proto->reap)
            c->proto->reap(c); /* HTTP/2: a GOAWAY tells the client first */
        else if (c->state == HS_CONN_KEEPALIVE && c->req == NULL)
            hs_conn_ended(c, HS_END_KEEPALIVE_CLOSE);
        else if ((c->state == HS_CONN_NEW || c->state == HS_CONN_HANDSHAKE) && c->req == NULL)
            hs_conn_ended(c, HS_END_NO_REQUEST);
    }
}

void hs_http_close_all(hs_ending why)
{
    for (hs_conn *c = conns_head.next, *next; c != &conns_head; c = next) {
        next = c->next;
        if (c->req)
            hs_http_request_abandon(c->req, why);
        else /* an HTTP/2 connection's streams (retire) end as the connection */
            hs_http_count_ending(c->ending = (uint8_t)why);
        hs_conn_close(c);
    }
    hs_conn_free_graveyard();
}
