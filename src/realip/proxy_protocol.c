/* The PROXY protocol (`listen ... proxy_protocol`): a connection's first
 * bytes are a load balancer's header saying whose connection it is. It is
 * read before anything else — before the HTTP request, before TLS's
 * ClientHello — by a transport that stands in front of the address's own
 * (TCP or TLS) until the header is read, then hands the connection to it.
 * Under TLS the header is peeked until it is whole (a header split over
 * segments waits, within client_header_timeout), then consumed exactly, so
 * what follows is OpenSSL's; under plain TCP the bytes are read into the
 * connection's buffer once, header and request together. A connection whose first bytes are not
 * a valid header is closed at once with nothing sent: bad_proxy_protocol.
 * Once the header is read, the addressed hooks (deny_addr, bans) judge
 * its source address. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "core/errlog.h"
#include "realip/realip_internal.h"

typedef struct {
    hs_transport t;            /* first member: what io->t points at */
    const hs_transport *inner; /* the address's own transport, after the header */
} pp_transport;

static uint8_t peeked[HS_PROXY_MAX]; /* one per worker: judged and forgotten */

static hs_conn *conn_of(hs_io *io) { return (hs_conn *)((char *)io - offsetof(hs_conn, io)); }

/* Part of a header is there and no more may come: whether the client has
 * closed its side (a peeked FIN is not seen; no next edge comes). */
static bool peer_gone(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLRDHUP};
    return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* nginx's line: the bytes that are not a header, escaped. */
static void log_broken(hs_conn *c, const uint8_t *b, size_t n)
{
    char text[4 * 64 + 1];
    size_t k = 0;
    for (size_t i = 0; i < n && i < 64; i++)
        k += (size_t)snprintf(text + k, sizeof(text) - k, b[i] >= 0x20 && b[i] < 0x7f && b[i] != '"' && b[i] != '\\'
                                                              ? "%c" : "\\x%02X", b[i]);
    text[k] = '\0';
    hs_log(HS_LOG_ERR, "*%llu broken header: \"%s\" while reading PROXY protocol, client: %s, server: %s",
           (unsigned long long)c->number, text, hs_conn_peer_text(c), c->group->listen->text);
}

/* Not a valid header: closed at once, nothing sent (FIN: what came is read first). */
static int refuse(hs_conn *c, const uint8_t *b, size_t n)
{
    log_broken(c, b, n);
    c->io.state = NULL;
    hs_tcp_drain(c->io.fd);
    hs_conn_end(c, HS_END_BAD_PROXY_PROTOCOL);
    return HS_DONE;
}

static int wait_more(hs_conn *c)
{
    c->readable = false; /* the rest comes with the next EPOLLIN */
    c->io.want = HS_IO_WANT_READ;
    return HS_AGAIN;
}

/* The header is whole (and consumed): remembered, the address judged. */
static int header_done(hs_conn *c, rip_origin *o)
{
    c->io.state = NULL;
    o->done = true;
    memcpy(&o->socket, &c->peer, sizeof(o->socket));
    if (!o->h.has_addr)
        return HS_OK; /* LOCAL (a health check), UNKNOWN: the balancer's own connection */
    const rip_loc *rl = rip_loc_of(c->group->default_srv->loc);
    if (rl && rl->type == RIP_PROXY_PROTOCOL && hs_realip_trusted(rl, &c->peer.sa)) {
        memcpy(&c->peer, &o->h.src, sizeof(o->h.src)); /* the connection's client, for every rule and log */
        o->replaced = true;
    }
    return hs_http_conn_addressed(c, &o->h.src.sa);
}

/* Under plain TCP (HTTP/1.1 only) the bytes are read once, into the
 * connection's buffer (as HTTP/1.1 would read them): the header is parsed
 * there and the request that came with it stays for HTTP, one recv for
 * both. NULL: out of memory. */
static rip_origin *buffered_read(hs_conn *c, ssize_t *n)
{
    uint32_t cap = c->buf_cap ? c->buf_cap : (uint32_t)c->group->default_srv->client_header_buffer_size;
    if (c->buf_len == cap && cap < HS_PROXY_MAX) /* a long v2 header: room for all of it */
        cap = HS_PROXY_MAX;
    if (cap != c->buf_cap) {
        char *b = realloc(c->buf, cap);
        if (b == NULL)
            return NULL;
        c->buf = b;
        c->buf_cap = cap;
    }
    size_t room = cap - c->buf_len;
    *n = hs_io_recv(&c->io, c->buf + c->buf_len, room);
    if (*n > 0) {
        c->buf_len += (uint32_t)*n;
        c->bytes_in += (uint64_t)*n;
    }
    c->readable = *n == (ssize_t)room; /* a short read took all there was */
    rip_origin *o = c->origin ? c->origin : (c->origin = calloc(1, sizeof(rip_origin)));
    return o;
}

static int buffered_handshake(hs_io *io)
{
    hs_conn *c = conn_of(io);
    ssize_t n;
    rip_origin *o;
    int rc;
    do { /* again at once when the buffer filled up: more may wait in the socket */
        if ((o = buffered_read(c, &n)) == NULL)
            return HS_ERROR;
        if (n == HS_AGAIN)
            return wait_more(c);
        if (n <= 0 && c->buf_len == 0) { /* closed or reset before a byte: a bare connection */
            hs_conn_end(c, HS_END_NO_REQUEST);
            return HS_DONE;
        }
        io->state = o; /* a header begun: its timeout is bad_proxy_protocol */
        rc = hs_proxy_parse((const uint8_t *)c->buf, c->buf_len, &o->h);
    } while (rc == HS_AGAIN && n > 0 && c->buf_len == c->buf_cap && c->buf_cap < HS_PROXY_MAX);
    if (rc == HS_AGAIN && n > 0 && c->buf_len < HS_PROXY_MAX)
        return wait_more(c);
    if (rc != HS_OK)
        return refuse(c, (const uint8_t *)c->buf, c->buf_len);
    c->buf_pos = (uint32_t)o->h.len;
    if ((rc = header_done(c, o)) != HS_OK)
        return rc;
    io->t = &hs_transport_tcp; /* (c->readable: whether the socket may hold more) */
    return HS_OK;
}

static int pp_handshake(hs_io *io)
{
    hs_conn *c = conn_of(io);
    /* (h2c looks for its preface in the socket: an address that may speak
     * it leaves the bytes after the header there) */
    if (((const pp_transport *)io->t)->inner == &hs_transport_tcp && c->group->proto == NULL)
        return buffered_handshake(io);
    ssize_t n = recv(io->fd, peeked, sizeof(peeked), MSG_PEEK);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return wait_more(c);
    if (n <= 0) { /* closed or reset: before a byte a bare connection, else a broken header */
        if (io->state == NULL) {
            hs_conn_end(c, HS_END_NO_REQUEST);
            return HS_DONE;
        }
        return refuse(c, peeked, 0);
    }
    rip_origin *o = c->origin ? c->origin : (c->origin = calloc(1, sizeof(rip_origin)));
    if (o == NULL)
        return HS_ERROR;
    io->state = o; /* a header begun: its timeout is bad_proxy_protocol */
    int rc = hs_proxy_parse(peeked, (size_t)n, &o->h);
    if (rc == HS_AGAIN)
        return peer_gone(io->fd) ? refuse(c, peeked, (size_t)n) : wait_more(c);
    if (rc != HS_OK)
        return refuse(c, peeked, (size_t)n);
    ssize_t got = recv(io->fd, peeked, o->h.len, 0); /* exactly the header: the rest is TLS's */
    if (got != (ssize_t)o->h.len)
        return refuse(c, peeked, got > 0 ? (size_t)got : 0);
    if ((rc = header_done(c, o)) != HS_OK)
        return rc; /* dropped by an addressed hook */
    const hs_transport *inner = ((const pp_transport *)io->t)->inner;
    io->t = inner;
    return inner->handshake ? inner->handshake(io) : HS_OK;
}

static void pp_close(hs_io *io)
{
    if (io->state) /* a header begun (timed out): read, so that the close is a FIN */
        hs_tcp_drain(io->fd);
    io->state = NULL; /* c->origin: the core frees it with the connection */
    hs_transport_tcp.close(io);
}

static void pp_release(hs_io *io) { io->state = NULL; }

/* The address's transport becomes the PROXY reader, in front of its own. */
static int wrap(hs_cf *cf, hs_listen_group *g)
{
    pp_transport *pt = hs_pcalloc(cf->pool, sizeof(*pt));
    if (pt == NULL)
        return hs_cf_error(cf, NULL, "out of memory");
    pt->inner = g->transport ? g->transport : &hs_transport_tcp;
    pt->t = hs_transport_tcp;
    pt->t.name = "proxy_protocol";
    pt->t.secure = pt->inner->secure;
    pt->t.handshake = pp_handshake;
    pt->t.handshake_timeout = HS_END_BAD_PROXY_PROTOCOL;
    pt->t.close = pp_close;
    pt->t.release = pp_release;
    pt->t.pending = NULL;
    pt->t.alpn = NULL;
    g->transport = &pt->t;
    return HS_OK;
}

int hs_realip_proxy_protocol_setup(hs_cf *cf, hs_http_conf *http)
{
    for (size_t i = 0; i < http->ngroups; i++)
        if (http->groups[i].proxy_protocol && wrap(cf, &http->groups[i]) != HS_OK)
            return HS_ERROR;
    return HS_OK;
}
