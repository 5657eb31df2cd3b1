/* May a request get a compressed response? nginx's test: the client
 * accepts gzip (q not 0), is not an old MSIE (gzip_disable msie6) nor
 * matched by gzip_disable, speaks gzip_http_version or newer, and when the
 * request came through a proxy (Via), gzip_proxied allows it. */
#include "core/clock.h"
#include "gzip/gzip_internal.h"

/* "gzip" as a coding of Accept-Encoding, with a q-value that is not zero. */
static bool accepts_gzip(hs_str v)
{
    for (size_t i = 0; i + 4 <= v.n; i++) {
        if (strncasecmp(v.p + i, "gzip", 4) != 0 || (i && v.p[i - 1] != ',' && v.p[i - 1] != ' '))
            continue;
        size_t j = i + 4;
        while (j < v.n && v.p[j] == ' ')
            j++;
        if (j == v.n || v.p[j] == ',')
            return true;
        if (v.p[j] != ';')
            continue;
        const char *q = memchr(v.p + j, '=', v.n - j), *end = v.p + v.n;
        if (q == NULL)
            return true;
        /* q=0, q=0.0, q=0.000: refused; anything else accepts */
        for (q++; q < end && (*q == '0' || *q == '.'); q++)
            ;
        return q < end && *q >= '1' && *q <= '9';
    }
    return false;
}

/* MSIE 4 to 6 (6 without SV1), which mishandle compressed responses. */
static bool msie6(hs_str ua)
{
    const char *m = memmem(ua.p, ua.n, "MSIE ", 5);
    if (m == NULL || m + 7 >= ua.p + ua.n || m[6] != '.')
        return false;
    if (m[5] == '4' || m[5] == '5')
        return true;
    return m[5] == '6' && memmem(m + 8, (size_t)(ua.p + ua.n - m - 8), "SV1", 3) == NULL;
}

static bool has_token(const hs_header *h, const char *token)
{
    return h && memmem(h->value.p, h->value.n, token, strlen(token)) != NULL;
}

/* gzip_proxied for a request that came through a proxy (nginx's order of tests). */
static bool proxied_ok(hs_req *r, int p)
{
    if (p & GZ_PX_OFF)
        return false;
    if ((p & GZ_PX_ANY) || ((p & GZ_PX_AUTH) && hs_http_find_header(&r->h, "Authorization")))
        return true;
    hs_resp *rs = &r->resp;
    hs_header *e = hs_fields_find(&rs->headers, HS_STR("Expires"));
    if (e) {
        time_t t = hs_parse_http_date(e->value.p, e->value.n);
        return (p & GZ_PX_EXPIRED) && t != -1 && t < hs_now.sec;
    }
    hs_header *cc = hs_fields_find(&rs->headers, HS_STR("Cache-Control"));
    if (cc)
        return ((p & GZ_PX_NO_CACHE) && has_token(cc, "no-cache")) ||
               ((p & GZ_PX_NO_STORE) && has_token(cc, "no-store")) ||
               ((p & GZ_PX_PRIVATE) && has_token(cc, "private"));
    bool lm = rs->last_modified >= 0 || hs_fields_find(&rs->headers, HS_STR("Last-Modified"));
    bool etag = rs->etag.n || hs_fields_find(&rs->headers, HS_STR("ETag"));
    return !((p & GZ_PX_NO_LM) && lm) && !((p & GZ_PX_NO_ETAG) && etag);
}

bool gz_request_ok(hs_req *r, const gz_loc *c)
{
    const hs_header *ae = hs_http_find_header(&r->h, "Accept-Encoding");
    if (ae == NULL || !accepts_gzip(ae->value))
        return false;
    const hs_header *ua = hs_http_find_header(&r->h, "User-Agent");
    if (c->disable_msie6 > 0 && ua && msie6(ua->value))
        return false;
    if (r->h.version < c->http_version)
        return false;
    if (hs_http_find_header(&r->h, "Via") && !proxied_ok(r, c->proxied))
        return false;
    int ovec[2 * HS_REGEX_MAX_CAPTURES];
    for (size_t i = 0; ua && i < c->ndisable; i++)
        if (hs_regex_match(c->disable[i], ua->value, ovec) > 0)
            return false;
    return true;
}
