/* The HTTP/1.1 request-head parser: see parse.h for the contract.
 *
 * The parser walks the buffer once, left to right, and decides everything from
 * the bytes seen so far. That is what makes the stateless re-parse safe: a
 * prefix of a request either needs more bytes (HS_AGAIN) or fails the same way
 * the whole request would. Checks that need the whole head (Host present,
 * Content-Length against Transfer-Encoding) run only after the empty line. */
#include "parse/request.h"
#include "parse/chars.h"

/* ---- character classes (parse/chars.h) ---------------------------------- */

static inline bool is_tchar(char c) { return hs_is_tchar(c); }
static inline bool is_target(char c) { return hs_http_chars[(uint8_t)c] & HS_CH_TARGET; }
static inline bool is_value(char c) { return hs_http_chars[(uint8_t)c] & HS_CH_VALUE; }
static inline bool is_ows(char c) { return c == ' ' || c == '\t'; }
static inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

static int fail(hs_http_request *r, int status, const char *reason)
{
    r->error_status = status;
    r->error_reason = reason;
    return HS_ERROR;
}

/* ---- request line ------------------------------------------------------ */

/* Methods are case-sensitive (RFC 9110 9.1), so compare exactly. */
hs_method hs_http_method_id(hs_str m)
{
    static const struct {
        const char *name;
        hs_method id;
    } methods[] = {
        {"GET", HS_METHOD_GET},         {"HEAD", HS_METHOD_HEAD},
        {"POST", HS_METHOD_POST},       {"PUT", HS_METHOD_PUT},
        {"DELETE", HS_METHOD_DELETE},   {"OPTIONS", HS_METHOD_OPTIONS},
        {"PATCH", HS_METHOD_PATCH},     {"TRACE", HS_METHOD_TRACE},
        {"CONNECT", HS_METHOD_CONNECT}, {"PROPFIND", HS_METHOD_PROPFIND},
        {"MKCOL", HS_METHOD_MKCOL},     {"COPY", HS_METHOD_COPY},
        {"MOVE", HS_METHOD_MOVE},       {"LOCK", HS_METHOD_LOCK},
        {"UNLOCK", HS_METHOD_UNLOCK},
    };
    for (size_t i = 0; i < HS_ARRAY_LEN(methods); i++)
        if (hs_str_eq_lit(m, methods[i].name))
            return methods[i].id;
    return HS_METHOD_UNKNOWN;
}

/* Skip the empty lines RFC 9112 2.2 lets a server ignore before a request. */
static int skip_empty_lines(const char *buf, size_t len, size_t *pos, hs_http_request *r)
{
    size_t p = *pos;
    for (;;) {
        *pos = p;
        if (p == len)
            return HS_AGAIN;
        if (buf[p] == '\n') {
            p++;
        } else if (buf[p] == '\r') {
            if (p + 1 == len)
                return HS_AGAIN;
            if (buf[p + 1] != '\n')
                return fail(r, 400, "bare CR before the request line");
            p += 2;
        } else {
            return HS_OK;
        }
    }
}

/* A line ends in CRLF or, as nginx accepts, a bare LF; a bare CR is an error. */
static int line_end(const char *buf, size_t len, size_t *pos, hs_http_request *r)
{
    size_t p = *pos;
    if (p == len)
        return HS_AGAIN;
    if (buf[p] == '\n') {
        *pos = p + 1;
        return HS_OK;
    }
    if (buf[p] != '\r')
        return fail(r, 400, "invalid HTTP version");
    if (p + 1 == len)
        return HS_AGAIN;
    if (buf[p + 1] != '\n')
        return fail(r, 400, "bare CR in the request line");
    *pos = p + 2;
    return HS_OK;
}

/* "HTTP/" DIGIT "." DIGIT, exactly; the version is judged only once the line
 * is complete, so "HTTP/2.0x" is a 400, not a 505. */
static int parse_version(const char *buf, size_t len, size_t *pos, hs_http_request *r)
{
    static const char pattern[] = "HTTP/0.0";
    size_t p = *pos;
    for (size_t i = 0; i < sizeof(pattern) - 1; i++, p++) {
        if (p == len)
            return HS_AGAIN;
        bool ok = pattern[i] == '0' ? is_digit(buf[p]) : buf[p] == pattern[i];
        if (!ok)
            return fail(r, 400, "invalid HTTP version");
    }
    int major = buf[p - 3] - '0', minor = buf[p - 1] - '0';
    *pos = p;
    int rc = line_end(buf, len, pos, r);
    if (rc != HS_OK)
        return rc;
    if (major == 0)
        return fail(r, 400, "invalid HTTP version");
    if (major > 1)
        return fail(r, 505, "unsupported HTTP version");
    r->version = minor == 0 ? 10 : 11;
    return HS_OK;
}

static int parse_request_line(const char *buf, size_t len, size_t *pos, hs_http_request *r)
{
    size_t start = *pos, p = start;
    while (p < len && is_tchar(buf[p]))
        p++;
    if (p == len)
        return HS_AGAIN;
    if (p == start || buf[p] != ' ')
        return fail(r, 400, "invalid method");
    r->method = hs_str_from(buf + start, p - start);
    size_t t = ++p;
    while (p < len && is_target(buf[p]))
        p++;
    if (p == len)
        return HS_AGAIN;
    if (p == t)
        return fail(r, 400, "empty request target");
    if (buf[p] != ' ')
        return fail(r, 400, buf[p] == '\r' || buf[p] == '\n'
                                ? "request line without HTTP version"
                                : "invalid character in request target");
    r->target = hs_str_from(buf + t, p - t);
    size_t v = ++p;
    int rc = parse_version(buf, len, &p, r);
    if (rc != HS_OK)
        return rc;
    r->request_line = hs_str_from(buf + start, v + 8 - start);
    *pos = p;
    return HS_OK;
}

/* ---- request target ---------------------------------------------------- */

/* Split "path?args" of origin-form or of what follows an absolute authority;
 * a "#fragment" a client should not have sent is dropped, as nginx does. */
static void split_query(hs_str s, hs_http_request *r)
{
    const char *hash = memchr(s.p, '#', s.n);
    if (hash)
        s.n = (size_t)(hash - s.p);
    const char *q = memchr(s.p, '?', s.n);
    if (!q) {
        r->path = s;
        return;
    }
    r->path = hs_str_from(s.p, (size_t)(q - s.p));
    r->args = hs_str_from(q + 1, s.n - r->path.n - 1);
}

/* The length of "http://" or "https://" (any case) at the start of t, or 0. */
static size_t scheme_len(hs_str t)
{
    if (t.n >= 7 && strncasecmp(t.p, "http://", 7) == 0)
        return 7;
    if (t.n >= 8 && strncasecmp(t.p, "https://", 8) == 0)
        return 8;
    return 0;
}

static int parse_absolute(hs_str t, size_t skip, hs_http_request *r)
{
    static const char slash[] = "/";
    size_t a = skip, e = skip;
    while (e < t.n && t.p[e] != '/' && t.p[e] != '?' && t.p[e] != '#')
        e++;
    r->abs_host = hs_str_from(t.p + a, e - a);
    if (hs_http_parse_host(r->abs_host, NULL, NULL) != HS_OK)
        return fail(r, 400, "invalid host in request target");
    hs_str rest = hs_str_from(t.p + e, t.n - e);
    split_query(rest, r);
    if (r->path.n == 0)
        r->path = hs_str_from(slash, 1);
    return HS_OK;
}

/* CONNECT takes only authority-form, host ":" port (RFC 9112 3.2.3). */
static int parse_authority_form(hs_str t, hs_http_request *r)
{
    /* A valid host that ends in a digit and contains ':' has a port: an IPv6
     * literal alone ends in ']', a bare name has no ':'. */
    if (hs_http_parse_host(t, NULL, NULL) != HS_OK || !is_digit(t.p[t.n - 1]) ||
        !memchr(t.p, ':', t.n))
        return fail(r, 400, "invalid CONNECT target");
    return HS_OK;
}

/* Classify the target into its four forms and fill path/args/abs_host. */
static int parse_target(hs_http_request *r)
{
    hs_str t = r->target;
    if (r->method_id == HS_METHOD_CONNECT)
        return parse_authority_form(t, r);
    if (t.p[0] == '/') {
        split_query(t, r);
        return HS_OK;
    }
    if (t.n == 1 && t.p[0] == '*') {
        if (r->method_id != HS_METHOD_OPTIONS)
            return fail(r, 400, "asterisk-form target without OPTIONS");
        r->path = t;
        return HS_OK;
    }
    size_t skip = scheme_len(t);
    if (skip)
        return parse_absolute(t, skip, r);
    return fail(r, 400, "invalid request target");
}

/* ---- header fields ----------------------------------------------------- */

/* One "name: value" line; *pos is at the name's first byte. */
static int parse_field(const char *buf, size_t len, size_t *pos, hs_header *h,
                       hs_http_request *r)
{
    size_t start = *pos, p = start;
    uint8_t all = HS_CH_PLAIN;
    while (p < len && is_tchar(buf[p]))
        all &= hs_http_chars[(uint8_t)buf[p++]];
    if (p == len)
        return HS_AGAIN;
    r->odd_names += !all;
    if (buf[p] != ':')
        return fail(r, 400, is_ows(buf[p]) ? "whitespace between header name and colon"
                                           : "invalid character in header name");
    if (p == start)
        return fail(r, 400, "empty header name");
    h->name = hs_str_from(buf + start, p - start);
    p++;
    while (p < len && is_ows(buf[p]))
        p++;
    size_t v = p;
    while (p < len && is_value(buf[p]))
        p++;
    if (p == len || (buf[p] == '\r' && p + 1 == len))
        return HS_AGAIN;
    size_t end = p;
    if (buf[p] == '\r' && buf[p + 1] == '\n')
        p += 2;
    else if (buf[p] == '\n')
        p += 1;
    else
        return fail(r, 400, buf[p] == '\r'   ? "bare CR in header"
                            : buf[p] == '\0' ? "NUL in header"
                                             : "control character in header value");
    while (end > v && is_ows(buf[end - 1]))
        end--;
    h->value = hs_str_from(buf + v, end - v);
    *pos = p;
    return HS_OK;
}

/* What the semantic checks remember across fields until the head ends. */
typedef struct {
    int hosts;          /* Host fields seen */
    bool te;            /* any Transfer-Encoding field seen */
    bool te_last_chunked; /* the last coding seen so far is chunked */
    int te_chunked;     /* times chunked was listed */
    int te_other;       /* codings other than chunked */
    bool conn_close;    /* Connection lists close */
    bool conn_keep;     /* Connection lists keep-alive */
    unsigned unique;    /* the single-instance fields seen (bit per unique_fields entry) */
} head_state;

/* Fields a request may carry once, as nginx: a second is a 400. */
#define UNIQUE(s) {s, sizeof(s) - 1}
static const struct {
    const char *name;
    size_t len;
} unique_fields[] = {
    UNIQUE("content-length"), UNIQUE("transfer-encoding"), UNIQUE("authorization"), UNIQUE("expect"),
    UNIQUE("content-range"), UNIQUE("if-range"), UNIQUE("if-match"), UNIQUE("if-none-match"),
    UNIQUE("if-modified-since"), UNIQUE("if-unmodified-since"),
};

static int check_unique(hs_str name, head_state *st, hs_http_request *r)
{
    for (unsigned i = 0; i < sizeof(unique_fields) / sizeof(unique_fields[0]); i++) {
        if (name.n != unique_fields[i].len || strncasecmp(name.p, unique_fields[i].name, name.n) != 0)
            continue;
        if (st->unique & 1u << i)
            return fail(r, 400, "duplicate header line");
        st->unique |= 1u << i;
        return HS_OK;
    }
    return HS_OK;
}

/* Calls fn on each non-empty element of a comma list, OWS trimmed
 * (RFC 9110 5.6.1: empty elements are ignored). Stops at an error. */
static int each_element(hs_str v, int (*fn)(hs_str el, head_state *st), head_state *st)
{
    size_t i = 0;
    while (i <= v.n) {
        size_t s = i;
        while (i < v.n && v.p[i] != ',')
            i++;
        size_t e = i++;
        while (s < e && is_ows(v.p[s]))
            s++;
        while (e > s && is_ows(v.p[e - 1]))
            e--;
        if (e > s && fn(hs_str_from(v.p + s, e - s), st) != HS_OK)
            return HS_ERROR;
    }
    return HS_OK;
}

static size_t token_len(hs_str s)
{
    size_t i = 0;
    while (i < s.n && is_tchar(s.p[i]))
        i++;
    return i;
}

/* A transfer-coding: token, optionally followed by OWS ";" parameters. Any
 * coding that is not exactly "chunked" counts as another coding. */
static int on_coding(hs_str el, head_state *st)
{
    size_t n = token_len(el), i = n;
    while (i < el.n && is_ows(el.p[i]))
        i++;
    if (n == 0 || (i < el.n && el.p[i] != ';'))
        return HS_ERROR;
    bool chunked = n == el.n && hs_str_caseeq_lit(el, "chunked");
    st->te_chunked += chunked;
    st->te_other += !chunked;
    st->te_last_chunked = chunked;
    return HS_OK;
}

static int on_connection(hs_str el, head_state *st)
{
    if (token_len(el) != el.n)
        return HS_ERROR;
    if (hs_str_caseeq_lit(el, "close"))
        st->conn_close = true;
    else if (hs_str_caseeq_lit(el, "keep-alive"))
        st->conn_keep = true;
    return HS_OK;
}

/* 1*DIGIT, at most HS_HTTP_MAX_BODY_LEN (a repeat is refused before). */
static int on_content_length(hs_str v, hs_http_request *r)
{
    if (v.n == 0)
        return fail(r, 400, "empty Content-Length");
    int64_t n = 0;
    for (size_t i = 0; i < v.n; i++) {
        if (!is_digit(v.p[i]))
            return fail(r, 400, "invalid Content-Length");
        int d = v.p[i] - '0';
        if (n > (HS_HTTP_MAX_BODY_LEN - d) / 10)
            return fail(r, 400, "Content-Length too large");
        n = n * 10 + d;
    }
    if (r->content_length >= 0 && r->content_length != n)
        return fail(r, 400, "conflicting Content-Length values");
    r->content_length = n;
    return HS_OK;
}

static int on_host(hs_str v, head_state *st, hs_http_request *r)
{
    if (++st->hosts > 1)
        return fail(r, 400, "duplicate Host header");
    if (hs_http_parse_host(v, NULL, NULL) != HS_OK)
        return fail(r, 400, "invalid Host header");
    r->host = v;
    return HS_OK;
}

/* Act on the fields whose meaning the parser owns; others pass through. */
static int apply_field(const hs_header *h, head_state *st, hs_http_request *r)
{
    hs_str n = h->name;
    if (n.n >= 6 && check_unique(n, st, r) != HS_OK)
        return HS_ERROR;
    switch (n.n) {
    case 4:
        return hs_str_caseeq_lit(n, "host") ? on_host(h->value, st, r) : HS_OK;
    case 6:
        if (hs_str_caseeq_lit(n, "expect") && hs_str_caseeq_lit(h->value, "100-continue"))
            r->expect_continue = r->version == 11;
        return HS_OK;
    case 10:
        if (hs_str_caseeq_lit(n, "connection") &&
            each_element(h->value, on_connection, st) != HS_OK)
            return fail(r, 400, "invalid Connection header");
        return HS_OK;
    case 14:
        return hs_str_caseeq_lit(n, "content-length") ? on_content_length(h->value, r) : HS_OK;
    case 17:
        if (!hs_str_caseeq_lit(n, "transfer-encoding"))
            return HS_OK;
        st->te = true;
        if (each_element(h->value, on_coding, st) != HS_OK)
            return fail(r, 400, "invalid Transfer-Encoding header");
        return HS_OK;
    }
    return HS_OK;
}

/* The checks that need the whole head (RFC 9112 3.2, 6.1, 6.3). */
static int finish_head(head_state *st, hs_http_request *r)
{
    if (r->version == 11 && st->hosts == 0)
        return fail(r, 400, "HTTP/1.1 request without Host header");
    if (st->te) {
        if (r->version == 10)
            return fail(r, 400, "Transfer-Encoding in an HTTP/1.0 request");
        if (r->content_length >= 0)
            return fail(r, 400, "both Content-Length and Transfer-Encoding");
        if (st->te_chunked > 1)
            return fail(r, 400, "chunked applied more than once");
        if (st->te_other > 0) /* before the order check: 501 for any other coding, as nginx */
            return fail(r, 501, "unsupported transfer coding");
        if (!st->te_last_chunked)
            return fail(r, 400, "chunked is not the final transfer coding");
        r->chunked = true;
    }
    if (r->abs_host.n)
        r->host = r->abs_host;
    r->keep_alive = !st->conn_close && (r->version == 11 || st->conn_keep);
    return HS_OK;
}

static int parse_fields(const char *buf, size_t len, size_t *pos, hs_http_request *r,
                        size_t max_headers, head_state *st)
{
    size_t p = *pos;
    for (;;) {
        r->line_start = p;
        if (p == len || (buf[p] == '\r' && p + 1 == len))
            return HS_AGAIN;
        if (buf[p] == '\n' || (buf[p] == '\r' && buf[p + 1] == '\n'))
            break;
        if (buf[p] == '\r')
            return fail(r, 400, "bare CR in header");
        if (is_ows(buf[p]))
            return fail(r, 400, "obsolete line folding");
        if (r->nheaders == max_headers) {
            r->headers_full = true;
            return fail(r, 431, "too many header fields");
        }
        hs_header *h = &r->headers[r->nheaders];
        int rc = parse_field(buf, len, &p, h, r);
        if (rc != HS_OK)
            return rc;
        r->nheaders++;
        if (apply_field(h, st, r) != HS_OK)
            return HS_ERROR;
    }
    *pos = p + (buf[p] == '\r' ? 2 : 1);
    return HS_OK;
}

/* ---- entry points ------------------------------------------------------ */

int hs_http_parse_request(const char *buf, size_t len, hs_http_request *r, hs_header *hdrs,
                          size_t max_headers)
{
    /* Empty slices point at "" rather than NULL, so callers may memcmp them. */
    static const char none[] = "";
    hs_str e = {none, 0};
    *r = (hs_http_request){.method = e, .request_line = e, .target = e, .path = e,
                           .args = e, .abs_host = e, .host = e, .headers = hdrs,
                           .content_length = -1};
    size_t p = 0;
    int rc = skip_empty_lines(buf, len, &p, r);
    r->line_start = p;
    if (rc == HS_OK)
        rc = parse_request_line(buf, len, &p, r);
    if (rc != HS_OK)
        return rc;
    r->request_line_done = true;
    r->method_id = hs_http_method_id(r->method);
    if (parse_target(r) != HS_OK)
        return HS_ERROR;
    head_state st = {0};
    rc = parse_fields(buf, len, &p, r, max_headers, &st);
    if (rc != HS_OK)
        return rc;
    if (finish_head(&st, r) != HS_OK)
        return HS_ERROR;
    r->head_len = p;
    return HS_OK;
}

const hs_header *hs_http_find_header(const hs_http_request *r, const char *name)
{
    hs_str n = hs_cstr(name);
    for (size_t i = 0; i < r->nheaders; i++)
        if (hs_str_caseeq(r->headers[i].name, n))
            return &r->headers[i];
    return NULL;
}

/* ---- Host -------------------------------------------------------------- */

/* RFC 3986 reg-name bytes (unreserved, sub-delims, '%'), plus obs-text that
 * nginx lets through for raw UTF-8 names: a table, as every request's Host
 * passes here byte by byte. */
static const bool reg_name_byte[256] = {
    ['0' ... '9'] = true, ['a' ... 'z'] = true, ['A' ... 'Z'] = true, [0x80 ... 0xff] = true,
    ['-'] = true, ['.'] = true, ['_'] = true, ['~'] = true, ['!'] = true, ['$'] = true, ['&'] = true,
    ['\''] = true, ['('] = true, [')'] = true, ['*'] = true, ['+'] = true, [','] = true, [';'] = true,
    ['='] = true, ['%'] = true,
};

static inline bool is_reg_name(char c) { return reg_name_byte[(uint8_t)c]; }

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (hs_lower(c) >= 'a' && hs_lower(c) <= 'f');
}

/* "[" IPv6 "]": hex digits, ':' and '.' (embedded IPv4), no two dots in a
 * row; or "[v" 1*HEXDIG "." 1*(unreserved / sub-delims / ":") "]", RFC
 * 3986's IPvFuture. Returns the length including the brackets, or 0. */
static size_t ip_literal_len(hs_str s)
{
    size_t i = 1;
    if (i < s.n && hs_lower(s.p[i]) == 'v') {
        size_t h = ++i;
        while (i < s.n && is_hex(s.p[i]))
            i++;
        if (i == h || i >= s.n || s.p[i++] != '.')
            return 0;
        size_t start = i;
        while (i < s.n && s.p[i] != ']' && s.p[i] != '%' && (is_reg_name(s.p[i]) || s.p[i] == ':') &&
               (uint8_t)s.p[i] < 0x80)
            i++;
        return i == start || i == s.n || s.p[i] != ']' ? 0 : i + 1;
    }
    while (i < s.n && (is_hex(s.p[i]) || s.p[i] == ':' || s.p[i] == '.')) {
        if (s.p[i] == '.' && s.p[i - 1] == '.')
            return 0;
        i++;
    }
    if (i == 1 || i == s.n || s.p[i] != ']')
        return 0;
    return i + 1;
}

/* A reg-name without empty labels; returns its length before ':', or 0. */
static size_t reg_name_len(hs_str s)
{
    size_t i = 0;
    for (; i < s.n && s.p[i] != ':'; i++) {
        if (s.p[i] == '.' && (i == 0 || s.p[i - 1] == '.'))
            return 0;
        if (!is_reg_name(s.p[i]))
            return 0;
    }
    return i;
}

int hs_http_parse_host(hs_str raw, char *out, size_t *out_len)
{
    if (raw.n == 0)
        return HS_ERROR;
    size_t n = raw.p[0] == '[' ? ip_literal_len(raw) : reg_name_len(raw);
    if (n == 0)
        return HS_ERROR;
    if (n < raw.n) {
        if (raw.p[n] != ':')
            return HS_ERROR;
        unsigned port = 0; /* nginx 1.29.4: a port is at most 65535 */
        for (size_t i = n + 1; i < raw.n; i++)
            if (!is_digit(raw.p[i]) || (port = port * 10 + (unsigned)(raw.p[i] - '0')) > 65535)
                return HS_ERROR;
    }
    if (raw.p[n - 1] == '.')
        n--;
    if (out)
        for (size_t i = 0; i < n; i++)
            out[i] = hs_lower(raw.p[i]);
    if (out_len)
        *out_len = n;
    return HS_OK;
}
