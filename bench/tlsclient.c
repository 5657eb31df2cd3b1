/*
 * tlsclient — TLS load for bench/tls.sh (OpenSSL, one thread, epoll).
 *
 * Modes (-m):
 *   full    (default) keep -c connections in flight for -d seconds (or until
 *           -n have ended): each is a new TCP connection, a full handshake
 *           (no session offered), one "GET PATH" with "Connection: close",
 *           the response read, then the connection read to its end (the
 *           server closes it) and closed.  After -d seconds no connection is
 *           opened and those in flight finish (at most -t seconds): the
 *           server's work for every connection counted is in the run.
 *   resume  the same, offering a session: each slot (one of the -c) keeps the
 *           newest session ticket it received and offers it on its next
 *           connection.  -S FILE loads the slots' sessions at start and
 *           saves them at exit, so a warm-up run leaves the measured run
 *           nothing but resumed handshakes.
 *   idle    open -n connections (at most -c handshaking at a time), one
 *           keep-alive GET each, read each full response, free the TLS
 *           state (the client's memory is not measured) and hold the
 *           sockets open and idle.  Then prints "READY ok=N failed=F ms=T"
 *           and takes commands on stdin as bench/idleconns does ("status"
 *           prints "OPEN n closed_by_server=c"; "close" or EOF exits).
 * Every connection ends one way, counted:
 *   ok          the response (status -s) complete
 *   badstatus   a complete response with another status
 *   hs_closed   handshake complete, then closed without a response byte
 *               (nginx's "return 444" after the handshake)
 *   alert       the handshake ended by a TLS alert from the server
 *               (ssl_reject_handshake: unrecognized_name)
 *   reset       the handshake ended by a TCP reset
 *   eof         the handshake ended by the server closing (FIN)
 *   timeout     nothing ended it within -t seconds
 *   error       anything else (first few printed on stderr)
 * full/resume print one line at exit:
 *   conns=N ok=N badstatus=N resumed=N hs_closed=N alert=N reset=N eof=N
 *   timeout=N error=N seconds=S alert_codes=112,... proto=TLSv1.3
 *   cipher=TLS_AES_256_GCM_SHA384 key=EC-256
 * (proto, cipher, key: of the first completed handshake; key: the server
 * certificate's public key; "-" when none completed.)
 *
 * Client profile (what the ClientHello offers):
 *   -V 1.3|1.2   highest version offered (the lowest is always TLS 1.2, as
 *                browsers do), default 1.3
 *   -k ecdsa|rsa|any  signature algorithms (and TLS 1.2 cipher suites)
 *                offered: picks which of the server's certificates is used;
 *                any = OpenSSL's defaults.  Default ecdsa.
 *   -A PROTO|none  ALPN offered, default http/1.1
 *   -s NAME      SNI (default localhost); the Host header is the same name
 * Certificates are not verified (as wrk): the client's CPU is not measured.
 *
 *   -J  print this profile's JA4 fingerprint and its raw form
 *       ("JA4 t13d...  JA4_r t13d..._...") and exit (FoxIO's JA4: counts
 *       and hashes of the ClientHello's ciphers, extensions, sigalgs)
 *       -W FILE  with -J: also write the ClientHello's records, as sent, to
 *       FILE (to check another JA4 implementation, e.g. hush's, on them)
 *   -T  self-test of the JA4 hashing on the examples of FoxIO's spec
 *
 * Usage: tlsclient -p PORT [-a ADDR] [-m full|resume|idle] [-c INFLIGHT]
 *          [-d SECONDS] [-n COUNT] [-u PATH] [-s SNI] [-V 1.3|1.2]
 *          [-k ecdsa|rsa|any] [-A ALPN|none] [-S SESSFILE] [-t TIMEOUT_S]
 *          [-x STATUS] [-H HOLD_S] [-J [-W FILE]] [-T]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

enum mode { M_FULL, M_RESUME, M_IDLE };
enum st { S_FREE, S_HANDSHAKE, S_WRITE, S_READ, S_IDLE, S_DEAD };
enum end { E_OK, E_BADSTATUS, E_HS_CLOSED, E_ALERT, E_RESET, E_EOF, E_TIMEOUT, E_ERROR, E_N };
static const char *end_name[E_N] = {"ok", "badstatus", "hs_closed", "alert", "reset", "eof", "timeout", "error"};

#define RESP_MAX 8192

struct conn {
    int fd;
    int slot;
    enum st st;
    SSL *ssl;
    size_t sent;       /* request bytes written */
    char *buf;         /* response bytes */
    size_t len;
    int resp_done;     /* full response read (full/resume: now reading to EOF) */
    int alert;         /* fatal alert received from the server: code + 1 */
    double deadline;
    uint32_t events;   /* registered with epoll */
};

static enum mode opt_mode = M_FULL;
static const char *opt_addr = "127.0.0.1";
static int opt_port, opt_inflight = 64, opt_count, opt_status = 200, opt_hold = 600;
static double opt_duration = 10, opt_timeout = 10;
static const char *opt_path = "/100b.html", *opt_sni = "localhost", *opt_alpn = "http/1.1";
static const char *opt_key = "ecdsa", *opt_sessfile, *opt_wire;
static int opt_version = 13;

static SSL_CTX *ctx;
static int epfd;
static struct sockaddr_in dst;
static char request[512];
static size_t request_len;
static struct conn *conns;
static int nconns;
static SSL_SESSION **slot_sess; /* resume: the newest session of each slot */
static long ends[E_N], started, resumed, closed_idle;
static int alert_codes[256];
static char neg_proto[32] = "-", neg_cipher[64] = "-", neg_key[32] = "-";
static int errors_printed;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "tlsclient: %s", what);
    if (errno)
        fprintf(stderr, ": %s", strerror(errno));
    fputc('\n', stderr);
    ERR_print_errors_fp(stderr);
    exit(2);
}

/* ---------------------------------------------------------------- JA4 */

static int is_grease(unsigned v) { return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff); }

static int cmp_u16(const void *a, const void *b)
{
    return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* Appends "xxxx,yyyy" (4-digit lowercase hex, comma-separated) of V[0..N) to OUT. */
static void hexlist(char *out, size_t cap, const uint16_t *v, int n)
{
    size_t l = strlen(out);
    for (int i = 0; i < n && l + 6 < cap; i++)
        l += (size_t)snprintf(out + l, cap - l, "%s%04x", i ? "," : "", v[i]);
}

/* First 12 hex digits of SHA-256(S), or twelve zeros when S is empty. */
static void sha12(const char *s, char out[13])
{
    unsigned char md[32];
    unsigned int ml = 0;
    if (!*s) {
        strcpy(out, "000000000000");
        return;
    }
    EVP_Digest(s, strlen(s), md, &ml, EVP_sha256(), NULL);
    for (int i = 0; i < 6; i++)
        sprintf(out + 2 * i, "%02x", md[i]);
}

static unsigned get16(const unsigned char *p) { return (unsigned)p[0] << 8 | p[1]; }

/*
 * JA4 and JA4_r of a ClientHello handshake message (type, 3-byte length,
 * body).  Returns 0, or -1 when it cannot be parsed.
 */
static int ja4_of(const unsigned char *m, size_t n, char *ja4, size_t cap4, char *raw, size_t capr)
{
    uint16_t ciph[256], ext[256], sig[128];
    int nc = 0, ne = 0, ns = 0, ne_all = 0, sni = 0;
    unsigned version = 0, maxsv = 0;
    char alpn[3] = "00";
    const unsigned char *p = m + 4, *end;

    if (n < 4 || m[0] != 1)
        return -1;
    end = m + 4 + ((size_t)m[1] << 16 | (size_t)m[2] << 8 | m[3]);
    if (end > m + n || end - p < 35)
        return -1;
    version = get16(p);
    p += 2 + 32;
    p += 1 + p[0]; /* session id */
    if (end - p < 2)
        return -1;
    unsigned cl = get16(p);
    p += 2;
    if ((size_t)(end - p) < cl)
        return -1;
    for (unsigned i = 0; i + 1 < cl; i += 2) {
        unsigned c = get16(p + i);
        if (!is_grease(c) && nc < 256)
            ciph[nc++] = (uint16_t)c;
    }
    p += cl;
    if (end - p < 1)
        return -1;
    p += 1 + p[0]; /* compression methods */
    if (end - p >= 2) {
        const unsigned char *ee = p + 2 + get16(p);
        if (ee > end)
            return -1;
        p += 2;
        while (ee - p >= 4) {
            unsigned t = get16(p), l = get16(p + 2);
            const unsigned char *d = p + 4;
            if ((size_t)(ee - d) < l)
                return -1;
            p = d + l;
            if (is_grease(t))
                continue;
            ne_all++;
            if (t == 0x0000) {
                sni = 1;
                continue;
            }
            if (t == 0x0010) {
                /* first protocol of the list: its first and last characters */
                if (l >= 3 && d[2] > 0 && (unsigned)d[2] + 3 <= l) {
                    unsigned char f = d[3], z = d[2 + d[2]];
                    if (isalnum(f) && isalnum(z))
                        alpn[0] = (char)f, alpn[1] = (char)z;
                    else
                        alpn[0] = "0123456789abcdef"[f >> 4], alpn[1] = "0123456789abcdef"[z & 15];
                }
                continue;
            }
            if (ne < 256)
                ext[ne++] = (uint16_t)t;
            if (t == 0x002b && l >= 1) { /* supported_versions: the highest, GREASE aside */
                for (unsigned i = 1; i + 1 < (unsigned)d[0] + 1 && i + 1 < l + 0u; i += 2) {
                    unsigned v = get16(d + i);
                    if (!is_grease(v) && v > maxsv)
                        maxsv = v;
                }
            }
            if (t == 0x000d && l >= 2) { /* signature_algorithms, in order */
                unsigned sl = get16(d);
                for (unsigned i = 2; i + 1 < sl + 2 && i + 1 < l; i += 2) {
                    unsigned s = get16(d + i);
                    if (!is_grease(s) && ns < 128)
                        sig[ns++] = (uint16_t)s;
                }
            }
        }
    }
    if (maxsv)
        version = maxsv;
    const char *vs = version == 0x0304 ? "13" : version == 0x0303 ? "12" : version == 0x0302 ? "11"
                   : version == 0x0301 ? "10" : version == 0x0300 ? "s3" : version == 0x0200 ? "s2"
                   : version == 0x0100 ? "s1" : "00";
    char a[16], cs[256 * 5 + 1] = "", es[256 * 5 + 128 * 5 + 2] = "", hb[13], hc[13];
    snprintf(a, sizeof(a), "t%s%c%02d%02d%s", vs, sni ? 'd' : 'i', nc > 99 ? 99 : nc,
             ne_all > 99 ? 99 : ne_all, alpn);
    qsort(ciph, (size_t)nc, sizeof(ciph[0]), cmp_u16);
    qsort(ext, (size_t)ne, sizeof(ext[0]), cmp_u16);
    hexlist(cs, sizeof(cs), ciph, nc);
    hexlist(es, sizeof(es), ext, ne);
    if (ns && ne) {
        strcat(es, "_");
        hexlist(es, sizeof(es), sig, ns);
    }
    sha12(cs, hb);
    sha12(ne ? es : "", hc);
    snprintf(ja4, cap4, "%s_%s_%s", a, hb, hc);
    snprintf(raw, capr, "%s_%s_%s", a, cs, es);
    return 0;
}

static int ja4_selftest(void)
{
    char h[13];
    int bad = 0;
    sha12("002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9", h);
    bad |= strcmp(h, "8daaf6152771") != 0;
    printf("cipher hash %s (spec: 8daaf6152771)\n", h);
    sha12("0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_"
          "0403,0804,0401,0503,0805,0501,0806,0601", h);
    bad |= strcmp(h, "e5627efa2ab1") != 0;
    printf("extension hash %s (spec: e5627efa2ab1)\n", h);
    sha12("0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01", h);
    bad |= strcmp(h, "6d807ffa2a79") != 0;
    printf("extension hash without sigalgs %s (spec: 6d807ffa2a79)\n", h);
    puts(bad ? "FAIL" : "ok");
    return bad;
}

/* -J: the ClientHello this profile sends, through memory BIOs, fingerprinted. */
static int print_ja4(void)
{
    SSL *s = SSL_new(ctx);
    BIO *r = BIO_new(BIO_s_mem()), *w = BIO_new(BIO_s_mem());
    unsigned char hs[65536];
    size_t hl = 0;
    char *p;
    long n;

    if (!s || !r || !w)
        die("SSL_new");
    SSL_set_bio(s, r, w);
    if (*opt_sni)
        SSL_set_tlsext_host_name(s, opt_sni);
    SSL_connect(s);
    n = BIO_get_mem_data(w, &p);
    if (opt_wire) { /* -W: the records as sent, for other JA4 implementations */
        FILE *f = fopen(opt_wire, "wb");
        if (!f || fwrite(p, 1, (size_t)n, f) != (size_t)n || fclose(f) != 0)
            die("cannot write -W file");
    }
    /* handshake records (type 22): concatenate their fragments */
    for (long i = 0; i + 5 <= n;) {
        size_t rl = get16((unsigned char *)p + i + 3);
        if ((unsigned char)p[i] == 22 && i + 5 + (long)rl <= n && hl + rl <= sizeof(hs)) {
            memcpy(hs + hl, p + i + 5, rl);
            hl += rl;
        }
        i += 5 + (long)rl;
    }
    char ja4[64], raw[4096];
    if (ja4_of(hs, hl, ja4, sizeof(ja4), raw, sizeof(raw)) < 0) {
        fprintf(stderr, "tlsclient: cannot parse our own ClientHello (%zu bytes)\n", hl);
        return 1;
    }
    printf("JA4 %s JA4_r %s\n", ja4, raw);
    SSL_free(s);
    return 0;
}

/* ---------------------------------------------------------------- TLS setup */

static void on_info(const SSL *s, int where, int ret)
{
    if (where & SSL_CB_READ_ALERT) {
        struct conn *c = SSL_get_app_data(s);
        int desc = ret & 0xff;
        if (c && desc != SSL_AD_CLOSE_NOTIFY && !c->alert) {
            c->alert = desc + 1;
            alert_codes[desc & 0xff]++;
        }
    }
}

/* resume: keep the newest session of the slot. */
static int on_new_session(SSL *s, SSL_SESSION *sess)
{
    struct conn *c = SSL_get_app_data(s);
    if (!c || !slot_sess || !SSL_SESSION_is_resumable(sess))
        return 0;
    if (slot_sess[c->slot])
        SSL_SESSION_free(slot_sess[c->slot]);
    slot_sess[c->slot] = sess;
    return 1; /* we keep the reference */
}

static void ctx_setup(void)
{
    const char *sigalgs = NULL, *ciphers = NULL;

    ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx)
        die("SSL_CTX_new");
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx, opt_version == 12 ? TLS1_2_VERSION : TLS1_3_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
    if (strcmp(opt_key, "ecdsa") == 0) {
        sigalgs = "ecdsa_secp256r1_sha256:ecdsa_secp384r1_sha384:ecdsa_secp521r1_sha512";
        ciphers = "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305";
    } else if (strcmp(opt_key, "rsa") == 0) {
        sigalgs = "rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:rsa_pss_rsae_sha512:"
                  "rsa_pkcs1_sha256:rsa_pkcs1_sha384:rsa_pkcs1_sha512";
        ciphers = "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305";
    } else if (strcmp(opt_key, "any") != 0) {
        fprintf(stderr, "tlsclient: -k ecdsa|rsa|any\n");
        exit(2);
    }
    if (sigalgs && !SSL_CTX_set1_sigalgs_list(ctx, sigalgs))
        die("SSL_CTX_set1_sigalgs_list");
    if (ciphers && !SSL_CTX_set_cipher_list(ctx, ciphers))
        die("SSL_CTX_set_cipher_list");
    if (strcmp(opt_alpn, "none") != 0) {
        unsigned char wire[256];
        size_t l = strlen(opt_alpn);
        if (l == 0 || l > 255)
            die("bad -A");
        wire[0] = (unsigned char)l;
        memcpy(wire + 1, opt_alpn, l);
        if (SSL_CTX_set_alpn_protos(ctx, wire, (unsigned)l + 1) != 0)
            die("SSL_CTX_set_alpn_protos");
    }
    SSL_CTX_set_info_callback(ctx, on_info);
    if (opt_mode == M_RESUME) {
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
        SSL_CTX_sess_set_new_cb(ctx, on_new_session);
    } else {
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    }
}

static void sessions_load(void)
{
    FILE *f = opt_sessfile ? fopen(opt_sessfile, "r") : NULL;
    SSL_SESSION *s;
    int i = 0;
    if (!f)
        return;
    while (i < opt_inflight && (s = PEM_read_SSL_SESSION(f, NULL, NULL, NULL)) != NULL)
        slot_sess[i++] = s;
    ERR_clear_error();
    fclose(f);
}

static void sessions_save(void)
{
    FILE *f;
    if (!opt_sessfile || !(f = fopen(opt_sessfile, "w")))
        return;
    for (int i = 0; i < opt_inflight; i++)
        if (slot_sess[i])
            PEM_write_SSL_SESSION(f, slot_sess[i]);
    fclose(f);
}

/* ---------------------------------------------------------------- connections */

static void set_events(struct conn *c, uint32_t ev)
{
    if (c->events == ev)
        return;
    struct epoll_event e = {.events = ev, .data.ptr = c};
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &e) < 0)
        die("epoll_ctl mod");
    c->events = ev;
}

static void conn_release(struct conn *c)
{
    if (c->ssl) {
        /* The exchange went through and the server ended it: a quiet
         * shutdown, or SSL_free would mark the session not resumable. */
        if (c->resp_done)
            SSL_set_shutdown(c->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
        SSL_free(c->ssl);
    }
    c->ssl = NULL;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    free(c->buf);
    c->buf = NULL;
    c->st = S_FREE;
}

static void conn_end(struct conn *c, enum end e)
{
    ends[e]++;
    if (opt_mode == M_IDLE && e == E_OK) {
        /* hold the socket, drop the TLS state: only the server's memory counts */
        SSL_free(c->ssl);
        c->ssl = NULL;
        free(c->buf);
        c->buf = NULL;
        c->st = S_IDLE;
        set_events(c, EPOLLIN | EPOLLRDHUP);
        return;
    }
    conn_release(c);
    if (opt_mode == M_IDLE)
        c->st = S_DEAD;
}

static int conn_open(struct conn *c)
{
    int one = 1;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        die("socket");
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    started++;
    c->sent = c->len = 0;
    c->resp_done = c->alert = 0;
    c->deadline = now() + opt_timeout;
    c->st = S_HANDSHAKE;
    if (connect(c->fd, (struct sockaddr *)&dst, sizeof(dst)) != 0 && errno != EINPROGRESS) {
        if (errors_printed++ < 5)
            fprintf(stderr, "tlsclient: connect: %s\n", strerror(errno));
        close(c->fd);
        c->fd = -1;
        ends[E_ERROR]++;
        c->st = opt_mode == M_IDLE ? S_DEAD : S_FREE;
        return -1;
    }
    c->ssl = SSL_new(ctx);
    if (!c->ssl)
        die("SSL_new");
    SSL_set_app_data(c->ssl, c);
    SSL_set_fd(c->ssl, c->fd);
    if (*opt_sni)
        SSL_set_tlsext_host_name(c->ssl, opt_sni);
    if (opt_mode == M_RESUME && slot_sess[c->slot])
        SSL_set_session(c->ssl, slot_sess[c->slot]);
    c->buf = malloc(RESP_MAX);
    if (!c->buf)
        die("malloc");
    struct epoll_event e = {.events = EPOLLOUT, .data.ptr = c};
    c->events = EPOLLOUT;
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &e) < 0)
        die("epoll_ctl add");
    return 0;
}

/*
 * An SSL call on C returned RET <= 0 with errno SYS: wait for I/O, or end
 * the connection the way the server ended it.
 */
static void conn_ssl_result(struct conn *c, int ret, int sys)
{
    int e = SSL_get_error(c->ssl, ret);
    unsigned long err = ERR_peek_error();
    enum end how;

    if (e == SSL_ERROR_WANT_READ) {
        set_events(c, EPOLLIN);
        return;
    }
    if (e == SSL_ERROR_WANT_WRITE) {
        set_events(c, EPOLLOUT);
        return;
    }
    if (ERR_GET_LIB(err) == ERR_LIB_SYS)
        sys = ERR_GET_REASON(err);
    if (c->alert)
        how = E_ALERT;
    else if (e == SSL_ERROR_ZERO_RETURN)
        how = E_EOF;
    else if (e == SSL_ERROR_SYSCALL && (sys == ECONNRESET))
        how = E_RESET;
    else if (e == SSL_ERROR_SYSCALL && (sys == 0 || sys == EPIPE))
        how = E_EOF;
    else if (e == SSL_ERROR_SSL && ERR_GET_REASON(err) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
        how = E_EOF;
    else if (sys == ECONNRESET)
        how = E_RESET;
    else
        how = E_ERROR;
    if (c->resp_done) { /* counted already: this is the end after the response */
        ERR_clear_error();
        conn_release(c);
        return;
    }
    if (c->st != S_HANDSHAKE && how != E_ERROR) {
        /* after the handshake: the server's FIN/RST/alert ends the exchange */
        how = c->len == 0 ? E_HS_CLOSED : E_ERROR;
        if (how == E_ERROR && errors_printed++ < 5)
            fprintf(stderr, "tlsclient: connection closed after %zu response bytes\n", c->len);
    } else if (how == E_ERROR && errors_printed++ < 5) {
        char b[256];
        ERR_error_string_n(err, b, sizeof(b));
        fprintf(stderr, "tlsclient: %s: SSL error %d, errno %d (%s), %s\n",
                c->st == S_HANDSHAKE ? "handshake" : "exchange", e, sys, strerror(sys), b);
    }
    ERR_clear_error();
    conn_end(c, how);
}

/* Is the response complete?  1 yes, 0 not yet, -1 malformed. Sets *status. */
static int response_complete(struct conn *c, int *status)
{
    const char *h = memmem(c->buf, c->len, "\r\n\r\n", 4), *v;
    if (!h)
        return c->len >= RESP_MAX ? -1 : 0;
    if (c->len < 12 || strncmp(c->buf, "HTTP/1.", 7) != 0)
        return -1;
    *status = atoi(c->buf + 9);
    size_t head = (size_t)(h - c->buf) + 4;
    for (v = c->buf; v && v < h; v = memmem(v, (size_t)(h - v), "\r\n", 2), v = v ? v + 2 : NULL)
        if (strncasecmp(v, "Content-Length:", 15) == 0)
            return c->len - head >= strtoul(v + 15, NULL, 10) ? 1 : 0;
    return opt_mode == M_IDLE ? -1 : 0; /* no length: read to the end */
}

static void record_negotiated(SSL *s)
{
    if (strcmp(neg_proto, "-") != 0)
        return;
    snprintf(neg_proto, sizeof(neg_proto), "%s", SSL_get_version(s));
    snprintf(neg_cipher, sizeof(neg_cipher), "%s", SSL_get_cipher_name(s));
    X509 *x = SSL_get0_peer_certificate(s);
    EVP_PKEY *k = x ? X509_get0_pubkey(x) : NULL;
    if (k)
        snprintf(neg_key, sizeof(neg_key), "%s-%d",
                 EVP_PKEY_get_base_id(k) == EVP_PKEY_EC ? "EC" : EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA ? "RSA" : "other",
                 EVP_PKEY_get_bits(k));
}

static void conn_step(struct conn *c)
{
    int r;
    for (;;) {
        switch (c->st) {
        case S_HANDSHAKE:
            errno = 0;
            r = SSL_connect(c->ssl);
            if (r != 1) {
                conn_ssl_result(c, r, errno);
                return;
            }
            record_negotiated(c->ssl);
            if (SSL_session_reused(c->ssl))
                resumed++;
            c->st = S_WRITE;
            break;
        case S_WRITE:
            errno = 0;
            r = SSL_write(c->ssl, request + c->sent, (int)(request_len - c->sent));
            if (r <= 0) {
                conn_ssl_result(c, r, errno);
                return;
            }
            c->sent += (size_t)r;
            if (c->sent == request_len)
                c->st = S_READ;
            break;
        case S_READ: {
            char scratch[4096];
            char *to = c->resp_done ? scratch : c->buf + c->len;
            int cap = c->resp_done ? (int)sizeof(scratch) : (int)(RESP_MAX - c->len);
            errno = 0;
            r = SSL_read(c->ssl, to, cap);
            if (r <= 0) {
                if (!c->resp_done && c->len > 0 && opt_mode != M_IDLE &&
                    SSL_get_error(c->ssl, r) == SSL_ERROR_ZERO_RETURN) {
                    /* response without a length, ended by the close */
                    int status = 0;
                    if (memmem(c->buf, c->len, "\r\n\r\n", 4) && (status = atoi(c->buf + 9)) > 0) {
                        ERR_clear_error();
                        conn_end(c, status == opt_status ? E_OK : E_BADSTATUS);
                        return;
                    }
                }
                conn_ssl_result(c, r, errno);
                return;
            }
            if (c->resp_done)
                break; /* bytes after the response: ignored */
            c->len += (size_t)r;
            int status = 0, done = response_complete(c, &status);
            if (done < 0) {
                if (errors_printed++ < 5)
                    fprintf(stderr, "tlsclient: malformed or unexpected response (%zu bytes)\n", c->len);
                conn_end(c, E_ERROR);
                return;
            }
            if (done) {
                enum end e = status == opt_status ? E_OK : E_BADSTATUS;
                if (opt_mode == M_IDLE) {
                    conn_end(c, e);
                    return;
                }
                /* count it now, then read on to the server's close */
                ends[e]++;
                c->resp_done = 1;
            }
            break;
        }
        default:
            return;
        }
    }
}

/* An idle held socket became readable: the server closed it (or sent bytes). */
static void idle_event(struct conn *c)
{
    char b[512];
    ssize_t n = recv(c->fd, b, sizeof(b), 0);
    if (n > 0 || (n < 0 && errno == EAGAIN))
        return;
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    c->st = S_DEAD;
    closed_idle++;
}

static void check_timeouts(double t)
{
    for (int i = 0; i < nconns; i++) {
        struct conn *c = &conns[i];
        if ((c->st == S_HANDSHAKE || c->st == S_WRITE || c->st == S_READ) && t > c->deadline) {
            if (c->resp_done) { /* the response came; the close did not */
                conn_release(c);
                continue;
            }
            ERR_clear_error();
            conn_end(c, E_TIMEOUT);
        }
    }
}

static int in_flight(void)
{
    int n = 0;
    for (int i = 0; i < nconns; i++)
        n += conns[i].st == S_HANDSHAKE || conns[i].st == S_WRITE || conns[i].st == S_READ;
    return n;
}

static long ended(void)
{
    long n = 0;
    for (int i = 0; i < E_N; i++)
        n += ends[i];
    return n;
}

/* ---------------------------------------------------------------- modes */

static void run_load(void)
{
    struct epoll_event evs[256];
    double t0 = now(), stop = t0 + opt_duration, t = t0, last_scan = t0;
    int draining = 0;

    nconns = opt_inflight;
    conns = calloc((size_t)nconns, sizeof(*conns));
    slot_sess = calloc((size_t)nconns, sizeof(*slot_sess));
    if (!conns || !slot_sess)
        die("calloc");
    if (opt_mode == M_RESUME)
        sessions_load();
    for (int i = 0; i < nconns; i++)
        conns[i].fd = -1, conns[i].slot = i;
    for (;;) {
        if (!draining && (t >= stop || (opt_count && started >= opt_count)))
            draining = 1;
        if (!draining)
            for (int i = 0; i < nconns; i++)
                if (conns[i].st == S_FREE && !(opt_count && started >= opt_count)) {
                    if (conn_open(&conns[i]) == 0)
                        conn_step(&conns[i]);
                }
        if (draining && in_flight() == 0)
            break;
        int n = epoll_wait(epfd, evs, 256, 50);
        for (int i = 0; i < n; i++)
            conn_step(evs[i].data.ptr);
        t = now();
        if (t - last_scan > 0.1) {
            check_timeouts(t);
            last_scan = t;
        }
    }
    if (opt_mode == M_RESUME)
        sessions_save();
    char codes[256] = "";
    for (int i = 0; i < 256; i++)
        if (alert_codes[i])
            snprintf(codes + strlen(codes), sizeof(codes) - strlen(codes), "%s%d", *codes ? "," : "", i);
    printf("conns=%ld", started);
    for (int i = 0; i < E_N; i++) {
        printf(" %s=%ld", end_name[i], ends[i]);
        if (i == E_BADSTATUS)
            printf(" resumed=%ld", resumed);
    }
    printf(" seconds=%.3f alert_codes=%s proto=%s cipher=%s key=%s\n",
           now() - t0, *codes ? codes : "-", neg_proto, neg_cipher, neg_key);
}

static void close_all(void)
{
    struct linger lg = {1, 0};
    for (int i = 0; i < nconns; i++)
        if (conns[i].fd >= 0) {
            setsockopt(conns[i].fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
            close(conns[i].fd);
            conns[i].fd = -1;
        }
}

#define TAG_STDIN ((void *)1)
#define TAG_SIGNAL ((void *)2)

static int run_idle(void)
{
    struct epoll_event evs[256], ev;
    sigset_t ss;
    int sfd, next = 0;
    double t0 = now(), deadline = t0 + opt_duration, last_scan = t0;
    struct rlimit rl;

    nconns = opt_count ? opt_count : 10000;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)nconns + 64) {
        rl.rlim_cur = (rlim_t)nconns + 64;
        if (rl.rlim_max < rl.rlim_cur)
            rl.rlim_max = rl.rlim_cur;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
            die("cannot raise RLIMIT_NOFILE");
    }
    conns = calloc((size_t)nconns, sizeof(*conns));
    if (!conns)
        die("calloc");
    for (int i = 0; i < nconns; i++)
        conns[i].fd = -1, conns[i].slot = i;
    sigemptyset(&ss);
    sigaddset(&ss, SIGINT);
    sigaddset(&ss, SIGTERM);
    sigprocmask(SIG_BLOCK, &ss, NULL);
    sfd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
    ev.events = EPOLLIN;
    ev.data.ptr = TAG_SIGNAL;
    epoll_ctl(epfd, EPOLL_CTL_ADD, sfd, &ev);

    /* phase 1: open them all, at most -c unfinished at a time */
    while (ended() < nconns) {
        while (next < nconns && in_flight() < opt_inflight)
            if (conn_open(&conns[next++]) == 0)
                conn_step(&conns[next - 1]);
        double t = now();
        if (t > deadline) {
            fprintf(stderr, "tlsclient: timed out with %ld of %d done\n", ended(), nconns);
            close_all();
            return 1;
        }
        int n = epoll_wait(epfd, evs, 256, 50);
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            if (evs[i].data.ptr == TAG_SIGNAL) {
                close_all();
                return 1;
            }
            if (c->st == S_IDLE)
                idle_event(c);
            else
                conn_step(c);
        }
        if (t - last_scan > 0.2) {
            check_timeouts(t);
            last_scan = t;
        }
    }
    long failed = ended() - ends[E_OK];
    printf("READY ok=%ld failed=%ld ms=%.0f proto=%s key=%s\n", ends[E_OK], failed, (now() - t0) * 1000,
           neg_proto, neg_key);
    fflush(stdout);
    if (failed)
        for (int i = 0; i < E_N; i++)
            if (i != E_OK && ends[i])
                fprintf(stderr, "tlsclient: idle: %ld connections ended %s\n", ends[i], end_name[i]);

    /* phase 2: hold them until told to close */
    ev.events = EPOLLIN;
    ev.data.ptr = TAG_STDIN;
    epoll_ctl(epfd, EPOLL_CTL_ADD, 0, &ev);
    double hold_end = now() + opt_hold;
    while (now() < hold_end) {
        int n = epoll_wait(epfd, evs, 256, 1000);
        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            if (p == TAG_SIGNAL)
                goto out;
            if (p == TAG_STDIN) {
                char line[256];
                ssize_t r = read(0, line, sizeof(line) - 1);
                if (r <= 0)
                    goto out;
                line[r] = 0;
                if (strstr(line, "close"))
                    goto out;
                if (strstr(line, "status")) {
                    printf("OPEN %ld closed_by_server=%ld\n", ends[E_OK] - closed_idle, closed_idle);
                    fflush(stdout);
                }
                continue;
            }
            idle_event(p);
        }
    }
out:
    printf("CLOSING open=%ld closed_by_server=%ld\n", ends[E_OK] - closed_idle, closed_idle);
    fflush(stdout);
    close_all();
    return failed ? 1 : 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: tlsclient -p PORT [-a ADDR] [-m full|resume|idle] [-c INFLIGHT] [-d SECONDS]\n"
                    "                 [-n COUNT] [-u PATH] [-s SNI] [-V 1.3|1.2] [-k ecdsa|rsa|any]\n"
                    "                 [-A ALPN|none] [-S SESSFILE] [-t TIMEOUT_S] [-x STATUS] [-H HOLD_S] [-J [-W FILE]] [-T]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    int o, want_ja4 = 0;

    while ((o = getopt(argc, argv, "p:a:m:c:d:n:u:s:V:k:A:S:t:x:H:JW:T")) != -1) {
        switch (o) {
        case 'p': opt_port = atoi(optarg); break;
        case 'a': opt_addr = optarg; break;
        case 'm':
            opt_mode = strcmp(optarg, "resume") == 0 ? M_RESUME : strcmp(optarg, "idle") == 0 ? M_IDLE
                     : strcmp(optarg, "full") == 0 ? M_FULL : (usage(), M_FULL);
            break;
        case 'c': opt_inflight = atoi(optarg); break;
        case 'd': opt_duration = atof(optarg); break;
        case 'n': opt_count = atoi(optarg); break;
        case 'u': opt_path = optarg; break;
        case 's': opt_sni = optarg; break;
        case 'V': opt_version = strcmp(optarg, "1.2") == 0 ? 12 : strcmp(optarg, "1.3") == 0 ? 13 : (usage(), 0); break;
        case 'k': opt_key = optarg; break;
        case 'A': opt_alpn = optarg; break;
        case 'S': opt_sessfile = optarg; break;
        case 't': opt_timeout = atof(optarg); break;
        case 'x': opt_status = atoi(optarg); break;
        case 'H': opt_hold = atoi(optarg); break;
        case 'J': want_ja4 = 1; break;
        case 'W': opt_wire = optarg; break;
        case 'T': return ja4_selftest();
        default: usage();
        }
    }
    ctx_setup();
    if (want_ja4)
        return print_ja4();
    if (opt_port <= 0 || opt_port > 65535 || opt_inflight <= 0)
        usage();
    signal(SIGPIPE, SIG_IGN);
    dst.sin_family = AF_INET;
    dst.sin_port = htons((uint16_t)opt_port);
    if (inet_pton(AF_INET, opt_addr, &dst.sin_addr) != 1)
        usage();
    request_len = (size_t)snprintf(request, sizeof(request),
                                   "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: hush-bench-tlsclient\r\n%s\r\n",
                                   opt_path, *opt_sni ? opt_sni : "localhost",
                                   opt_mode == M_IDLE ? "" : "Connection: close\r\n");
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0)
        die("epoll_create1");
    if (opt_mode == M_IDLE) {
        if (opt_duration == 10)
            opt_duration = 300; /* phase 1 deadline */
        return run_idle();
    }
    run_load();
    return 0;
}
