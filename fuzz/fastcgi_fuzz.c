/* Fuzz target for the FastCGI response parsers (what hush reads from
 * PHP-FPM): the record stream decoder and the CGI head. Besides "no crash,
 * no over-read" (the input sits in an exact-size heap block) it checks the
 * contract: decoding the stream in pieces gives exactly what decoding it
 * whole gives (stdout, stderr, the end, the error), the stdout never grows
 * past the input, and the CGI head's slices stay inside its buffer. The
 * first input byte chooses where the pieces are cut. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fastcgi/fcgi_parse.h"
#include "fuzz.h"

#define MAXH 32
#define MAX_INPUT 65536

typedef struct {
    char *err;
    size_t err_len;
    size_t records;   /* stderr records seen complete */
} sink;

static void on_err(void *ctx, const char *data, size_t n, bool last)
{
    sink *s = ctx;
    memcpy(s->err + s->err_len, data, n);
    s->err_len += n;
    s->records += last;
}

/* Decodes in[0..len) in pieces of step bytes (0: whole) into out. */
static int decode(const char *in, size_t len, size_t step, char *out, size_t *out_len, sink *s, hs_fcgi_dec *d)
{
    char *buf = malloc(len ? len : 1);
    memcpy(buf, in, len);
    hs_fcgi_dec_init(d, 1);
    size_t off = 0;
    int rc = HS_AGAIN;
    *out_len = 0;
    while (off < len && rc == HS_AGAIN) {
        size_t n = step && len - off > step ? step : len - off, got = n;
        rc = hs_fcgi_decode(d, buf + off, &got, on_err, s);
        REQUIRE(got <= n);
        memcpy(out + *out_len, buf + off, got);
        *out_len += got;
        off += n;
    }
    if (rc == HS_OK && off < len)
        rc = HS_DONE; /* bytes followed in a later piece */
    free(buf);
    return rc;
}

static void check_slice(hs_str s, const char *buf, size_t len)
{
    if (s.n)
        REQUIRE(s.p >= buf && s.p + s.n <= buf + len);
}

static void check_head(const char *out, size_t n)
{
    char *buf = malloc(n ? n : 1);
    memcpy(buf, out, n);
    hs_http_response r;
    hs_header h[MAXH];
    int rc = hs_fcgi_parse_head(buf, n, &r, h, MAXH);
    REQUIRE(rc == HS_OK || rc == HS_AGAIN || rc == HS_ERROR);
    if (rc == HS_ERROR)
        REQUIRE(r.error != NULL);
    if (rc == HS_OK) {
        REQUIRE(r.head_len > 0 && r.head_len <= n && r.nheaders <= MAXH);
        REQUIRE(r.status >= 100 && r.status <= 999 && r.content_length >= -1);
        check_slice(r.reason, buf, n);
        for (size_t i = 0; i < r.nheaders; i++) {
            check_slice(h[i].name, buf, n);
            check_slice(h[i].value, buf, n);
        }
        for (size_t k = 0; k < r.head_len; k += 1 + k / 8) {
            hs_http_response p;
            REQUIRE(hs_fcgi_parse_head(buf, k, &p, h, MAXH) != HS_OK); /* a prefix is never complete */
        }
    }
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > MAX_INPUT)
        return 0;
    size_t step = 1 + data[0] % 23;
    const char *in = (const char *)data + 1;
    size_t len = size - 1;
    char *out1 = malloc(len + 1), *out2 = malloc(len + 1), *e1 = malloc(len + 1), *e2 = malloc(len + 1);
    sink s1 = {e1, 0, 0}, s2 = {e2, 0, 0};
    size_t n1, n2;
    hs_fcgi_dec d1, d2;
    int rc1 = decode(in, len, 0, out1, &n1, &s1, &d1);
    int rc2 = decode(in, len, step, out2, &n2, &s2, &d2);
    REQUIRE(rc1 == HS_OK || rc1 == HS_AGAIN || rc1 == HS_DONE || rc1 == HS_ERROR);
    REQUIRE(rc1 == rc2);
    if (rc1 == HS_ERROR) {
        REQUIRE(d1.error[0] && strcmp(d1.error, d2.error) == 0);
    } else {
        REQUIRE(n1 == n2 && memcmp(out1, out2, n1) == 0 && n1 <= len);
        REQUIRE(s1.err_len == s2.err_len && memcmp(e1, e2, s1.err_len) == 0 && s1.records == s2.records);
        REQUIRE(d1.ended == (rc1 != HS_AGAIN));
    }
    check_head(out1, n1);
    free(out1);
    free(out2);
    free(e1);
    free(e2);
    return 0;
}
