/* The upstream connection's bytes, plain or TLS (proxy_pass https://), in
 * one place: the rest of the proxy sends, receives and closes through
 * hs_up_send, hs_up_recv and hs_up_close and never sees OpenSSL. The TLS
 * handshake is here too: the name (proxy_ssl_name), SNI
 * (proxy_ssl_server_name), the saved session (proxy_ssl_session_reuse), and
 * the verification of the upstream's certificate as nginx does it — after
 * the handshake, with nginx's messages. */
#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/errlog.h"
#include "proxy/proxy_internal.h"

/* ---- errors ---- */

const char *hs_proxy_ssl_errors(char *buf, size_t cap)
{
    size_t len = 0;
    unsigned long e;
    buf[0] = '\0';
    while ((e = ERR_get_error()) != 0) {
        if (len && len + 1 < cap)
            buf[len++] = ' ';
        if (len + 1 < cap) {
            ERR_error_string_n(e, buf + len, cap - len);
            len += strlen(buf + len);
        }
    }
    return len ? buf : "unknown error";
}

/* Logs an OpenSSL failure of u (call: "SSL_read()") with the reason from
 * its error queue, and leaves errno for the caller's own message (a failed
 * system call is that message alone: errno says it all). */
static void ssl_log(hs_upconn *u, int err, const char *call, const char *action)
{
    char reason[512], msg[800];
    int sys = errno;
    if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && sys) {
        errno = sys;
        return;
    }
    snprintf(msg, sizeof(msg), "%s failed (SSL: %s) while %s", call, hs_proxy_ssl_errors(reason, sizeof(reason)),
             action);
    if (u->r)
        hs_proxy_log_msg(u->r, msg);
    errno = EPROTO;
}

/* What a failed SSL_read / SSL_write / SSL_do_handshake means here. */
static ssize_t ssl_result(hs_upconn *u, int rc, const char *call, const char *action)
{
    int err = SSL_get_error(u->ssl, rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
        return HS_AGAIN;
    if (err == SSL_ERROR_ZERO_RETURN) {
        /* the upstream's close_notify (or, as nginx takes it, its FIN) */
        ERR_clear_error();
        errno = EPIPE;
        return 0;
    }
    u->ssl_failed = true;
    ssl_log(u, err, call, action);
    return HS_ERROR;
}

/* ---- bytes ---- */

/* $upstream_bytes_sent / _received: what the request's current try moved. */
static ssize_t counted(hs_upconn *u, ssize_t n, bool in)
{
    if (n > 0 && u->r && PX(u->r)) {
        px_try *t = cur_try(PX(u->r));
        *(in ? &t->bytes_in : &t->bytes_out) += (uint64_t)n;
    }
    return n;
}

ssize_t hs_up_send(hs_upconn *u, const char *buf, size_t n)
{
    if (u->ssl) {
        ERR_clear_error();
        int w = SSL_write(u->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n);
        if (w > 0)
            return counted(u, w, false);
        ssize_t rc = ssl_result(u, w, "SSL_write()", "sending request to upstream");
        return rc == 0 ? HS_ERROR : rc;
    }
    for (;;) {
        ssize_t w = send(u->fd, buf, n, MSG_NOSIGNAL);
        if (w >= 0)
            return counted(u, w, false);
        if (errno != EINTR)
            return errno == EAGAIN ? HS_AGAIN : HS_ERROR;
    }
}

ssize_t hs_up_recv(hs_upconn *u, char *buf, size_t n)
{
    if (u->ssl) {
        ERR_clear_error();
        int got = SSL_read(u->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n);
        if (got > 0)
            return counted(u, got, true);
        return ssl_result(u, got, "SSL_read()", "reading from upstream");
    }
    for (;;) {
        ssize_t got = recv(u->fd, buf, n, 0);
        if (got >= 0)
            return counted(u, got, true);
        if (errno != EINTR)
            return errno == EAGAIN ? HS_AGAIN : HS_ERROR;
    }
}

void hs_up_close(hs_upconn *u)
{
    if (u->ssl) {
        ERR_clear_error();
        /* one try at close_notify, without waiting for the upstream's */
        if (!u->ssl_failed && SSL_is_init_finished(u->ssl))
            SSL_shutdown(u->ssl);
        SSL_free(u->ssl);
        ERR_clear_error();
        u->ssl = NULL;
    }
    free(u->ssl_name);
    u->ssl_name = NULL;
    if (u->fd >= 0)
        close(u->fd);
    u->fd = -1;
}

/* ---- the name ---- */

/* "host:port" -> "host", "[v6]:port" -> "[v6]", in place (as nginx does
 * with a name that came from $proxy_host or $http_host). */
static void strip_port(char *name)
{
    char *p = name[0] == '[' ? strchr(name, ']') : name;
    p = strchr(p ? p : name, ':');
    if (p)
        *p = '\0';
}

const char *hs_up_ssl_name(hs_req *r)
{
    hs_proxy_conf *pc = PX(r)->pc;
    if (pc->vars && !pc->ssl.has_name) {
        /* proxy_pass with variables: the URL's host of this request */
        char *h = hs_pstrndup(r->pool, PX(r)->proxy_host.p, PX(r)->proxy_host.n);
        if (h)
            strip_port(h);
        return h;
    }
    if (!pc->ssl.has_name || pc->ssl.name.literal)
        return pc->ssl_host.p;
    hs_str v;
    if (hs_cv_eval(&pc->ssl.name, r, r->pool, &v) != HS_OK)
        return NULL;
    strip_port((char *)v.p);
    return v.p;
}

/* An IP literal ("192.0.2.1", "[2001:db8::1]", "2001:db8::1") into out
 * without brackets; false for a host name. */
static bool ip_literal(const char *name, char *out, size_t cap)
{
    unsigned char bin[16];
    size_t n = strlen(name);
    if (name[0] == '[' && n > 2 && name[n - 1] == ']') {
        name++;
        n -= 2;
    }
    if (n >= cap)
        return false;
    memcpy(out, name, n);
    out[n] = '\0';
    return inet_pton(AF_INET, out, bin) == 1 || inet_pton(AF_INET6, out, bin) == 1;
}

/* ---- the handshake ---- */

int hs_up_ssl_start(hs_upconn *u, hs_req *r, const char *name)
{
    hs_proxy_conf *pc = PX(r)->pc;
    char ip[64];
    ERR_clear_error();
    u->ssl = SSL_new(pc->ssl_ctx);
    u->ssl_ctx = pc->ssl_ctx;
    u->ssl_name = strdup(name ? name : "");
    if (u->ssl == NULL || u->ssl_name == NULL || SSL_set_fd(u->ssl, u->fd) != 1) {
        u->ssl_failed = true;
        ssl_log(u, SSL_ERROR_SSL, "SSL_new()", "SSL handshaking to upstream");
        return HS_ERROR;
    }
    SSL_set_app_data(u->ssl, u);
    SSL_set_connect_state(u->ssl);
    /* RFC 6066: no literal addresses in SNI */
    if (pc->ssl.server_name && u->ssl_name[0] && !ip_literal(u->ssl_name, ip, sizeof(ip)) &&
        SSL_set_tlsext_host_name(u->ssl, u->ssl_name) != 1) {
        u->ssl_failed = true;
        ssl_log(u, SSL_ERROR_SSL, "SSL_set_tlsext_host_name()", "SSL handshaking to upstream");
        return HS_ERROR;
    }
    hs_upstream_server *s = u->server;
    if (pc->ssl.session_reuse && s->ssl_session && s->ssl_session_ctx == pc->ssl_ctx)
        SSL_set_session(u->ssl, s->ssl_session);
    return HS_OK;
}

static bool name_matches(X509 *cert, const char *name)
{
    char ip[64];
    if (cert == NULL || name[0] == '\0')
        return false;
    if (ip_literal(name, ip, sizeof(ip)))
        return X509_check_ip_asc(cert, ip, 0) == 1;
    return X509_check_host(cert, name, strlen(name), 0, NULL) == 1;
}

/* proxy_ssl_verify on: the chain (checked by OpenSSL during the handshake,
 * judged here as nginx does) and the name. */
static int verify_upstream(hs_upconn *u, hs_req *r)
{
    char msg[512];
    long rc = SSL_get_verify_result(u->ssl);
    if (rc != X509_V_OK) {
        snprintf(msg, sizeof(msg), "upstream SSL certificate verify error: (%ld:%s) while SSL handshaking to upstream",
                 rc, X509_verify_cert_error_string(rc));
        hs_proxy_log_msg(r, msg);
        return HS_ERROR;
    }
    if (!name_matches(SSL_get0_peer_certificate(u->ssl), u->ssl_name)) {
        snprintf(msg, sizeof(msg), "upstream SSL certificate does not match \"%s\" while SSL handshaking to upstream",
                 u->ssl_name);
        hs_proxy_log_msg(r, msg);
        return HS_ERROR;
    }
    return HS_OK;
}

int hs_up_handshake(hs_upconn *u, hs_req *r)
{
    ERR_clear_error();
    errno = 0;
    int rc = SSL_do_handshake(u->ssl);
    if (rc != 1) {
        int err = SSL_get_error(u->ssl, rc);
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
            return HS_AGAIN;
        u->ssl_failed = true;
        bool queued = ERR_peek_error() != 0;
        int sys = errno;
        if ((err == SSL_ERROR_ZERO_RETURN || err == SSL_ERROR_SYSCALL) && !queued && sys == 0)
            hs_proxy_log_msg(r, "peer closed connection in SSL handshake while SSL handshaking to upstream");
        else if (err == SSL_ERROR_SYSCALL && !queued)
            hs_proxy_log_error(r, sys, "SSL_do_handshake() failed while SSL handshaking to upstream");
        else
            ssl_log(u, err, "SSL_do_handshake()", "SSL handshaking to upstream");
        ERR_clear_error();
        return HS_ERROR;
    }
    if (PX(r)->pc->ssl.verify && verify_upstream(u, r) != HS_OK) {
        u->ssl_failed = true; /* as nginx: the connection is dropped, not shut down */
        return HS_ERROR;
    }
    return HS_OK;
}

/* ---- sessions ---- */

int hs_up_ssl_new_session(SSL *ssl, SSL_SESSION *sess)
{
    hs_upconn *u = SSL_get_app_data(ssl);
    if (u == NULL || u->server == NULL)
        return 0;
    /* one per server and worker: the newest (TLS 1.3 sends a ticket or two) */
    hs_upstream_server *s = u->server;
    if (s->ssl_session)
        SSL_SESSION_free(s->ssl_session);
    s->ssl_session = sess;
    s->ssl_session_ctx = SSL_get_SSL_CTX(ssl);
    return 1; /* the reference is ours */
}

/* ---- the protocol's stream ---- */

int hs_proxy_recv(hs_req *r, char *buf, size_t cap, size_t *got)
{
    hs_proxy_state *px = PX(r);
    *got = 0;
    ssize_t n = hs_up_recv(px->u, buf, cap);
    if (n == HS_AGAIN || n == HS_ERROR)
        return (int)n;
    if (n == 0)
        return HS_DONE;
    size_t len = (size_t)n;
    const hs_up_proto *proto = px->pc->proto;
    if (proto->decode) {
        int rc = proto->decode(r, buf, &len);
        if (rc == HS_ERROR)
            return HS_DECLINED;
        if (rc == HS_OK || rc == HS_DONE) {
            px->in_end = true;
            px->in_end_clean = rc == HS_OK;
        }
    }
    *got = len;
    return HS_OK;
}
