/*
 * idleconns — hold many idle keep-alive HTTP/1.1 connections open.
 *
 * Opens N connections to HOST:PORT, sends one GET on each, reads each full
 * response (status line, headers, Content-Length or chunked body), then keeps
 * every connection open and idle.  When all N are idle it prints
 *
 *     READY ok=N failed=F ms=T
 *
 * on stdout and waits.  Commands on stdin, one per line:
 *     status   prints "OPEN n closed_by_server=c"
 *     close    (or EOF on stdin, SIGINT, SIGTERM) closes everything and exits
 *
 * It stops by itself after -H seconds idle (default 600) so a forgotten run
 * never lingers.  Used by bench/ to measure a server's memory per idle
 * keep-alive connection.  Single-threaded, non-blocking, epoll.
 *
 * Usage: idleconns [-a addr] -p port [-n N] [-u path] [-c inflight]
 *                  [-s status] [-T connect_secs] [-H hold_secs] [-F]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum cstate {
    C_FREE,       /* not opened yet */
    C_CONNECTING, /* connect() in progress, waiting for EPOLLOUT */
    C_READING,    /* request sent, reading the response */
    C_IDLE,       /* response complete, held open */
    C_DEAD        /* failed or closed by the server */
};

#define RESP_MAX 16384 /* response head + small body must fit */

struct conn {
    int fd;
    enum cstate state;
    char *buf;   /* response bytes while C_READING, NULL otherwise */
    size_t len;  /* bytes in buf */
};

static const char *opt_addr = "127.0.0.1";
static int opt_port;
static int opt_n = 10000;
static const char *opt_path = "/";
static int opt_inflight = 128;
static int opt_status = 200;
static int opt_connect_secs = 60;
static int opt_hold_secs = 600;
static int opt_fin; /* close with FIN instead of RST */

static struct conn *conns;
static int epfd;
static char request[1024];
static size_t request_len;
static int n_ok, n_failed, n_closed_idle, n_active;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void die(const char *what)
{
    perror(what);
    exit(2);
}

/* Room for N sockets plus a few: raise the soft limit, and the hard one if we may. */
static void raise_nofile(int n)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)n + 64;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        die("getrlimit");
    if (rl.rlim_cur >= want)
        return;
    if (rl.rlim_max < want)
        rl.rlim_max = want;
    rl.rlim_cur = want;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
        fprintf(stderr, "idleconns: cannot raise RLIMIT_NOFILE to %llu: %s\n",
                (unsigned long long)want, strerror(errno));
        exit(2);
    }
}

static void conn_fail(struct conn *c, const char *why)
{
    static int reported;

    if (reported++ < 5)
        fprintf(stderr, "idleconns: connection failed: %s\n", why);
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    free(c->buf);
    c->buf = NULL;
    c->state = C_DEAD;
    n_failed++;
    n_active--;
}

static int conn_open(struct conn *c, const struct sockaddr_in *sa)
{
    struct epoll_event ev;

    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        die("socket");
    c->state = C_CONNECTING;
    n_active++;
    ev.events = EPOLLOUT;
    ev.data.ptr = c;
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
        die("epoll_ctl add");
    if (connect(c->fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 && errno != EINPROGRESS) {
        conn_fail(c, strerror(errno));
        return -1;
    }
    return 0;
}

/* Connected: send the request (small enough for one write) and wait for the response. */
static void conn_on_writable(struct conn *c)
{
    struct epoll_event ev;
    int err = 0;
    socklen_t el = sizeof(err);
    ssize_t w;

    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
        conn_fail(c, strerror(err ? err : errno));
        return;
    }
    w = write(c->fd, request, request_len);
    if (w != (ssize_t)request_len) {
        conn_fail(c, w < 0 ? strerror(errno) : "short write");
        return;
    }
    c->buf = malloc(RESP_MAX);
    if (!c->buf)
        die("malloc");
    c->len = 0;
    c->state = C_READING;
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.ptr = c;
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
        die("epoll_ctl mod");
}

/* Header value of NAME in the head [p, end), or NULL. */
static const char *header_find(const char *p, const char *end, const char *name)
{
    size_t nl = strlen(name);

    while (p < end) {
        const char *eol = memmem(p, end - p, "\r\n", 2);
        if (!eol)
            return NULL;
        if ((size_t)(eol - p) > nl && p[nl] == ':' && strncasecmp(p, name, nl) == 0) {
            p += nl + 1;
            while (*p == ' ' || *p == '\t')
                p++;
            return p;
        }
        p = eol + 2;
    }
    return NULL;
}

/*
 * Is the response in c->buf complete?  Returns 1 complete, 0 need more,
 * -1 malformed or unexpected.
 */
static int response_complete(struct conn *c, const char **why)
{
    const char *b = c->buf, *hend, *v;
    size_t head_len, body_len;
    int status;

    hend = memmem(b, c->len, "\r\n\r\n", 4);
    if (!hend)
        return c->len >= RESP_MAX ? (*why = "response head too large", -1) : 0;
    head_len = (size_t)(hend - b) + 4;
    if (c->len < 12 || strncmp(b, "HTTP/1.", 7) != 0) {
        *why = "not an HTTP/1.x response";
        return -1;
    }
    status = atoi(b + 9);
    if (status != opt_status) {
        *why = "unexpected status";
        return -1;
    }
    v = header_find(b, hend + 2, "Connection");
    if (v && strncasecmp(v, "close", 5) == 0) {
        *why = "server answered Connection: close";
        return -1;
    }
    body_len = c->len - head_len;
    v = header_find(b, hend + 2, "Content-Length");
    if (v)
        return body_len >= strtoul(v, NULL, 10) ? 1 : 0;
    v = header_find(b, hend + 2, "Transfer-Encoding");
    if (v && strncasecmp(v, "chunked", 7) == 0)
        return memmem(hend + 2, c->len - head_len + 2, "\r\n0\r\n\r\n", 7) ? 1 : 0;
    *why = "response without length on a keep-alive connection";
    return -1;
}

static void conn_on_readable(struct conn *c)
{
    const char *why = NULL;
    ssize_t r;
    int done;

    for (;;) {
        r = read(c->fd, c->buf + c->len, RESP_MAX - c->len);
        if (r < 0 && errno == EAGAIN)
            return;
        if (r < 0) {
            conn_fail(c, strerror(errno));
            return;
        }
        if (r == 0) {
            conn_fail(c, "server closed before the response was complete");
            return;
        }
        c->len += (size_t)r;
        done = response_complete(c, &why);
        if (done < 0) {
            conn_fail(c, why);
            return;
        }
        if (done)
            break;
    }
    free(c->buf);
    c->buf = NULL;
    c->state = C_IDLE;
    n_ok++;
    n_active--;
}

/* An idle connection became readable: the server closed it (or sent junk). */
static void conn_on_idle_event(struct conn *c)
{
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    c->state = C_DEAD;
    n_closed_idle++;
}

static void close_all(void)
{
    struct linger lg = { 1, 0 };
    int i;

    for (i = 0; i < opt_n; i++) {
        if (conns[i].fd < 0)
            continue;
        if (!opt_fin)
            setsockopt(conns[i].fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        close(conns[i].fd);
        conns[i].fd = -1;
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: idleconns [-a addr] -p port [-n N] [-u path] [-c inflight]\n"
                    "                 [-s status] [-T connect_secs] [-H hold_secs] [-F]\n");
    exit(2);
}

static void parse_args(int argc, char **argv)
{
    int o;

    while ((o = getopt(argc, argv, "a:p:n:u:c:s:T:H:F")) != -1) {
        switch (o) {
        case 'a': opt_addr = optarg; break;
        case 'p': opt_port = atoi(optarg); break;
        case 'n': opt_n = atoi(optarg); break;
        case 'u': opt_path = optarg; break;
        case 'c': opt_inflight = atoi(optarg); break;
        case 's': opt_status = atoi(optarg); break;
        case 'T': opt_connect_secs = atoi(optarg); break;
        case 'H': opt_hold_secs = atoi(optarg); break;
        case 'F': opt_fin = 1; break;
        default: usage();
        }
    }
    if (opt_port <= 0 || opt_port > 65535 || opt_n <= 0 || opt_inflight <= 0)
        usage();
}

/* Handle one stdin line or EOF; returns 1 when it is time to close. */
static int on_stdin(void)
{
    char line[256];
    ssize_t r = read(0, line, sizeof(line) - 1);

    if (r <= 0)
        return 1;
    line[r] = '\0';
    if (strstr(line, "close"))
        return 1;
    if (strstr(line, "status")) {
        printf("OPEN %d closed_by_server=%d\n", n_ok - n_closed_idle, n_closed_idle);
        fflush(stdout);
    }
    return 0;
}

#define TAG_STDIN ((void *)1)
#define TAG_SIGNAL ((void *)2)

static void hold(int sfd)
{
    struct epoll_event evs[64], ev;
    long long deadline = now_ms() + (long long)opt_hold_secs * 1000;
    int i, n;

    ev.events = EPOLLIN;
    ev.data.ptr = TAG_STDIN;
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, 0, &ev) < 0)
        ev.data.ptr = NULL; /* stdin not pollable (e.g. /dev/null): signals only */
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0)
            return;
        n = epoll_wait(epfd, evs, 64, left > 1000 ? 1000 : (int)left);
        for (i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            if (p == TAG_SIGNAL)
                return;
            if (p == TAG_STDIN) {
                if (on_stdin())
                    return;
                continue;
            }
            conn_on_idle_event(p);
        }
        (void)sfd;
    }
}

int main(int argc, char **argv)
{
    struct sockaddr_in sa;
    struct epoll_event evs[256], ev;
    sigset_t ss;
    int sfd, next = 0, i, n;
    long long t0, deadline;

    parse_args(argc, argv);
    raise_nofile(opt_n);
    signal(SIGPIPE, SIG_IGN);

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)opt_port);
    if (inet_pton(AF_INET, opt_addr, &sa.sin_addr) != 1)
        usage();
    request_len = (size_t)snprintf(request, sizeof(request),
                                   "GET %s HTTP/1.1\r\nHost: localhost\r\n"
                                   "User-Agent: hush-bench-idleconns\r\n\r\n",
                                   opt_path);

    conns = calloc((size_t)opt_n, sizeof(*conns));
    if (!conns)
        die("calloc");
    for (i = 0; i < opt_n; i++)
        conns[i].fd = -1;
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0)
        die("epoll_create1");

    sigemptyset(&ss);
    sigaddset(&ss, SIGINT);
    sigaddset(&ss, SIGTERM);
    sigprocmask(SIG_BLOCK, &ss, NULL);
    sfd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sfd < 0)
        die("signalfd");
    ev.events = EPOLLIN;
    ev.data.ptr = TAG_SIGNAL;
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, sfd, &ev) < 0)
        die("epoll_ctl signalfd");

    /* Phase 1: open all connections, at most opt_inflight unfinished at a time. */
    t0 = now_ms();
    deadline = t0 + (long long)opt_connect_secs * 1000;
    while (n_ok + n_failed < opt_n) {
        while (next < opt_n && n_active < opt_inflight)
            conn_open(&conns[next++], &sa);
        if (now_ms() > deadline) {
            fprintf(stderr, "idleconns: timed out with %d of %d done\n", n_ok + n_failed, opt_n);
            close_all();
            return 1;
        }
        n = epoll_wait(epfd, evs, 256, 1000);
        for (i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            if (evs[i].data.ptr == TAG_SIGNAL) {
                close_all();
                return 1;
            }
            if (c->state == C_CONNECTING)
                conn_on_writable(c);
            else if (c->state == C_READING)
                conn_on_readable(c);
            else if (c->state == C_IDLE)
                conn_on_idle_event(c);
        }
    }
    printf("READY ok=%d failed=%d ms=%lld\n", n_ok, n_failed, now_ms() - t0);
    fflush(stdout);

    /* Phase 2: hold them idle until told to close. */
    hold(sfd);
    printf("CLOSING open=%d closed_by_server=%d\n", n_ok - n_closed_idle, n_closed_idle);
    fflush(stdout);
    close_all();
    return n_failed ? 1 : 0;
}
