/* The request to the upstream: its URI, its header fields (the client's
 * minus the hop-by-hop ones, plus proxy_set_header) and, for a buffered
 * body, the body, in one buffer sent as it is. */
#include "proxy/proxy_internal.h"

static bool hop_by_hop(hs_str name)
{
    static const hs_str names[] = {HS_STR("Connection"), HS_STR("Keep-Alive"), HS_STR("Proxy-Connection"),
                                   HS_STR("TE"), HS_STR("Trailer"), HS_STR("Transfer-Encoding"),
                                   HS_STR("Upgrade"), HS_STR("Content-Length"), HS_STR("Expect"), HS_STR("Host")};
    return name_in(name, names, HS_ARRAY_LEN(names));
}

static bool set_by_conf(hs_proxy_conf *pc, hs_str name)
{
    for (size_t i = 0; i < pc->nheaders; i++)
        if (hs_str_caseeq(pc->headers[i].name, name))
            return true;
    return false;
}

/* A response the cache may store is asked for whole and unconditionally
 * (nginx's cache does the same): a client's Range or If-None-Match would
 * otherwise make a 206 or a 304 the entry every client gets. */
static bool cache_strips(const hs_proxy_state *px, hs_str name)
{
    static const hs_str names[] = {HS_STR("Range"), HS_STR("If-Range"), HS_STR("If-None-Match"),
                                   HS_STR("If-Modified-Since"), HS_STR("If-Match"), HS_STR("If-Unmodified-Since")};
    return px->cache_fill && name_in(name, names, HS_ARRAY_LEN(names));
}

/* The client's fields for the upstream, then the cache's own
 * (proxy_cache_revalidate's validators). */
static char *put_client_fields(char *p, hs_req *r, size_t nset, hs_str extra)
{
    hs_proxy_state *px = PX(r);
    for (size_t i = 0; i < r->h.nheaders; i++) {
        hs_header *h = &r->headers[i];
        if (!hop_by_hop(h->name) && (nset == 0 || !set_by_conf(px->pc, h->name)) && !cache_strips(px, h->name))
            p = put_field(p, h->name, h->value);
    }
    return put(p, extra.p, extra.n);
}

/* The URI sent upstream: the client's as sent, or with the location prefix
 * replaced by proxy_pass's URI part (then escaped again); after a rewrite
 * or an internal redirect, $uri (escaped) and $args, as nginx. */
static hs_str upstream_uri(hs_req *r, hs_proxy_conf *pc)
{
    if (pc->vars && PX(r)->var_has_uri)
        return PX(r)->var_uri; /* as nginx: a URI with variables is the whole URI */
    if (!pc->has_uri && !r->uri_changed) {
        if (r->h.target.n && r->h.target.p[0] == '/')
            return r->h.target;
        /* absolute-form: the path and query only */
        return hs_cstr(hs_psprintf(r->pool, "%.*s%s%.*s", (int)r->h.path.n, r->h.path.p, r->h.args.n ? "?" : "",
                                   (int)r->h.args.n, r->h.args.p));
    }
    hs_str rest = r->uri;
    hs_loc_conf *lc = r->loc;
    bool replace = pc->has_uri && !r->location_stale;
    if (replace && (lc->match == HS_LOC_PREFIX || lc->match == HS_LOC_NOREGEX || lc->match == HS_LOC_EXACT) &&
        hs_str_has_prefix(rest, lc->name))
        rest = (hs_str){rest.p + lc->name.n, rest.n - lc->name.n};
    char *out = hs_palloc(r->pool, pc->uri.n + rest.n * 3 + r->args.n + 2), *p = out;
    if (replace) {
        memcpy(p, pc->uri.p, pc->uri.n);
        p += pc->uri.n;
    }
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < rest.n; i++) {
        unsigned char c = (unsigned char)rest.p[i];
        if (c <= 0x20 || c >= 0x7f || c == '%' || c == '?' || c == '#') {
            *p++ = '%';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 15];
        } else {
            *p++ = (char)c;
        }
    }
    if (r->args.n) {
        *p++ = '?';
        memcpy(p, r->args.p, r->args.n);
        p += r->args.n;
    }
    return (hs_str){out, (size_t)(p - out)};
}

static int http_request(hs_req *r, hs_up_req *q)
{
    hs_proxy_state *px = PX(r);
    hs_proxy_conf *pc = px->pc;
    hs_str uri = upstream_uri(r, pc);
    size_t cap = r->h.method.n + uri.n + 64 + px->body_len;
    for (size_t i = 0; i < r->h.nheaders; i++)
        cap += r->headers[i].name.n + r->headers[i].value.n + 4;
    hs_str values[64];
    size_t nset = pc->nheaders < 64 ? pc->nheaders : 64;
    bool host_set = false, conn_set = false;
    for (size_t i = 0; i < nset; i++) {
        if (hs_cv_eval(&pc->headers[i].value, r, r->pool, &values[i]) != HS_OK)
            return HS_ERROR;
        cap += pc->headers[i].name.n + values[i].n + 4;
        host_set |= hs_str_caseeq_lit(pc->headers[i].name, "Host");
        conn_set |= hs_str_caseeq_lit(pc->headers[i].name, "Connection");
    }
    hs_str extra = px->cache_fill ? hs_up_cache_hooks->fields(r) : HS_NULL_STR;
    cap += px_proxy_host(px).n + 64 + extra.n;
    char *b = hs_palloc(r->pool, cap), *p = b;
    if (b == NULL)
        return HS_ERROR;
    p = put(p, r->h.method.p, r->h.method.n);
    *p++ = ' ';
    p = put(p, uri.p, uri.n);
    p = pc->http_version == 11 ? PUT_LIT(p, " HTTP/1.1\r\n") : PUT_LIT(p, " HTTP/1.0\r\n");
    if (!host_set)
        p = put_field(p, HS_STR("Host"), px_proxy_host(px));
    if (!conn_set && !uses_keepalive(px))
        p = PUT_LIT(p, "Connection: close\r\n");
    for (size_t i = 0; i < nset; i++)
        if (values[i].n) /* an empty value removes the header */
            p = put_field(p, pc->headers[i].name, values[i]);
    p = put_client_fields(p, r, nset, extra);
    int64_t body = px->body_buffered ? px->body_size : r->h.content_length;
    if (px->body_chunked_out) {
        p = PUT_LIT(p, "Transfer-Encoding: chunked\r\n");
    } else if (body > 0 || r->h.chunked || r->h.content_length == 0) {
        p = PUT_LIT(p, "Content-Length: ");
        p = put_u64(p, (uint64_t)(body > 0 ? body : 0));
        p = PUT_LIT(p, "\r\n");
    }
    p = PUT_LIT(p, "\r\n");
    if (px->body_buffered && px->body_len) {
        memcpy(p, px->body, px->body_len);
        p += px->body_len;
    }
    q->out = (hs_str){b, (size_t)(p - b)};
    if (!px->body_buffered && (r->h.content_length > 0 || px->body_chunked_out) && hs_proxy_with_preread(r, q) != HS_OK)
        return HS_ERROR;
    /* nginx's ", upstream: "http://addr/uri"" of error-log lines */
    hs_str parts[] = {pc->https ? HS_STR("https://") : HS_STR("http://"), hs_cstr(q->addr), uri};
    r->log_upstream = hs_pjoin(r->pool, parts, 3);
    return HS_OK;
}

/* A response head: interim ones (100 Continue) are skipped by the caller. */
static int http_head(hs_req *r, const char *buf, size_t len, hs_http_response *resp, hs_header *hdrs, size_t max)
{
    (void)r;
    return hs_http_parse_response(buf, len, resp, hdrs, max);
}

static const hs_str http_hidden[] = {HS_STR("Server"), HS_STR("Date"), HS_STR("X-Pad")};

const hs_up_proto hs_proxy_http_proto = {
    .scheme = "http",
    .metrics = 0,
    .request = http_request,
    .head = http_head,
    .hidden = http_hidden,
    .nhidden = HS_ARRAY_LEN(http_hidden),
    .eof_ends_body = true,
};
