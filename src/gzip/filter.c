/* The gzip filters. The header filter decides as nginx: gzip on, a 200,
 * 403 or 404 with a body, no Content-Encoding yet, at least
 * gzip_min_length bytes (when the length is known), a gzip_types type
 * (text/html always), and a client that may get it (ok.c); a HEAD gets
 * the same head. Then the
 * response loses its length (chunked, or until close), its ranges (a
 * range the static module cut is undone: nginx ignores Range on a
 * compressed response) and its strong ETag (weak from now on). The body
 * filter deflates with zlib into gzip format, piece by piece. */
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

#include "gzip/gzip_internal.h"

#define OUT_CHUNK 16384

static bool type_ok(const gz_loc *c, hs_str t)
{
    const char *semi = memchr(t.p, ';', t.n);
    if (semi)
        t.n = (size_t)(semi - t.p);
    while (t.n && t.p[t.n - 1] == ' ')
        t.n--;
    if (hs_str_caseeq(t, HS_STR("text/html")))
        return true;
    for (size_t i = 0; i < c->ntypes; i++)
        if (hs_str_caseeq(c->types[i], t) || hs_str_eq_lit(c->types[i], "*"))
            return true;
    return false;
}

/* W/"x" for "x"; an ETag that is neither strong nor weak is dropped (nginx). */
static int weaken(hs_req *r, hs_str *etag)
{
    if (etag->n >= 2 && etag->p[0] == 'W' && etag->p[1] == '/')
        return HS_OK;
    if (etag->n == 0 || etag->p[0] != '"') {
        *etag = HS_NULL_STR;
        return HS_OK;
    }
    char *w = hs_psprintf(r->pool, "W/%.*s", (int)etag->n, etag->p);
    *etag = hs_cstr(w);
    return w ? HS_OK : HS_ERROR;
}

static void stream_free(void *arg)
{
    deflateEnd(arg);
    free(arg);
}

/* zlib's state for the response, freed with the request. */
static int start_deflate(hs_req *r, const gz_loc *c)
{
    z_stream *zs = calloc(1, sizeof(*zs));
    if (zs == NULL)
        return HS_ERROR;
    /* windowBits 15 + 16: a gzip header and trailer around the deflate data */
    if (deflateInit2(zs, (int)c->level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(zs);
        return HS_ERROR;
    }
    if (hs_pool_cleanup_add(r->pool, stream_free, zs) != HS_OK) {
        stream_free(zs);
        return HS_ERROR;
    }
    return hs_http_set_ctx(r, &hs_gzip_module, zs);
}

static bool applies(hs_req *r, const gz_loc *c)
{
    hs_resp *rs = &r->resp;
    int s = rs->status == 206 && rs->content_range.n ? 200 : rs->status;
    const hs_header *ce = hs_fields_find(&rs->headers, HS_STR("Content-Encoding"));
    int64_t len = rs->content_length;
    if (s == 200 && rs->content_range.n)
        len = -1; /* the whole entity: at least the part */
    return (s == 200 || s == 403 || s == 404) && !(ce && ce->value.n) &&
           (len < 0 || len >= c->min_length) && rs->content_type.n && type_ok(c, rs->content_type);
}

int gz_header_filter(hs_req *r)
{
    const gz_loc *c = r->loc ? gz_loc_of(r->loc) : NULL;
    if (c == NULL || !c->enable || !applies(r, c))
        return HS_OK;
    hs_resp *rs = &r->resp;
    const hs_header *vary = hs_fields_find(&rs->headers, HS_STR("Vary"));
    /* gzip_static's, for this request (an upstream's does not count: nginx sends both) */
    bool has_vary = vary && !r->upstream && hs_str_caseeq(vary->value, HS_STR("Accept-Encoding"));
    if (c->vary && !has_vary && hs_fields_add(r->pool, &rs->headers, HS_STR("Vary"), HS_STR("Accept-Encoding")) != HS_OK)
        return HS_ERROR;
    if (!gz_request_ok(r, c))
        return HS_OK;
    if (rs->status == 206)
        hs_static_whole_entity(rs);
    hs_header *etag = hs_fields_find(&rs->headers, HS_STR("ETag"));
    if (weaken(r, &rs->etag) != HS_OK || (etag && weaken(r, &etag->value) != HS_OK))
        return HS_ERROR;
    if (etag && etag->value.n == 0)
        hs_fields_del(&rs->headers, HS_STR("ETag"));
    if (hs_fields_add(r->pool, &rs->headers, HS_STR("Content-Encoding"), HS_STR("gzip")) != HS_OK)
        return HS_ERROR;
    rs->content_length = -1;
    rs->accept_ranges = false;
    hs_fields_del(&rs->headers, HS_STR("Accept-Ranges")); /* an upstream's */
    if (rs->header_only)
        return HS_OK; /* HEAD: the head a GET would get, nothing to deflate */
    rs->filtered = true;
    return start_deflate(r, c);
}

int gz_body_filter(hs_req *r, unsigned next, const char *data, size_t n, bool last)
{
    z_stream *zs = hs_http_get_ctx(r, &hs_gzip_module);
    if (zs == NULL)
        return hs_http_body_pass(r, next, data, n, last);
    char out[OUT_CHUNK];
    zs->next_in = (Bytef *)data;
    zs->avail_in = (uInt)n;
    int rc;
    do {
        zs->next_out = (Bytef *)out;
        zs->avail_out = sizeof(out);
        rc = deflate(zs, last ? Z_FINISH : Z_NO_FLUSH);
        if (rc == Z_STREAM_ERROR)
            return HS_ERROR;
        size_t made = sizeof(out) - zs->avail_out;
        if (made && hs_http_body_pass(r, next, out, made, false) != HS_OK)
            return HS_ERROR;
    } while (zs->avail_out == 0 || (last && rc != Z_STREAM_END));
    return last ? hs_http_body_pass(r, next, NULL, 0, true) : HS_OK;
}
