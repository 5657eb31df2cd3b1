/* A FastCGI responder's answer for the upstream machinery: the record
 * stream decoded in place into stdout (stderr records to the error log,
 * as nginx: "FastCGI sent in stderr: ..."), the CGI head, and the
 * FCGI_ABORT_REQUEST sent when the client leaves with fastcgi_keep_conn on. */
#include <string.h>

#include "core/errlog.h"
#include "fastcgi/fcgi_internal.h"

/* ---- stderr ---- */

static void log_stderr(hs_req *r, fcgi_state *st)
{
    size_t n = st->err_len;
    while (n && (st->err[n - 1] == '\n' || st->err[n - 1] == '\r' || st->err[n - 1] == ' '))
        n--;
    st->err_len = 0;
    if (n == 0)
        return;
    hs_log_ctx(HS_LOG_ERR, r, 0, "FastCGI sent in stderr: \"%.*s\" while %s", (int)n, st->err,
               st->head_done ? "reading upstream" : "reading response header from upstream");
}

/* A piece of a stderr record: collected up to the record's end (a bounded
 * buffer: a longer message is logged in parts). */
static void on_stderr(void *ctx, const char *data, size_t n, bool last)
{
    hs_req *r = ctx;
    fcgi_state *st = FC(r);
    while (n) {
        size_t k = sizeof(st->err) - st->err_len;
        if (k > n)
            k = n;
        memcpy(st->err + st->err_len, data, k);
        st->err_len += k;
        data += k;
        n -= k;
        if (st->err_len == sizeof(st->err))
            log_stderr(r, st);
    }
    if (last)
        log_stderr(r, st);
}

/* ---- the proto's hooks ---- */

int hs_fcgi_decode_in(hs_req *r, char *buf, size_t *n)
{
    fcgi_state *st = FC(r);
    int rc = hs_fcgi_decode(&st->dec, buf, n, on_stderr, r);
    if (rc == HS_ERROR) {
        hs_log_ctx(HS_LOG_ERR, r, 0, "%s while %s", st->dec.error,
                   st->head_done ? "reading upstream" : "reading response header from upstream");
        return HS_ERROR;
    }
    if (st->dec.ended && st->dec.protocol_status != 0 && !st->head_done) {
        /* FCGI_CANT_MPX_CONN, FCGI_OVERLOADED, FCGI_UNKNOWN_ROLE */
        hs_log_ctx(HS_LOG_ERR, r, 0, "upstream rejected request with FastCGI protocol status %d while reading "
                   "response header from upstream", st->dec.protocol_status);
        return HS_ERROR;
    }
    return rc;
}

int hs_fcgi_head(hs_req *r, const char *buf, size_t len, hs_http_response *resp, hs_header *hdrs, size_t max)
{
    int rc = hs_fcgi_parse_head(buf, len, resp, hdrs, max);
    if (rc == HS_OK)
        FC(r)->head_done = true;
    return rc;
}

size_t hs_fcgi_abort(hs_req *r, char *out)
{
    const fcgi_conf *c = fcgi_conf_of(r->loc);
    if (c == NULL || !hs_upstream_conf_keep_conn(c->up))
        return 0;
    hs_fcgi_header(out, HS_FCGI_ABORT_REQUEST, FCGI_REQUEST_ID, 0);
    return HS_FCGI_HEADER_LEN;
}
