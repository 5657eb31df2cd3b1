/* The TLS transport: the handshake (the ClientHello phase, then OpenSSL's
 * non-blocking handshake) and reading and writing through the SSL object,
 * with OpenSSL's "want read / want write" passed up as io->want. */
#include <errno.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "stats/counters.h"
#include "tls/tls_internal.h"

#define SENDFILE_CHUNK 16384 /* one TLS record of file data per write */

hs_conn *hs_tls_conn_of_io(hs_io *io) { return (hs_conn *)((char *)io - offsetof(hs_conn, io)); }

hs_tls_conn *hs_tls_state(const hs_conn *c) { return c->io.t == &hs_transport_tls ? c->io.state : NULL; }

/* An OpenSSL call returned r <= 0: HS_AGAIN (io->want set), 0 for a clean
 * end of stream, or HS_ERROR. */
static ssize_t ssl_result(hs_io *io, SSL *ssl, int r)
{
    switch (SSL_get_error(ssl, r)) {
    case SSL_ERROR_WANT_READ:
        io->want = HS_IO_WANT_READ;
        return HS_AGAIN;
    case SSL_ERROR_WANT_WRITE:
        io->want = HS_IO_WANT_WRITE;
        return HS_AGAIN;
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    case SSL_ERROR_SYSCALL:
        ERR_clear_error();
        return errno == 0 ? 0 : HS_ERROR; /* EOF without close_notify: an end all the same */
    default:
        ERR_clear_error();
        return HS_ERROR;
    }
}

/* ---- the handshake ---- */

/* The state lives from the connection's first byte (hello.c sets
 * start_usec then) to its close: a connection whose client never sent a
 * byte has none, and its timeout is a bare connection's (no_request). */
static hs_tls_conn *state_new(hs_io *io)
{
    hs_tls_conn *t = calloc(1, sizeof(*t));
    io->state = t;
    return t;
}

static void state_free(hs_io *io)
{
    hs_tls_conn *t = io->state;
    if (t == NULL)
        return;
    /* Closed without a close_notify exchange, the session stays resumable
     * (TLS 1.1 and later allow it; nginx does the same): otherwise SSL_free
     * takes it out of the session cache. A fatal alert already did. */
    if (t->ssl)
        SSL_set_shutdown(t->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_free(t->ssl);
    free(t->sni);
    free(t->alpn);
    free(t->ja4_raw);
    free(t);
    io->state = NULL;
}

static int start_ssl(hs_io *io, hs_tls_conn *t)
{
    t->ssl = SSL_new(hs_tls_srv_of(t->srv->loc)->ctx);
    if (t->ssl == NULL || SSL_set_fd(t->ssl, io->fd) != 1)
        return HS_ERROR;
    SSL_set_accept_state(t->ssl);
    SSL_set_app_data(t->ssl, io); /* select_alpn asks whether the address speaks HTTP/2 */
    SSL_set_num_tickets(t->ssl, 0); /* TLS 1.3: none after the handshake; tls_request_started */
    return HS_OK;
}

/* TLS 1.3 session tickets go out with the answer to the client's first
 * request rather than right after the handshake: a client that never asks
 * (a scanner, a flood of reset streams) costs no ticket (encoding the
 * session, encrypting it: ~7 % of a handshake). */
static void tls_request_started(hs_io *io)
{
    hs_tls_conn *t = io->state;
    if (t == NULL || t->ssl == NULL || t->tickets_asked)
        return;
    t->tickets_asked = true;
    /* TLS 1.2 sent its ticket in the handshake */
    t->tickets_due = SSL_is_init_finished(t->ssl) && SSL_version(t->ssl) == TLS1_3_VERSION;
}

/* Right before a write (SSL_new_session_ticket puts the connection back in
 * its handshake until the tickets are written, which SSL_write does first):
 * as many as the server's SSL_CTX says (OpenSSL's 2, or ssl_conf_command
 * NumTickets), one after a resumption, as OpenSSL would have sent them. */
static void issue_tickets(hs_tls_conn *t)
{
    t->tickets_due = false;
    size_t n = SSL_CTX_get_num_tickets(SSL_get_SSL_CTX(t->ssl));
    if (SSL_session_reused(t->ssl) && n > 1)
        n = 1;
    for (size_t i = 0; i < n; i++)
        SSL_new_session_ticket(t->ssl);
}

static hs_str tls_alpn(hs_io *io)
{
    hs_tls_conn *t = io->state;
    const unsigned char *p = NULL;
    unsigned n = 0;
    if (t && t->ssl)
        SSL_get0_alpn_selected(t->ssl, &p, &n);
    return p ? (hs_str){(const char *)p, n} : HS_NULL_STR;
}

static hs_str tls_server_name(hs_io *io)
{
    hs_tls_conn *t = io->state;
    return t && t->sni ? hs_cstr(t->sni) : HS_NULL_STR;
}

/* Why SSL_do_handshake failed with SSL_get_error() err: OpenSSL's reason
 * (read before anything clears the error queue), the socket's error, or
 * the client's leaving. */
static const char *handshake_error(int err)
{
    unsigned long e = ERR_peek_last_error();
    const char *why = e ? ERR_reason_error_string(e) : NULL;
    if (why == NULL && err == SSL_ERROR_SYSCALL && errno != 0)
        why = strerror(errno);
    ERR_clear_error();
    return why ? why : "connection closed during the handshake";
}

static int tls_handshake(hs_io *io)
{
    hs_tls_conn *t = io->state ? io->state : state_new(io);
    if (t == NULL)
        return HS_ERROR;
    if (!t->hello_seen) {
        int rc = hs_tls_hello_phase(hs_tls_conn_of_io(io), t);
        if (rc == HS_DECLINED) { /* plain HTTP on the TLS port: TCP from here on */
            state_free(io);
            io->t = &hs_transport_tcp;
        }
        if (rc == HS_AGAIN && t->start_usec == 0)
            state_free(io); /* no byte yet */
        if (rc == HS_ERROR)
            hs_stats_tls_handshake(HS_TLS_FAILED, 0);
        if (rc != HS_OK)
            return rc;
        if (start_ssl(io, t) != HS_OK)
            return HS_ERROR;
    }
    ERR_clear_error();
    int r = SSL_do_handshake(t->ssl);
    if (r == 1) {
        t->established = true;
        hs_stats_tls_handshake(SSL_session_reused(t->ssl) ? HS_TLS_RESUMED : HS_TLS_OK,
                               hs_now.mono_usec - t->start_usec);
        return HS_OK;
    }
    int err = SSL_get_error(t->ssl, r);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        io->want = err == SSL_ERROR_WANT_READ ? HS_IO_WANT_READ : HS_IO_WANT_WRITE;
        return HS_AGAIN;
    }
    t->error = handshake_error(err);
    hs_stats_tls_handshake(HS_TLS_FAILED, 0);
    return HS_ERROR;
}

/* ---- bytes ---- */

/* SSL_read returns one record at a time, and the records after it may
 * already be off the socket's edge (EPOLLET): reading goes on until the
 * buffer is full or OpenSSL reads the socket dry (want read), so that a
 * short count means what it means for TCP, as nginx's ngx_ssl_recv does.
 * An end or an error met after some bytes is kept for the next call, and
 * tls_pending says there is more: its edge has been used up already. */
static ssize_t tls_recv(hs_io *io, void *buf, size_t n)
{
    hs_tls_conn *t = io->state;
    if (t->read_end)
        return t->read_end == 1 ? 0 : HS_ERROR;
    size_t got = 0;
    while (got < n) {
        size_t want = n - got;
        ERR_clear_error();
        int r = SSL_read(t->ssl, (char *)buf + got, want > INT32_MAX ? INT32_MAX : (int)want);
        if (r <= 0) {
            ssize_t rc = ssl_result(io, t->ssl, r);
            if (got && rc != HS_AGAIN)
                t->read_end = rc == 0 ? 1 : 2;
            return got ? (ssize_t)got : rc;
        }
        got += (size_t)r;
    }
    return (ssize_t)got;
}

static ssize_t ssl_write(hs_io *io, const void *p, size_t n)
{
    hs_tls_conn *t = io->state;
    if (t->tickets_due)
        issue_tickets(t);
    ERR_clear_error();
    int r = SSL_write(t->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
    if (r > 0)
        return r;
    ssize_t rc = ssl_result(io, t->ssl, r);
    return rc == 0 ? HS_ERROR : rc;
}

/* Small pieces are joined into one record (a head and a small body go out
 * as one); larger ones are written one after the other. */
static ssize_t tls_writev(hs_io *io, const struct iovec *iov, int iovcnt)
{
    char joined[16384];
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++)
        total += iov[i].iov_len;
    if (iovcnt > 1 && total <= sizeof(joined)) {
        size_t off = 0;
        for (int i = 0; i < iovcnt; i++) {
            memcpy(joined + off, iov[i].iov_base, iov[i].iov_len);
            off += iov[i].iov_len;
        }
        return ssl_write(io, joined, total);
    }
    ssize_t done = 0;
    for (int i = 0; i < iovcnt; i++) {
        ssize_t w = ssl_write(io, iov[i].iov_base, iov[i].iov_len);
        if (w < 0)
            return done ? done : w;
        done += w;
        if ((size_t)w < iov[i].iov_len)
            break;
    }
    return done;
}

/* No kernel TLS: file bytes are read and written through OpenSSL. A retry
 * after "want write" reads the same bytes again (the offset only moves
 * with what was written). */
static ssize_t tls_sendfile(hs_io *io, int fd, off_t *off, size_t n)
{
    char buf[SENDFILE_CHUNK];
    ssize_t got = pread(fd, buf, n < sizeof(buf) ? n : sizeof(buf), *off);
    if (got <= 0)
        return HS_ERROR; /* the file shrank under us */
    ssize_t w = ssl_write(io, buf, (size_t)got);
    if (w > 0)
        *off += w;
    return w;
}

/* Bytes OpenSSL holds (decrypted, or read ahead and not yet decrypted), or
 * an end recv kept: no EPOLLIN will announce them. */
static bool tls_pending(hs_io *io)
{
    hs_tls_conn *t = io->state;
    return t && t->ssl && (t->read_end || SSL_has_pending(t->ssl));
}

/* close_notify, once; the peer's answer is not waited for. */
static void send_close_notify(hs_tls_conn *t)
{
    if (t && t->ssl && SSL_is_init_finished(t->ssl) && !(SSL_get_shutdown(t->ssl) & SSL_SENT_SHUTDOWN)) {
        ERR_clear_error();
        SSL_shutdown(t->ssl);
        ERR_clear_error();
    }
}

static void tls_shutdown(hs_io *io)
{
    send_close_notify(io->state);
    shutdown(io->fd, SHUT_WR);
}

/* A connection that ends in order says so with close_notify (as nginx):
 * without it a client reading a response to the end of the stream cannot
 * tell the end from a truncation. A drop sends nothing, and neither does a
 * connection that failed or timed out. */
static void tls_close(hs_io *io)
{
    hs_conn *c = hs_tls_conn_of_io(io);
    if (c->ending == HS_END_TLS_TIMEOUT)
        hs_stats_tls_handshake(HS_TLS_TIMEOUT, 0);
    if (c->ending == HS_END_OK || c->ending == HS_END_KEEPALIVE_CLOSE || c->ending == HS_END_BAD_REQUEST ||
        c->ending == HS_END_SHUTDOWN)
        send_close_notify(io->state);
    state_free(io);
    close(io->fd);
    io->fd = -1;
}

const hs_transport hs_transport_tls = {
    .name = "tls",
    .secure = true,
    .handshake = tls_handshake,
    .handshake_timeout = HS_END_TLS_TIMEOUT,
    .recv = tls_recv,
    .writev = tls_writev,
    .sendfile = tls_sendfile,
    .pending = tls_pending,
    .shutdown = tls_shutdown,
    .close = tls_close,
    .release = state_free,
    .alpn = tls_alpn,
    .server_name = tls_server_name,
    .request_started = tls_request_started,
};
