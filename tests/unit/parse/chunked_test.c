/* Tests for src/http/chunked.c. Every body is decoded whole, split in two at
 * every point, and one byte per call; each piece sits right before a
 * PROT_NONE page so any over-read faults. All ways must agree. */
#include "parse/chunked.h"
#include "unit.h"

#include <sys/mman.h>
#include <unistd.h>

static char *guard_base;  /* start of the writable pages */
static size_t guard_size; /* writable bytes before the PROT_NONE page */

static void guard_init(void)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    guard_size = 32 * page;
    guard_base = mmap(NULL, guard_size + page, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (guard_base == MAP_FAILED || mprotect(guard_base + guard_size, page, PROT_NONE)) {
        perror("mmap");
        exit(2);
    }
}

/* What feeding a body in pieces produced. */
typedef struct {
    ssize_t rc;          /* the first result other than HS_AGAIN, or HS_AGAIN */
    char payload[65536]; /* decoded bytes, concatenated over the calls */
    size_t payload_len;  /* bytes in payload */
    char rest[4096];     /* the unconsumed input after the end, reassembled */
    size_t rest_len;     /* bytes in rest */
    uint64_t total;      /* the decoder's total at the end */
} run_result;

static run_result res;

/* Feed in[0..n) cut at cuts[0..ncuts) (ascending offsets), one call a piece. */
static void run(const char *in, size_t n, const size_t *cuts, size_t ncuts)
{
    hs_chunked d;
    hs_chunked_init(&d);
    memset(&res, 0, sizeof(res));
    res.rc = HS_AGAIN;
    size_t from = 0;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t to = i < ncuts ? cuts[i] : n;
        size_t k = to - from;
        if (res.rc != HS_AGAIN) { /* finished: later pieces are all leftover */
            memcpy(res.rest + res.rest_len, in + from, k);
            res.rest_len += k;
            from = to;
            continue;
        }
        char *buf = guard_base + guard_size - k;
        memcpy(buf, in + from, k);
        size_t len = k;
        res.rc = hs_chunked_decode(&d, buf, &len);
        if (res.rc == HS_ERROR)
            break;
        memcpy(res.payload + res.payload_len, buf, len);
        res.payload_len += len;
        if (res.rc >= 0) {
            memcpy(res.rest, buf + k - res.rc, (size_t)res.rc);
            res.rest_len = (size_t)res.rc;
        }
        from = to;
    }
    res.total = d.total;
}

/* Decode `in` whole, split at every point, and a byte at a time; each must
 * give rc (HS_ERROR, HS_AGAIN or >= 0 for done), and when not an error the
 * same payload and leftover. */
static void check_case(int line, const char *in, size_t n, int want_rc, const char *payload,
                       size_t payload_len, const char *rest)
{
    int before = unit_failures;
    size_t cuts[8192];
    for (size_t split = 0; split <= n + 1; split++) {
        size_t ncuts = 0;
        if (split <= n) {
            cuts[ncuts++] = split; /* split == 0 and == n give empty pieces too */
        } else {
            for (size_t i = 1; i < n && ncuts < HS_ARRAY_LEN(cuts); i++)
                cuts[ncuts++] = i;
        }
        run(in, n, cuts, ncuts);
        int rc = res.rc >= 0 ? 0 : (int)res.rc;
        CHECK_INT(rc, want_rc);
        if (want_rc == HS_ERROR || rc != want_rc)
            continue;
        CHECK_INT(res.payload_len, payload_len);
        CHECK(res.payload_len == payload_len && memcmp(res.payload, payload, payload_len) == 0);
        CHECK_INT(res.total, payload_len);
        if (want_rc == 0) {
            CHECK_INT(res.rest_len, strlen(rest));
            CHECK(res.rest_len == strlen(rest) && memcmp(res.rest, rest, res.rest_len) == 0);
        }
        if (unit_failures != before) {
            fprintf(stderr, "  split %zu of %zu\n", split, n);
            break;
        }
    }
    if (unit_failures != before)
        fprintf(stderr, "  in the case at line %d\n", line);
}

#define DONE(in, payload, rest)                                                        \
    check_case(__LINE__, in, sizeof(in) - 1, 0, payload, sizeof(payload) - 1, rest)
#define AGAIN(in, payload)                                                             \
    check_case(__LINE__, in, sizeof(in) - 1, HS_AGAIN, payload, sizeof(payload) - 1, "")
#define BAD(in) check_case(__LINE__, in, sizeof(in) - 1, HS_ERROR, "", 0, "")

static void test_valid(void)
{
    DONE("0\r\n\r\n", "", "");
    DONE("5\r\nhello\r\n0\r\n\r\n", "hello", "");
    DONE("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world", "");
    DONE("A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n", "0123456789abcdefghij", "");
    DONE("0000000000000003\r\nabc\r\n000\r\n\r\n", "abc", ""); /* 16 digits */
    DONE("3\r\n\r\n\n\r\n0\r\n\r\n", "\r\n\n", "");            /* data is opaque */
    DONE("2\r\n\0\xff\r\n0\r\n\r\n", "\0\xff", "");
}

static void test_extensions(void)
{
    DONE("3;a\r\nabc\r\n0\r\n\r\n", "abc", "");
    DONE("3;a=b;c=\"d e\"\r\nabc\r\n0;last\r\n\r\n", "abc", "");
    DONE("3 ;a\r\nabc\r\n0\r\n\r\n", "abc", "");              /* BWS before ';' */
    DONE("3\t; a = b ; c\t=\t\"x\" \r\nabc\r\n0\r\n\r\n", "abc", "");
    DONE("3;q=\"a\\\"b\\\\;\x80\"\r\nabc\r\n0\r\n\r\n", "abc", "");
    DONE("3;!#$%&'*+-.^_`|~=!#$%&'*+-.^_`|~\r\nabc\r\n0\r\n\r\n", "abc", "");
}

static void test_trailers(void)
{
    DONE("3\r\nabc\r\n0\r\nX-Sum: 1\r\n\r\n", "abc", "");
    DONE("0\r\nA: 1\r\nB:\r\nC:  x y\t\r\nD: \x80\xff\r\n\r\n", "", "");
}

/* Whatever follows the body is left in place for the next request. */
static void test_pipelined(void)
{
    DONE("3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n", "abc", "GET / HTTP/1.1\r\n\r\n");
    DONE("0\r\n\r\n0\r\n\r\n", "", "0\r\n\r\n");
    DONE("0\r\nT: 1\r\n\r\nX", "", "X");
}

static void test_incomplete(void)
{
    AGAIN("", "");
    AGAIN("5", "");
    AGAIN("5\r\nhel", "hel");
    AGAIN("5\r\nhello\r\n", "hello");
    AGAIN("5\r\nhello\r\n0\r\n", "hello");
    AGAIN("5\r\nhello\r\n0\r\nX: y\r\n", "hello");
}

/* Calling again after the end consumes nothing. */
static void test_after_done(void)
{
    hs_chunked d;
    hs_chunked_init(&d);
    char buf[32] = "0\r\n\r\nxy";
    size_t len = 7;
    CHECK_INT(hs_chunked_decode(&d, buf, &len), 2);
    CHECK_INT(len, 0);
    len = 3;
    CHECK_INT(hs_chunked_decode(&d, buf, &len), 3);
    CHECK_INT(len, 0);
}

static void test_malformed(void)
{
    BAD("g\r\nabc\r\n0\r\n\r\n");
    BAD("0x1\r\na\r\n0\r\n\r\n");
    BAD("-1\r\na\r\n0\r\n\r\n");
    BAD("+1\r\na\r\n0\r\n\r\n");
    BAD(" 1\r\na\r\n0\r\n\r\n");
    BAD("1 \r\na\r\n0\r\n\r\n");
    BAD("1 1\r\na\r\n0\r\n\r\n");
    BAD("\r\n1\r\na\r\n0\r\n\r\n");
    BAD("1\n\na\r\n0\r\n\r\n");      /* bare LF after size */
    BAD("1\r\ra\r\n0\r\n\r\n");
    BAD("1\ra\r\n0\r\n\r\n");
    BAD("1\r\nab\r\n0\r\n\r\n");     /* data longer than the size */
    BAD("1\r\na\n0\r\n\r\n");        /* bare LF after data */
    BAD("1\r\na0\r\n\r\n");          /* no CRLF after data */
    BAD("1\r\na\r0\r\n\r\n");
    BAD("0\r\n\n");                   /* bare LF ending the trailer */
    BAD("0\n\r\n");
    BAD("00000000000000001\r\na\r\n0\r\n\r\n"); /* 17 digits */
    BAD("10000000000000000\r\n");               /* overflows 64 bits */
    BAD("ffffffffffffffff\r\n");                /* above 2^62 */
    BAD("4000000000000001\r\n");
    BAD(";a\r\n");
    BAD("1;\r\na\r\n0\r\n\r\n");
    BAD("1;=b\r\na\r\n0\r\n\r\n");
    BAD("1;a=\r\na\r\n0\r\n\r\n");
    BAD("1;a b\r\na\r\n0\r\n\r\n");
    BAD("1;a=b c\r\na\r\n0\r\n\r\n");
    BAD("1;a=\"b\r\na\r\n0\r\n\r\n");
    BAD("1;a=\"b\"c\r\na\r\n0\r\n\r\n");
    BAD("1;a=\"b\"\"c\"\r\na\r\n0\r\n\r\n");
    BAD("1;a=\"\x01\"\r\na\r\n0\r\n\r\n");
    BAD("1;a=\"\\\x01\"\r\na\r\n0\r\n\r\n");
    BAD("1;a=b\n\r\na\r\n0\r\n\r\n");
    BAD("1;a\0\r\na\r\n0\r\n\r\n");
    BAD("0\r\n X: y\r\n\r\n");     /* obs-fold in the trailer */
    BAD("0\r\nX : y\r\n\r\n");
    BAD("0\r\n: y\r\n\r\n");
    BAD("0\r\nX y\r\n\r\n");
    BAD("0\r\nX: y\0\r\n\r\n");
    BAD("0\r\nX: y\x7f\r\n\r\n");
    BAD("0\r\nX: y\ry\r\n\r\n");
    BAD("0\r\nX: y\n\r\n");
}

/* A size line may carry extensions up to HS_CHUNKED_MAX_SIZE_LINE bytes in
 * all, CRLF included; the trailer section up to HS_CHUNKED_MAX_TRAILER. */
static void test_limits(void)
{
    static char in[20000], want[8];
    size_t n = 0;
    n += (size_t)sprintf(in, "1;x=");
    while (n < HS_CHUNKED_MAX_SIZE_LINE - 2)
        in[n++] = 'a';
    n += (size_t)sprintf(in + n, "\r\nz\r\n0\r\n\r\n");
    strcpy(want, "z");
    check_case(__LINE__, in, n, 0, want, 1, "");
    memmove(in + 1, in, n++); /* one byte more on the size line */
    in[0] = '0';
    check_case(__LINE__, in, n, HS_ERROR, "", 0, "");

    n = (size_t)sprintf(in, "0\r\nX: ");
    while (n < 3 + HS_CHUNKED_MAX_TRAILER - 4)
        in[n++] = 'v';
    n += (size_t)sprintf(in + n, "\r\n\r\n");
    check_case(__LINE__, in, n, 0, "", 0, "");
    memmove(in + 7, in + 6, n++ - 6);
    check_case(__LINE__, in, n, HS_ERROR, "", 0, "");
}

/* A big chunk moves in bulk, and total counts it. */
static void test_big(void)
{
    static char in[40000], want[32768];
    for (size_t i = 0; i < sizeof(want); i++)
        want[i] = (char)('a' + i % 26);
    int n = sprintf(in, "8000\r\n");
    memcpy(in + n, want, sizeof(want));
    n += (int)sizeof(want);
    n += sprintf(in + n, "\r\n0\r\n\r\n");
    size_t cuts[] = {1, 5, 6, 7, 100, 32000, 32775, 32776};
    run(in, (size_t)n, cuts, HS_ARRAY_LEN(cuts));
    CHECK_INT(res.rc, 0);
    CHECK_INT(res.payload_len, sizeof(want));
    CHECK(memcmp(res.payload, want, sizeof(want)) == 0);
    CHECK_INT(res.total, sizeof(want));
}

int main(void)
{
    guard_init();
    test_valid();
    test_extensions();
    test_trailers();
    test_pipelined();
    test_incomplete();
    test_after_done();
    test_malformed();
    test_limits();
    test_big();
    UNIT_MAIN_END();
}
