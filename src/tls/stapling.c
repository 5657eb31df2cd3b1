/* OCSP stapling from a file (ssl_stapling on + ssl_stapling_file): the
 * DER response is read when the configuration loads and sent to clients
 * that ask for the certificate status. hush does not fetch responses from
 * the responder itself: ssl_stapling without a file is an error. */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/ocsp.h>

#include "tls/tls_internal.h"

typedef struct {
    unsigned char *der;
    size_t len;
} ocsp_resp;

static int status_cb(SSL *ssl, void *arg)
{
    ocsp_resp *r = arg;
    unsigned char *copy = OPENSSL_malloc(r->len); /* OpenSSL frees what it is given */
    if (copy == NULL)
        return SSL_TLSEXT_ERR_NOACK;
    memcpy(copy, r->der, r->len);
    SSL_set_tlsext_status_ocsp_resp(ssl, copy, (long)r->len);
    return SSL_TLSEXT_ERR_OK;
}

static ocsp_resp *read_response(hs_cf *cf, hs_str path)
{
    FILE *f = fopen(path.p, "rb");
    if (f == NULL)
        return NULL;
    ocsp_resp *r = hs_pcalloc(cf->pool, sizeof(*r));
    unsigned char buf[65536];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    const unsigned char *p = buf;
    OCSP_RESPONSE *check = d2i_OCSP_RESPONSE(NULL, &p, (long)n);
    if (r == NULL || check == NULL || n == 0) {
        OCSP_RESPONSE_free(check);
        return NULL;
    }
    OCSP_RESPONSE_free(check);
    r->der = hs_palloc(cf->pool, n);
    memcpy(r->der, buf, n);
    r->len = n;
    return r;
}

int hs_tls_stapling_setup(hs_cf *cf, hs_tls_srv *ts, SSL_CTX *ctx)
{
    if (!ts->stapling)
        return HS_OK;
    hs_conf_node at = {.file = ts->cert_file, .line = ts->cert_line};
    if (ts->stapling_file.p == NULL)
        return hs_cf_error(cf, &at, "\"ssl_stapling\" needs \"ssl_stapling_file\": hush does not query OCSP "
                                    "responders itself");
    ocsp_resp *r = read_response(cf, ts->stapling_file);
    if (r == NULL)
        return hs_cf_error(cf, &at, "cannot read an OCSP response from \"%s\"", ts->stapling_file.p);
    SSL_CTX_set_tlsext_status_cb(ctx, status_cb);
    SSL_CTX_set_tlsext_status_arg(ctx, r);
    return HS_OK;
}
