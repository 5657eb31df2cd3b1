/* Listening sockets handed from one generation to the next: on a reload the
 * master offers the current sockets (dup'ed), on a binary upgrade the new
 * master offers those named in $HUSH. A new socket of the same address takes
 * an offered one instead of binding anew, so the socket and the connections
 * in its queue live on while the old workers close their copies: nothing
 * waiting in a queue is reset (an SO_REUSEPORT socket's queue is lost when
 * its last copy closes). */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <stdbool.h>
#include <unistd.h>

#include "handover.h"

static int *offered;
static size_t noffered;

void hs_handover_offer(const int *fds, size_t n)
{
    int *v = realloc(offered, (noffered + n) * sizeof(int));
    if (v == NULL)
        return;
    offered = v;
    for (size_t i = 0; i < n; i++)
        offered[noffered++] = fds[i];
}

void hs_handover_end(void)
{
    for (size_t i = 0; i < noffered; i++)
        if (offered[i] >= 0)
            close(offered[i]);
    free(offered);
    offered = NULL;
    noffered = 0;
}

static bool same_address(int fd, const hs_listen_conf *lc)
{
    struct sockaddr_storage a;
    socklen_t len = sizeof(a);
    if (getsockname(fd, (struct sockaddr *)&a, &len) != 0 || a.ss_family != lc->addr.ss_family)
        return false;
    if (a.ss_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)&a, *y = (const void *)&lc->addr;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a.ss_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const void *)&a, *y = (const void *)&lc->addr;
        return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
    }
    if (a.ss_family == AF_UNIX) /* the same path */
        return len == lc->addrlen && memcmp(&a, &lc->addr, len) == 0;
    return false;
}

int hs_handover_take(const hs_listen_conf *lc, bool take)
{
    for (size_t i = 0; i < noffered; i++) {
        int fd = offered[i];
        if (fd < 0 || !same_address(fd, lc))
            continue;
        if (!take)
            return fd;
        offered[i] = -1;
        int defer = lc->not_deferred ? 0 : 1; /* the new configuration's choice */
        setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof(defer));
        return fd;
    }
    return -1;
}
