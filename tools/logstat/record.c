/* Field names, typed field values, and how a line is classified. */
#include "record.h"

#include "timeparse.h"

void ls_rec_clear(ls_rec *r)
{
    memset(r, 0, sizeof(*r));
    r->time = LS_TIME_NONE;
    r->status = -1;
    r->close_reason = LS_CR_NONE;
    r->request_time = -1;
    r->upstream_time = -1;
    r->conn_requests = -1;
}

/* nginx variable names and the field each feeds.  Several names feed one
 * field where nginx offers synonyms an operator may have chosen.  Looked up
 * once per format variable, and once per key of every JSON line, so the
 * lengths are precomputed and compared first. */
static const struct {
    hs_str name;
    ls_field field;
} field_names[] = {
    {HS_STR("remote_addr"), LS_F_REMOTE_ADDR},
    {HS_STR("time_local"), LS_F_TIME_LOCAL},
    {HS_STR("time_iso8601"), LS_F_TIME_ISO8601},
    {HS_STR("msec"), LS_F_MSEC},
    {HS_STR("request"), LS_F_REQUEST},
    {HS_STR("request_method"), LS_F_METHOD},
    {HS_STR("request_uri"), LS_F_REQUEST_URI},
    {HS_STR("uri"), LS_F_URI},
    {HS_STR("document_uri"), LS_F_URI},
    {HS_STR("status"), LS_F_STATUS},
    {HS_STR("body_bytes_sent"), LS_F_BODY_BYTES},
    {HS_STR("http_referer"), LS_F_REFERER},
    {HS_STR("http_user_agent"), LS_F_USER_AGENT},
    {HS_STR("http_x_forwarded_for"), LS_F_XFF},
    {HS_STR("host"), LS_F_HOST},
    {HS_STR("http_host"), LS_F_HOST},
    {HS_STR("server_name"), LS_F_HOST},
    {HS_STR("request_time"), LS_F_REQUEST_TIME},
    {HS_STR("upstream_response_time"), LS_F_UPSTREAM_TIME},
    {HS_STR("close_reason"), LS_F_CLOSE_REASON},
    {HS_STR("drop_rule"), LS_F_DROP_RULE},
    {HS_STR("upstream_addr"), LS_F_UPSTREAM_ADDR},
    {HS_STR("connection_requests"), LS_F_CONN_REQUESTS},
};

ls_field ls_field_by_name(hs_str name)
{
    for (size_t i = 0; i < HS_ARRAY_LEN(field_names); i++)
        if (field_names[i].name.n == name.n && field_names[i].name.p[0] == name.p[0] &&
            memcmp(field_names[i].name.p, name.p, name.n) == 0)
            return field_names[i].field;
    return LS_F_SKIP;
}

static const char *const cr_names[] = {
    "ok",           "drop",          "client_abort", "client_abort_body",
    "header_timeout", "body_timeout", "send_timeout", "bad_request",
    "no_request",   "keepalive_close", "shutdown",   "tls_rejected",
    "tls_failed",   "tls_timeout",     "protocol_error", "bad_proxy_protocol", "upstream_refused",
    "upstream_unavailable", "upstream_reset", "upstream_closed", "upstream_truncated",
    "upstream_invalid", "upstream_timeout", "tunnel_client_close", "tunnel_upstream_close",
    "tunnel_timeout", "tunnel_send_timeout", "other",
};
_Static_assert(sizeof(cr_names) / sizeof(cr_names[0]) == LS_CR_COUNT, "one entry per close reason");

int ls_close_reason_parse(hs_str v)
{
    for (int i = 0; i < LS_CR_OTHER; i++)
        if (hs_str_eq_lit(v, cr_names[i]))
            return i;
    return LS_CR_OTHER;
}

const char *ls_close_reason_name(int cr)
{
    return cr >= 0 && cr < LS_CR_COUNT ? cr_names[cr] : "-";
}

static bool is_dash(hs_str v) { return v.n == 0 || (v.n == 1 && v.p[0] == '-'); }

static int parse_status(hs_str v)
{
    if (v.n != 3)
        return -1;
    int s = 0;
    for (int i = 0; i < 3; i++) {
        unsigned c = (unsigned char)v.p[i] - '0';
        if (c > 9)
            return -1;
        s = s * 10 + (int)c;
    }
    return s;
}

/* "0.123" -> 0.123; the fraction is read as an integer and scaled once,
 * which is exact enough for millisecond times and much faster than strtod. */
static const char *parse_seconds(const char *p, const char *e, double *out)
{
    uint64_t ip = 0, fp = 0, scale = 1;
    const char *s = p;
    while (p < e && *p >= '0' && *p <= '9' && p - s < 12)
        ip = ip * 10 + (uint64_t)(*p++ - '0');
    if (p == s)
        return NULL;
    if (p < e && *p == '.') {
        p++;
        for (int i = 0; p < e && *p >= '0' && *p <= '9'; p++, i++)
            if (i < 9) {
                fp = fp * 10 + (uint64_t)(*p - '0');
                scale *= 10;
            }
    }
    *out = (double)ip + (double)fp / (double)scale;
    return p;
}

static double parse_time_value(hs_str v)
{
    double t;
    const char *e = v.p + v.n;
    const char *p = parse_seconds(v.p, e, &t);
    return p == e ? t : -1;
}

/* "0.1, 0.2 : 0.3" or "-": the sum of the attempts' times, each of which
 * the client waited for; "-" entries (no response) count as nothing. */
static double parse_time_list(hs_str v)
{
    const char *p = v.p, *e = v.p + v.n;
    double sum = 0;
    bool any = false;
    while (p < e) {
        double t;
        const char *q = parse_seconds(p, e, &t);
        if (q) {
            sum += t;
            any = true;
            p = q;
        } else {
            p++;
        }
    }
    return any ? sum : -1;
}

static uint64_t parse_uint(hs_str v)
{
    uint64_t n = 0;
    for (size_t i = 0; i < v.n && i < 19; i++) {
        unsigned c = (unsigned char)v.p[i] - '0';
        if (c > 9)
            break;
        n = n * 10 + c;
    }
    return n;
}

static int set_time(ls_rec *r, ls_field f, hs_str v)
{
    int rc = f == LS_F_TIME_LOCAL     ? ls_time_local(v, &r->time, &r->tz_offset)
             : f == LS_F_TIME_ISO8601 ? ls_time_iso8601(v, &r->time, &r->tz_offset)
                                      : ls_time_msec(v, &r->time, &r->tz_offset);
    if (rc != HS_OK)
        r->time = LS_TIME_NONE;
    return rc;
}

/* The upstream that gave the response: the last address of "a:80, b:80 :
 * c:80" (nginx lists every server tried, ", " within a group and " : "
 * across groups; addresses have no spaces), "-" entries skipped; empty when
 * there is none. */
static hs_str last_upstream(hs_str v)
{
    for (;;) {
        while (v.n && (v.p[v.n - 1] == ' ' || v.p[v.n - 1] == ',' ||
                       (v.p[v.n - 1] == ':' && v.n > 1 && v.p[v.n - 2] == ' ')))
            v.n--;
        size_t i = v.n;
        while (i && v.p[i - 1] != ' ')
            i--;
        hs_str a = {v.p + i, v.n - i};
        if (!(a.n == 1 && a.p[0] == '-'))
            return a;
        v.n = i;
    }
}

int ls_rec_set(ls_rec *r, ls_field f, hs_str v)
{
    r->have |= LS_HAVE(f);
    switch (f) {
    case LS_F_REMOTE_ADDR: r->remote_addr = v; break;
    case LS_F_REQUEST: r->request = v; break;
    case LS_F_METHOD: r->method = v; break;
    case LS_F_REQUEST_URI: r->request_uri = v; break;
    case LS_F_URI: r->uri = v; break;
    case LS_F_HOST: r->host = v; break;
    case LS_F_REFERER: r->referer = v; break;
    case LS_F_USER_AGENT: r->user_agent = v; break;
    case LS_F_XFF: r->xff = v; break;
    case LS_F_DROP_RULE: r->drop_rule = v; break;
    case LS_F_UPSTREAM_ADDR: r->upstream_addr = last_upstream(v); break;
    case LS_F_CONN_REQUESTS: r->conn_requests = is_dash(v) ? -1 : (int64_t)parse_uint(v); break;
    case LS_F_TIME_LOCAL:
    case LS_F_TIME_ISO8601:
    case LS_F_MSEC: return set_time(r, f, v);
    case LS_F_STATUS:
        /* "-" appears in connection logs; anything else must be 3 digits */
        r->status = parse_status(v);
        return r->status >= 0 || is_dash(v) ? HS_OK : HS_ERROR;
    case LS_F_BODY_BYTES: r->body_bytes = parse_uint(v); break;
    case LS_F_REQUEST_TIME: r->request_time = is_dash(v) ? -1 : parse_time_value(v); break;
    case LS_F_UPSTREAM_TIME: r->upstream_time = is_dash(v) ? -1 : parse_time_list(v); break;
    case LS_F_CLOSE_REASON:
        r->close_reason = is_dash(v) ? LS_CR_NONE : ls_close_reason_parse(v);
        break;
    default: break;
    }
    return HS_OK;
}

bool ls_rec_is_conn(const ls_rec *r)
{
    return (r->have & LS_HAVE(LS_F_CONN_REQUESTS)) &&
           !(r->have & (LS_HAVE(LS_F_STATUS) | LS_HAVE(LS_F_REQUEST) | LS_HAVE(LS_F_METHOD)));
}

bool ls_rec_no_request(const ls_rec *r)
{
    if (r->have & LS_HAVE(LS_F_REQUEST))
        return is_dash(r->request);
    if (r->have & (LS_HAVE(LS_F_REQUEST_URI) | LS_HAVE(LS_F_URI)))
        return is_dash(r->request_uri) && is_dash(r->uri);
    return false;
}

/* A status says what the client was told; $close_reason, when logged, says
 * more precisely why the connection ended, so it refines 400s and stands in
 * where a connection log has no status at all. */
static ls_kind kind_from_close_reason(int cr)
{
    switch (cr) {
    case LS_CR_DROP: return LS_K_DROP;
    case LS_CR_CLIENT_ABORT: return LS_K_ABORT;
    case LS_CR_HEADER_TIMEOUT:
    case LS_CR_BODY_TIMEOUT: return LS_K_TIMEOUT;
    case LS_CR_BAD_REQUEST:
    case LS_CR_BAD_PROXY_PROTOCOL: return LS_K_BADREQ; /* bytes came that were not what was due */
    case LS_CR_NO_REQUEST: return LS_K_BARE;
    case LS_CR_NONE: return LS_K_NONE;
    default: return LS_K_OK;
    }
}

ls_kind ls_rec_kind(const ls_rec *r)
{
    int s = r->status;
    if (s < 0)
        return kind_from_close_reason(r->close_reason);
    switch (s) {
    case 444: return LS_K_DROP;
    case 499: return LS_K_ABORT;
    case 408: return LS_K_TIMEOUT;
    case 400:
        if (r->close_reason == LS_CR_NO_REQUEST)
            return LS_K_BARE;
        if (r->close_reason == LS_CR_BAD_REQUEST)
            return LS_K_BADREQ;
        /* no request line and no response: a connection without a request;
         * an error page sent means bytes came that were not a request */
        return ls_rec_no_request(r) && r->body_bytes == 0 ? LS_K_BARE : LS_K_BADREQ;
    default: break;
    }
    if (s >= 500 && s < 600)
        return LS_K_5XX;
    if (s >= 400 && s < 500)
        return LS_K_4XX;
    return LS_K_OK;
}

static hs_str strip_query(hs_str u)
{
    const char *q = memchr(u.p, '?', u.n);
    if (q)
        u.n = (size_t)(q - u.p);
    return u;
}

/* "http://host/path" (as sent to proxies, and by scanners) -> "/path", so
 * the same location is counted once whichever form the client used. */
static hs_str origin_form(hs_str t)
{
    if (t.n && t.p[0] == '/')
        return t;
    const char *sl = t.n > 3 ? memchr(t.p, ':', t.n) : NULL;
    if (!sl || (size_t)(t.p + t.n - sl) < 3 || sl[1] != '/' || sl[2] != '/')
        return t;
    const char *host = sl + 3, *e = t.p + t.n;
    const char *path = memchr(host, '/', (size_t)(e - host));
    return path ? hs_str_from(path, (size_t)(e - path)) : HS_STR("/");
}

hs_str ls_rec_location(const ls_rec *r)
{
    if ((r->have & LS_HAVE(LS_F_URI)) && !is_dash(r->uri))
        return strip_query(r->uri);
    if ((r->have & LS_HAVE(LS_F_REQUEST_URI)) && !is_dash(r->request_uri))
        return strip_query(r->request_uri);
    /* "METHOD target PROTO": the target is between the first two spaces */
    hs_str q = r->request;
    const char *sp = q.n ? memchr(q.p, ' ', q.n) : NULL;
    if (!sp)
        return HS_NULL_STR;
    const char *t = sp + 1, *e = q.p + q.n;
    const char *sp2 = memchr(t, ' ', (size_t)(e - t));
    hs_str target = hs_str_from(t, (size_t)((sp2 ? sp2 : e) - t));
    return target.n ? strip_query(origin_form(target)) : HS_NULL_STR;
}
