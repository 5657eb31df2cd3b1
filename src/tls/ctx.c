/* Building a server's SSL_CTX from its ssl_* settings, in the master when
 * the configuration loads (workers inherit it): certificates and keys (an
 * RSA and an ECDSA pair may sit side by side; OpenSSL picks per client),
 * protocols, ciphers, curves, DH parameters, session tickets, client
 * verification, a stapled OCSP response from a file, ssl_conf_command.
 * Every failure is a configuration error at the directive. */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>

#include "http/proto.h"
#include "tls/tls_internal.h"

/* "error:...:reason" of the last OpenSSL error, for messages. */
static const char *ssl_reason(char *buf, size_t n)
{
    unsigned long e = ERR_peek_last_error();
    if (e == 0)
        return "unknown error";
    ERR_error_string_n(e, buf, n);
    ERR_clear_error();
    return buf;
}

static int fail(hs_cf *cf, hs_tls_srv *ts, const char *what, hs_str path)
{
    char reason[256];
    hs_conf_node at = {.file = ts->cert_file ? ts->cert_file : "?", .line = ts->cert_line};
    return hs_cf_error(cf, &at, "%s \"%s\" failed (SSL: %s)", what, path.p ? path.p : "",
                       ssl_reason(reason, sizeof(reason)));
}

/* ---- keys with passwords (ssl_password_file: one password per line, tried in order) ---- */

typedef struct {
    char lines[16][256];
    int n, next;
} passwords;

static int password_cb(char *buf, int size, int rwflag, void *u)
{
    (void)rwflag;
    passwords *pw = u;
    if (pw == NULL || pw->next >= pw->n)
        return -1;
    snprintf(buf, (size_t)size, "%s", pw->lines[pw->next]);
    return (int)strlen(buf);
}

static int read_passwords(hs_str path, passwords *pw)
{
    FILE *f = fopen(path.p, "r");
    if (f == NULL)
        return HS_ERROR;
    pw->n = 0;
    while (pw->n < 16 && fgets(pw->lines[pw->n], sizeof(pw->lines[0]), f)) {
        pw->lines[pw->n][strcspn(pw->lines[pw->n], "\r\n")] = '\0';
        pw->n++;
    }
    fclose(f);
    return HS_OK;
}

static EVP_PKEY *load_key(hs_str path, passwords *pw)
{
    for (pw->next = 0;; pw->next++) {
        BIO *b = BIO_new_file(path.p, "r");
        if (b == NULL)
            return NULL;
        EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, password_cb, pw->n ? pw : NULL);
        BIO_free(b);
        if (k || pw->n == 0 || pw->next + 1 >= pw->n)
            return k;
        ERR_clear_error(); /* a wrong password: the next line */
    }
}

static int load_pairs(hs_cf *cf, hs_tls_srv *ts, SSL_CTX *ctx)
{
    passwords pw = {.n = 0};
    if (ts->password_file.p && read_passwords(ts->password_file, &pw) != HS_OK) {
        hs_conf_node at = {.file = ts->cert_file, .line = ts->cert_line};
        return hs_cf_error(cf, &at, "cannot open password file \"%s\"", ts->password_file.p);
    }
    if (ts->nkeys != ts->ncerts) {
        hs_conf_node at = {.file = ts->cert_file, .line = ts->cert_line};
        return hs_cf_error(cf, &at, "no \"ssl_certificate_key\" is defined for certificate \"%s\"",
                           ts->certs[ts->nkeys < ts->ncerts ? ts->nkeys : 0].p);
    }
    for (size_t i = 0; i < ts->ncerts; i++) {
        if (SSL_CTX_use_certificate_chain_file(ctx, ts->certs[i].p) != 1)
            return fail(cf, ts, "cannot load certificate", ts->certs[i]);
        EVP_PKEY *k = load_key(ts->keys[i], &pw);
        if (k == NULL)
            return fail(cf, ts, "cannot load certificate key", ts->keys[i]);
        int ok = SSL_CTX_use_PrivateKey(ctx, k);
        EVP_PKEY_free(k);
        if (ok != 1 || SSL_CTX_check_private_key(ctx) != 1)
            return fail(cf, ts, "the key does not match the certificate: key", ts->keys[i]);
    }
    return HS_OK;
}

/* ---- protocol settings ---- */

static int set_versions(hs_tls_srv *ts, SSL_CTX *ctx)
{
    static const struct {
        int bit, version;
    } v[] = {{HS_TLS_V10, TLS1_VERSION}, {HS_TLS_V11, TLS1_1_VERSION}, {HS_TLS_V12, TLS1_2_VERSION},
             {HS_TLS_V13, TLS1_3_VERSION}};
    int lo = 0, hi = 0;
    for (size_t i = 0; i < HS_ARRAY_LEN(v); i++) {
        if (ts->protocols & v[i].bit) {
            lo = lo ? lo : v[i].version;
            hi = v[i].version;
        }
    }
    if (lo == 0)
        return HS_ERROR;
    return SSL_CTX_set_min_proto_version(ctx, lo) == 1 && SSL_CTX_set_max_proto_version(ctx, hi) == 1
               ? HS_OK
               : HS_ERROR;
}

static int load_dhparam(hs_cf *cf, hs_tls_srv *ts, SSL_CTX *ctx)
{
    BIO *b = BIO_new_file(ts->dhparam.p, "r");
    EVP_PKEY *dh = b ? PEM_read_bio_Parameters(b, NULL) : NULL;
    BIO_free(b);
    if (dh == NULL || SSL_CTX_set0_tmp_dh_pkey(ctx, dh) != 1) {
        EVP_PKEY_free(dh);
        return fail(cf, ts, "cannot load DH parameters from", ts->dhparam);
    }
    return HS_OK;
}

static int set_protocol(hs_cf *cf, hs_tls_srv *ts, SSL_CTX *ctx)
{
    if (set_versions(ts, ctx) != HS_OK)
        return fail(cf, ts, "ssl_protocols for", ts->certs[0]);
    if (SSL_CTX_set_cipher_list(ctx, ts->ciphers.p) != 1)
        return fail(cf, ts, "ssl_ciphers", ts->ciphers);
    if (ts->prefer_server_ciphers)
        SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (!hs_str_eq_lit(ts->ecdh_curve, "auto") && SSL_CTX_set1_groups_list(ctx, ts->ecdh_curve.p) != 1)
        return fail(cf, ts, "ssl_ecdh_curve", ts->ecdh_curve);
    if (ts->dhparam.p && load_dhparam(cf, ts, ctx) != HS_OK)
        return HS_ERROR;
    if (!ts->session_tickets)
        SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_timeout(ctx, (long)(ts->session_timeout / 1000));
    SSL_CTX_set_max_send_fragment(ctx, (long)ts->buffer_size);
    return HS_OK;
}

/* ---- client certificates, stapling, conf commands ---- */

static int verify_accept_all(int ok, X509_STORE_CTX *x)
{
    (void)ok;
    (void)x;
    return 1; /* as nginx: the result is judged per request ($ssl_client_verify) */
}

/* ssl_crl: revoked client certificates (the whole chain is checked). */
static int load_crl(hs_cf *cf, hs_tls_srv *ts, SSL_CTX *ctx)
{
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    X509_LOOKUP *lookup = X509_STORE_add_lookup(store, X509_LOOKUP_file());
    if (lookup == NULL || X509_load_crl_file(lookup, ts->crl.p, X509_FILETYPE_PEM) <= 0)
        return fail(cf, ts, "X509_load_crl_file()", ts->crl);
    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
    return HS_OK;
}

static int set_verify(hs_cf *cf, hs_tls_srv *ts, SSL_CTX *ctx)
{
    if (ts->verify_client == HS_VERIFY_OFF)
        return HS_OK;
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_accept_all);
    SSL_CTX_set_verify_depth(ctx, (int)ts->verify_depth);
    if (ts->client_certificate.p) {
        if (SSL_CTX_load_verify_locations(ctx, ts->client_certificate.p, NULL) != 1)
            return fail(cf, ts, "cannot load client certificates from", ts->client_certificate);
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(ts->client_certificate.p);
        if (names)
            SSL_CTX_set_client_CA_list(ctx, names);
    }
    if (ts->trusted_certificate.p && SSL_CTX_load_verify_locations(ctx, ts->trusted_certificate.p, NULL) != 1)
        return fail(cf, ts, "cannot load trusted certificates from", ts->trusted_certificate);
    if (ts->crl.p && load_crl(cf, ts, ctx) != HS_OK)
        return HS_ERROR;
    if (ts->verify_client != HS_VERIFY_OPTIONAL_NO_CA && !ts->client_certificate.p && !ts->trusted_certificate.p) {
        hs_conf_node at = {.file = ts->cert_file, .line = ts->cert_line};
        return hs_cf_error(cf, &at, "no ssl_client_certificate or ssl_trusted_certificate for ssl_verify_client");
    }
    return HS_OK;
}

static int conf_commands(hs_cf *cf, hs_tls_srv *ts, SSL_CTX *ctx)
{
    if (ts->nconf_commands == 0)
        return HS_OK;
    SSL_CONF_CTX *cc = SSL_CONF_CTX_new();
    SSL_CONF_CTX_set_flags(cc, SSL_CONF_FLAG_FILE | SSL_CONF_FLAG_SERVER | SSL_CONF_FLAG_CERTIFICATE |
                                   SSL_CONF_FLAG_SHOW_ERRORS);
    SSL_CONF_CTX_set_ssl_ctx(cc, ctx);
    int rc = HS_OK;
    for (size_t i = 0; i < ts->nconf_commands && rc == HS_OK; i++)
        if (SSL_CONF_cmd(cc, ts->conf_commands[2 * i].p, ts->conf_commands[2 * i + 1].p) <= 0)
            rc = fail(cf, ts, "ssl_conf_command", ts->conf_commands[2 * i]);
    if (rc == HS_OK && SSL_CONF_CTX_finish(cc) != 1)
        rc = fail(cf, ts, "ssl_conf_command", ts->conf_commands[0]);
    SSL_CONF_CTX_free(cc);
    return rc;
}

/* ALPN: h2 where the server the SNI chose speaks HTTP/2 (listen ... http2,
 * or its `http2 on`, as nginx 1.25) and the client offers it, else
 * http/1.1 when the client offers it. */
static int select_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
                       unsigned int inlen, void *arg)
{
    (void)arg;
    static const unsigned char both[] = "\x02h2\x08http/1.1";
    hs_io *io = SSL_get_app_data(ssl);
    hs_listen_group *g = io ? hs_tls_conn_of_io(io)->group : NULL;
    hs_tls_conn *t = io ? io->state : NULL;
    bool h2 = g && g->proto && t && t->srv && g->proto->serves(g, t->srv);
    const unsigned char *ours = h2 ? both : both + 3;
    unsigned int len = h2 ? sizeof(both) - 1 : sizeof(both) - 4;
    unsigned char *sel;
    if (SSL_select_next_proto(&sel, outlen, ours, len, in, inlen) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = sel;
    return SSL_TLSEXT_ERR_OK;
}

static void free_ctx(void *ctx) { SSL_CTX_free(ctx); }

int hs_tls_ctx_build(hs_cf *cf, hs_tls_srv *ts)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL)
        return fail(cf, ts, "SSL_CTX_new() for", ts->certs[0]);
    hs_pool_cleanup_add(cf->pool, free_ctx, ctx);
    ts->ctx = ctx;
    /* read and write buffers go back to OpenSSL's pool whenever they are
     * empty: an idle keep-alive connection holds none */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                              SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
    /* one read() takes what the socket has, not a record's header and then
     * its body (as nginx); tls_pending tells of what is held undecrypted */
    SSL_CTX_set_read_ahead(ctx, 1);
    SSL_CTX_set_alpn_select_cb(ctx, select_alpn, NULL);
    if (load_pairs(cf, ts, ctx) != HS_OK || set_protocol(cf, ts, ctx) != HS_OK ||
        set_verify(cf, ts, ctx) != HS_OK || hs_tls_stapling_setup(cf, ts, ctx) != HS_OK ||
        hs_tls_cache_setup(cf, ts, ctx) != HS_OK || hs_tls_tickets_setup(cf, ts, ctx) != HS_OK)
        return HS_ERROR;
    return conf_commands(cf, ts, ctx);
}
