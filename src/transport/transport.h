/* The transport seam: every byte to and from a client goes through one of
 * these interfaces. Plain TCP (tcp.c) is the first; TLS is the second. The
 * HTTP code above never calls recv, send, writev or sendfile on a client
 * socket itself, so it does not care which one a connection has.
 *
 * Results: a count of bytes (> 0), 0 for end of stream (recv only),
 * HS_AGAIN when the call would block — io->want then says whether the
 * transport waits to read or to write (TLS may need to write to read) —
 * or HS_ERROR when the connection is broken. */
#ifndef HS_TRANSPORT_TRANSPORT_H
#define HS_TRANSPORT_TRANSPORT_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "core/str.h"

typedef struct hs_io hs_io;

enum { HS_IO_WANT_READ = 1, HS_IO_WANT_WRITE = 2 };

typedef struct hs_transport {
    const char *name;                                           /* "tcp", "tls" */
    bool secure;                                                /* $scheme https */
    /* Completes the transport's own opening before any application byte
     * (TLS: the ClientHello rules and the handshake); NULL when there is
     * none. HS_OK: established; HS_AGAIN: call again when io->want is
     * ready; HS_DONE: the transport ended the connection itself (rejected,
     * dropped, failed: its ending is recorded and it is closed);
     * HS_DECLINED: not this protocol at all — io->t is now plain TCP and
     * the bytes are left for HTTP (plain HTTP sent to a TLS port). */
    int (*handshake)(hs_io *io);
    /* The ending (an hs_ending, http/http.h) of a connection whose handshake
     * began (io->state set) and did not finish within client_header_timeout. */
    uint8_t handshake_timeout;
    ssize_t (*recv)(hs_io *io, void *buf, size_t n);
    ssize_t (*writev)(hs_io *io, const struct iovec *iov, int iovcnt);
    /* Sends up to n bytes of file fd from *off, advancing *off. */
    ssize_t (*sendfile)(hs_io *io, int fd, off_t *off, size_t n);
    /* Bytes the transport already holds for recv (TLS: decrypted data no
     * EPOLLIN will announce); NULL: never. */
    bool (*pending)(hs_io *io);
    /* Ends our direction of the stream gracefully (after the last response). */
    void (*shutdown)(hs_io *io);
    /* Releases the transport's state and closes the socket. After a drop
     * nothing more is sent (no TLS close_notify). */
    void (*close)(hs_io *io);
    /* Releases the transport's state and leaves the socket open, with
     * nothing more sent (a dropped connection's socket goes to the tarpit);
     * NULL: there is no state. */
    void (*release)(hs_io *io);
    /* The application protocol ALPN chose ("h2"), empty when none was;
     * NULL: the transport has no ALPN (plain TCP). */
    hs_str (*alpn)(hs_io *io);
    /* The server name the client asked for (TLS SNI), empty when none;
     * NULL: the transport has none (plain TCP). */
    hs_str (*server_name)(hs_io *io);
    /* A request arrived and will be processed (TLS 1.3: the session tickets
     * go out with the next write; a client that never asks gets none).
     * NULL: nothing to do. */
    void (*request_started)(hs_io *io);
} hs_transport;

/* A client connection's end of the transport. */
struct hs_io {
    const hs_transport *t; /* how bytes move */
    void *state;           /* the transport's per-connection state (TLS); NULL for TCP */
    int fd;                /* the socket */
    uint8_t want;          /* after HS_AGAIN: HS_IO_WANT_READ or HS_IO_WANT_WRITE */
};

static inline ssize_t hs_io_recv(hs_io *io, void *buf, size_t n) { return io->t->recv(io, buf, n); }
static inline ssize_t hs_io_writev(hs_io *io, const struct iovec *iov, int n) { return io->t->writev(io, iov, n); }
static inline ssize_t hs_io_sendfile(hs_io *io, int fd, off_t *off, size_t n)
{
    return io->t->sendfile(io, fd, off, n);
}
static inline void hs_io_shutdown(hs_io *io) { io->t->shutdown(io); }
static inline void hs_io_close(hs_io *io) { io->t->close(io); }
static inline void hs_io_request_started(hs_io *io)
{
    if (io->t->request_started)
        io->t->request_started(io);
}

/* ---- plain TCP (tcp.c) ---- */
extern const hs_transport hs_transport_tcp;

/* TCP-level tools for ending a connection the way a drop mode says
 * (docs/design.md §2). They act on the socket under any transport: a dropped
 * connection gets no further byte of any protocol. */
/* Reads and forgets what the client already sent, so that close() sends
 * FIN, not RST (Linux resets a socket closed with unread data). */
void hs_tcp_drain(int fd);
/* The next close() sends RST and leaves no TIME_WAIT. */
void hs_tcp_set_reset(int fd);
/* The kernel forgets the connection on close, without FIN or RST
 * (TCP_REPAIR, needs CAP_NET_ADMIN); false when that is not possible. */
bool hs_tcp_set_silent(int fd);
/* Whether silent drops work here; checks once and remembers. */
bool hs_tcp_silent_works(void);

#endif
