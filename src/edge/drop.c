#include "edge/drop.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/errlog.h"
#include "http/request_internal.h"
#include "stats/counters.h"

#ifndef TCP_REPAIR
#define TCP_REPAIR 19
#endif

#define TARPIT_MAX_DEFAULT 1024

static int silent_works = -1; /* -1 unknown, 0 no (fall back to reset), 1 yes */
static int tarpitted;         /* connections held now */

void hs_drop_probe_silent(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    silent_works = fd >= 0 && setsockopt(fd, SOL_TCP, TCP_REPAIR, &one, sizeof(one)) == 0;
    if (fd >= 0)
        close(fd);
    if (!silent_works)
        hs_log(HS_LOG_WARN, "drop_mode silent needs CAP_NET_ADMIN (TCP_REPAIR); "
                            "silent drops fall back to reset");
}

/* Reads and forgets what the client already sent, so close() sends FIN and
 * not RST (Linux resets when unread data is discarded). */
static void drain(int fd)
{
    char tmp[4096];
    for (int i = 0; i < 16; i++) {
        ssize_t n = recv(fd, tmp, sizeof(tmp), MSG_DONTWAIT);
        if (n <= 0)
            return;
    }
}

static void set_reset(int fd)
{
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

static bool set_silent(int fd)
{
    if (silent_works == -1)
        hs_drop_probe_silent();
    int one = 1;
    return silent_works && setsockopt(fd, SOL_TCP, TCP_REPAIR, &one, sizeof(one)) == 0;
}

void hs_drop_fd(int fd, int mode)
{
    switch (mode) {
    case HS_DROP_RESET:
    case HS_DROP_TARPIT: /* without a connection object there is nothing to hold */
        set_reset(fd);
        break;
    case HS_DROP_SILENT:
        if (!set_silent(fd))
            set_reset(fd);
        break;
    default:
        drain(fd);
        break;
    }
    close(fd);
}

void hs_drop_conn(hs_conn *c, int mode, int64_t tarpit_msec)
{
    if (mode == HS_DROP_TARPIT && tarpitted < TARPIT_MAX_DEFAULT) {
        tarpitted++;
        c->state = HS_CONN_TARPIT;
        hs_conn_buf_release(c);
        hs_timer_set(&c->timer, (uint64_t)tarpit_msec);
        return;
    }
    if (mode == HS_DROP_TARPIT)
        mode = HS_DROP_RESET;
    switch (mode) {
    case HS_DROP_RESET:
        set_reset(c->fd);
        break;
    case HS_DROP_SILENT:
        if (!set_silent(c->fd))
            set_reset(c->fd);
        break;
    default:
        drain(c->fd);
        break;
    }
    hs_conn_close(c);
}

void hs_drop_tarpit_expired(hs_conn *c)
{
    tarpitted--;
    set_reset(c->fd);
    hs_conn_close(c);
}

/* A tarpitted connection that the client closed itself. */
void hs_drop_tarpit_gone(hs_conn *c)
{
    tarpitted--;
    hs_conn_close(c);
}
