/* Listening sockets, accept, connection objects, closing and lingering,
 * worker_connections, and the graceful stop of a worker. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/errlog.h"
#include "edge/drop.h"
#include "edge/edge.h"
#include "http/proxy.h"
#include "http/request_internal.h"
#include "stats/counters.h"

#define LINGER_MSEC 5000
#define ACCEPT_PAUSE_MSEC 100
/* Connections taken per listener event. With deferred accept a flood of
 * connections arrives ready to be judged, often several at once: taking up
 * to this many per wakeup costs about 10% less CPU per dropped connection
 * than one per event (bench/drop.sh), and bounds how long a burst of
 * accepts keeps the worker from its other connections. */
#define ACCEPT_BURST 64

static hs_listener *listeners;
static hs_conn conns_head = {.prev = &conns_head, .next = &conns_head}; /* all live connections */
static hs_conn *graveyard;        /* closed, freed after this iteration */
static size_t active;             /* live connections */
static int64_t max_connections = 512;
static uint64_t conn_counter;     /* $connection numbers of this worker */
static uint64_t conn_step = 1;    /* workers interleave their numbers */
static int reserve_fd = -1;       /* spare fd to accept-and-close at EMFILE */
static hs_timer accept_pause;     /* armed while accepting is paused */
static bool accepting;

void hs_conn_set_worker_connections(int64_t n) { max_connections = n > 0 ? n : 512; }
size_t hs_http_active_connections(void) { return active; }

void hs_http_conn_each(void (*fn)(hs_conn *c, void *arg), void *arg)
{
    for (hs_conn *c = conns_head.next; c != &conns_head; c = c->next)
        fn(c, arg);
}

const char *hs_conn_peer_text(hs_conn *c)
{
    static char text[INET6_ADDRSTRLEN];
    if (c->peer.sa.sa_family == AF_INET6)
        inet_ntop(AF_INET6, &c->peer.in6.sin6_addr, text, sizeof(text));
    else
        inet_ntop(AF_INET, &c->peer.in4.sin_addr, text, sizeof(text));
    return text;
}

/* ---- closing ---- */

static void free_graveyard(void)
{
    while (graveyard) {
        hs_conn *c = graveyard;
        graveyard = c->next;
        free(c);
    }
}

void hs_conn_close(hs_conn *c)
{
    if (c->state == HS_CONN_CLOSED)
        return;
    hs_timer_cancel(&c->timer);
    if (c->req && c->req->proxying)
        hs_proxy_abandon(c->req);
    if (c->req) {
        /* a request still attached ended without a logged ending: account for it */
        hs_http_end_request(c->req, HS_END_SHUTDOWN, 499);
    }
    hs_conn_buf_release(c);
    hs_edge_conn_closed(c);
    close(c->fd); /* also removes it from epoll */
    c->fd = -1;
    c->state = HS_CONN_CLOSED;
    c->prev->next = c->next;
    c->next->prev = c->prev;
    c->next = graveyard;
    graveyard = c;
    active--;
}

static void linger_done(hs_conn *c) { hs_conn_close(c); }

void hs_conn_linger_read(hs_conn *c)
{
    char tmp[4096];
    for (;;) {
        ssize_t n = recv(c->fd, tmp, sizeof(tmp), 0);
        if (n > 0)
            continue;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            c->readable = false;
            return;
        }
        linger_done(c); /* EOF or error: the client is done */
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
    shutdown(c->fd, SHUT_WR);
    c->state = HS_CONN_LINGER;
    hs_timer_set(&c->timer, LINGER_MSEC);
    hs_conn_linger_read(c);
}

/* ---- events ---- */

static void on_conn_timer(hs_timer *t)
{
    hs_conn *c = (hs_conn *)((char *)t - offsetof(hs_conn, timer));
    hs_http_conn_timeout(c);
}

static void on_conn_event(hs_ev *ev, uint32_t events)
{
    hs_conn *c = (hs_conn *)ev;
    if (c->state == HS_CONN_CLOSED)
        return;
    if (c->state == HS_CONN_TARPIT) {
        if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
            hs_drop_tarpit_gone(c);
        return; /* whatever it sends stays unread */
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        c->readable = true;
    if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
        c->writable = true;
    if (c->req && c->req->proxying) {
        /* a proxied request: a close or half-close is an abort, noticed now
         * rather than when the upstream answers */
        if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
            hs_proxy_client_gone(c->req);
        else if (events & EPOLLOUT)
            hs_proxy_client_writable(c->req);
        if (c->state != HS_CONN_CLOSED && c->req && c->req->proxying && (events & EPOLLIN))
            hs_proxy_client_readable(c->req);
        return;
    }
    if (c->writable && c->state == HS_CONN_WRITE)
        hs_http_on_writable(c);
    if (c->state != HS_CONN_CLOSED && c->readable)
        hs_http_on_readable(c);
}

static hs_listen_group *group_for(hs_listener *l, int fd)
{
    if (l->ngroups == 1)
        return l->groups[0];
    struct sockaddr_storage local;
    socklen_t len = sizeof(local);
    hs_listen_group *wild = l->groups[0];
    if (getsockname(fd, (struct sockaddr *)&local, &len) != 0)
        return wild;
    for (size_t i = 0; i < l->ngroups; i++) {
        hs_listen_conf *lc = l->groups[i]->listen;
        if (lc->wildcard)
            wild = l->groups[i];
        else if (lc->addrlen == len && memcmp(&lc->addr, &local, len) == 0)
            return l->groups[i];
    }
    return wild;
}

static void conn_start(hs_listener *l, int fd, const struct sockaddr_storage *peer, socklen_t plen)
{
    hs_conn *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        close(fd);
        return;
    }
    c->ev.on_event = on_conn_event;
    c->timer.on_timer = on_conn_timer;
    c->fd = fd;
    c->listener = l;
    c->group = group_for(l, fd);
    memcpy(&c->peer, peer, plen < sizeof(c->peer) ? plen : sizeof(c->peer));
    c->number = conn_counter;
    conn_counter += conn_step;
    c->start_msec = hs_now.mono_msec;
    c->state = HS_CONN_NEW;
    c->writable = true;
    c->next = conns_head.next;
    c->prev = &conns_head;
    conns_head.next->prev = c;
    conns_head.next = c;
    active++;
    hs_timer_set(&c->timer, (uint64_t)c->group->default_srv->client_header_timeout);
    if (l->deferred) {
        /* Read before registering: a deferred connection comes with its
         * first bytes (or its FIN), and one dropped or answered and closed on
         * this first read never costs an epoll_ctl. Registering later loses
         * nothing: EPOLL_CTL_ADD reports a socket already readable or
         * writable. Without deferred accept the bytes are seldom there yet,
         * and a read would only return EAGAIN. */
        c->readable = true;
        hs_http_on_readable(c);
        if (c->state == HS_CONN_CLOSED)
            return;
    }
    if (hs_ev_add(fd, &c->ev, EPOLLIN | EPOLLOUT | EPOLLRDHUP) != 0) {
        hs_log_errno(HS_LOG_ALERT, errno, "epoll_ctl(ADD) failed");
        hs_conn_close(c);
    }
}

static void on_accept_resume(hs_timer *t);

static void pause_accepting(void)
{
    accepting = false;
    /* the listeners are level-triggered: silence them while paused */
    for (hs_listener *l = listeners; l; l = l->next)
        hs_ev_mod_level(l->fd, &l->ev, 0);
    accept_pause.on_timer = on_accept_resume;
    hs_timer_set(&accept_pause, ACCEPT_PAUSE_MSEC);
}

/* Out of descriptors: free the spare one to take the connection off the
 * queue and close it, so the queue cannot spin us; then pause briefly. */
static void accept_at_emfile(hs_listener *l)
{
    if (reserve_fd >= 0) {
        close(reserve_fd);
        reserve_fd = -1;
        int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0) {
            close(fd);
            hs_stats_refused();
        }
        reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    hs_log(HS_LOG_ALERT, "accept() failed: too many open files; pausing accept for %d ms",
           ACCEPT_PAUSE_MSEC);
    pause_accepting();
}

/* Accepts up to max connections (each read, and maybe answered or dropped,
 * before the next). The listeners are level-triggered, so what is left
 * waits for the next turn of the loop. */
static void accept_some(hs_listener *l, int max)
{
    while (accepting && max-- > 0) {
        struct sockaddr_storage peer;
        socklen_t plen = sizeof(peer);
        int fd = accept4(l->fd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE)
                accept_at_emfile(l);
            else if (errno != EAGAIN)
                hs_log_errno(HS_LOG_ERR, errno, "accept() failed");
            return;
        }
        hs_stats_accepted();
        if ((int64_t)active >= max_connections) {
            /* over worker_connections: refuse this one, keep serving the rest */
            hs_stats_refused();
            hs_drop_fd(fd, HS_DROP_RESET);
            continue;
        }
        if (hs_edge_accept(l, fd, &peer, plen) != HS_OK)
            continue; /* dropped before reading a byte */
        hs_stats_handled();
        conn_start(l, fd, &peer, plen);
    }
}

static void accept_all(hs_listener *l) { accept_some(l, INT32_MAX); }

static void on_listener_event(hs_ev *ev, uint32_t events)
{
    (void)events;
    accept_some((hs_listener *)ev, ACCEPT_BURST);
}

static void on_accept_resume(hs_timer *t)
{
    (void)t;
    accepting = true;
    for (hs_listener *l = listeners; l; l = l->next)
        hs_ev_mod_level(l->fd, &l->ev, EPOLLIN);
}

/* ---- listening sockets ---- */

static bool covered_by_wildcard(hs_http_conf *http, hs_listen_group *g)
{
    if (g->listen->wildcard)
        return false;
    for (size_t i = 0; i < http->ngroups; i++) {
        hs_listen_conf *o = http->groups[i].listen;
        if (o->wildcard && o->port == g->listen->port && o->addr.ss_family == g->listen->addr.ss_family)
            return true;
    }
    return false;
}

size_t hs_http_bound_count(hs_http_conf *http)
{
    size_t n = 0;
    for (size_t i = 0; i < http->ngroups; i++)
        if (!covered_by_wildcard(http, &http->groups[i]))
            n++;
    return n;
}

static int open_one(hs_listen_conf *lc, char *err, size_t errlen)
{
    int fd = socket(lc->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket() failed: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    /* Deferred accept (nginx's "listen ... deferred", on by default): the
     * kernel completes the handshake but wakes us only when the first bytes
     * arrive (or after a second without any), so a connection costs no
     * wakeup and no epoll registration before its request can be judged.
     * That halves the cost of a drop. One second, as nginx, is how long a
     * connection that sends nothing stays unseen. */
    if (!lc->not_deferred)
        setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &one, sizeof(one));
    if (lc->addr.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&lc->addr, lc->addrlen) != 0) {
        snprintf(err, errlen, "bind() to %s failed (%d: %s)", lc->text, errno, strerror(errno));
        close(fd);
        return -1;
    }
    /* listen() is the worker's (hs_http_listeners_start): a socket joins
     * the SO_REUSEPORT group only then, so no connection waits in the queue
     * of a worker that is still starting, or that failed to. */
    return fd;
}

/* Every worker socket uses SO_REUSEPORT, which would let a second hush
 * started by mistake on the same address quietly take half the traffic. A
 * plain bind first fails as nginx's would when the address is taken. */
static int check_address_free(hs_listen_conf *lc, char *err, size_t errlen)
{
    int fd = socket(lc->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return HS_OK;
    int one = 1, rc = HS_OK;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (lc->addr.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&lc->addr, lc->addrlen) != 0 && errno == EADDRINUSE) {
        snprintf(err, errlen, "bind() to %s failed (%d: %s)", lc->text, errno, strerror(errno));
        rc = HS_ERROR;
    }
    close(fd);
    return rc;
}

int hs_http_sockets_create(hs_http_conf *http, int nworkers, int *fds, bool first_start, char *err,
                           size_t errlen)
{
    size_t per = hs_http_bound_count(http), k = 0;
    for (size_t i = 0; first_start && i < http->ngroups; i++)
        if (!covered_by_wildcard(http, &http->groups[i]) &&
            check_address_free(http->groups[i].listen, err, errlen) != HS_OK)
            return HS_ERROR;
    for (int w = 0; w < nworkers; w++) {
        for (size_t i = 0; i < http->ngroups; i++) {
            if (covered_by_wildcard(http, &http->groups[i]))
                continue;
            int fd = open_one(http->groups[i].listen, err, errlen);
            if (fd < 0) {
                while (k > 0)
                    close(fds[--k]);
                return HS_ERROR;
            }
            fds[k++] = fd;
        }
    }
    (void)per;
    return HS_OK;
}

static hs_listener *listener_new(hs_http_conf *http, size_t gi, int fd)
{
    hs_listener *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return NULL;
    l->ev.on_event = on_listener_event;
    l->fd = fd;
    l->groups = calloc(http->ngroups, sizeof(*l->groups));
    l->groups[l->ngroups++] = &http->groups[gi];
    int defer = 0;
    socklen_t dlen = sizeof(defer);
    l->deferred = getsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, &dlen) == 0 && defer > 0;
    hs_listen_conf *me = http->groups[gi].listen;
    if (me->wildcard) {
        for (size_t j = 0; j < http->ngroups; j++) {
            hs_listen_conf *o = http->groups[j].listen;
            if (j != gi && !o->wildcard && o->port == me->port && o->addr.ss_family == me->addr.ss_family)
                l->groups[l->ngroups++] = &http->groups[j];
        }
    }
    return l;
}

int hs_http_listeners_start(hs_http_conf *http, const int *fds, uint64_t worker_index, uint64_t nworkers)
{
    conn_counter = worker_index + 1;
    conn_step = nworkers;
    reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    accepting = true;
    size_t k = 0;
    for (size_t i = 0; i < http->ngroups; i++) {
        if (covered_by_wildcard(http, &http->groups[i]))
            continue;
        hs_listen_conf *lc = http->groups[i].listen;
        if (listen(fds[k], lc->backlog) != 0) {
            hs_log_errno(HS_LOG_EMERG, errno, "listen() to %s failed", lc->text);
            return HS_ERROR;
        }
        hs_listener *l = listener_new(http, i, fds[k++]);
        if (l == NULL || hs_ev_add_level(l->fd, &l->ev, EPOLLIN) != 0)
            return HS_ERROR;
        l->next = listeners;
        listeners = l;
    }
    hs_loop_on_post(free_graveyard);
    for (hs_listener *l = listeners; l; l = l->next)
        accept_all(l);
    return HS_OK;
}

void hs_http_listeners_close(void)
{
    while (listeners) {
        hs_listener *l = listeners;
        listeners = l->next;
        accept_all(l); /* take what is queued rather than reset it */
        close(l->fd);
        free(l->groups);
        free(l);
    }
    hs_timer_cancel(&accept_pause);
    accepting = false;
}

void hs_http_graceful_stop(void)
{
    hs_http_listeners_close();
    for (hs_conn *c = conns_head.next, *next; c != &conns_head; c = next) {
        next = c->next;
        c->closing = true;
        if (c->state == HS_CONN_KEEPALIVE && c->req == NULL)
            hs_http_conn_ended(c, HS_END_KEEPALIVE_CLOSE);
        else if (c->state == HS_CONN_NEW && c->req == NULL)
            hs_http_conn_ended(c, HS_END_NO_REQUEST);
    }
}

void hs_http_close_all(hs_ending why)
{
    for (hs_conn *c = conns_head.next, *next; c != &conns_head; c = next) {
        next = c->next;
        if (c->req)
            hs_http_end_request(c->req, why, c->req->resp.started ? 0 : 499);
        else
            hs_stats_ending(why);
        hs_conn_close(c);
    }
    free_graveyard();
}
