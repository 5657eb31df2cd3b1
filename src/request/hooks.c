/* The request module's phase hooks: header names nginx would ignore,
 * merge_slashes off, keep-alive refused by browser or connection age, and
 * the switch to a limit_except level. Each costs a test or two when its
 * setting is at its default. */
#include <string.h>

#include "core/clock.h"
#include "core/errlog.h"
#include "core/units.h"
#include "parse/path.h"
#include "request/request_internal.h"

static bool plain_name(hs_str name, bool underscores)
{
    for (size_t i = 0; i < name.n; i++) {
        char c = hs_lower(name.p[i]);
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || (c == '_' && underscores)))
            return false;
    }
    return true;
}

/* ignore_invalid_headers: a field whose name has a byte other than A-Z a-z
 * 0-9 '-' ('_' with underscores_in_headers) is left out of the request, as
 * nginx does. The parser counted them: usually none. */
static void drop_invalid_headers(hs_req *r, const hs_reqconf *q)
{
    size_t k = 0;
    for (size_t i = 0; i < r->h.nheaders; i++) {
        hs_header *h = &r->h.headers[i];
        if (plain_name(h->name, q->underscores_in_headers)) {
            r->h.headers[k++] = *h;
            continue;
        }
        /* nginx's line names the client, server, request and host */
        size_t n = h->value.p >= h->name.p ? (size_t)(h->value.p + h->value.n - h->name.p) : h->name.n;
        hs_log_ctx(HS_LOG_INFO, r, 0, "client sent invalid header line: \"%.*s\" while reading client request headers",
                   (int)n, h->name.p);
    }
    r->h.nheaders = k;
}

/* The server-level settings are the address's default server's (nginx
 * reads the head before it knows the Host). */
int hs_request_post_read(hs_req *r)
{
    const hs_reqconf *q = hs_reqconf_of(r->conn->group->default_srv->loc);
    if ((int64_t)r->h.nheaders > q->max_headers) { /* nginx 1.27's max_headers, 1000 by default */
        hs_log_ctx(HS_LOG_INFO, r, 0, "client sent too many header lines");
        hs_http_finalize(r, 400);
        return HS_DONE;
    }
    if (r->h.odd_names && q->ignore_invalid_headers)
        drop_invalid_headers(r, q);
    if (!q->merge_slashes) {
        char *out = hs_palloc(r->pool, r->h.path.n + 1);
        size_t n;
        if (out && hs_http_normalize_path_ex(r->h.path, out, &n, false) == HS_OK)
            r->uri = (hs_str){out, n};
    }
    return HS_OK;
}

/* keepalive_disable: old MSIE after a POST, Safari-like browsers (as nginx
 * tells them from the User-Agent). */
static bool browser_refused(hs_req *r, int which)
{
    if (!(which & KA_DISABLE_SAFARI) && r->h.method_id != HS_METHOD_POST)
        return false;
    const hs_header *ua = hs_http_find_header(&r->h, "User-Agent");
    if (ua == NULL)
        return false;
    hs_str v = ua->value;
    const char *m = memmem(v.p, v.n, "MSIE ", 5);
    if ((which & KA_DISABLE_MSIE6) && r->h.method_id == HS_METHOD_POST && m && m + 7 <= v.p + v.n &&
        m[5] >= '4' && m[5] <= '6' && m[6] == '.' && !memmem(v.p, v.n, "Opera", 5))
        return true;
    return (which & KA_DISABLE_SAFARI) && memmem(v.p, v.n, "Safari/", 7) && memmem(v.p, v.n, "Mac OS X", 8) &&
           !memmem(v.p, v.n, "Chrome/", 7);
}

/* As nginx when it has the level: no keep-alive past keepalive_time, nor
 * for the browsers keepalive_disable names. */
int hs_request_keepalive(hs_req *r)
{
    if (!r->h.keep_alive)
        return HS_OK;
    const hs_reqconf *q = hs_reqconf_of(r->loc);
    if ((q->keepalive_time && hs_now.mono_msec - r->conn->start_msec > (uint64_t)q->keepalive_time) ||
        (q->keepalive_disable && browser_refused(r, q->keepalive_disable)))
        r->h.keep_alive = false;
    return HS_OK;
}

/* Keep-Alive: timeout=N (keepalive_timeout's second value) on a response
 * the connection outlives, as the core will decide it. */
int hs_request_keepalive_header(hs_req *r)
{
    hs_resp *rs = &r->resp;
    const hs_reqconf *q = r->loc ? hs_reqconf_of(r->loc) : NULL;
    if (q == NULL || q->keepalive_header < 0 || !hs_http_want_keepalive(r) ||
        (rs->content_length < 0 && !rs->header_only && r->h.version != 11))
        return HS_OK;
    char *v = hs_psprintf(r->pool, "timeout=%lld", (long long)(q->keepalive_header / 1000));
    return v ? hs_fields_add(r->pool, &rs->headers, HS_STR("Keep-Alive"), hs_cstr(v)) : HS_ERROR;
}

/* limit_rate and limit_rate_after of the level that answers, taken when
 * its response starts (as nginx's write filter), unless the request has
 * its own already. */
int hs_request_limit_rate(hs_req *r)
{
    const hs_reqconf *q = r->loc ? hs_reqconf_of(r->loc) : NULL;
    if (q && r->limit_rate == 0) {
        r->limit_rate = q->limit_rate;
        r->limit_rate_after = q->limit_rate_after;
    }
    return HS_OK;
}

/* set $limit_rate SIZE: this request's rate from now on (as nginx). */
void hs_request_limit_rate_set(void *ctx, hs_str value)
{
    int64_t v = hs_parse_size(value);
    ((hs_req *)ctx)->limit_rate = v > 0 ? v : 0;
}

int hs_request_limit_rate_var(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    return hs_var_u64(out, scratch, (uint64_t)((hs_req *)ctx)->limit_rate);
}

/* A method limit_except does not let through: the limits, access rules
 * and handler of its level apply. */
int hs_request_limit_except(hs_req *r)
{
    uint32_t allowed = hs_reqconf_of(r->loc)->limit_except;
    if (allowed && r->loc->limit_except && !(allowed & 1u << r->h.method_id))
        r->loc = r->loc->limit_except;
    return HS_OK;
}
