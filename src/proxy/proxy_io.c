/* The upstream connection's bytes in one place: the rest of the proxy
 * sends, receives and closes through hs_up_send, hs_up_recv and
 * hs_up_close, and never reads or writes the socket itself (a TLS
 * connection to the upstream plugs in here). */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proxy/proxy_internal.h"

ssize_t hs_up_send(hs_upconn *u, const char *buf, size_t n)
{
    for (;;) {
        ssize_t w = send(u->fd, buf, n, MSG_NOSIGNAL);
        if (w >= 0)
            return w;
        if (errno != EINTR)
            return errno == EAGAIN ? HS_AGAIN : HS_ERROR;
    }
}

ssize_t hs_up_recv(hs_upconn *u, char *buf, size_t n)
{
    for (;;) {
        ssize_t got = recv(u->fd, buf, n, 0);
        if (got >= 0)
            return got;
        if (errno != EINTR)
            return errno == EAGAIN ? HS_AGAIN : HS_ERROR;
    }
}

void hs_up_close(hs_upconn *u)
{
    if (u->fd >= 0)
        close(u->fd);
    u->fd = -1;
}
