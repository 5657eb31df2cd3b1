/* The ClientHello phase: before any OpenSSL object exists, the first bytes
 * of the connection are read with MSG_PEEK (nothing is consumed, so OpenSSL
 * reads the same bytes afterwards) and judged: the server the SNI names,
 * ssl_reject_handshake, ssl_hello_drop. A rejected or dropped hello costs
 * about what a plaintext drop costs; only a hello that passes gets an SSL
 * object, for the server it asked for. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "parse/tls_hello.h"
#include "stats/counters.h"
#include "tls/tls_internal.h"

static hs_tls_hello scratch; /* ~18 KiB, one per worker: judged and forgotten */

/* What the hello says, kept for the $ssl_* variables. */
static void remember(hs_tls_conn *t, const hs_tls_hello *h)
{
    t->hello_seen = true;
    t->hello_version = h->version;
    if (h->has_sni)
        t->sni = strndup(h->sni, h->sni_len);
    if (h->nalpn) {
        char list[512];
        size_t n = 0;
        for (uint16_t i = 0; i < h->nalpn && n + h->alpn[i].n + 2 < sizeof(list); i++) {
            if (i)
                list[n++] = ',';
            memcpy(list + n, h->alpn[i].p, h->alpn[i].n);
            n += h->alpn[i].n;
        }
        t->alpn = strndup(list, n);
    }
    if (hs_tls_ja4_used)
        hs_tls_ja4(h, t->ja4);
    if (hs_tls_ja4_raw_used) {
        static char raw[HS_TLS_JA4_RAW_MAX + 1];
        size_t n = hs_tls_ja4_raw(h, raw);
        t->ja4_raw = strndup(raw, n);
    }
}

/* TLS alert record (TLS 1.2 framing, as OpenSSL sends before a version is
 * agreed): fatal, description. */
static void send_alert(int fd, uint8_t description)
{
    uint8_t rec[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, description};
    ssize_t n = send(fd, rec, sizeof(rec), MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)n;
}

/* Refuses the hello with an alert and closes: the hello is read first, so
 * that the close sends FIN after the alert rather than RST. */
static int refuse(hs_conn *c, uint8_t alert, const char *rule)
{
    hs_tcp_drain(c->io.fd);
    send_alert(c->io.fd, alert);
    hs_stats_tls_handshake(HS_TLS_REJECTED, 0);
    c->drop_rule = rule;
    hs_conn_end(c, HS_END_TLS_REJECTED);
    return HS_DONE;
}

static bool truthy(const hs_var_ref *v, hs_conn *c)
{
    hs_req *r = hs_http_bare_request(c);
    if (r == NULL)
        return false;
    char scratch_buf[HS_VAR_SCRATCH];
    hs_str val;
    bool yes = hs_var_get_value(v, r, &val, scratch_buf) == HS_OK && val.n && !hs_str_eq_lit(val, "0");
    hs_http_bare_free(r);
    return yes;
}

/* The rules of the server the hello asked for. HS_OK: go on with it. */
static int judge(hs_conn *c, hs_tls_conn *t)
{
    hs_str sni = t->sni ? hs_cstr(t->sni) : HS_NULL_STR;
    t->srv = sni.n ? hs_http_find_server(c->group, sni, NULL) : c->group->default_srv;
    hs_tls_srv *ts = hs_tls_srv_of(t->srv->loc);
    if (ts->has_hello_drop && truthy(&ts->hello_drop, c)) {
        hs_stats_drop(ts->hello_drop_rule); /* hush_drops_total{rule} */
        if (ts->hello_drop_alert)
            return refuse(c, SSL_AD_HANDSHAKE_FAILURE, ts->hello_drop_rule);
        hs_stats_tls_handshake(HS_TLS_REJECTED, 0);
        hs_conn_drop(c, HS_END_TLS_REJECTED, ts->hello_drop_rule, t->srv->loc);
        return HS_DONE;
    }
    if (ts->reject_handshake || ts->ctx == NULL)
        return refuse(c, SSL_AD_UNRECOGNIZED_NAME, "ssl_reject_handshake");
    return HS_OK;
}

/* Part of a hello is there and no more may come: whether the client has
 * closed its side (a peeked FIN is not seen; the next edge never comes). */
static bool peer_gone(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLRDHUP};
    return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* A hello that cannot be judged: tls_failed, with the reason. */
static int failed(hs_conn *c, hs_tls_conn *t, const char *why, bool alert)
{
    hs_tcp_drain(c->io.fd); /* FIN after the alert, not RST */
    if (alert)
        send_alert(c->io.fd, SSL_AD_DECODE_ERROR); /* what OpenSSL answers a malformed hello */
    t->error = why;
    return HS_ERROR;
}

int hs_tls_hello_phase(hs_conn *c, hs_tls_conn *t)
{
    static uint8_t buf[HS_TLS_HELLO_WIRE_MAX];
    ssize_t n = recv(c->io.fd, buf, sizeof(buf), MSG_PEEK);
    if (n < 0 && errno == EAGAIN) {
        c->readable = false;
        c->io.want = HS_IO_WANT_READ;
        return HS_AGAIN;
    }
    if (n <= 0) { /* closed (or reset) before a byte: a bare connection */
        hs_conn_end(c, HS_END_NO_REQUEST);
        return HS_DONE;
    }
    if (t->start_usec == 0)
        t->start_usec = hs_now.mono_usec; /* the handshake begins with its first byte */
    int rc = hs_tls_hello_parse(buf, (size_t)n, &scratch);
    if (rc == HS_AGAIN) {
        if (peer_gone(c->io.fd))
            return failed(c, t, "connection closed in the ClientHello", false);
        c->readable = false; /* the rest comes with the next EPOLLIN */
        c->io.want = HS_IO_WANT_READ;
        return HS_AGAIN;
    }
    if (rc == HS_DECLINED)
        return HS_DECLINED; /* not TLS: plain HTTP sent to the TLS port */
    if (rc == HS_ERROR)
        return failed(c, t, scratch.error, true);
    remember(t, &scratch);
    return judge(c, t);
}
