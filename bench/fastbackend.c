/*
 * fastbackend — a fast HTTP/1.1 upstream for hush's proxy benchmark.
 *
 * Single-threaded, non-blocking, level-triggered epoll.  Keep-alive and
 * pipelining; every request gets the same small response:
 *
 *     HTTP/1.1 200 OK, Content-Type: text/plain, Content-Length: B (-b, 100)
 *
 * except:
 *   /slow?ms=N[&id=ID]  answered after N ms (same response).  While such a
 *       request is pending the connection stays watched (EPOLLRDHUP); when
 *       the peer (the proxy) closes or resets it before the answer, one line
 *       is written to the event file (-e, default stdout):
 *
 *         CLOSE id=ID mono_us=T rt_us=T pending_us=D how=fin|rst|err
 *
 *       T: CLOCK_MONOTONIC / CLOCK_REALTIME in microseconds, read as soon as
 *       epoll_wait returned the event.  Also logged: REQ (arrival of the slow
 *       request) and DONE (answered after N ms: the proxy did not close).
 *   /__stats  answers "conns=C reqs=R slow=S closed_pending=P\n": connections
 *       accepted, requests answered, slow requests received, slow requests
 *       whose connection the peer closed (for the bench: check keep-alive).
 *
 * Request bodies (Content-Length) are read and discarded; chunked request
 * bodies are not supported (501, close).  "Connection: close" and HTTP/1.0
 * without keep-alive are honoured.  SIGTERM/SIGINT: prints the totals on
 * stderr and exits.
 *
 * Usage: fastbackend -p port [-a addr] [-b body_bytes] [-e event_file]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IN_MAX 65536   /* request head + unread pipelined requests */
#define MAX_FDS 131072

struct conn {
    int fd;
    char *in;           /* IN_MAX bytes */
    size_t in_len;
    size_t body_left;   /* request body bytes still to discard */
    char *out;          /* pending output */
    size_t out_len, out_off, out_cap;
    int close_after;    /* close once out is flushed */
    int want_out;       /* EPOLLOUT registered */
    int in_off;         /* EPOLLIN removed (buffer full while pending) */
    /* a pending /slow request */
    int pending;
    long long deadline_us;   /* monotonic */
    long long arrived_us;    /* monotonic */
    int pending_close;       /* close after the slow answer */
    char id[64];
};

static const char *opt_addr = "127.0.0.1";
static int opt_port;
static int opt_body = 100;
static FILE *evf;

static int epfd;
static struct conn *conns[MAX_FDS];
static struct conn *pendings[MAX_FDS];   /* connections with a pending /slow */
static int npending;
static char *resp_keep, *resp_close;
static size_t resp_keep_len, resp_close_len;
static unsigned long long st_conns, st_reqs, st_slow, st_closed_pending;
static volatile sig_atomic_t stop;

static long long clock_us(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void die(const char *what)
{
    fprintf(stderr, "fastbackend: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void ev(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void ev(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(evf, fmt, ap);
    va_end(ap);
    fflush(evf);
}

static void ep_mod(struct conn *c)
{
    struct epoll_event e = {0};
    e.events = EPOLLRDHUP | (c->in_off ? 0 : EPOLLIN) | (c->want_out ? EPOLLOUT : 0);
    e.data.ptr = c;
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &e) < 0)
        die("epoll_ctl mod");
}

static void pending_remove(struct conn *c)
{
    for (int i = 0; i < npending; i++)
        if (pendings[i] == c) {
            pendings[i] = pendings[--npending];
            break;
        }
    c->pending = 0;
}

static void conn_close(struct conn *c)
{
    if (c->pending)
        pending_remove(c);
    close(c->fd);   /* also removes it from epoll */
    conns[c->fd] = NULL;
    free(c->in);
    free(c->out);
    free(c);
}

static void out_append(struct conn *c, const char *p, size_t n)
{
    if (c->out_off == c->out_len)
        c->out_off = c->out_len = 0;
    if (c->out_len + n > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < c->out_len + n)
            cap *= 2;
        char *q = realloc(c->out, cap);
        if (!q)
            die("realloc");
        c->out = q;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
}

/* Write what is pending.  Returns -1 when the connection was closed. */
static int conn_flush(struct conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t w = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
        if (w > 0) {
            c->out_off += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!c->want_out) {
                c->want_out = 1;
                ep_mod(c);
            }
            return 0;
        }
        conn_close(c);
        return -1;
    }
    if (c->want_out) {
        c->want_out = 0;
        ep_mod(c);
    }
    if (c->close_after) {
        shutdown(c->fd, SHUT_WR);
        conn_close(c);
        return -1;
    }
    return 0;
}

static void respond(struct conn *c, int close_it)
{
    st_reqs++;
    if (close_it) {
        out_append(c, resp_close, resp_close_len);
        c->close_after = 1;
    } else {
        out_append(c, resp_keep, resp_keep_len);
    }
}

static void respond_text(struct conn *c, int code, const char *reason, const char *body, int close_it)
{
    char head[256];
    int n = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n%s\r\n",
                     code, reason, strlen(body), close_it ? "Connection: close\r\n" : "");
    out_append(c, head, (size_t)n);
    out_append(c, body, strlen(body));
    if (close_it)
        c->close_after = 1;
}

/* Value of header NAME in [p, end) (a request head), or NULL; *len its length. */
static const char *header_value(const char *p, const char *end, const char *name, size_t *len)
{
    size_t nl = strlen(name);
    const char *line = memchr(p, '\n', (size_t)(end - p));
    while (line && line + 1 < end) {
        line++;
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol)
            break;
        if ((size_t)(eol - line) > nl && line[nl] == ':' && strncasecmp(line, name, nl) == 0) {
            const char *v = line + nl + 1;
            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            const char *ve = eol;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            *len = (size_t)(ve - v);
            return v;
        }
        line = eol;
    }
    return NULL;
}

static int contains_token(const char *v, size_t len, const char *tok)
{
    size_t tl = strlen(tok);
    for (size_t i = 0; i + tl <= len; i++)
        if (strncasecmp(v + i, tok, tl) == 0)
            return 1;
    return 0;
}

/* Query parameter NAME of the target [t, te) into out (size n). */
static int query_param(const char *t, const char *te, const char *name, char *out, size_t n)
{
    const char *q = memchr(t, '?', (size_t)(te - t));
    size_t nl = strlen(name);
    while (q && q < te) {
        q++;
        const char *amp = memchr(q, '&', (size_t)(te - q));
        const char *pe = amp ? amp : te;
        if ((size_t)(pe - q) > nl && q[nl] == '=' && strncmp(q, name, nl) == 0) {
            size_t vl = (size_t)(pe - q) - nl - 1;
            if (vl >= n)
                vl = n - 1;
            memcpy(out, q + nl + 1, vl);
            out[vl] = 0;
            return 1;
        }
        q = amp;
    }
    return 0;
}

/* Handle the complete requests in c->in, stopping at a pending /slow one.
 * Returns -1 when the connection was closed. */
static int conn_process(struct conn *c)
{
    size_t off = 0;
    while (!c->pending && !c->close_after) {
        if (c->body_left) {
            size_t n = c->in_len - off < c->body_left ? c->in_len - off : c->body_left;
            off += n;
            c->body_left -= n;
            if (c->body_left)
                break;
        }
        char *p = c->in + off;
        size_t avail = c->in_len - off;
        char *hend = avail >= 4 ? memmem(p, avail, "\r\n\r\n", 4) : NULL;
        if (!hend) {
            if (avail == IN_MAX) {
                respond_text(c, 431, "Request Header Fields Too Large", "too large\n", 1);
                off = c->in_len;
            }
            break;
        }
        char *end = hend + 4;
        /* request line: METHOD SP TARGET SP HTTP/x.y */
        char *sp1 = memchr(p, ' ', (size_t)(end - p));
        char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1)) : NULL;
        if (!sp1 || !sp2 || sp2 + 9 > end || strncmp(sp2 + 1, "HTTP/1.", 7) != 0) {
            respond_text(c, 400, "Bad Request", "bad request\n", 1);
            off = c->in_len;
            break;
        }
        const char *t = sp1 + 1, *te = sp2;
        int http10 = sp2[8] == '0';
        size_t vl;
        const char *v = header_value(p, end, "Connection", &vl);
        int close_it = http10 ? !(v && contains_token(v, vl, "keep-alive")) : (v && contains_token(v, vl, "close"));
        if (header_value(p, end, "Transfer-Encoding", &vl)) {
            respond_text(c, 501, "Not Implemented", "chunked request bodies are not supported\n", 1);
            off = c->in_len;
            break;
        }
        v = header_value(p, end, "Content-Length", &vl);
        c->body_left = v ? strtoull(v, NULL, 10) : 0;
        off = (size_t)(end - c->in);

        if ((size_t)(te - t) >= 5 && strncmp(t, "/slow", 5) == 0 && (te - t == 5 || t[5] == '?' || t[5] == '/')) {
            char ms[32] = "1000";
            query_param(t, te, "ms", ms, sizeof ms);
            if (!query_param(t, te, "id", c->id, sizeof c->id))
                snprintf(c->id, sizeof c->id, "-");
            long long now = clock_us(CLOCK_MONOTONIC);
            c->arrived_us = now;
            c->deadline_us = now + atoll(ms) * 1000;
            c->pending = 1;
            c->pending_close = close_it;
            pendings[npending++] = c;
            st_slow++;
            ev("REQ id=%s mono_us=%lld rt_us=%lld fd=%d\n", c->id, now, clock_us(CLOCK_REALTIME), c->fd);
        } else if ((size_t)(te - t) == 8 && strncmp(t, "/__stats", 8) == 0) {
            char body[256];
            snprintf(body, sizeof body, "conns=%llu reqs=%llu slow=%llu closed_pending=%llu\n", st_conns, st_reqs,
                     st_slow, st_closed_pending);
            respond_text(c, 200, "OK", body, close_it);
        } else {
            respond(c, close_it);
        }
    }
    if (off) {
        memmove(c->in, c->in + off, c->in_len - off);
        c->in_len -= off;
    }
    /* a pending request with a full buffer behind it: stop reading, keep watching RDHUP */
    int in_off = c->pending && c->in_len == IN_MAX;
    if (in_off != c->in_off) {
        c->in_off = in_off;
        ep_mod(c);
    }
    return conn_flush(c);
}

/* The peer closed or reset a connection: report it when a /slow was pending. */
static void peer_gone(struct conn *c, long long t_mono, long long t_rt, const char *how)
{
    if (c->pending) {
        st_closed_pending++;
        ev("CLOSE id=%s mono_us=%lld rt_us=%lld pending_us=%lld how=%s\n", c->id, t_mono, t_rt,
           t_mono - c->arrived_us, how);
    }
    conn_close(c);
}

static void conn_event(struct conn *c, uint32_t events, long long t_mono, long long t_rt)
{
    if (events & EPOLLERR) {
        peer_gone(c, t_mono, t_rt, "err");
        return;
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) {
        if (c->in_off) {   /* pending, buffer full: only RDHUP/HUP bring us here */
            peer_gone(c, t_mono, t_rt, "fin");
            return;
        }
        for (;;) {
            ssize_t r = read(c->fd, c->in + c->in_len, IN_MAX - c->in_len);
            if (r > 0) {
                c->in_len += (size_t)r;
                if (c->in_len == IN_MAX)
                    break;
                continue;
            }
            if (r == 0) {
                peer_gone(c, t_mono, t_rt, "fin");
                return;
            }
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            peer_gone(c, t_mono, t_rt, errno == ECONNRESET ? "rst" : "err");
            return;
        }
        if (conn_process(c) < 0)
            return;
    }
    if ((events & EPOLLOUT) && conns[c->fd] == c)
        conn_flush(c);
}

static void on_accept(int lfd)
{
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                fprintf(stderr, "fastbackend: accept: %s\n", strerror(errno));
            return;
        }
        if (fd >= MAX_FDS) {
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct conn *c = calloc(1, sizeof *c);
        if (!c || !(c->in = malloc(IN_MAX)))
            die("malloc");
        c->fd = fd;
        conns[fd] = c;
        struct epoll_event e = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e) < 0)
            die("epoll_ctl add");
        st_conns++;
    }
}

/* Answer the /slow requests whose time has come; returns the epoll timeout (ms). */
static int run_timers(void)
{
    long long now = clock_us(CLOCK_MONOTONIC), next = -1;
    for (int i = 0; i < npending;) {
        struct conn *c = pendings[i];
        if (c->deadline_us <= now) {
            pending_remove(c);   /* moves the last one into slot i */
            ev("DONE id=%s mono_us=%lld rt_us=%lld\n", c->id, now, clock_us(CLOCK_REALTIME));
            respond(c, c->pending_close);
            conn_process(c);   /* answers it, then pipelined requests behind it */
            continue;
        }
        if (next < 0 || c->deadline_us < next)
            next = c->deadline_us;
        i++;
    }
    if (next < 0)
        return -1;
    return (int)((next - now + 999) / 1000);
}

static void usage(void)
{
    fprintf(stderr, "usage: fastbackend -p port [-a addr] [-b body_bytes] [-e event_file]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *evpath = NULL;
    int o;
    while ((o = getopt(argc, argv, "a:p:b:e:")) != -1) {
        switch (o) {
        case 'a': opt_addr = optarg; break;
        case 'p': opt_port = atoi(optarg); break;
        case 'b': opt_body = atoi(optarg); break;
        case 'e': evpath = optarg; break;
        default: usage();
        }
    }
    if (opt_port <= 0 || opt_port > 65535 || opt_body < 0 || opt_body > 1 << 20)
        usage();
    evf = stdout;
    if (evpath && !(evf = fopen(evpath, "a")))
        die(evpath);

    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max > MAX_FDS ? MAX_FDS : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    /* the two fixed responses */
    const char *fmt = "HTTP/1.1 200 OK\r\nServer: fastbackend\r\nContent-Type: text/plain\r\n"
                      "Content-Length: %d\r\n%s\r\n";
    for (int k = 0; k < 2; k++) {
        char head[256];
        int n = snprintf(head, sizeof head, fmt, opt_body, k ? "Connection: close\r\n" : "");
        char *r = malloc((size_t)n + (size_t)opt_body);
        if (!r)
            die("malloc");
        memcpy(r, head, (size_t)n);
        memset(r + n, 'x', (size_t)opt_body);
        if (opt_body)
            r[n + opt_body - 1] = '\n';
        if (k)
            resp_close = r, resp_close_len = (size_t)n + (size_t)opt_body;
        else
            resp_keep = r, resp_keep_len = (size_t)n + (size_t)opt_body;
    }

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (lfd < 0)
        die("socket");
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)opt_port)};
    if (inet_pton(AF_INET, opt_addr, &sin.sin_addr) != 1) {
        fprintf(stderr, "fastbackend: bad address %s\n", opt_addr);
        return 2;
    }
    if (bind(lfd, (struct sockaddr *)&sin, sizeof sin) < 0)
        die("bind");
    if (listen(lfd, 4096) < 0)
        die("listen");
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0)
        die("epoll_create1");
    static int lmark;
    struct epoll_event le = {.events = EPOLLIN, .data.ptr = &lmark};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &le) < 0)
        die("epoll_ctl listen");

    struct epoll_event evs[256];
    int timeout = -1;
    while (!stop) {
        int n = epoll_wait(epfd, evs, 256, timeout);
        long long t_mono = clock_us(CLOCK_MONOTONIC), t_rt = clock_us(CLOCK_REALTIME);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == &lmark) {
                on_accept(lfd);
                continue;
            }
            struct conn *c = evs[i].data.ptr;
            /* the connection may have been closed by an earlier event of this batch
               (only by its own events: one entry per fd, so c stays valid) */
            conn_event(c, evs[i].events, t_mono, t_rt);
        }
        timeout = run_timers();
    }
    fprintf(stderr, "fastbackend: conns=%llu reqs=%llu slow=%llu closed_pending=%llu\n", st_conns, st_reqs, st_slow,
            st_closed_pending);
    return 0;
}
