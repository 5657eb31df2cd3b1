/* Fuzz target for the request-head parser, Host validation and path
 * normalisation. Besides "no crash, no over-read" (the input sits in an
 * exact-size heap block, so ASan sees any read past it) it checks the
 * parser's contract: prefixes of a complete head are HS_AGAIN, prefixes of a
 * bad one HS_AGAIN or the same error, slices stay inside the buffer, and the
 * framing fields never contradict each other. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "parse/request.h"
#include "parse/path.h"

#define MAXH 32
#define MAX_INPUT 8192 /* checking every prefix is quadratic */

static void check_slice(hs_str s, const char *buf, size_t len)
{
    if (s.n)
        REQUIRE(s.p >= buf && s.p + s.n <= buf + len);
}

/* The normalised path is canonical: no "//", no "." or ".." segment. */
static void check_path(hs_str path)
{
    char *out = malloc(path.n + 1);
    size_t n = 0;
    if (hs_http_normalize_path(path, out, &n) == HS_OK) {
        REQUIRE(n >= 1 && n <= path.n && out[0] == '/' && out[n] == '\0');
        for (size_t i = 0; i < n; i++) {
            if (out[i] != '/')
                continue;
            REQUIRE(i + 1 == n || out[i + 1] != '/');
            bool dot = i + 1 < n && out[i + 1] == '.';
            REQUIRE(!(dot && (i + 2 == n || out[i + 2] == '/')));
            REQUIRE(!(dot && i + 2 < n && out[i + 2] == '.' && (i + 3 == n || out[i + 3] == '/')));
        }
        /* normalising again changes nothing unless '%' came out of a decode */
        if (!memchr(out, '%', n)) {
            char *again = malloc(n + 1);
            size_t m = 0;
            REQUIRE(hs_http_normalize_path(hs_str_from(out, n), again, &m) == HS_OK);
            REQUIRE(m == n && memcmp(again, out, n) == 0);
            free(again);
        }
    }
    free(out);
}

static void check_host(hs_str raw)
{
    char *out = malloc(raw.n + 1);
    size_t n = 0;
    if (hs_http_parse_host(raw, out, &n) == HS_OK) {
        REQUIRE(n >= 1 && n <= raw.n);
        for (size_t i = 0; i < n; i++)
            REQUIRE(!(out[i] >= 'A' && out[i] <= 'Z') && out[i] != '/' && (uint8_t)out[i] > 0x20);
        REQUIRE(out[n - 1] != '.'); /* one trailing dot is stripped, ".." rejected */
    }
    free(out);
}

static void check_ok(const hs_http_request *r, const char *buf, size_t len)
{
    REQUIRE(r->head_len > 0 && r->head_len <= len);
    REQUIRE(r->version == 10 || r->version == 11);
    REQUIRE(r->nheaders <= MAXH);
    REQUIRE(!(r->chunked && r->content_length >= 0));
    REQUIRE(r->content_length >= -1 && r->content_length <= HS_HTTP_MAX_BODY_LEN);
    REQUIRE(r->method.n > 0 && r->target.n > 0);
    REQUIRE(r->version == 10 || r->host.n > 0);
    check_slice(r->method, buf, len);
    check_slice(r->request_line, buf, len);
    check_slice(r->target, buf, len);
    check_slice(r->args, buf, len);
    check_slice(r->abs_host, buf, len);
    for (size_t i = 0; i < r->nheaders; i++) {
        check_slice(r->headers[i].name, buf, len);
        check_slice(r->headers[i].value, buf, len);
        REQUIRE(r->headers[i].name.n > 0);
    }
    if (r->host.n)
        REQUIRE(hs_http_parse_host(r->host, NULL, NULL) == HS_OK);
    const hs_header *h = hs_http_find_header(r, "host");
    REQUIRE(h != NULL || r->version == 10);
    if (h && !r->abs_host.n)
        REQUIRE(h->value.p == r->host.p);
    if (r->path.n && r->path.p[0] == '/')
        check_path(r->path);
}

/* Every strict prefix must agree with the whole: complete heads need more
 * bytes before their end, bad ones fail the same way or need more. */
static void check_prefixes(const char *buf, size_t len, int rc, const hs_http_request *r)
{
    hs_header h[MAXH];
    size_t stop = rc == HS_OK ? r->head_len : len;
    for (size_t k = 0; k < len; k++) {
        char *p = malloc(k ? k : 1);
        memcpy(p, buf, k);
        hs_http_request rk;
        int rck = hs_http_parse_request(p, k, &rk, h, MAXH);
        free(p);
        if (k < stop) {
            REQUIRE(rck == HS_AGAIN ||
                    (rc == HS_ERROR && rck == HS_ERROR && rk.error_status == r->error_status));
        } else {
            REQUIRE(rck == HS_OK && rk.head_len == r->head_len);
        }
        if (rck == HS_AGAIN)
            REQUIRE(rk.line_start <= k);
    }
}

/* libFuzzer's entry point; no header declares it (-Wmissing-prototypes). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_INPUT)
        return 0;
    char *buf = malloc(size ? size : 1);
    memcpy(buf, data, size);
    hs_header h[MAXH];
    hs_http_request r;
    int rc = hs_http_parse_request(buf, size, &r, h, MAXH);
    REQUIRE(rc == HS_OK || rc == HS_AGAIN || rc == HS_ERROR);
    if (rc == HS_OK)
        check_ok(&r, buf, size);
    if (rc == HS_ERROR) {
        REQUIRE(r.error_reason != NULL);
        REQUIRE(r.error_status == 400 || r.error_status == 431 || r.error_status == 501 ||
                r.error_status == 505);
    }
    check_prefixes(buf, size, rc, &r);
    /* The raw bytes as a Host value and as a path, beyond what the parser lets through. */
    check_host(hs_str_from(buf, size));
    if (size && buf[0] == '/')
        check_path(hs_str_from(buf, size));
    free(buf);
    return 0;
}
