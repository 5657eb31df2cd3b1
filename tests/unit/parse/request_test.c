/* Tests for src/http/parse.c. Every case is parsed three ways: whole from a
 * buffer that ends right before a PROT_NONE page (an over-read faults), and
 * every strict prefix likewise (a valid request must say HS_AGAIN for each;
 * an invalid one HS_AGAIN or the same error), so byte-at-a-time arrival and
 * over-reads are covered by every case below. */
#include "parse/request.h"
#include "unit.h"

#include <sys/mman.h>
#include <unistd.h>

#define MAXH 16

/* ---- guard-page harness ------------------------------------------------ */

static char *guard_base; /* start of the readable pages */
static size_t guard_size; /* readable bytes before the PROT_NONE page */

static void guard_init(void)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    guard_size = 16 * page;
    guard_base = mmap(NULL, guard_size + page, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (guard_base == MAP_FAILED || mprotect(guard_base + guard_size, page, PROT_NONE)) {
        perror("mmap");
        exit(2);
    }
}

/* Copy n bytes so that they end exactly at the guard page. */
static const char *guarded(const char *in, size_t n)
{
    char *dst = guard_base + guard_size - n;
    memcpy(dst, in, n);
    return dst;
}

static hs_http_request req;   /* result of the last case's full parse */
static hs_header hdrs[MAXH];  /* its header array */
static const char *req_buf;   /* the guarded copy req's slices point into */

/* Parse `in` (n bytes) and all its prefixes with max_headers fields allowed;
 * returns the full parse's code with req/hdrs filled. */
static int parse_case_max(int line, const char *in, size_t n, size_t maxh)
{
    int before = unit_failures;
    hs_http_request r0;
    int rc = hs_http_parse_request(guarded(in, n), n, &r0, hdrs, maxh);
    int status = r0.error_status;
    for (size_t k = 0; k < n; k++) {
        hs_http_request rk;
        int rck = hs_http_parse_request(guarded(in, k), k, &rk, hdrs, maxh);
        if (rck == HS_AGAIN)
            continue;
        if (rc == HS_ERROR && rck == HS_ERROR && rk.error_status == status)
            continue;
        unit_failures++;
        fprintf(stderr, "%s:%d: prefix of %zu/%zu bytes: rc %d (status %d), full rc %d\n",
                __FILE__, line, k, n, rck, rk.error_status, rc);
        break;
    }
    unit_checks++;
    req_buf = guarded(in, n);
    int rc2 = hs_http_parse_request(req_buf, n, &req, hdrs, maxh);
    CHECK_INT(rc2, rc);
    if (unit_failures != before)
        fprintf(stderr, "  in the case at line %d\n", line);
    return rc;
}

#define PARSE(s) parse_case_max(__LINE__, s, sizeof(s) - 1, MAXH)

/* Expect HS_OK with the whole input as head. */
#define OK(s)                                                                          \
    do {                                                                               \
        int rc_ = PARSE(s);                                                            \
        CHECK_INT(rc_, HS_OK);                                                         \
        if (rc_ != HS_OK)                                                              \
            fprintf(stderr, "  line %d: %d %s\n", __LINE__, req.error_status,          \
                    req.error_reason);                                                 \
        CHECK_INT(req.head_len, sizeof(s) - 1);                                        \
    } while (0)

/* Expect HS_ERROR with this status. */
#define BAD(s, st)                                                                     \
    do {                                                                               \
        int rc_ = PARSE(s);                                                            \
        CHECK_INT(rc_, HS_ERROR);                                                      \
        CHECK_INT(req.error_status, st);                                               \
        if (rc_ != HS_ERROR || req.error_status != (st))                               \
            fprintf(stderr, "  line %d: reason %s\n", __LINE__,                       \
                    req.error_reason ? req.error_reason : "-");                        \
        CHECK(rc_ != HS_ERROR || req.error_reason != NULL);                            \
    } while (0)

#define AGAIN(s)                                                                       \
    do {                                                                               \
        int rc_ = PARSE(s);                                                            \
        CHECK_INT(rc_, HS_AGAIN);                                                      \
    } while (0)

#define H11(extra) "GET / HTTP/1.1\r\nHost: a\r\n" extra "\r\n"

/* ---- valid requests ---------------------------------------------------- */

static void test_simple(void)
{
    OK("GET /index.html?a=1&b=2 HTTP/1.1\r\nHost: Example.com:8080\r\nUser-Agent: t\r\n"
       "Accept:  */*  \r\n\r\n");
    CHECK_SLICE(req.method, "GET");
    CHECK_INT(req.method_id, HS_METHOD_GET);
    CHECK_SLICE(req.request_line, "GET /index.html?a=1&b=2 HTTP/1.1");
    CHECK_SLICE(req.target, "/index.html?a=1&b=2");
    CHECK_SLICE(req.path, "/index.html");
    CHECK_SLICE(req.args, "a=1&b=2");
    CHECK_INT(req.abs_host.n, 0);
    CHECK_INT(req.version, 11);
    CHECK_INT(req.nheaders, 3);
    CHECK(req.headers == hdrs);
    CHECK_SLICE(req.headers[0].name, "Host");
    CHECK_SLICE(req.headers[0].value, "Example.com:8080");
    CHECK_SLICE(req.headers[2].name, "Accept");
    CHECK_SLICE(req.headers[2].value, "*/*");
    CHECK_SLICE(req.host, "Example.com:8080");
    CHECK_INT(req.content_length, -1);
    CHECK(!req.chunked);
    CHECK(req.keep_alive);
    CHECK(!req.expect_continue);
    /* Slices point into the caller's buffer: zero-copy. */
    CHECK(req.method.p == req_buf);
    CHECK(req.headers[1].value.p > req_buf && req.headers[1].value.p < req_buf + req.head_len);

    const hs_header *h = hs_http_find_header(&req, "user-AGENT");
    CHECK(h != NULL);
    if (h)
        CHECK_SLICE(h->value, "t");
    CHECK(hs_http_find_header(&req, "User") == NULL);
    CHECK(hs_http_find_header(&req, "User-Agent-X") == NULL);
}

static void test_methods(void)
{
    static const struct {
        const char *req;
        hs_method id;
    } cases[] = {
        {"GET / HTTP/1.0\r\n\r\n", HS_METHOD_GET},
        {"HEAD / HTTP/1.0\r\n\r\n", HS_METHOD_HEAD},
        {"POST / HTTP/1.0\r\n\r\n", HS_METHOD_POST},
        {"PUT / HTTP/1.0\r\n\r\n", HS_METHOD_PUT},
        {"DELETE / HTTP/1.0\r\n\r\n", HS_METHOD_DELETE},
        {"OPTIONS / HTTP/1.0\r\n\r\n", HS_METHOD_OPTIONS},
        {"PATCH / HTTP/1.0\r\n\r\n", HS_METHOD_PATCH},
        {"TRACE / HTTP/1.0\r\n\r\n", HS_METHOD_TRACE},
        {"CONNECT a:1 HTTP/1.0\r\n\r\n", HS_METHOD_CONNECT},
        {"PROPFIND / HTTP/1.0\r\n\r\n", HS_METHOD_PROPFIND},
        {"MKCOL / HTTP/1.0\r\n\r\n", HS_METHOD_MKCOL},
        {"COPY / HTTP/1.0\r\n\r\n", HS_METHOD_COPY},
        {"MOVE / HTTP/1.0\r\n\r\n", HS_METHOD_MOVE},
        {"LOCK / HTTP/1.0\r\n\r\n", HS_METHOD_LOCK},
        {"UNLOCK / HTTP/1.0\r\n\r\n", HS_METHOD_UNLOCK},
        {"get / HTTP/1.0\r\n\r\n", HS_METHOD_UNKNOWN}, /* methods are case-sensitive */
        {"GETS / HTTP/1.0\r\n\r\n", HS_METHOD_UNKNOWN},
        {"X-M!#$%&'*+.^_`|~9 / HTTP/1.0\r\n\r\n", HS_METHOD_UNKNOWN},
    };
    for (size_t i = 0; i < HS_ARRAY_LEN(cases); i++) {
        size_t n = strlen(cases[i].req);
        CHECK_INT(parse_case_max(__LINE__, cases[i].req, n, MAXH), HS_OK);
        CHECK_INT(req.method_id, cases[i].id);
        CHECK_INT(req.head_len, n);
        CHECK_INT(req.method.n, strchr(cases[i].req, ' ') - cases[i].req);
    }
}

static void test_target_forms(void)
{
    OK("GET /? HTTP/1.1\r\nHost: a\r\n\r\n");
    CHECK_SLICE(req.path, "/");
    CHECK_SLICE(req.args, "");
    OK("GET /a/b%20c?x=?y HTTP/1.1\r\nHost: a\r\n\r\n");
    CHECK_SLICE(req.path, "/a/b%20c");
    CHECK_SLICE(req.args, "x=?y");
    OK("GET /a/b?x=1#frag?y HTTP/1.1\r\nHost: a\r\n\r\n"); /* a fragment is dropped, as nginx */
    CHECK_SLICE(req.path, "/a/b");
    CHECK_SLICE(req.args, "x=1");
    OK("GET /a/.#f HTTP/1.1\r\nHost: a\r\n\r\n");
    CHECK_SLICE(req.path, "/a/.");
    OK("GET http://h#f HTTP/1.1\r\nHost: a\r\n\r\n");
    CHECK_SLICE(req.abs_host, "h");
    CHECK_SLICE(req.path, "/");
    OK("GET /\xc3\xa9t\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n"); /* obs-text in the target */
    CHECK_SLICE(req.path, "/\xc3\xa9t\xc3\xa9");

    OK("GET http://Example.ORG:8080/p/q?x=1 HTTP/1.1\r\nHost: other\r\n\r\n");
    CHECK_SLICE(req.target, "http://Example.ORG:8080/p/q?x=1");
    CHECK_SLICE(req.abs_host, "Example.ORG:8080");
    CHECK_SLICE(req.host, "Example.ORG:8080"); /* the target's authority wins */
    CHECK_SLICE(req.path, "/p/q");
    CHECK_SLICE(req.args, "x=1");
    OK("GET HTTPS://h HTTP/1.1\r\nHost: h\r\n\r\n");
    CHECK_SLICE(req.abs_host, "h");
    CHECK_SLICE(req.path, "/");
    CHECK_SLICE(req.args, "");
    OK("GET hTTp://h?x HTTP/1.0\r\n\r\n");
    CHECK_SLICE(req.abs_host, "h");
    CHECK_SLICE(req.host, "h");
    CHECK_SLICE(req.path, "/");
    CHECK_SLICE(req.args, "x");
    OK("GET http://[::1]:80/ HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK_SLICE(req.abs_host, "[::1]:80");

    OK("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n");
    CHECK_SLICE(req.path, "*");
    CHECK_SLICE(req.target, "*");
    OK("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
    CHECK_INT(req.method_id, HS_METHOD_CONNECT);
    CHECK_SLICE(req.target, "example.com:443");
    CHECK_SLICE(req.path, "");
    OK("CONNECT [2001:db8::1]:443 HTTP/1.1\r\nHost: x\r\n\r\n");
}

static void test_versions_keepalive(void)
{
    OK("GET / HTTP/1.0\r\n\r\n");
    CHECK_INT(req.version, 10);
    CHECK(!req.keep_alive);
    CHECK_INT(req.host.n, 0);
    OK("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
    CHECK(req.keep_alive);
    OK("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n");
    CHECK(!req.keep_alive);
    OK("GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n");
    CHECK(!req.keep_alive);
    OK(H11(""));
    CHECK(req.keep_alive);
    OK(H11("Connection: close\r\n"));
    CHECK(!req.keep_alive);
    OK(H11("Connection: Upgrade, CLOSE\r\n"));
    CHECK(!req.keep_alive);
    OK(H11("Connection: ,, keep-alive ,\t\r\n"));
    CHECK(req.keep_alive);
    OK(H11("Connection: closed\r\n")); /* a different token */
    CHECK(req.keep_alive);
    OK("GET / HTTP/1.5\r\nHost: a\r\n\r\n");
    CHECK_INT(req.version, 11);
    OK("GET / HTTP/1.9\r\nHost: a\r\n\r\n");
    CHECK_INT(req.version, 11);
}

static void test_line_endings(void)
{
    OK("\r\n\r\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
    CHECK_SLICE(req.request_line, "GET / HTTP/1.1");
    CHECK_SLICE(req.method, "GET");
    OK("GET / HTTP/1.1\nHost: a\nX: y \n\n");
    CHECK_SLICE(req.request_line, "GET / HTTP/1.1");
    CHECK_SLICE(req.headers[1].value, "y");
    OK("GET / HTTP/1.1\r\nHost: a\n\r\n");
    OK("GET / HTTP/1.1\nHost: a\r\n\n");
}

static void test_fields(void)
{
    OK(H11("Empty:\r\nSpaces:   \t \r\nMid: a b\tc\r\nObs: \x80\xff\xc3\xa9\r\n"
           "Tab:\tv\t\r\nX-!#$%&'*+.^_`|~: 1\r\n"));
    CHECK_INT(req.nheaders, 7);
    CHECK_SLICE(req.headers[1].value, "");
    CHECK_SLICE(req.headers[2].value, "");
    CHECK_SLICE(req.headers[3].value, "a b\tc");
    CHECK_SLICE(req.headers[4].value, "\x80\xff\xc3\xa9");
    CHECK_SLICE(req.headers[5].value, "v");
    CHECK_SLICE(req.headers[6].name, "X-!#$%&'*+.^_`|~");
    CHECK_SLICE(req.headers[6].value, "1");
    CHECK_SLICE(req.headers[2].name, "Spaces");

    OK(H11("Expect: 100-Continue\r\n"));
    CHECK(req.expect_continue);
    OK(H11("Expect: 100-continue, x\r\n")); /* not the expectation we know */
    CHECK(!req.expect_continue);
    OK("GET / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n"); /* ignored in 1.0 */
    CHECK(!req.expect_continue);

    OK("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n");
    OK("GET / HTTP/1.1\r\nHost: a.b.c.\r\n\r\n");
    OK("GET / HTTP/1.1\r\nHost: 10.0.0.1:\r\n\r\n");
}

/* Exactly max_headers fields fit; one more is 431 with headers_full (the
 * caller retries with a larger array). */
static void test_header_limit(void)
{
    const char *two = "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n\r\n";
    CHECK_INT(parse_case_max(__LINE__, two, strlen(two), 2), HS_OK);
    CHECK_INT(req.nheaders, 2);
    const char *three = "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\nY: 2\r\n\r\n";
    CHECK_INT(parse_case_max(__LINE__, three, strlen(three), 2), HS_ERROR);
    CHECK_INT(req.error_status, 431);
    CHECK(req.headers_full);
    CHECK_INT(parse_case_max(__LINE__, three, strlen(three), 3), HS_OK);
    CHECK(!req.headers_full);
    const char *none = "GET / HTTP/1.0\r\n\r\n";
    CHECK_INT(hs_http_parse_request(none, strlen(none), &req, NULL, 0), HS_OK);
    const char *one = "GET / HTTP/1.0\r\nA: b\r\n\r\n";
    CHECK_INT(hs_http_parse_request(one, strlen(one), &req, NULL, 0), HS_ERROR);
    CHECK_INT(req.error_status, 431);
}

static void test_body_framing(void)
{
    OK(H11("Content-Length: 0\r\n"));
    CHECK_INT(req.content_length, 0);
    OK(H11("Content-Length: 123\r\n"));
    CHECK_INT(req.content_length, 123);
    OK(H11("Content-Length:  007 \t\r\n"));
    CHECK_INT(req.content_length, 7);
    BAD(H11("Content-Length: 5\r\ncontent-length: 5\r\n"), 400); /* a repeat, even identical, as nginx */
    OK(H11("Content-Length: 4611686018427387904\r\n"));
    CHECK_INT(req.content_length, HS_HTTP_MAX_BODY_LEN);
    OK(H11("Transfer-Encoding: chunked\r\n"));
    CHECK(req.chunked);
    CHECK_INT(req.content_length, -1);
    OK(H11("transfer-encoding:\tChunKed\t\r\n"));
    CHECK(req.chunked);
    OK(H11("Transfer-Encoding: , chunked ,\r\n"));
    CHECK(req.chunked);
    BAD(H11("Transfer-Encoding: \r\nTransfer-Encoding: chunked\r\n"), 400); /* two fields, as nginx */
    for (const char *const *f = (const char *const[]){"If-Match", "If-None-Match", "If-Modified-Since",
                                                       "If-Unmodified-Since", "If-Range", "Content-Range",
                                                       "Expect", "Authorization", NULL};
         *f; f++) {
        char head[160];
        snprintf(head, sizeof(head), "GET / HTTP/1.1\r\nHost: a\r\n%s: x\r\n%s: y\r\n\r\n", *f, *f);
        BAD(head, 400);
    }
}

/* The head ends at the empty line; what follows is left alone, and every
 * prefix that contains the head parses the same. */
static void test_pipelined(void)
{
    const char *in = "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n"
                     "hello"
                     "GET /b HTTP/1.1\r\nHost: a\r\n\r\n";
    size_t n = strlen(in), head = strstr(in, "hello") - in;
    for (size_t k = 0; k <= n; k++) {
        hs_http_request r;
        int rc = hs_http_parse_request(guarded(in, k), k, &r, hdrs, MAXH);
        CHECK_INT(rc, k < head ? HS_AGAIN : HS_OK);
        if (rc == HS_OK)
            CHECK_INT(r.head_len, head);
    }
    const char *next = in + head + 5;
    CHECK_INT(hs_http_parse_request(next, strlen(next), &req, hdrs, MAXH), HS_OK);
    CHECK_SLICE(req.path, "/b");
    CHECK_INT(req.head_len, strlen(next));

    /* A second request right after a head, nothing in between. */
    const char *two = "GET /1 HTTP/1.1\nHost: a\n\nGET /2 HTTP/1.1\nHost: a\n\n";
    CHECK_INT(hs_http_parse_request(two, strlen(two), &req, hdrs, MAXH), HS_OK);
    CHECK_INT(req.head_len, strlen(two) / 2);
}

/* What the caller needs on HS_AGAIN to choose 414 or 431. */
static void test_again_info(void)
{
    AGAIN("\r\n\r\nGET /very/long");
    CHECK(!req.request_line_done);
    CHECK_INT(req.line_start, 4);
    AGAIN("GET / HTTP/1.1\r\nHost: a\r\nX-Lo");
    CHECK(req.request_line_done);
    CHECK_INT(req.line_start, 25);
    AGAIN("GET / HTTP/1.1\r\nHost: a\r\n\r");
    CHECK(req.request_line_done);
    CHECK_INT(req.line_start, 25);
    AGAIN("GET / HTTP/1.1\r");
    CHECK(!req.request_line_done);
    CHECK_INT(req.line_start, 0);
    AGAIN("");
    AGAIN("\r\n");
}

/* ---- invalid requests -------------------------------------------------- */

static void test_bad_request_line(void)
{
    BAD("GET / http/1.1\r\nHost: a\r\n\r\n", 400);
    BAD("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505);
    BAD("GET / HTTP/9.9\r\n\r\n", 505);
    BAD("GET / HTTP/2.0x\r\n\r\n", 400);
    BAD("GET / HTTP/0.9\r\n\r\n", 400);
    BAD("GET / HTTP/1.10\r\n\r\n", 400);
    BAD("GET / HTTP/10.0\r\n\r\n", 400);
    BAD("GET / HTTP/1\r\n\r\n", 400);
    BAD("GET / HTTP/1.\r\n\r\n", 400);
    BAD("GET / HTTP/1.x\r\n\r\n", 400);
    BAD("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400);
    BAD("GET / HTTP/1.1\rHost: a\r\n\r\n", 400);
    BAD("GET / HTTP/1.1\r\r\n\r\n", 400);
    BAD("GET /\r\n\r\n", 400);            /* HTTP/0.9 */
    BAD("GET /\n", 400);
    BAD("GET\r\n\r\n", 400);
    BAD("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    BAD("GET /  HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    BAD("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    BAD("GET /\tHTTP/1.1\r\nHost: a\r\n\r\n", 400);
    BAD(" GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    BAD("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    BAD("G\0T / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    BAD("GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    BAD("GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    BAD("GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    BAD("\rX", 400);
    BAD("\r\r\n", 400);
    BAD("\r\nGET / HTTP/1.1\rX", 400);
}

static void test_bad_targets(void)
{
    BAD("GET x HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    BAD("GET ?x HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    BAD("GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    BAD("OPTIONS *x HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    BAD("GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    BAD("GET http:/a HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    BAD("GET http:///a HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    BAD("GET http://u@a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    BAD("GET http://a..b/ HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    BAD("GET http://a:x/ HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    BAD("CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    BAD("CONNECT a HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    BAD("CONNECT a: HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    BAD("CONNECT [::1] HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    BAD("CONNECT http://a:80/ HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

static void test_bad_fields(void)
{
    BAD(H11("Transfer-Encoding : chunked\r\n"), 400);
    BAD(H11("Transfer-Encoding\t: chunked\r\n"), 400);
    BAD(H11("X: a\r\n Transfer-Encoding: chunked\r\n"), 400); /* obs-fold */
    BAD(H11("X: a\r\n\tcontinued\r\n"), 400);
    BAD("GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400);
    BAD(H11("X: a\rb\r\n"), 400);
    BAD(H11("X: a\r\r\n"), 400);
    BAD(H11("\rX: a\r\n"), 400);
    BAD("GET / HTTP/1.1\r\nHost: a\r\n\rX", 400);
    BAD(H11("X: a\0b\r\n"), 400);
    BAD(H11("X\0: a\r\n"), 400);
    BAD(H11("X: \0\r\n"), 400);
    BAD(H11("X: a\x01\r\n"), 400);
    BAD(H11("X: a\x7f\r\n"), 400);
    BAD(H11("X: \x0b" "chunked\r\n"), 400);
    BAD(H11("X: \x0c\r\n"), 400);
    BAD(H11("X Y: z\r\n"), 400);
    BAD(H11(": z\r\n"), 400);
    BAD(H11("X(: z\r\n"), 400);
    BAD(H11("NoColon\r\n"), 400);
    BAD(H11("X\xc3\xa9: z\r\n"), 400);
    BAD(H11("Connection: clo se\r\n"), 400);
    BAD(H11("Connection: close;x\r\n"), 400);
}

static void test_bad_host(void)
{
    BAD("GET / HTTP/1.1\r\n\r\n", 400);
    BAD("GET / HTTP/1.1\r\nX: a\r\n\r\n", 400);
    BAD("GET http://a/ HTTP/1.1\r\n\r\n", 400); /* 1.1 needs Host even then */
    BAD("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400);
    BAD("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400);
    BAD("GET / HTTP/1.0\r\nHost: a\r\nHOST: b\r\n\r\n", 400);
    static const char *bad[] = {
        "", "a..b", ".a", "..", ".", "a/b", "a\\b", "a b", "a\tb", "[::1", "::1]", "[::1]x",
        "[]", "[::1]:x", "a:x", "a:8 0", "u@a", "a?b", "a#b", "a\"b", "[::g]", "a]", "a[b",
        "a:80:90",
    };
    for (size_t i = 0; i < HS_ARRAY_LEN(bad); i++) {
        char in[128];
        int n = snprintf(in, sizeof(in), "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", bad[i]);
        int rc = parse_case_max(__LINE__, in, (size_t)n, MAXH);
        CHECK_INT(rc, HS_ERROR);
        CHECK_INT(req.error_status, 400);
        if (rc != HS_ERROR)
            fprintf(stderr, "  host \"%s\" accepted\n", bad[i]);
    }
}

static void test_bad_content_length(void)
{
    BAD(H11("Content-Length: +5\r\n"), 400);
    BAD(H11("Content-Length: -1\r\n"), 400);
    BAD(H11("Content-Length: 5 5\r\n"), 400);
    BAD(H11("Content-Length: 5,5\r\n"), 400);
    BAD(H11("Content-Length: 5, 5\r\n"), 400);
    BAD(H11("Content-Length: 0x5\r\n"), 400);
    BAD(H11("Content-Length: 5.0\r\n"), 400);
    BAD(H11("Content-Length:\r\n"), 400);
    BAD(H11("Content-Length: 5\x0b\r\n"), 400);
    BAD(H11("Content-Length: \xd9\xa5\r\n"), 400); /* a non-ASCII digit */
    BAD(H11("Content-Length: 4611686018427387905\r\n"), 400);
    BAD(H11("Content-Length: 99999999999999999999999\r\n"), 400);
    BAD(H11("Content-Length: 5\r\nContent-Length: 6\r\n"), 400);
    BAD(H11("Content-Length: 5\r\nContent-Length: 50\r\n"), 400);
    BAD(H11("Content-Length : 5\r\n"), 400);
}

static void test_bad_transfer_encoding(void)
{
    BAD(H11("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"), 400);
    BAD(H11("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"), 400);
    BAD(H11("Content-Length: 0\r\nTransfer-Encoding: chunked\r\n"), 400);
    BAD(H11("Transfer-Encoding: chunked, identity\r\n"), 501); /* another coding: 501 first, as nginx */
    BAD(H11("Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n"), 400);
    BAD(H11("Transfer-Encoding: identity\r\n"), 501); /* another coding: 501 first, as nginx */
    BAD(H11("Transfer-Encoding: gzip\r\n"), 501); /* another coding: 501 first, as nginx */
    BAD(H11("Transfer-Encoding:\r\n"), 400);
    BAD(H11("Transfer-Encoding: chunked, chunked\r\n"), 400);
    BAD(H11("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"), 400);
    BAD(H11("Transfer-Encoding: chunked;x=1\r\n"), 501); /* another coding: 501 first, as nginx */
    BAD(H11("Transfer-Encoding: chunked x\r\n"), 400);
    BAD(H11("Transfer-Encoding: \"chunked\"\r\n"), 400);
    BAD(H11("Transfer-Encoding: xchunked\r\n"), 501); /* another coding: 501 first, as nginx */
    BAD(H11("Transfer-Encoding: chunked\x0b\r\n"), 400);
    BAD(H11("Transfer-Encoding: gzip, chunked\r\n"), 501);
    BAD(H11("Transfer-Encoding: gzip;level=1, chunked\r\n"), 501);
    BAD(H11("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n"), 400);
    BAD("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
}

/* hs_http_parse_host: port and one trailing dot stripped, lowercased. */
static void test_parse_host(void)
{
    static const struct {
        const char *raw, *want; /* want NULL: rejected */
    } cases[] = {
        {"Example.COM:8080", "example.com"}, {"a.b.", "a.b"}, {"A.:1", "a"},
        {"[::1]:80", "[::1]"}, {"[2001:DB8::1]", "[2001:db8::1]"}, {"[::ffff:1.2.3.4]", "[::ffff:1.2.3.4]"},
        {"10.0.0.1", "10.0.0.1"}, {"x_y-z~!$&'()*+,;=%", "x_y-z~!$&'()*+,;=%"},
        {"\xc3\x89t\xc3\xa9", "\xc3\x89t\xc3\xa9"}, {"h:", "h"},
        {"", NULL}, {".", NULL}, {"a..", NULL}, {"..a", NULL}, {"a/b", NULL}, {"a\\b", NULL},
        {"a\x01", NULL}, {"a\x7f", NULL}, {":80", NULL}, {"[::1]:8x", NULL}, {"[:", NULL},
    };
    for (size_t i = 0; i < HS_ARRAY_LEN(cases); i++) {
        hs_str raw = hs_cstr(cases[i].raw);
        char out[64];
        size_t n = 99;
        int rc = hs_http_parse_host(raw, out, &n);
        CHECK_INT(rc, cases[i].want ? HS_OK : HS_ERROR);
        if (rc == HS_OK && cases[i].want)
            CHECK_SLICE(hs_str_from(out, n), cases[i].want);
        CHECK_INT(hs_http_parse_host(raw, NULL, NULL), rc);
        if (rc != (cases[i].want ? HS_OK : HS_ERROR))
            fprintf(stderr, "  host \"%s\"\n", cases[i].raw);
    }
    char nul[] = "a\0b";
    CHECK_INT(hs_http_parse_host(hs_str_from(nul, 3), NULL, NULL), HS_ERROR);
}

/* Absent parts are empty slices that still point somewhere (never NULL). */
static void test_empty_slices(void)
{
    OK("GET / HTTP/1.0\r\n\r\n");
    CHECK(req.args.p != NULL && req.args.n == 0);
    CHECK(req.abs_host.p != NULL && req.abs_host.n == 0);
    CHECK(req.host.p != NULL && req.host.n == 0);
    CHECK(req.request_line_done);
    BAD("GET\r\n", 400);
    CHECK(req.path.p != NULL && req.target.p != NULL && req.request_line.p != NULL);
}

int main(void)
{
    guard_init();
    test_simple();
    test_methods();
    test_target_forms();
    test_versions_keepalive();
    test_line_endings();
    test_fields();
    test_header_limit();
    test_body_framing();
    test_pipelined();
    test_again_info();
    test_bad_request_line();
    test_bad_targets();
    test_bad_fields();
    test_bad_host();
    test_bad_content_length();
    test_bad_transfer_encoding();
    test_parse_host();
    test_empty_slices();
    UNIT_MAIN_END();
}
