/* The chunked decoder: a byte-at-a-time state machine, except for chunk
 * data, which is moved in bulk. See chunked.h for the contract.
 *
 *   chunked-body = *chunk last-chunk trailer-section CRLF
 *   chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 *   chunk-ext    = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] )
 *   ext-val      = token / quoted-string */
#include "parse/chunked.h"
#include "parse/chars.h"

#include <stdio.h>

enum {
    CH_SIZE_START,   /* first hex digit of a chunk-size */
    CH_SIZE,         /* more hex digits, or what follows them */
    CH_SIZE_BWS,     /* whitespace after the size: only ';' may follow */
    CH_EXT_NAME0,    /* after ';': BWS, then an ext-name */
    CH_EXT_NAME,     /* inside an ext-name */
    CH_EXT_AFTER_NAME, /* BWS after an ext-name */
    CH_EXT_VAL0,     /* after '=': BWS, then a token or a quoted-string */
    CH_EXT_TOKEN,    /* inside a token ext-val */
    CH_EXT_QUOTED,   /* inside a quoted-string ext-val */
    CH_EXT_QPAIR,    /* after a backslash in a quoted-string */
    CH_EXT_AFTER_VAL, /* BWS after an ext-val */
    CH_SIZE_LF,      /* the LF ending the size line */
    CH_DATA,         /* chunk data; d->left bytes due */
    CH_DATA_CR,      /* the CR after chunk data */
    CH_DATA_LF,      /* the LF after chunk data */
    CH_TR_START,     /* start of a trailer line, or of the final CRLF */
    CH_TR_NAME,      /* inside a trailer field name */
    CH_TR_VALUE,     /* inside a trailer field value */
    CH_TR_LF,        /* the LF ending a trailer line */
    CH_END_LF,       /* the LF of the final CRLF */
    CH_DONE,         /* body complete */
};

static bool is_tchar(uint8_t c) { return hs_is_tchar((char)c); }

static bool is_ows(uint8_t c) { return c == ' ' || c == '\t'; }

/* field-vchar or whitespace: what a field value or a quoted pair may hold */
static bool is_vchar_ws(uint8_t c) { return is_ows(c) || (c > 0x20 && c != 0x7f); }

static int hex_value(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int fail(hs_chunked *d, const char *reason)
{
    d->error_reason = reason;
    return HS_ERROR;
}

void hs_chunked_init(hs_chunked *d) { *d = (hs_chunked){.state = CH_SIZE_START}; }

/* A size line's end: the chunk's data follows, or the trailer if size 0. */
static int size_line_done(hs_chunked *d)
{
    if (d->left > HS_CHUNKED_MAX_BODY - d->total)
        return fail(d, "chunked body too large");
    d->state = d->left ? CH_DATA : CH_TR_START;
    return HS_OK;
}

static int size_step(hs_chunked *d, uint8_t c)
{
    int v = hex_value(c);
    if (v >= 0) {
        if (d->state == CH_SIZE_BWS || ++d->digits > HS_CHUNKED_MAX_DIGITS)
            return fail(d, "invalid chunk size");
        d->left = d->left << 4 | (uint64_t)v;
        d->state = CH_SIZE;
        return HS_OK;
    }
    if (d->state == CH_SIZE_START)
        return fail(d, "invalid chunk size");
    if (c == ';')
        d->state = CH_EXT_NAME0;
    else if (is_ows(c))
        d->state = CH_SIZE_BWS;
    else if (c == '\r' && d->state == CH_SIZE)
        d->state = CH_SIZE_LF;
    else
        return fail(d, "invalid chunk size");
    return HS_OK;
}

/* What may end any part of an extension: another one, or the line. */
static int ext_next(hs_chunked *d, uint8_t c, int after_ws_state)
{
    if (c == ';')
        d->state = CH_EXT_NAME0;
    else if (c == '\r')
        d->state = CH_SIZE_LF;
    else if (is_ows(c))
        d->state = (uint8_t)after_ws_state;
    else
        return fail(d, "invalid chunk extension");
    return HS_OK;
}

static int ext_step(hs_chunked *d, uint8_t c)
{
    switch (d->state) {
    case CH_EXT_NAME0:
    case CH_EXT_VAL0:
        if (is_ows(c))
            return HS_OK;
        if (d->state == CH_EXT_VAL0 && c == '"') {
            d->state = CH_EXT_QUOTED;
            return HS_OK;
        }
        if (!is_tchar(c))
            return fail(d, "invalid chunk extension");
        d->state = d->state == CH_EXT_NAME0 ? CH_EXT_NAME : CH_EXT_TOKEN;
        return HS_OK;
    case CH_EXT_NAME:
    case CH_EXT_AFTER_NAME:
        if (c == '=') {
            d->state = CH_EXT_VAL0;
            return HS_OK;
        }
        if (d->state == CH_EXT_NAME && is_tchar(c))
            return HS_OK;
        return ext_next(d, c, CH_EXT_AFTER_NAME);
    case CH_EXT_TOKEN:
    case CH_EXT_AFTER_VAL:
        if (d->state == CH_EXT_TOKEN && is_tchar(c))
            return HS_OK;
        return ext_next(d, c, CH_EXT_AFTER_VAL);
    case CH_EXT_QUOTED:
        if (c == '"')
            d->state = CH_EXT_AFTER_VAL;
        else if (c == '\\')
            d->state = CH_EXT_QPAIR;
        else if (!is_vchar_ws(c))
            return fail(d, "invalid chunk extension");
        return HS_OK;
    default: /* CH_EXT_QPAIR */
        if (!is_vchar_ws(c))
            return fail(d, "invalid chunk extension");
        d->state = CH_EXT_QUOTED;
        return HS_OK;
    }
}

/* The size line: bounded, so extensions cannot make us read forever. */
static int size_line_step(hs_chunked *d, uint8_t c)
{
    if (++d->line_len > HS_CHUNKED_MAX_SIZE_LINE)
        return fail(d, "chunk size line too long");
    if (d->state <= CH_SIZE_BWS)
        return size_step(d, c);
    if (d->state < CH_SIZE_LF)
        return ext_step(d, c);
    if (c != '\n')
        return fail(d, "bare CR after chunk size");
    return size_line_done(d);
}

/* Trailer fields: header-field syntax, no obs-fold, CRLF only; discarded. */
static int trailer_step(hs_chunked *d, uint8_t c)
{
    if (++d->trailer_len > HS_CHUNKED_MAX_TRAILER)
        return fail(d, "chunked trailer too long");
    switch (d->state) {
    case CH_TR_START:
        if (c == '\r')
            d->state = CH_END_LF;
        else if (is_tchar(c))
            d->state = CH_TR_NAME;
        else
            return fail(d, "invalid trailer field");
        return HS_OK;
    case CH_TR_NAME:
        if (c == ':')
            d->state = CH_TR_VALUE;
        else if (!is_tchar(c))
            return fail(d, "invalid trailer field");
        return HS_OK;
    case CH_TR_VALUE:
        if (c == '\r')
            d->state = CH_TR_LF;
        else if (!is_vchar_ws(c))
            return fail(d, "invalid trailer field");
        return HS_OK;
    default: /* CH_TR_LF, CH_END_LF */
        if (c != '\n')
            return fail(d, "bare CR in chunked trailer");
        d->state = d->state == CH_TR_LF ? CH_TR_START : CH_DONE;
        return HS_OK;
    }
}

static int step(hs_chunked *d, uint8_t c)
{
    if (d->state <= CH_SIZE_LF)
        return size_line_step(d, c);
    if (d->state == CH_DATA_CR || d->state == CH_DATA_LF) {
        if (c != (d->state == CH_DATA_CR ? '\r' : '\n'))
            return fail(d, "missing CRLF after chunk data");
        if (d->state == CH_DATA_LF) {
            d->line_len = 0;
            d->digits = 0;
        }
        d->state = d->state == CH_DATA_CR ? CH_DATA_LF : CH_SIZE_START;
        return HS_OK;
    }
    return trailer_step(d, c);
}

ssize_t hs_chunked_decode(hs_chunked *d, char *buf, size_t *len)
{
    size_t in = 0, out = 0, n = *len;
    while (in < n && d->state != CH_DONE) {
        if (d->state != CH_DATA) {
            if (step(d, (uint8_t)buf[in++]) != HS_OK) {
                *len = out;
                return HS_ERROR;
            }
            continue;
        }
        size_t k = n - in < d->left ? n - in : (size_t)d->left;
        if (out != in)
            memmove(buf + out, buf + in, k);
        in += k;
        out += k;
        d->left -= k;
        d->total += k;
        if (d->left == 0)
            d->state = CH_DATA_CR;
    }
    *len = out;
    return d->state == CH_DONE ? (ssize_t)(n - in) : HS_AGAIN;
}

int hs_chunked_encode(hs_buf *out, const char *data, size_t n, bool last, hs_str trailer)
{
    if (n) {
        char size[24];
        int k = snprintf(size, sizeof(size), "%zx\r\n", n);
        if (hs_buf_add(out, size, (size_t)k) != HS_OK || hs_buf_add(out, data, n) != HS_OK ||
            hs_buf_add(out, "\r\n", 2) != HS_OK)
            return HS_ERROR;
    }
    if (!last)
        return HS_OK;
    if (hs_buf_add(out, "0\r\n", 3) != HS_OK || (trailer.n && hs_buf_add(out, trailer.p, trailer.n) != HS_OK))
        return HS_ERROR;
    return hs_buf_add(out, "\r\n", 2);
}
