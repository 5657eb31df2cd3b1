/* The http variables ($request, $status, $http_NAME, ...),
 * computed on demand from the request. */
#include <arpa/inet.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/version.h"
#include "http/internal.h"

#define REQ(ctx) ((hs_req *)(ctx))
#define SET(v) (*out = (v), HS_OK)

/* Slices of the parsed head, "-" when the head never got that far. */
static int head_slice(hs_req *r, hs_str s, hs_str *out)
{
    if (s.p == NULL || (!r->head_done && !r->h.request_line_done))
        return HS_DECLINED;
    return SET(s);
}

static int v_request(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    (void)scratch;
    hs_req *r = REQ(ctx);
    if (r->raw_line.n)
        return SET(r->raw_line);
    return head_slice(r, r->h.request_line, out);
}

static int v_request_method(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    (void)scratch;
    return head_slice(REQ(ctx), REQ(ctx)->h.method, out);
}

static int v_request_uri(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    (void)scratch;
    return head_slice(REQ(ctx), REQ(ctx)->h.target, out);
}

static int v_uri(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    (void)scratch;
    hs_req *r = REQ(ctx);
    return r->uri.p ? SET(r->uri) : r->h.target.n ? SET(HS_STR("")) : HS_DECLINED; /* a bad one: empty, as nginx */
}

static int v_args(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    (void)scratch;
    hs_req *r = REQ(ctx);
    /* as nginx: no query is "not found" ("-" in logs), not an empty value */
    return r->head_done && r->args.n ? SET(r->args) : HS_DECLINED;
}

static int v_is_args(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    (void)scratch;
    return SET(REQ(ctx)->args.n ? HS_STR("?") : HS_STR(""));
}

static int v_arg(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)scratch;
    const hs_str *name = (const hs_str *)d;
    hs_str a = REQ(ctx)->args;
    size_t i = 0;
    while (i < a.n) {
        size_t start = i;
        while (i < a.n && a.p[i] != '&')
            i++;
        hs_str kv = {a.p + start, i - start};
        i++;
        if (kv.n > name->n && kv.p[name->n] == '=' && strncasecmp(kv.p, name->p, name->n) == 0)
            return SET(((hs_str){kv.p + name->n + 1, kv.n - name->n - 1}));
        if (kv.n == name->n && strncasecmp(kv.p, name->p, name->n) == 0)
            return SET(HS_STR(""));
    }
    return HS_DECLINED;
}

static int v_status(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    int status = REQ(ctx)->resp.status;
    if (status < 100 || status > 999) {
        /* no status yet, as nginx: 000 */
        memcpy(scratch, "000", 3);
        return SET(((hs_str){scratch, 3}));
    }
    return hs_var_u64(out, scratch, (uint64_t)status);
}

/* $http_user_agent: the request header. */
static int v_http(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)scratch;
    const hs_str *name = (const hs_str *)d;
    hs_req *r = REQ(ctx);
    return r->head_done ? hs_fields_var(r->pool, r->h.headers, r->h.nheaders, *name, out) : HS_DECLINED;
}

/* $sent_http_NAME: the fields the core writes, then the header list. */
static int v_sent_http(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    const hs_str *name = (const hs_str *)d;
    hs_resp *rs = &REQ(ctx)->resp;
    if (hs_str_caseeq_lit(*name, "content_type"))
        return rs->content_type.n ? SET(rs->content_type) : HS_DECLINED;
    if (hs_str_caseeq_lit(*name, "content_length"))
        return rs->content_length >= 0 ? hs_var_u64(out, scratch, (uint64_t)rs->content_length) : HS_DECLINED;
    if (hs_str_caseeq_lit(*name, "location"))
        return rs->location.n ? SET(rs->location) : HS_DECLINED;
    if (hs_str_caseeq_lit(*name, "etag") && rs->etag.n)
        return SET(rs->etag);
    if (hs_str_caseeq_lit(*name, "connection"))
        return rs->head ? SET(rs->keepalive ? HS_STR("keep-alive") : HS_STR("close")) : HS_DECLINED;
    if (hs_str_caseeq_lit(*name, "transfer_encoding"))
        return rs->chunked ? SET(HS_STR("chunked")) : HS_DECLINED;
    if (hs_str_caseeq_lit(*name, "accept_ranges") && rs->accept_ranges)
        return SET(HS_STR("bytes"));
    if (hs_str_caseeq_lit(*name, "content_range") && rs->content_range.n)
        return SET(rs->content_range);
    if (hs_str_caseeq_lit(*name, "last_modified") && rs->last_modified >= 0) {
        size_t n = hs_http_date(rs->last_modified, scratch);
        return SET(((hs_str){scratch, n}));
    }
    return hs_fields_var(REQ(ctx)->pool, rs->headers.v, rs->headers.n, *name, out);
}

static int v_host(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    (void)scratch;
    hs_req *r = REQ(ctx);
    if (r->host.n)
        return SET(r->host);
    return r->srv ? SET(r->srv->name) : HS_DECLINED;
}

static int v_server_name(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    (void)scratch;
    hs_req *r = REQ(ctx);
    return r->srv ? SET(r->srv->name) : HS_DECLINED;
}

static int v_scheme(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    (void)scratch;
    return SET(REQ(ctx)->conn->io.t->secure ? HS_STR("https") : HS_STR("http"));
}

/* $https: "on" over TLS, else empty (nginx). */
static int v_https(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    (void)scratch;
    return SET(REQ(ctx)->conn->io.t->secure ? HS_STR("on") : HS_STR(""));
}

static int v_server_protocol(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    (void)scratch;
    hs_req *r = REQ(ctx);
    if (!r->head_done)
        return HS_DECLINED;
    return SET(r->h.version == 10 ? HS_STR("HTTP/1.0") : r->h.version == 20 ? HS_STR("HTTP/2.0") : HS_STR("HTTP/1.1"));
}

static int v_pipe(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    (void)scratch;
    return SET(REQ(ctx)->pipelined ? HS_STR("p") : HS_STR("."));
}

static int v_capture(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)scratch;
    hs_req *r = REQ(ctx);
    int i = (int)d;
    if (i >= r->ncaptures || r->captures[2 * i] < 0)
        return HS_DECLINED;
    return SET(((hs_str){r->capture_subject.p + r->captures[2 * i],
                         (size_t)(r->captures[2 * i + 1] - r->captures[2 * i])}));
}

/* Named captures are variables, as in nginx: a match sets them, later
 * matches that do not set them keep them (r->named, by slot). */
static int v_named(void *ctx, uintptr_t slot, hs_str *out, char *scratch)
{
    (void)scratch;
    hs_req *r = REQ(ctx);
    if (slot >= r->nnamed || r->named[slot].p == NULL)
        return HS_DECLINED;
    return SET(r->named[slot]);
}

void hs_http_define_named_captures(hs_cf *cf, hs_regex *re) { hs_regex_define_names(cf, re, v_named); }

void hs_http_set_captures(hs_req *r, const hs_regex *re, hs_str subject, const int *ov, int n)
{
    memcpy(r->captures, ov, sizeof(r->captures));
    r->ncaptures = n;
    r->capture_subject = subject;
    hs_regex_store_named(re, r->pool, subject, ov, n, &r->named, &r->nnamed);
}

static int v_content_header(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)scratch;
    hs_req *r = REQ(ctx);
    if (!r->head_done)
        return HS_DECLINED;
    const hs_header *h = hs_http_find_header(&r->h, (const char *)d);
    return h ? SET(h->value) : HS_DECLINED;
}

const hs_var_def hs_http_variables[] = {
    {"server_name", v_server_name, 0, false, false},
    {"server_protocol", v_server_protocol, 0, false, false},
    {"time_local", hs_var_time_local, 0, false, true},
    {"time_iso8601", hs_var_time_iso8601, 0, false, true},
    {"msec", hs_var_msec_now, 0, false, true},
    {"request", v_request, 0, false, false},
    {"request_method", v_request_method, 0, false, false},
    {"request_uri", v_request_uri, 0, false, false},
    {"uri", v_uri, 0, false, false},
    {"document_uri", v_uri, 0, false, false},
    {"args", v_args, 0, false, false},
    {"query_string", v_args, 0, false, false},
    {"is_args", v_is_args, 0, false, false},
    {"status", v_status, 0, false, false},
    {"host", v_host, 0, false, false},
    {"scheme", v_scheme, 0, false, false},
    {"https", v_https, 0, false, true},
    {"pipe", v_pipe, 0, false, false},
    {"content_length", v_content_header, (uintptr_t) "Content-Length", false, false},
    {"content_type", v_content_header, (uintptr_t) "Content-Type", false, false},
    {"1", v_capture, 1, false, false},
    {"2", v_capture, 2, false, false},
    {"3", v_capture, 3, false, false},
    {"4", v_capture, 4, false, false},
    {"5", v_capture, 5, false, false},
    {"6", v_capture, 6, false, false},
    {"7", v_capture, 7, false, false},
    {"8", v_capture, 8, false, false},
    {"9", v_capture, 9, false, false},
    {"http_", v_http, 0, true, false},
    {"sent_http_", v_sent_http, 0, true, false},
    {"arg_", v_arg, 0, true, false},
    {NULL, NULL, 0, false, false},
};


static const char *const ending_names[HS_END__COUNT] = {
    [HS_END_NONE] = "-", [HS_END_OK] = "ok", [HS_END_DROP] = "drop",
    [HS_END_CLIENT_ABORT] = "client_abort", [HS_END_CLIENT_ABORT_BODY] = "client_abort_body",
    [HS_END_HEADER_TIMEOUT] = "header_timeout", [HS_END_BODY_TIMEOUT] = "body_timeout",
    [HS_END_SEND_TIMEOUT] = "send_timeout", [HS_END_BAD_REQUEST] = "bad_request",
    [HS_END_NO_REQUEST] = "no_request", [HS_END_KEEPALIVE_CLOSE] = "keepalive_close",
    [HS_END_SHUTDOWN] = "shutdown", [HS_END_TLS_REJECTED] = "tls_rejected",
    [HS_END_TLS_FAILED] = "tls_failed", [HS_END_TLS_TIMEOUT] = "tls_timeout",
    [HS_END_PROTOCOL_ERROR] = "protocol_error", [HS_END_BAD_PROXY_PROTOCOL] = "bad_proxy_protocol",
    [HS_END_UPSTREAM_REFUSED] = "upstream_refused",
    [HS_END_UPSTREAM_UNAVAILABLE] = "upstream_unavailable", [HS_END_UPSTREAM_RESET] = "upstream_reset",
    [HS_END_UPSTREAM_CLOSED] = "upstream_closed", [HS_END_UPSTREAM_TRUNCATED] = "upstream_truncated",
    [HS_END_UPSTREAM_INVALID] = "upstream_invalid", [HS_END_UPSTREAM_TIMEOUT] = "upstream_timeout",
    [HS_END_TUNNEL_CLIENT_CLOSE] = "tunnel_client_close", [HS_END_TUNNEL_UPSTREAM_CLOSE] = "tunnel_upstream_close",
    [HS_END_TUNNEL_TIMEOUT] = "tunnel_timeout", [HS_END_TUNNEL_SEND_TIMEOUT] = "tunnel_send_timeout",
};

const char *hs_ending_name(hs_ending e) { return e < HS_END__COUNT ? ending_names[e] : "-"; }
