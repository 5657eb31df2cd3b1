/* Client certificates at request time (ssl_verify_client), as nginx: the
 * handshake accepts any certificate, and a request on a connection whose
 * certificate is missing (on) or failed verification (on, optional) gets a
 * 400 with nginx's page ("No required SSL certificate was sent", "The SSL
 * certificate error"); optional_no_ca lets an unverified one through. */
#include "core/errlog.h"
#include "tls/tls_internal.h"

static int refuse(hs_req *r, const char *reason, const char *log_reason)
{
    hs_log(HS_LOG_INFO, "*%llu %s, client: %s", (unsigned long long)r->conn->number, log_reason,
           hs_conn_peer_text(r->conn));
    r->error_reason = reason;
    hs_http_finalize(r, 400);
    return HS_DONE;
}

static int check_client_cert(hs_req *r)
{
    hs_tls_conn *t = hs_tls_state(r->conn);
    if (t == NULL || t->ssl == NULL)
        return HS_OK;
    const hs_tls_srv *ts = hs_tls_srv_of(r->srv->loc);
    if (ts == NULL || ts->verify_client == HS_VERIFY_OFF)
        return HS_OK;
    X509 *cert = SSL_get0_peer_certificate(t->ssl);
    if (cert == NULL)
        return ts->verify_client == HS_VERIFY_ON
                   ? refuse(r, "No required SSL certificate was sent", "client sent no required SSL certificate")
                   : HS_OK;
    long rc = SSL_get_verify_result(t->ssl);
    if (rc != X509_V_OK && ts->verify_client != HS_VERIFY_OPTIONAL_NO_CA)
        return refuse(r, "The SSL certificate error", X509_verify_cert_error_string(rc));
    return HS_OK;
}

int hs_tls_verify_register(hs_cf *cf, hs_http_conf *http)
{
    for (size_t i = 0; i < http->nservers; i++) {
        const hs_tls_srv *ts = hs_tls_srv_of(http->servers[i]->loc);
        if (ts && ts->verify_client != HS_VERIFY_OFF)
            return hs_http_add_phase(cf, http, HS_PHASE_POST_READ, check_client_cert);
    }
    return HS_OK;
}
