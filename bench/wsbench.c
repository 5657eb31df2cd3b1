/* bench/wsbench.c — the two ends of the websocket scenario (bench/websocket.sh).
 *
 *   wsbench -b PORT
 *       The backend: answers a request with "Upgrade" by a 101 (with
 *       Sec-WebSocket-Accept, computed by nobody: the proxy does not look),
 *       then echoes every byte it gets; any other request gets "200 ok" and
 *       a close (the harness's readiness check).
 *   wsbench -c PORT -n CONNS -d SECS [-s MSG] [-w WINDOW]
 *       The client: CONNS WebSocket handshakes through the proxy, then each
 *       connection streams masked binary frames of MSG bytes, keeping at most
 *       WINDOW bytes unanswered, and reads the echo. After SECS prints
 *       "bytes=N secs=S conns=C" (N: bytes written plus bytes read back,
 *       i.e. what the proxy relayed both ways).
 *
 * One thread, epoll, level-triggered; loopback only. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF (64 * 1024)

typedef struct {
    int fd;
    int head;            /* still reading the request head (backend) */
    char buf[BUF];
    size_t len, pos;     /* backend: bytes to echo back */
    uint64_t sent, got;  /* client: bytes written, read back */
    size_t off;          /* client: offset in the frame being written */
} conn;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *m)
{
    perror(m);
    exit(1);
}

static void nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

static void ep_set(int ep, int op, conn *c, uint32_t ev)
{
    struct epoll_event e = {.events = ev, .data.ptr = c};
    if (epoll_ctl(ep, op, c->fd, &e) != 0)
        die("epoll_ctl");
}

/* ---- backend ---- */

static void backend_head(int ep, conn *c)
{
    ssize_t n = read(c->fd, c->buf + c->len, BUF - c->len - 1);
    if (n <= 0) {
        close(c->fd);
        free(c);
        return;
    }
    c->len += (size_t)n;
    c->buf[c->len] = '\0';
    char *end = strstr(c->buf, "\r\n\r\n");
    if (end == NULL)
        return;
    if (strcasestr(c->buf, "\nUpgrade:") == NULL) {
        static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n";
        (void)!write(c->fd, ok, sizeof(ok) - 1);
        close(c->fd);
        free(c);
        return;
    }
    static const char up[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                             "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
    (void)!write(c->fd, up, sizeof(up) - 1);
    size_t rest = c->len - (size_t)(end + 4 - c->buf);
    memmove(c->buf, end + 4, rest);
    c->len = rest;
    c->pos = 0;
    c->head = 0;
    ep_set(ep, EPOLL_CTL_MOD, c, EPOLLIN | EPOLLOUT);
}

static void backend_echo(int ep, conn *c, uint32_t ev)
{
    if (c->pos < c->len) {
        ssize_t w = write(c->fd, c->buf + c->pos, c->len - c->pos);
        if (w < 0 && errno != EAGAIN) {
            close(c->fd);
            free(c);
            return;
        }
        if (w > 0)
            c->pos += (size_t)w;
        if (c->pos == c->len)
            c->pos = c->len = 0;
    }
    if ((ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) && c->len == 0) {
        ssize_t n = read(c->fd, c->buf, BUF);
        if (n == 0 || (n < 0 && errno != EAGAIN)) {
            close(c->fd);
            free(c);
            return;
        }
        if (n > 0)
            c->len = (size_t)n;
    }
    ep_set(ep, EPOLL_CTL_MOD, c, c->len ? EPOLLOUT : EPOLLIN);
}

static void backend(int port)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(ls, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(ls, 1024) != 0)
        die("bind/listen");
    int ep = epoll_create1(0);
    conn lc = {.fd = ls};
    ep_set(ep, EPOLL_CTL_ADD, &lc, EPOLLIN);
    struct epoll_event evs[64];
    for (;;) {
        int n = epoll_wait(ep, evs, 64, -1);
        for (int i = 0; i < n; i++) {
            conn *c = evs[i].data.ptr;
            if (c == &lc) {
                int fd = accept(ls, NULL, NULL);
                if (fd < 0)
                    continue;
                nonblock(fd);
                conn *nc = calloc(1, sizeof(*nc));
                nc->fd = fd;
                nc->head = 1;
                ep_set(ep, EPOLL_CTL_ADD, nc, EPOLLIN);
            } else if (c->head) {
                backend_head(ep, c);
            } else {
                backend_echo(ep, c, evs[i].events);
            }
        }
    }
}

/* ---- client ---- */

static char *frame;
static size_t frame_len;

static void make_frame(size_t msg)
{
    frame_len = 2 + 8 + 4 + msg;
    frame = malloc(frame_len);
    frame[0] = (char)0x82; /* FIN, binary */
    frame[1] = (char)(0x80 | 127);
    for (int i = 0; i < 8; i++)
        frame[2 + i] = (char)((uint64_t)msg >> (56 - 8 * i));
    memcpy(frame + 10, "\x11\x22\x33\x44", 4);
    for (size_t i = 0; i < msg; i++)
        frame[14 + i] = (char)(i * 7);
}

static conn *client_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
        die("connect");
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    static const char req[] = "GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    if (write(fd, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1)
        die("write handshake");
    conn *c = calloc(1, sizeof(*c));
    c->fd = fd;
    while (strstr(c->buf, "\r\n\r\n") == NULL) { /* the 101's head: the echo starts only after our bytes */
        ssize_t n = read(fd, c->buf + c->len, BUF - c->len - 1);
        if (n <= 0)
            die("read handshake");
        c->len += (size_t)n;
    }
    if (strncmp(c->buf, "HTTP/1.1 101", 12) != 0) {
        fprintf(stderr, "no 101: %.60s\n", c->buf);
        exit(1);
    }
    nonblock(fd);
    return c;
}

static void client_step(conn *c, uint32_t ev, size_t window)
{
    if (ev & EPOLLIN) {
        for (;;) {
            ssize_t n = read(c->fd, c->buf, BUF);
            if (n > 0) {
                c->got += (uint64_t)n;
                continue;
            }
            if (n == 0 || errno != EAGAIN) {
                fprintf(stderr, "connection closed by the proxy\n");
                exit(1);
            }
            break;
        }
    }
    while (c->sent - c->got < window) {
        ssize_t w = write(c->fd, frame + c->off, frame_len - c->off);
        if (w <= 0)
            break;
        c->sent += (uint64_t)w;
        c->off = (c->off + (size_t)w) % frame_len;
    }
}

static void client(int port, int nconns, double secs, size_t msg, size_t window)
{
    make_frame(msg);
    int ep = epoll_create1(0);
    conn **cs = calloc((size_t)nconns, sizeof(*cs));
    for (int i = 0; i < nconns; i++) {
        cs[i] = client_open(port);
        ep_set(ep, EPOLL_CTL_ADD, cs[i], EPOLLIN | EPOLLOUT);
    }
    double t0 = now(), end = t0 + secs;
    struct epoll_event evs[256];
    while (now() < end) {
        int n = epoll_wait(ep, evs, 256, 100);
        for (int i = 0; i < n; i++)
            client_step(evs[i].data.ptr, evs[i].events, window);
    }
    double t1 = now();
    uint64_t total = 0;
    for (int i = 0; i < nconns; i++) {
        total += cs[i]->sent + cs[i]->got;
        close(cs[i]->fd);
    }
    printf("bytes=%llu secs=%.3f conns=%d\n", (unsigned long long)total, t1 - t0, nconns);
}

int main(int argc, char **argv)
{
    int opt, port = 0, conns = 16, mode = 0;
    signal(SIGPIPE, SIG_IGN);
    double secs = 10;
    size_t msg = 16384, window = 256 * 1024;
    while ((opt = getopt(argc, argv, "b:c:n:d:s:w:")) != -1) {
        switch (opt) {
        case 'b': mode = 'b', port = atoi(optarg); break;
        case 'c': mode = 'c', port = atoi(optarg); break;
        case 'n': conns = atoi(optarg); break;
        case 'd': secs = atof(optarg); break;
        case 's': msg = (size_t)atol(optarg); break;
        case 'w': window = (size_t)atol(optarg); break;
        default: fprintf(stderr, "usage: wsbench -b PORT | -c PORT -n CONNS -d SECS [-s MSG] [-w WINDOW]\n"); return 2;
        }
    }
    if (mode == 'b')
        backend(port);
    else if (mode == 'c')
        client(port, conns, secs, msg, window);
    else
        return 2;
    return 0;
}
