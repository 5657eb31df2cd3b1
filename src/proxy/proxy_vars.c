/* What the log phase sees of a proxied request: the $upstream_* variables
 * (one value per try, comma-separated), $proxy_host,
 * $proxy_add_x_forwarded_for, and the tries' response times for the
 * metrics. The state stays in the request's slot after the proxy is done. */
#include <stdio.h>

#include "parse/fields.h"
#include "proxy/proxy_internal.h"
#include "stats/counters.h"

#define REQ(ctx) ((hs_req *)(ctx))
#define SET(v) (*out = (v), HS_OK)

enum { UPVAR_ADDR, UPVAR_STATUS, UPVAR_CONNECT, UPVAR_HEADER, UPVAR_RESPONSE, UPVAR_LENGTH, UPVAR_IN, UPVAR_OUT };

static size_t put_secs(char *p, int64_t us)
{
    if (us < 0) {
        *p = '-';
        return 1;
    }
    int64_t ms = us / 1000;
    return (size_t)sprintf(p, "%lld.%03lld", (long long)(ms / 1000), (long long)(ms % 1000));
}

/* $upstream_addr, _status, _connect_time, _header_time, _response_time,
 * _response_length, _bytes_received, _bytes_sent. */
static int v_upstream(void *ctx, uintptr_t which, hs_str *out, char *scratch)
{
    (void)scratch;
    hs_req *r = REQ(ctx);
    hs_proxy_state *px = PX(r);
    if (px == NULL || px->ntries == 0)
        return HS_DECLINED;
    int n = px->ntries < MAX_TRIES_LOGGED ? px->ntries : MAX_TRIES_LOGGED;
    char *b = hs_palloc(r->pool, (size_t)n * 96), *p = b;
    if (b == NULL)
        return HS_DECLINED;
    for (int i = 0; i < n; i++) {
        px_try *t = &px->tries[i];
        if (i) {
            *p++ = ',';
            *p++ = ' ';
        }
        switch (which) {
        case UPVAR_ADDR: p += sprintf(p, "%s", t->addr); break;
        case UPVAR_STATUS: p += t->status ? sprintf(p, "%d", t->status) : sprintf(p, "-"); break;
        case UPVAR_CONNECT: p += put_secs(p, t->connect_us); break;
        case UPVAR_HEADER: p += put_secs(p, t->header_us); break;
        case UPVAR_LENGTH: p += sprintf(p, "%lld", (long long)t->length); break;
        case UPVAR_IN: p += sprintf(p, "%llu", (unsigned long long)t->bytes_in); break;
        case UPVAR_OUT: p += sprintf(p, "%llu", (unsigned long long)t->bytes_out); break;
        default: p += put_secs(p, t->response_us); break;
        }
    }
    return SET(((hs_str){b, (size_t)(p - b)}));
}

/* proxy_pass's host[:port] for this request; empty when none. */
static hs_str pass_host(hs_req *r, bool *https)
{
    hs_proxy_state *px = PX(r);
    const hs_proxy_conf *pc = px ? px->pc : r->loc ? hs_proxy_conf_of(r->loc) : NULL;
    *https = pc && pc->https;
    if (px && px->pc->vars && px->proxy_host.n)
        return px->proxy_host;
    return pc ? pc->proxy_host : HS_NULL_STR;
}

static int v_proxy_host(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    (void)scratch;
    bool https;
    hs_str h = pass_host(REQ(ctx), &https);
    return h.n ? SET(px_host_of(h)) : HS_DECLINED;
}

/* $proxy_port: proxy_pass's port, or the scheme's (none for a unix socket). */
static int v_proxy_port(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    (void)scratch;
    bool https;
    hs_str h = pass_host(REQ(ctx), &https);
    if (h.n == 0 || hs_str_has_prefix(h, HS_STR("unix:")))
        return HS_DECLINED;
    const char *colon = memrchr(h.p, ':', h.n), *bracket = memrchr(h.p, ']', h.n);
    if (colon && (!bracket || colon > bracket))
        return SET(((hs_str){colon + 1, (size_t)(h.p + h.n - colon - 1)}));
    return SET(https ? HS_STR("443") : HS_STR("80"));
}

/* $proxy_add_x_forwarded_for: the client's X-Forwarded-For plus its address. */
static int v_proxy_add_xff(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    hs_req *r = REQ(ctx);
    hs_str addr;
    hs_var_addr(&addr, scratch, hs_req_addr(r));
    const hs_header *h = r->head_done ? hs_http_find_header(&r->h, "X-Forwarded-For") : NULL;
    if (h == NULL)
        return SET(addr);
    char *p = hs_psprintf(r->pool, "%.*s, %.*s", (int)h->value.n, h->value.p, (int)addr.n, addr.p);
    return p ? SET(hs_cstr(p)) : HS_DECLINED;
}

/* The last try's response head, when it reached the client. */
static const hs_http_response *upstream_head(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    return px && px->head_kept ? &px->resp : NULL;
}

/* $upstream_http_NAME: a repeated field's values joined, as nginx. */
static int v_upstream_http(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)scratch;
    const hs_http_response *h = upstream_head(REQ(ctx));
    return h ? hs_fields_var(REQ(ctx)->pool, h->headers, h->nheaders, *(const hs_str *)d, out) : HS_DECLINED;
}

/* $upstream_cookie_NAME: from the upstream's Set-Cookie fields. */
static int v_upstream_cookie(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)scratch;
    const hs_http_response *h = upstream_head(REQ(ctx));
    return h ? hs_cookie_var(h->headers, h->nheaders, true, *(const hs_str *)d, out) : HS_DECLINED;
}

const hs_var_def hs_proxy_variables[] = {
    {"upstream_addr", v_upstream, UPVAR_ADDR, false, false},
    {"upstream_status", v_upstream, UPVAR_STATUS, false, false},
    {"upstream_connect_time", v_upstream, UPVAR_CONNECT, false, false},
    {"upstream_header_time", v_upstream, UPVAR_HEADER, false, false},
    {"upstream_response_time", v_upstream, UPVAR_RESPONSE, false, false},
    {"upstream_response_length", v_upstream, UPVAR_LENGTH, false, false},
    {"upstream_bytes_received", v_upstream, UPVAR_IN, false, false},
    {"upstream_bytes_sent", v_upstream, UPVAR_OUT, false, false},
    {"upstream_http_", v_upstream_http, 0, true, false},
    {"upstream_cookie_", v_upstream_cookie, 0, true, false},
    {"proxy_host", v_proxy_host, 0, false, false},
    {"proxy_port", v_proxy_port, 0, false, false},
    {"proxy_add_x_forwarded_for", v_proxy_add_xff, 0, false, false},
    {NULL, NULL, 0, false, false},
};

/* ---- metrics ---- */

int hs_proxy_log_tries(hs_req *r)
{
    hs_upstream_count_tries(r, &hs_proxy_http_proto);
    return HS_OK;
}

void hs_upstream_count_tries(hs_req *r, const hs_up_proto *proto)
{
    hs_proxy_state *px = PX(r);
    if (px == NULL || px->pc->proto != proto)
        return;
    /* response time in µs of each try (-1 where none), oldest first */
    int64_t us[MAX_TRIES_LOGGED];
    size_t n = 0;
    int first = px->ntries > MAX_TRIES_LOGGED ? px->ntries - MAX_TRIES_LOGGED : 0;
    for (int i = first; i < px->ntries; i++)
        us[n++] = px->tries[i % MAX_TRIES_LOGGED].response_us;
    hs_stats_upstream_tries(r, proto->metrics, us, n);
}
