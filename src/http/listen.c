/* Listening sockets (created in the master, listened on by each worker),
 * accepting connections, worker_connections, the accept hooks, and pausing
 * when out of descriptors. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/errlog.h"
#include "http/internal.h"

#define ACCEPT_PAUSE_MSEC 100
/* Connections taken per listener event. With deferred accept a flood of
 * connections arrives ready to be judged, often several at once: taking up
 * to this many per wakeup costs about 10% less CPU per dropped connection
 * than one per event (bench/drop.sh), and bounds how long a burst of
 * accepts keeps the worker from its other connections. */
#define ACCEPT_BURST 64

static hs_listener *listeners;
static uint64_t conn_counter;     /* $connection numbers of this worker */
static uint64_t conn_step = 1;    /* workers interleave their numbers */
static int reserve_fd = -1;       /* spare fd to accept-and-close at EMFILE */
static hs_timer accept_pause;     /* armed while accepting is paused */
static bool accepting;

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

/* ---- accept hooks ---- */

static int run_accept_hooks(hs_listener *l, int fd, const struct sockaddr_storage *peer)
{
    hs_http_hooks *h = l->groups[0]->hooks;
    for (uint8_t i = 0; i < h->naccept; i++)
        if (h->accept[i](l, fd, peer) != HS_OK)
            return HS_DECLINED;
    return HS_OK;
}

void hs_http_accept_dropped(hs_listener *l, int fd, const struct sockaddr_storage *peer, const char *rule)
{
    hs_http_count_ending(HS_END_DROP);
    hs_http_hooks *h = l->groups[0]->hooks;
    if (h->nclosed == 0)
        return;
    /* no connection object exists: the hooks get a bare record of it */
    hs_conn c = {.io = {.t = &hs_transport_tcp, .fd = fd}, .group = l->groups[0],
                 .start_msec = hs_now.mono_msec, .ending = HS_END_DROP, .drop_rule = rule};
    memcpy(&c.peer, peer, sizeof(c.peer));
    for (uint8_t i = 0; i < h->nclosed; i++)
        h->closed[i](&c);
}

/* ---- accepting ---- */

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

static hs_log_limit emfile_log, full_log;

/* Out of descriptors. First the idle connections make room, as at
 * worker_connections (true: accept again). Without any, the spare fd takes
 * one connection off the queue and closes it, so the queue cannot spin us,
 * and accepting pauses briefly. */
static bool accept_at_emfile(hs_listener *l, int err)
{
    if (hs_conn_reap_idle(true) > 0)
        return true;
    if (reserve_fd >= 0) {
        close(reserve_fd);
        reserve_fd = -1;
        int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0) {
            close(fd);
            HS_HTTP_COUNT(refused);
        }
        reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    hs_log_limited(&emfile_log, HS_LOG_ALERT, err, "accept4() failed; a connection refused, accepting paused for %d ms",
                   ACCEPT_PAUSE_MSEC);
    pause_accepting();
    return false;
}

static void accept_one(hs_listener *l, int fd, const struct sockaddr_storage *peer, socklen_t plen)
{
    HS_HTTP_COUNT(accepted);
    hs_conn_reap_idle(false);
    if (!hs_conn_room()) {
        /* over worker_connections and none idle: refuse this one, keep serving the rest */
        HS_HTTP_COUNT(refused);
        hs_log_limited(&full_log, HS_LOG_ALERT, 0, "%zu worker_connections are not enough, connection refused",
                       hs_http_active_connections());
        hs_tcp_set_reset(fd);
        close(fd);
        return;
    }
    if (run_accept_hooks(l, fd, peer) != HS_OK)
        return; /* dropped before reading a byte */
    HS_HTTP_COUNT(handled);
    uint64_t number = conn_counter;
    conn_counter += conn_step;
    hs_conn_start(l, fd, peer, plen, group_for(l, fd), number);
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
            int err = errno;
            if (err == EINTR || err == ECONNABORTED)
                continue;
            if (err == EMFILE || err == ENFILE) {
                if (accept_at_emfile(l, err))
                    continue;
            } else if (err != EAGAIN) {
                hs_log_errno(HS_LOG_ERR, err, "accept4() failed");
            }
            return;
        }
        accept_one(l, fd, &peer, plen);
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

static int open_one(hs_listen_conf *lc, bool first_start, char *err, size_t errlen)
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
    if (lc->addr.ss_family == AF_UNIX && !first_start)
        unlink(lc->text + 5); /* a reload: the old workers keep the old socket */
    if (bind(fd, (struct sockaddr *)&lc->addr, lc->addrlen) != 0 ||
        (lc->addr.ss_family == AF_UNIX && chmod(lc->text + 5, 0666) != 0)) {
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
    int fd = lc->addr.ss_family == AF_UNIX ? -1 : socket(lc->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return HS_OK; /* (a unix socket's own bind says when its path is taken) */
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

int hs_http_sockets_create(hs_http_conf *http, int nworkers, int *fds, bool first_start, hs_listen_take_fn take,
                           char *err, size_t errlen)
{
    size_t k = 0;
    for (size_t i = 0; first_start && i < http->ngroups; i++)
        if (!covered_by_wildcard(http, &http->groups[i]) && !(take && take(http->groups[i].listen, false) >= 0) &&
            check_address_free(http->groups[i].listen, err, errlen) != HS_OK)
            return HS_ERROR;
    for (int w = 0; w < nworkers; w++) {
        for (size_t i = 0; i < http->ngroups; i++) {
            if (covered_by_wildcard(http, &http->groups[i]))
                continue;
            hs_listen_conf *lc = http->groups[i].listen;
            int fd = take ? take(lc, true) : -1;
            /* SO_REUSEPORT is TCP's: the workers share one unix socket */
            if (fd < 0 && lc->addr.ss_family == AF_UNIX && w > 0)
                fd = fcntl(fds[k - hs_http_bound_count(http)], F_DUPFD_CLOEXEC, 0);
            fd = fd >= 0 ? fd : open_one(lc, first_start, err, errlen);
            if (fd < 0) {
                while (k > 0)
                    close(fds[--k]);
                return HS_ERROR;
            }
            fds[k++] = fd;
        }
    }
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
    hs_loop_on_post(hs_conn_free_graveyard);
    hs_http_requests_attach_loop();
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
        hs_ev_del(l->fd); /* the socket lives on in the next generation: its events must stop here */
        close(l->fd);
        free(l->groups);
        free(l);
    }
    hs_timer_cancel(&accept_pause);
    accepting = false;
}
