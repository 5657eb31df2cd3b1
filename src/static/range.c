/* Byte ranges of a file (RFC 9110 14), as nginx's range filter: one range
 * is a 206 with Content-Range, several a multipart/byteranges body;
 * max_ranges bounds how many (0: none); a syntax error or nothing
 * satisfiable is a 416; ranges that add up to more than the file are
 * ignored (a 200). A multipart body is built in memory, so one over
 * MULTIPART_MAX bytes is answered whole (a 200, which RFC 9110 allows). */
#include <stdio.h>
#include <unistd.h>

#include "static/static_internal.h"

#define MULTIPART_MAX (4 << 20)
#define MAX_PARSED 256 /* ranges read from one header at most (then: the whole file) */

static const char *skip_sp(const char *p, const char *end)
{
    while (p < end && *p == ' ')
        p++;
    return p;
}

static const char *number(const char *p, const char *end, int64_t *out)
{
    int64_t v = 0;
    if (p >= end || *p < '0' || *p > '9')
        return NULL;
    for (; p < end && *p >= '0' && *p <= '9'; p++) {
        if (v > (((int64_t)1 << 60) - (*p - '0')) / 10)
            return NULL; /* too large: a 416, as nginx */
        v = v * 10 + (*p - '0');
    }
    *out = v;
    return p;
}

/* One "a-b", "a-" or "-b" into [*from, *to) of size; NULL on a syntax error. */
static const char *one_range(const char *p, const char *end, int64_t size, int64_t *from, int64_t *to)
{
    int64_t a = 0, b = 0;
    bool suffix = p < end && *p == '-';
    if (!suffix) {
        if ((p = number(p, end, &a)) == NULL)
            return NULL;
        p = skip_sp(p, end);
        if (p >= end || *p++ != '-')
            return NULL;
        p = skip_sp(p, end);
        if (p == end || *p == ',') {
            *from = a, *to = size;
            return p;
        }
    } else {
        p++;
    }
    if ((p = number(p, end, &b)) == NULL)
        return NULL;
    p = skip_sp(p, end);
    if (suffix)
        a = b < size ? size - b : 0, b = size - 1;
    *from = a;
    *to = b >= size ? size : b + 1;
    return p;
}

int hs_static_parse_ranges(hs_str v, int64_t size, int64_t max_ranges, hs_static_range *out, size_t *n)
{
    if (!hs_str_has_prefix(v, HS_STR("bytes=")) || max_ranges == 0)
        return 0;
    const char *p = v.p + 6, *end = v.p + v.n;
    int64_t total = 0;
    *n = 0;
    for (;;) {
        int64_t from, to;
        if ((p = one_range(skip_sp(p, end), end, size, &from, &to)) == NULL || (p < end && *p != ','))
            return -1;
        if (from < to) {
            if (*n == MAX_PARSED || (max_ranges > 0 && (int64_t)*n == max_ranges))
                return 0;
            out[(*n)++] = (hs_static_range){from, to};
            total += to - from;
        } else if (from == 0) {
            return 0; /* an empty file's range: the whole (empty) file */
        }
        if (p == end)
            break;
        p++;
    }
    if (*n == 0)
        return -1;
    return total > size ? 0 : 1; /* ranges adding up to more than the file: ignored */
}

/* The file's bytes [from, to) into dst. */
static bool read_part(const hs_file_info *fi, int64_t from, int64_t to, char *dst)
{
    if (fi->data) {
        memcpy(dst, fi->data + from, (size_t)(to - from));
        return true;
    }
    for (int64_t got = 0; got < to - from;) {
        ssize_t k = pread(fi->fd, dst + got, (size_t)(to - from - got), (off_t)(from + got));
        if (k <= 0)
            return false;
        got += k;
    }
    return true;
}

int hs_static_multipart(hs_req *r, const hs_file_info *fi, const hs_static_range *rg, size_t n)
{
    static unsigned long long boundary_seq;
    hs_resp *rs = &r->resp;
    char boundary[24];
    snprintf(boundary, sizeof(boundary), "%020llu", ++boundary_seq);
    hs_str type = rs->content_type.n ? rs->content_type : HS_STR("application/octet-stream");
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += (size_t)(rg[i].to - rg[i].from) + type.n + 128;
    if (len + 32 > MULTIPART_MAX)
        return HS_DECLINED;
    char *body = hs_palloc(r->pool, len + 32), *w = body;
    if (body == NULL)
        return HS_ERROR;
    for (size_t i = 0; i < n; i++) {
        w += sprintf(w, "\r\n--%s\r\nContent-Type: %.*s\r\nContent-Range: bytes %lld-%lld/%lld\r\n\r\n", boundary,
                     (int)type.n, type.p, (long long)rg[i].from, (long long)rg[i].to - 1, (long long)fi->size);
        if (!read_part(fi, rg[i].from, rg[i].to, w))
            return HS_ERROR;
        w += rg[i].to - rg[i].from;
    }
    w += sprintf(w, "\r\n--%s--\r\n", boundary);
    char *ct = hs_psprintf(r->pool, "multipart/byteranges; boundary=%s", boundary);
    if (ct == NULL)
        return HS_ERROR;
    rs->content_type = hs_cstr(ct);
    rs->body = (hs_str){body, (size_t)(w - body)};
    rs->content_length = (int64_t)rs->body.n;
    return HS_OK;
}

void hs_static_whole_entity(hs_resp *rs)
{
    long long from, to, size;
    if (rs->status != 206 || rs->content_range.n == 0 ||
        sscanf(rs->content_range.p, "bytes %lld-%lld/%lld", &from, &to, &size) != 3)
        return;
    if (rs->file_fd >= 0) {
        rs->file_off = 0;
        rs->file_end = (off_t)size;
    } else {
        rs->body = (hs_str){rs->body.p - from, (size_t)size};
    }
    rs->status = 200;
    rs->content_range = HS_NULL_STR;
    rs->content_length = size;
}
