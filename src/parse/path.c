/* Path normalisation; see path.h. One pass: each segment is decoded into
 * out, then judged, so the output never grows past the input. */
#include "parse/path.h"

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = hs_lower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decode one byte at raw[*i] (a literal or a %XX escape) into *c.
 * Returns HS_ERROR for a short or non-hex escape and for %00, which would
 * cut the path short when it reaches the file system. */
static int decode_byte(hs_str raw, size_t *i, char *c)
{
    if (raw.p[*i] != '%') {
        *c = raw.p[(*i)++];
        return HS_OK;
    }
    if (raw.n - *i < 3)
        return HS_ERROR;
    int hi = hex_value(raw.p[*i + 1]), lo = hex_value(raw.p[*i + 2]);
    if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
        return HS_ERROR;
    *c = (char)(hi << 4 | lo);
    *i += 3;
    return HS_OK;
}

/* Resolve the segment out[seg..*o) just decoded; out[seg - 1] is '/'. */
static int end_segment(char *out, size_t seg, size_t *o)
{
    size_t n = *o - seg;
    if (n == 1 && out[seg] == '.') {
        *o = seg;
    } else if (n == 2 && out[seg] == '.' && out[seg + 1] == '.') {
        if (seg == 1)
            return HS_ERROR; /* above the root */
        size_t p = seg - 1;  /* drop the previous segment, keep its '/' */
        while (out[p - 1] != '/')
            p--;
        *o = p;
    }
    return HS_OK;
}

int hs_http_normalize_path(hs_str raw, char *out, size_t *out_len)
{
    return hs_http_normalize_path_ex(raw, out, out_len, true);
}

int hs_http_normalize_path_ex(hs_str raw, char *out, size_t *out_len, bool merge_slashes)
{
    if (raw.n == 0 || raw.p[0] != '/')
        return HS_ERROR;
    size_t i = 1, o = 1;
    out[0] = '/';
    while (i < raw.n) {
        size_t seg = o;
        char c = 0;
        while (i < raw.n) {
            if (decode_byte(raw, &i, &c) != HS_OK)
                return HS_ERROR;
            if (c == '/')
                break;
            out[o++] = c;
        }
        bool empty = o == seg;
        if (end_segment(out, seg, &o) != HS_OK)
            return HS_ERROR;
        /* a separator after a kept, non-empty segment; empty ones merge
         * unless merge_slashes is off (then ".." removes an empty one) */
        if (c == '/' && (o > seg || (empty && !merge_slashes)))
            out[o++] = '/';
    }
    out[o] = '\0';
    *out_len = o;
    return HS_OK;
}

size_t hs_uri_escape(hs_str in, char *out)
{
    static const char hex[] = "0123456789ABCDEF";
    char *p = out;
    for (size_t i = 0; i < in.n; i++) {
        unsigned char c = (unsigned char)in.p[i];
        if (c <= ' ' || c >= 0x7f || strchr("\"#%<>?\\^`{|}", c)) {
            *p++ = '%';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 15];
        } else {
            *p++ = (char)c;
        }
    }
    return (size_t)(p - out);
}
