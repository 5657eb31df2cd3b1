/* add_trailer: fields after a chunked body's last chunk. As nginx, a
 * response that gets some is sent chunked for them (HTTP/1.1), and their
 * values are computed when the body ends, so they can carry what only the
 * end knows ($request_time, $sent_trailer_NAME of the ones before).
 * HTTP/2 sends the same section as a HEADERS frame after the DATA (h2/out.c),
 * its Content-Length kept. */
#include "headers/headers_internal.h"

hd_req *hd_req_of(hs_req *r)
{
    hd_req *hr = hs_http_get_ctx(r, &hs_headers_module);
    if (hr == NULL && (hr = hs_pcalloc(r->pool, sizeof(*hr))) != NULL &&
        hs_http_set_ctx(r, &hs_headers_module, hr) != HS_OK)
        return NULL;
    return hr;
}

int hd_trailers_header(hs_req *r, const hd_loc *c, bool ok)
{
    hs_resp *rs = &r->resp;
    bool h2 = r->conn->proto != NULL;
    if (rs->header_only || (r->h.version != 11 && !h2))
        return HS_OK;
    bool any = false;
    for (size_t i = 0; i < c->ntrailers; i++)
        any |= ok || c->trailers[i].always;
    if (!any)
        return HS_OK;
    hd_req *hr = hd_req_of(r);
    if (hr == NULL)
        return HS_ERROR;
    hr->trailers_due = true;
    hr->trailers_ok = ok;
    hr->conf = c;
    if (!h2)
        rs->content_length = -1; /* chunked, to carry them */
    rs->filtered = true;
    return HS_OK;
}

/* The trailer section: each field that applies and has a value. */
static int make_trailer(hs_req *r, hd_req *hr)
{
    const hd_loc *c = hr->conf;
    size_t len = 0;
    for (size_t i = 0; i < c->ntrailers; i++) {
        const hd_add *a = &c->trailers[i];
        hs_str v;
        if (!(hr->trailers_ok || a->always))
            continue;
        if (hs_cv_eval(&a->value, r, r->pool, &v) != HS_OK)
            return HS_ERROR;
        if (v.n && hs_fields_add(r->pool, &hr->trailers, a->name, v) != HS_OK)
            return HS_ERROR;
        len += v.n ? a->name.n + v.n + 4 : 0;
    }
    char *p = hs_palloc(r->pool, len + 1), *w = p;
    if (p == NULL)
        return HS_ERROR;
    for (uint32_t i = 0; i < hr->trailers.n; i++) {
        const hs_header *f = &hr->trailers.v[i];
        memcpy(w, f->name.p, f->name.n), w += f->name.n;
        memcpy(w, ": ", 2), w += 2;
        memcpy(w, f->value.p, f->value.n), w += f->value.n;
        memcpy(w, "\r\n", 2), w += 2;
    }
    r->resp.trailer = (hs_str){p, (size_t)(w - p)};
    return HS_OK;
}

int hd_trailers_body(hs_req *r, unsigned next, const char *data, size_t n, bool last)
{
    hd_req *hr = last ? hs_http_get_ctx(r, &hs_headers_module) : NULL;
    if (hr && hr->trailers_due) {
        hr->trailers_due = false;
        if (make_trailer(r, hr) != HS_OK)
            return HS_ERROR;
    }
    return hs_http_body_pass(r, next, data, n, last);
}
