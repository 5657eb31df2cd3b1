/* Plain TCP: the transport of every connection without TLS, and the
 * socket-level tools the drop modes use. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "transport/transport.h"

#ifndef TCP_REPAIR
#define TCP_REPAIR 19
#endif

/* A call that failed: interrupted (try again: HS_DONE), would block
 * (HS_AGAIN, waiting for want) or broken (HS_ERROR). */
static ssize_t failed(hs_io *io, uint8_t want)
{
    if (errno == EINTR)
        return HS_DONE;
    if (errno == EAGAIN) {
        io->want = want;
        return HS_AGAIN;
    }
    return HS_ERROR;
}

static ssize_t tcp_recv(hs_io *io, void *buf, size_t n)
{
    for (;;) {
        ssize_t got = recv(io->fd, buf, n, 0);
        ssize_t rc = got >= 0 ? got : failed(io, HS_IO_WANT_READ);
        if (rc != HS_DONE)
            return rc;
    }
}

static ssize_t tcp_writev(hs_io *io, const struct iovec *iov, int iovcnt)
{
    for (;;) {
        /* one buffer: send(), a shorter path in the kernel than writev() */
        ssize_t w = iovcnt == 1 ? send(io->fd, iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL)
                                : writev(io->fd, iov, iovcnt); /* SIGPIPE is ignored by hush */
        ssize_t rc = w >= 0 ? w : failed(io, HS_IO_WANT_WRITE);
        if (rc != HS_DONE)
            return rc;
    }
}

static ssize_t tcp_sendfile(hs_io *io, int fd, off_t *off, size_t n)
{
    for (;;) {
        ssize_t w = sendfile(io->fd, fd, off, n);
        if (w == 0)
            return HS_ERROR; /* the file shrank under us */
        ssize_t rc = w > 0 ? w : failed(io, HS_IO_WANT_WRITE);
        if (rc != HS_DONE)
            return rc;
    }
}

static void tcp_shutdown(hs_io *io) { shutdown(io->fd, SHUT_WR); }

static void tcp_close(hs_io *io)
{
    close(io->fd); /* also removes it from epoll */
    io->fd = -1;
}

const hs_transport hs_transport_tcp = {
    .name = "tcp",
    .secure = false,
    .recv = tcp_recv,
    .writev = tcp_writev,
    .sendfile = tcp_sendfile,
    .shutdown = tcp_shutdown,
    .close = tcp_close,
};

/* ---- drop tools ---- */

#define DRAIN_MAX (64 * 1024) /* one recv's worth; at most four */

void hs_tcp_drain(int fd)
{
    /* MSG_TRUNC on TCP discards the bytes in the kernel, without a copy (tcp(7)) */
    for (int i = 0; i < 4; i++) {
        ssize_t n = recv(fd, NULL, DRAIN_MAX, MSG_DONTWAIT | MSG_TRUNC);
        if (n < DRAIN_MAX)
            return; /* a short read took all there was: spare the EAGAIN */
    }
}

void hs_tcp_set_reset(int fd)
{
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

static int silent_works = -1; /* -1 unknown, 0 no (fall back to reset), 1 yes */

bool hs_tcp_silent_works(void)
{
    if (silent_works < 0) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        silent_works = fd >= 0 && setsockopt(fd, SOL_TCP, TCP_REPAIR, &one, sizeof(one)) == 0;
        if (fd >= 0)
            close(fd);
    }
    return silent_works;
}

bool hs_tcp_set_silent(int fd)
{
    int one = 1;
    return hs_tcp_silent_works() && setsockopt(fd, SOL_TCP, TCP_REPAIR, &one, sizeof(one)) == 0;
}
