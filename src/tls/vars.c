/* The $ssl_* variables (nginx's, and hush's ClientHello ones: $ssl_ja4,
 * $ssl_hello_version, $ssl_hello_alpn, $ssl_handshake_error). All of them
 * are connection variables: they have values in connection-log lines and
 * for ClientHello rules, before any request. */
#include <openssl/x509.h>
#include <stdio.h>

#include "tls/tls_internal.h"

#define REQ(ctx) ((hs_req *)(ctx))
#define SET(v) (*out = (v), HS_OK)

static hs_tls_conn *state_of(void *ctx) { return hs_tls_state(REQ(ctx)->conn); }

static SSL *ssl_of(void *ctx)
{
    hs_tls_conn *t = state_of(ctx);
    return t && t->ssl && t->established ? t->ssl : NULL;
}

static int v_protocol(void *ctx, uintptr_t d, hs_str *out, char *s)
{
    (void)d;
    (void)s;
    SSL *ssl = ssl_of(ctx);
    return ssl ? SET(hs_cstr(SSL_get_version(ssl))) : HS_DECLINED;
}

static int v_cipher(void *ctx, uintptr_t d, hs_str *out, char *s)
{
    (void)d;
    (void)s;
    SSL *ssl = ssl_of(ctx);
    return ssl ? SET(hs_cstr(SSL_get_cipher_name(ssl))) : HS_DECLINED;
}

static int v_server_name(void *ctx, uintptr_t d, hs_str *out, char *s)
{
    (void)d;
    (void)s;
    hs_tls_conn *t = state_of(ctx);
    return t && t->sni ? SET(hs_cstr(t->sni)) : HS_DECLINED;
}

static int v_session_reused(void *ctx, uintptr_t d, hs_str *out, char *s)
{
    (void)d;
    (void)s;
    if (state_of(ctx) == NULL)
        return HS_DECLINED; /* not TLS: not found, as nginx */
    SSL *ssl = ssl_of(ctx);
    return SET(ssl && SSL_session_reused(ssl) ? HS_STR("r") : HS_STR("."));
}

static int v_alpn(void *ctx, uintptr_t d, hs_str *out, char *s)
{
    (void)d;
    (void)s;
    SSL *ssl = ssl_of(ctx);
    const unsigned char *p = NULL;
    unsigned int n = 0;
    if (ssl)
        SSL_get0_alpn_selected(ssl, &p, &n);
    return n ? SET(((hs_str){(const char *)p, n})) : HS_DECLINED;
}

/* SUCCESS, FAILED:reason or NONE, as nginx. */
static int v_client_verify(void *ctx, uintptr_t d, hs_str *out, char *s)
{
    (void)d;
    (void)s;
    SSL *ssl = ssl_of(ctx);
    if (ssl == NULL)
        return HS_DECLINED;
    X509 *cert = SSL_get0_peer_certificate(ssl);
    if (cert == NULL)
        return SET(HS_STR("NONE"));
    long rc = SSL_get_verify_result(ssl);
    if (rc == X509_V_OK)
        return SET(HS_STR("SUCCESS"));
    char *p = hs_psprintf(REQ(ctx)->pool, "FAILED:%s", X509_verify_cert_error_string(rc));
    return p ? SET(hs_cstr(p)) : HS_DECLINED;
}

static int v_client_s_dn(void *ctx, uintptr_t d, hs_str *out, char *s)
{
    (void)d;
    (void)s;
    SSL *ssl = ssl_of(ctx);
    X509 *cert = ssl ? SSL_get0_peer_certificate(ssl) : NULL;
    if (cert == NULL)
        return HS_DECLINED;
    BIO *b = BIO_new(BIO_s_mem());
    X509_NAME_print_ex(b, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
    char *p;
    long n = BIO_get_mem_data(b, &p);
    char *copy = n > 0 ? hs_pstrndup(REQ(ctx)->pool, p, (size_t)n) : NULL;
    BIO_free(b);
    return copy ? SET(((hs_str){copy, (size_t)n})) : HS_DECLINED;
}

static int v_ja4(void *ctx, uintptr_t d, hs_str *out, char *s)
{
    (void)d;
    (void)s;
    hs_tls_conn *t = state_of(ctx);
    return t && t->hello_seen && t->ja4[0] ? SET(hs_cstr(t->ja4)) : HS_DECLINED;
}

/* $ssl_ja4: computed only when a configuration uses it. */
bool hs_tls_ja4_used;

/* FoxIO's raw form ($ssl_ja4_r): kept only when a configuration uses it. */
bool hs_tls_ja4_raw_used;

static int v_ja4_raw(void *ctx, uintptr_t d, hs_str *out, char *s)
{
    (void)d;
    (void)s;
    hs_tls_conn *t = state_of(ctx);
    return t && t->ja4_raw ? SET(hs_cstr(t->ja4_raw)) : HS_DECLINED;
}

static int v_hello_version(void *ctx, uintptr_t d, hs_str *out, char *s)
{
    (void)d;
    (void)s;
    hs_tls_conn *t = state_of(ctx);
    if (t == NULL || !t->hello_seen)
        return HS_DECLINED;
    switch (t->hello_version) {
    case 0x0304: return SET(HS_STR("TLSv1.3"));
    case 0x0303: return SET(HS_STR("TLSv1.2"));
    case 0x0302: return SET(HS_STR("TLSv1.1"));
    case 0x0301: return SET(HS_STR("TLSv1"));
    default: return SET(HS_STR("unknown"));
    }
}

static int v_hello_alpn(void *ctx, uintptr_t d, hs_str *out, char *s)
{
    (void)d;
    (void)s;
    hs_tls_conn *t = state_of(ctx);
    return t && t->alpn ? SET(hs_cstr(t->alpn)) : HS_DECLINED;
}

static int v_handshake_error(void *ctx, uintptr_t d, hs_str *out, char *s)
{
    (void)d;
    (void)s;
    hs_tls_conn *t = state_of(ctx);
    return t && t->error ? SET(hs_cstr(t->error)) : HS_DECLINED;
}

const hs_var_def hs_tls_variables[] = {
    {"ssl_protocol", v_protocol, 0, false, true},
    {"ssl_cipher", v_cipher, 0, false, true},
    {"ssl_server_name", v_server_name, 0, false, true},
    {"ssl_session_reused", v_session_reused, 0, false, true},
    {"ssl_alpn_protocol", v_alpn, 0, false, true},
    {"ssl_client_verify", v_client_verify, 0, false, true},
    {"ssl_client_s_dn", v_client_s_dn, 0, false, true},
    {"ssl_ja4", v_ja4, 0, false, true},
    {"ssl_ja4_r", v_ja4_raw, 0, false, true},
    {"ssl_hello_version", v_hello_version, 0, false, true},
    {"ssl_hello_alpn", v_hello_alpn, 0, false, true},
    {"ssl_handshake_error", v_handshake_error, 0, false, true},
    {NULL, NULL, 0, false, false},
};
