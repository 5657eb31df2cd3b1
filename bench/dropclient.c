/* bench/dropclient.c — keeps N connections in flight, each a new TCP
 * connection that sends one request and waits for the server to end it
 * (FIN or RST) without an answer. Counts drops per second for DURATION.
 *
 *   dropclient PORT DURATION_S CONNS HOST [SRC_ADDR]
 *
 * With PROXY_HEADER=v1 or v2 in the environment each connection first sends
 * a PROXY protocol header (as a load balancer does) whose source address is
 * PROXY_SRC (default 203.0.113.7), in the same write as the request.
 *
 * With HOLD_MS=N a connection not ended within N ms is abandoned (closed,
 * which sends nothing from SYN_SENT) and counted as unanswered; HOLD_MS=0
 * abandons each attempt as soon as connect() returns: on loopback the SYN
 * has been through the server's kernel by then (the receive runs in the
 * sender's context), so this is the rate a client can make attempts that
 * the server's kernel drops (deny_addr_mode kernel). Whether a SYN-ACK came
 * is read from TCP_INFO (SYN_SENT: none).
 *
 * With RAW_SYN=1 (root: a raw socket) it sends bare SYNs from SRC_ADDR,
 * each from a new source port, as fast as it can and waits for nothing:
 * what one SYN costs the machine (a first attempt, or a client's resend)
 * without a client socket's life around it. Each counts as unanswered.
 *
 * Prints: "drops N answered A errors E seconds S unanswered U". A
 * connection that gets any byte back counts as answered (a drop must send
 * nothing); a drop is a FIN or RST after the handshake. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_in dst, src;
static int use_src;
static char request[512];
static size_t request_len;
static long drops, answered, errors, unanswered;
static long hold_ms = -1; /* HOLD_MS; -1: wait for the server */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char sent[1 << 20]; /* per fd: request written */
static double opened[1 << 20]; /* per fd: when its connect() began */
static int live[1 << 16], nlive; /* fds in flight, for HOLD_MS */

static void forget(int fd)
{
    for (int i = 0; i < nlive; i++)
        if (live[i] == fd) {
            live[i] = live[--nlive];
            return;
        }
}

/* Opens a connection and queues its request; returns the fd or -1. */
static int open_one(int ep)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (use_src) {
        setsockopt(fd, SOL_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
        if (bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0) {
            close(fd);
            return -1;
        }
    }
    if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) != 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP, .data.fd = fd};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    if (hold_ms > 0 && nlive < (int)(sizeof(live) / sizeof(live[0]))) {
        opened[fd] = now();
        live[nlive++] = fd;
    }
    return fd;
}



static void on_event(int ep, int fd, uint32_t e)
{
    if ((e & EPOLLOUT) && !sent[fd] && !(e & (EPOLLERR | EPOLLHUP))) {
        /* accept-phase drops may close before the request goes out: that's fine */
        if (send(fd, request, request_len, MSG_NOSIGNAL) > 0)
            sent[fd] = 1;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = fd};
        epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
        if (!(e & (EPOLLIN | EPOLLRDHUP)))
            return;
    }
    char buf[512];
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n > 0)
        answered++;
    else if (n == 0 || errno == ECONNRESET || errno == EPIPE)
        drops++;
    else if (errno == EAGAIN)
        return;
    else
        errors++;
    sent[fd] = 0;
    if (hold_ms > 0)
        forget(fd);
    close(fd);
    if (open_one(ep) < 0)
        errors++;
}

/* HOLD_MS: attempts with no end within the hold are given up. */
static void give_up_late(int ep)
{
    double t = now();
    for (int i = 0; i < nlive;) {
        int fd = live[i];
        if (t - opened[fd] < (double)hold_ms / 1000) {
            i++;
            continue;
        }
        live[i] = live[--nlive];
        unanswered++;
        sent[fd] = 0;
        close(fd);
        if (open_one(ep) < 0)
            errors++;
    }
}

/* The TCP checksum over the IPv4 pseudo-header and the segment. */
static uint16_t tcp_sum(const struct in_addr *s, const struct in_addr *d, const uint8_t *seg, size_t len)
{
    uint32_t sum = 0;
    const uint8_t *a = (const uint8_t *)s, *b = (const uint8_t *)d;
    for (int i = 0; i < 4; i += 2)
        sum += (uint32_t)(a[i] << 8 | a[i + 1]) + (uint32_t)(b[i] << 8 | b[i + 1]);
    sum += IPPROTO_TCP + (uint32_t)len;
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)(seg[i] << 8 | seg[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return htons((uint16_t)~sum);
}

/* RAW_SYN=1: bare SYNs, a new source port each, until end. */
static void syns_only(double end)
{
    int fd = socket(AF_INET, SOCK_RAW, IPPROTO_TCP);
    if (fd < 0 || (use_src && bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0)) {
        perror("dropclient: raw socket");
        errors++;
        return;
    }
    uint8_t seg[20];
    uint16_t port = 20000;
    while (now() < end) {
        for (int i = 0; i < 256; i++) {
            memset(seg, 0, sizeof(seg));
            uint16_t sp = htons(port), dp = dst.sin_port;
            uint32_t seq = htonl((uint32_t)port * 2654435761u);
            memcpy(seg, &sp, 2);
            memcpy(seg + 2, &dp, 2);
            memcpy(seg + 4, &seq, 4);
            seg[12] = 5 << 4;           /* header length: 20 bytes */
            seg[13] = 0x02;             /* SYN */
            seg[14] = 0xff;             /* window */
            uint16_t sum = tcp_sum(&src.sin_addr, &dst.sin_addr, seg, sizeof(seg));
            memcpy(seg + 16, &sum, 2);
            if (sendto(fd, seg, sizeof(seg), 0, (struct sockaddr *)&dst, sizeof(dst)) == (ssize_t)sizeof(seg))
                unanswered++;
            else
                errors++;
            port = port == 60000 ? 20000 : port + 1;
        }
    }
    close(fd);
}

/* HOLD_MS=0: one attempt after another, each given up once connect()
 * returns; one that got a SYN-ACK (not SYN_SENT) counts as answered. */
static void attempts_only(double end)
{
    while (now() < end) {
        for (int i = 0; i < 256; i++) {
            int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
            int one = 1;
            if (fd < 0) {
                errors++;
                continue;
            }
            if (use_src) {
                setsockopt(fd, SOL_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
                bind(fd, (struct sockaddr *)&src, sizeof(src));
            }
            if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) != 0 && errno != EINPROGRESS) {
                errors++;
                close(fd);
                continue;
            }
            struct tcp_info ti;
            socklen_t tl = sizeof(ti);
            if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0 && ti.tcpi_state != TCP_SYN_SENT)
                answered++;
            else
                unanswered++;
            close(fd);
        }
    }
}

/* The PROXY header of PROXY_HEADER (v1, v2) into out; its length (0: none). */
static size_t proxy_header(char *out)
{
    const char *kind = getenv("PROXY_HEADER"), *srcs = getenv("PROXY_SRC");
    struct in_addr a, b;
    inet_pton(AF_INET, srcs ? srcs : "203.0.113.7", &a);
    inet_pton(AF_INET, "127.0.0.1", &b);
    if (kind && strcmp(kind, "v1") == 0)
        return (size_t)sprintf(out, "PROXY TCP4 %s 127.0.0.1 51000 80\r\n", srcs ? srcs : "203.0.113.7");
    if (kind == NULL || strcmp(kind, "v2") != 0)
        return 0;
    static const unsigned char sig[16] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51,
                                          0x55, 0x49, 0x54, 0x0A, 0x21, 0x11, 0x00, 0x0C};
    uint16_t ports[2] = {htons(51000), htons(80)};
    memcpy(out, sig, 16);
    memcpy(out + 16, &a, 4);
    memcpy(out + 20, &b, 4);
    memcpy(out + 24, ports, 4);
    return 28;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: dropclient PORT DURATION_S CONNS HOST [SRC_ADDR]\n");
        return 2;
    }
    dst.sin_family = AF_INET;
    dst.sin_port = htons((uint16_t)atoi(argv[1]));
    inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
    double duration = atof(argv[2]);
    int conns = atoi(argv[3]);
    request_len = proxy_header(request);
    request_len += (size_t)snprintf(request + request_len, sizeof(request) - request_len,
                                    "GET / HTTP/1.1\r\nHost: %s\r\nUser-Agent: dropclient\r\n\r\n", argv[4]);
    if (argc > 5) {
        use_src = 1;
        src.sin_family = AF_INET;
        inet_pton(AF_INET, argv[5], &src.sin_addr);
    }
    const char *hold = getenv("HOLD_MS");
    if (hold && *hold)
        hold_ms = atol(hold);
    double t0 = now(), end = t0 + duration;
    const char *raw = getenv("RAW_SYN");
    if (hold_ms == 0 || (raw && strcmp(raw, "1") == 0)) {
        if (raw && strcmp(raw, "1") == 0)
            syns_only(end);
        else
            attempts_only(end);
        printf("drops %ld answered %ld errors %ld seconds %.3f unanswered %ld\n", drops, answered, errors,
               now() - t0, unanswered);
        return 0;
    }
    int ep = epoll_create1(0);
    for (int i = 0; i < conns; i++)
        if (open_one(ep) < 0)
            errors++;
    t0 = now();
    end = t0 + duration;
    struct epoll_event evs[256];
    while (now() < end) {
        int n = epoll_wait(ep, evs, 256, hold_ms > 0 ? 1 : 100);
        for (int i = 0; i < n; i++)
            on_event(ep, evs[i].data.fd, evs[i].events);
        if (hold_ms > 0)
            give_up_late(ep);
    }
    printf("drops %ld answered %ld errors %ld seconds %.3f unanswered %ld\n", drops, answered, errors, now() - t0,
           unanswered);
    return 0;
}
