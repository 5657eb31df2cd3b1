/*
 * abortclient — a client that gives up while the proxy waits for its upstream.
 *
 * For each of N trials: connect to ADDR:PORT, send
 *
 *     GET /slow?ms=SLOW&id=PREFIX-I HTTP/1.1
 *
 * wait WAIT ms (the request reaches the backend through the proxy), check
 * that no response byte has arrived, read the clocks and close() the socket
 * (a FIN: nothing is left unread), then sleep GAP ms.  One line per trial on
 * stdout:
 *
 *     CLIENT id=PREFIX-I mono_us=T rt_us=T early=0|1
 *
 * T: CLOCK_MONOTONIC / CLOCK_REALTIME in microseconds, read just before
 * close().  early=1: the server answered (or closed) before we gave up.
 * bench/fastbackend logs, for the same id, when the proxy closed the upstream
 * connection ("CLOSE id=... mono_us=..."); the difference is the proxy's
 * client-abort detection latency.
 *
 * Usage: abortclient -p port [-a addr] [-n trials] [-w wait_ms] [-s slow_ms]
 *                    [-g gap_ms] [-i id_prefix]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long clock_us(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
    while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
        ;
}

static void usage(void)
{
    fprintf(stderr, "usage: abortclient -p port [-a addr] [-n trials] [-w wait_ms] [-s slow_ms] [-g gap_ms] "
                    "[-i id_prefix]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *addr = "127.0.0.1", *prefix = "t";
    int port = 0, n = 1, wait_ms = 100, slow_ms = 2000, gap_ms = 300, o;
    while ((o = getopt(argc, argv, "a:p:n:w:s:g:i:")) != -1) {
        switch (o) {
        case 'a': addr = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 'n': n = atoi(optarg); break;
        case 'w': wait_ms = atoi(optarg); break;
        case 's': slow_ms = atoi(optarg); break;
        case 'g': gap_ms = atoi(optarg); break;
        case 'i': prefix = optarg; break;
        default: usage();
        }
    }
    if (port <= 0 || port > 65535 || n < 1 || wait_ms < 0 || gap_ms < 0)
        usage();
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
        fprintf(stderr, "abortclient: bad address %s\n", addr);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    int failed = 0;
    for (int i = 1; i <= n; i++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof sin) < 0) {
            fprintf(stderr, "abortclient: connect: %s\n", strerror(errno));
            return 1;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        char req[256];
        int len = snprintf(req, sizeof req,
                           "GET /slow?ms=%d&id=%s-%d HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: abortclient\r\n\r\n",
                           slow_ms, prefix, i, port);
        if (write(fd, req, (size_t)len) != len) {
            fprintf(stderr, "abortclient: write: %s\n", strerror(errno));
            return 1;
        }
        sleep_ms(wait_ms);
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int early = poll(&pfd, 1, 0) > 0;   /* a response (or a close) before we gave up */
        if (early) {
            char buf[512];
            ssize_t r = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
            buf[r > 0 ? r : 0] = 0;
            char *eol = strpbrk(buf, "\r\n");
            if (eol)
                *eol = 0;
            fprintf(stderr, "abortclient: %s-%d: the server answered before the abort: %s\n", prefix, i,
                    r > 0 ? buf : r == 0 ? "(closed)" : strerror(errno));
            failed++;
        }
        long long t_mono = clock_us(CLOCK_MONOTONIC), t_rt = clock_us(CLOCK_REALTIME);
        close(fd);
        printf("CLIENT id=%s-%d mono_us=%lld rt_us=%lld early=%d\n", prefix, i, t_mono, t_rt, early);
        if (i < n || gap_ms)
            sleep_ms(gap_ms);
    }
    return failed ? 1 : 0;
}
