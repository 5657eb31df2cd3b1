/* Upstream response heads: the status line and header fields, checked
 * strictly (see parse/response.h). */
#include "parse/response.h"
#include "parse/chars.h"

static int fail(hs_http_response *r, const char *why)
{
    r->error = why;
    return HS_ERROR;
}

/* Finds the end of the line starting at *pos: HS_OK with *end at the CR or
 * LF and *next after the terminator, HS_AGAIN, or HS_ERROR for a bare CR. */
static int line(const char *b, size_t len, size_t pos, size_t *end, size_t *next)
{
    for (size_t i = pos; i < len; i++) {
        if (b[i] == '\n') {
            *end = i;
            *next = i + 1;
            return HS_OK;
        }
        if (b[i] == '\r') {
            if (i + 1 >= len)
                return HS_AGAIN;
            if (b[i + 1] != '\n')
                return HS_ERROR;
            *end = i;
            *next = i + 2;
            return HS_OK;
        }
        if (b[i] == '\0')
            return HS_ERROR;
    }
    return HS_AGAIN;
}

static int status_line(hs_str l, hs_http_response *r)
{
    if (l.n < 12 || memcmp(l.p, "HTTP/1.", 7) != 0 || (l.p[7] != '0' && l.p[7] != '1') || l.p[8] != ' ')
        return fail(r, "invalid status line");
    r->version = l.p[7] == '1' ? 11 : 10;
    int s = 0;
    for (int i = 9; i < 12; i++) {
        if (l.p[i] < '0' || l.p[i] > '9')
            return fail(r, "invalid status code");
        s = s * 10 + (l.p[i] - '0');
    }
    if (s < 100)
        return fail(r, "invalid status code");
    r->status = s;
    if (l.n > 12 && l.p[12] != ' ')
        return fail(r, "invalid status line");
    r->reason = l.n > 13 ? (hs_str){l.p + 13, l.n - 13} : HS_NULL_STR;
    return HS_OK;
}

int hs_http_parse_response_field(hs_str l, hs_header *h, hs_http_response *r)
{
    size_t i = 0;
    while (i < l.n && hs_is_tchar(l.p[i]))
        i++;
    if (i == 0 || i >= l.n || l.p[i] != ':')
        return fail(r, "invalid header line");
    h->name = (hs_str){l.p, i};
    size_t a = i + 1, b = l.n;
    while (a < b && (l.p[a] == ' ' || l.p[a] == '\t'))
        a++;
    while (b > a && (l.p[b - 1] == ' ' || l.p[b - 1] == '\t'))
        b--;
    for (size_t k = a; k < b; k++)
        if ((unsigned char)l.p[k] < 0x20 && l.p[k] != '\t')
            return fail(r, "control character in a header value");
    h->value = (hs_str){l.p + a, b - a};
    return HS_OK;
}

static bool list_has(hs_str v, const char *token)
{
    size_t tn = strlen(token), i = 0;
    while (i < v.n) {
        while (i < v.n && (v.p[i] == ' ' || v.p[i] == ','))
            i++;
        size_t s = i;
        while (i < v.n && v.p[i] != ',')
            i++;
        size_t e = i;
        while (e > s && v.p[e - 1] == ' ')
            e--;
        if (e - s == tn && strncasecmp(v.p + s, token, tn) == 0)
            return true;
    }
    return false;
}

static int apply(const hs_header *h, hs_http_response *r, bool *conn_close, bool *conn_ka)
{
    if (hs_str_caseeq_lit(h->name, "Content-Length")) {
        int64_t v = 0;
        if (h->value.n == 0 || h->value.n > 18)
            return fail(r, "invalid Content-Length");
        for (size_t i = 0; i < h->value.n; i++) {
            if (h->value.p[i] < '0' || h->value.p[i] > '9')
                return fail(r, "invalid Content-Length");
            v = v * 10 + (h->value.p[i] - '0');
        }
        if (r->content_length >= 0) /* even an equal one, as nginx since 1.23 */
            return fail(r, "duplicate Content-Length");
        r->content_length = v;
    } else if (hs_str_caseeq_lit(h->name, "Transfer-Encoding")) {
        if (!hs_str_caseeq_lit(h->value, "chunked"))
            return fail(r, "unsupported Transfer-Encoding");
        if (r->chunked)
            return fail(r, "duplicate Transfer-Encoding");
        r->chunked = true;
    } else if (hs_str_caseeq_lit(h->name, "Connection")) {
        *conn_close |= list_has(h->value, "close");
        *conn_ka |= list_has(h->value, "keep-alive");
    }
    return HS_OK;
}

int hs_http_parse_response(const char *buf, size_t len, hs_http_response *r, hs_header *hdrs,
                           size_t max_headers)
{
    memset(r, 0, sizeof(*r));
    r->headers = hdrs;
    r->content_length = -1;
    size_t end, next, pos = 0;
    int rc = line(buf, len, pos, &end, &next);
    if (rc != HS_OK)
        return rc == HS_AGAIN ? (len > 64 * 1024 ? fail(r, "status line too long") : HS_AGAIN)
                              : fail(r, "bare CR");
    if (status_line((hs_str){buf, end}, r) != HS_OK)
        return HS_ERROR;
    bool conn_close = false, conn_ka = false;
    for (pos = next;;) {
        rc = line(buf, len, pos, &end, &next);
        if (rc == HS_AGAIN)
            return HS_AGAIN;
        if (rc == HS_ERROR)
            return fail(r, "bare CR");
        if (end == pos)
            break;
        if (buf[pos] == ' ' || buf[pos] == '\t')
            return fail(r, "obsolete line folding");
        if (r->nheaders == max_headers)
            return fail(r, "too many header lines");
        hs_header *h = &hdrs[r->nheaders++];
        if (hs_http_parse_response_field((hs_str){buf + pos, end - pos}, h, r) != HS_OK || apply(h, r, &conn_close, &conn_ka) != HS_OK)
            return HS_ERROR;
        pos = next;
    }
    if (r->chunked && r->content_length >= 0)
        return fail(r, "both Content-Length and Transfer-Encoding");
    r->keep_alive = r->version == 11 ? !conn_close : (conn_ka && !conn_close);
    r->head_len = next;
    return HS_OK;
}
