/* The FastCGI wire format: records and name-value pairs out, the record
 * stream and the CGI head in (fcgi_parse.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/units.h"
#include "fastcgi/fcgi_parse.h"

/* ---- out ---- */

void hs_fcgi_header(char *out, int type, uint16_t id, size_t len)
{
    out[0] = HS_FCGI_VERSION;
    out[1] = (char)type;
    out[2] = (char)(id >> 8);
    out[3] = (char)(id & 0xff);
    out[4] = (char)((len >> 8) & 0xff);
    out[5] = (char)(len & 0xff);
    out[6] = 0; /* no padding */
    out[7] = 0;
}

size_t hs_fcgi_pair_len(size_t name, size_t value)
{
    return (name < 128 ? 1 : 4) + (value < 128 ? 1 : 4) + name + value;
}

static char *put_len(char *p, size_t n)
{
    if (n < 128) {
        *p++ = (char)n;
        return p;
    }
    *p++ = (char)(((n >> 24) & 0x7f) | 0x80);
    *p++ = (char)((n >> 16) & 0xff);
    *p++ = (char)((n >> 8) & 0xff);
    *p++ = (char)(n & 0xff);
    return p;
}

char *hs_fcgi_put_pair(char *out, const char *name, size_t nlen, const char *value, size_t vlen)
{
    out = put_len(out, nlen);
    out = put_len(out, vlen);
    memcpy(out, name, nlen);
    out += nlen;
    if (vlen)
        memcpy(out, value, vlen);
    return out + vlen;
}

/* ---- the record stream ---- */

void hs_fcgi_dec_init(hs_fcgi_dec *d, uint16_t id)
{
    memset(d, 0, sizeof(*d));
    d->id = id;
}

__attribute__((format(printf, 2, 3))) static int dec_fail(hs_fcgi_dec *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->error, sizeof(d->error), fmt, ap);
    va_end(ap);
    return HS_ERROR;
}

/* A whole record header is in d->hdr: check it and enter the record. */
static int enter_record(hs_fcgi_dec *d)
{
    const uint8_t *h = d->hdr;
    if (h[0] != HS_FCGI_VERSION)
        return dec_fail(d, "upstream sent unsupported FastCGI protocol version: %d", h[0]);
    if (h[1] != HS_FCGI_STDOUT && h[1] != HS_FCGI_STDERR && h[1] != HS_FCGI_END_REQUEST)
        return dec_fail(d, "upstream sent invalid FastCGI record type: %d", h[1]);
    if (((uint16_t)(h[2] << 8) | h[3]) != d->id)
        return dec_fail(d, "upstream sent unexpected FastCGI request id: %d", (h[2] << 8) | h[3]);
    d->type = h[1];
    d->left = (uint32_t)(h[4] << 8) | h[5];
    d->pad = h[6];
    if (d->type == HS_FCGI_END_REQUEST && d->left != 8)
        return dec_fail(d, "upstream sent invalid FastCGI end request record length: %d", (int)d->left);
    d->endlen = 0;
    return HS_OK;
}

/* The current record is complete. */
static void leave_record(hs_fcgi_dec *d)
{
    d->hlen = 0;
    if (d->type != HS_FCGI_END_REQUEST)
        return;
    d->ended = true;
    d->app_status = (uint32_t)d->end[0] << 24 | (uint32_t)d->end[1] << 16 | (uint32_t)d->end[2] << 8 | d->end[3];
    d->protocol_status = d->end[4];
}

/* Content bytes of the current record: stdout kept at out, stderr given
 * away, the end record's body collected. */
static size_t take_content(hs_fcgi_dec *d, char *buf, size_t i, size_t len, size_t *out, hs_fcgi_err_fn err,
                           void *ctx)
{
    size_t k = len - i < d->left ? len - i : d->left;
    d->left -= (uint32_t)k;
    if (d->type == HS_FCGI_STDOUT) {
        memmove(buf + *out, buf + i, k);
        *out += k;
    } else if (d->type == HS_FCGI_STDERR) {
        if (err && k)
            err(ctx, buf + i, k, false);
    } else {
        memcpy(d->end + d->endlen, buf + i, k);
        d->endlen = (uint8_t)(d->endlen + k);
    }
    return k;
}

int hs_fcgi_decode(hs_fcgi_dec *d, char *buf, size_t *n, hs_fcgi_err_fn err, void *ctx)
{
    size_t len = *n, i = 0, out = 0;
    while (i < len && !d->ended) {
        if (d->hlen < HS_FCGI_HEADER_LEN) {
            d->hdr[d->hlen++] = (uint8_t)buf[i++];
            if (d->hlen == HS_FCGI_HEADER_LEN && enter_record(d) != HS_OK)
                return HS_ERROR;
        } else if (d->left) {
            i += take_content(d, buf, i, len, &out, err, ctx);
        } else {
            size_t k = len - i < d->pad ? len - i : d->pad;
            d->pad -= (uint32_t)k;
            i += k;
        }
        if (d->hlen == HS_FCGI_HEADER_LEN && d->left == 0 && d->pad == 0) {
            if (d->type == HS_FCGI_STDERR && err)
                err(ctx, buf, 0, true); /* the record is complete */
            leave_record(d);
        }
    }
    *n = out;
    if (!d->ended)
        return HS_AGAIN;
    return i < len ? HS_DONE : HS_OK;
}

/* ---- the CGI head ---- */

static int head_fail(hs_http_response *r, const char *why)
{
    r->error = why;
    return HS_ERROR;
}

/* The end of the line at pos: HS_OK (*end at CR or LF, *next after), HS_AGAIN, HS_ERROR. */
static int head_line(const char *b, size_t len, size_t pos, size_t *end, size_t *next)
{
    for (size_t i = pos; i < len; i++) {
        if (b[i] == '\n' || b[i] == '\r') {
            if (b[i] == '\r' && i + 1 >= len)
                return HS_AGAIN;
            if (b[i] == '\r' && b[i + 1] != '\n')
                return HS_ERROR;
            *end = i;
            *next = i + (b[i] == '\r' ? 2 : 1);
            return HS_OK;
        }
        if (b[i] == '\0')
            return HS_ERROR;
    }
    return HS_AGAIN;
}

/* "Status: 404 Not Found" */
static int status_field(hs_str v, hs_http_response *r)
{
    int s = 0;
    if (v.n < 3 || (v.n > 3 && v.p[3] != ' '))
        return head_fail(r, "invalid status");
    for (int i = 0; i < 3; i++) {
        if (v.p[i] < '0' || v.p[i] > '9')
            return head_fail(r, "invalid status");
        s = s * 10 + (v.p[i] - '0');
    }
    if (s < 100)
        return head_fail(r, "invalid status");
    r->status = s;
    r->reason = v.n > 4 ? (hs_str){v.p + 4, v.n - 4} : HS_NULL_STR;
    return HS_OK;
}

/* What the head's fields say of the response. */
static int head_meaning(hs_http_response *r)
{
    bool location = false;
    for (size_t i = 0; i < r->nheaders; i++) {
        hs_header *h = &r->headers[i];
        if (hs_str_caseeq(h->name, HS_STR("Status")) && r->status == 0) {
            if (status_field(h->value, r) != HS_OK)
                return HS_ERROR;
        } else if (hs_str_caseeq(h->name, HS_STR("Location"))) {
            location = true;
        } else if (hs_str_caseeq(h->name, HS_STR("Content-Length"))) {
            int64_t v = hs_parse_int(h->value);
            if (v < 0 || (r->content_length >= 0 && r->content_length != v))
                return head_fail(r, "invalid Content-Length");
            r->content_length = v;
        }
    }
    if (r->status == 0)
        r->status = location ? 302 : 200;
    return HS_OK;
}

int hs_fcgi_parse_head(const char *buf, size_t len, hs_http_response *r, hs_header *hdrs, size_t max)
{
    *r = (hs_http_response){.version = 11, .headers = hdrs, .content_length = -1, .keep_alive = true};
    size_t pos = 0, end, next;
    for (;;) {
        int rc = head_line(buf, len, pos, &end, &next);
        if (rc == HS_AGAIN)
            return HS_AGAIN;
        if (rc == HS_ERROR)
            return head_fail(r, "invalid line ending");
        if (end == pos)
            break; /* the empty line */
        if (r->nheaders == max)
            return head_fail(r, "too many header lines");
        if (hs_http_parse_response_field((hs_str){buf + pos, end - pos}, &hdrs[r->nheaders], r) != HS_OK)
            return HS_ERROR;
        r->nheaders++;
        pos = next;
    }
    r->head_len = next;
    return head_meaning(r);
}
