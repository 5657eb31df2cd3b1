/* Tests for src/http/path.c: a table of raw paths and what they normalise to
 * (NULL: rejected), each run from a buffer that ends before a PROT_NONE page
 * and into an output buffer of exactly the documented capacity. */
#include "parse/path.h"
#include "unit.h"

#include <sys/mman.h>
#include <unistd.h>

static char *guard_base;  /* start of the readable pages */
static size_t guard_size; /* readable bytes before the PROT_NONE page */

static void guard_init(void)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    guard_size = page;
    guard_base = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                      -1, 0);
    if (guard_base == MAP_FAILED || mprotect(guard_base + page, page, PROT_NONE)) {
        perror("mmap");
        exit(2);
    }
}

static const struct {
    const char *raw;  /* as in the request target */
    const char *want; /* normalised, or NULL for HS_ERROR */
} cases[] = {
    {"/", "/"},
    {"/index.html", "/index.html"},
    {"/a/b/c", "/a/b/c"},
    {"/a/b/", "/a/b/"},
    {"//a///b", "/a/b"},
    {"//", "/"},
    {"///a//", "/a/"},
    {"/a/./b/.", "/a/b/"},
    {"/./", "/"},
    {"/.", "/"},
    {"/a/b/..", "/a/"},
    {"/a/b/../", "/a/"},
    {"/a/b/../c", "/a/c"},
    {"/a/../b", "/b"},
    {"/a/..", "/"},
    {"/a/b/../../c/./d/..", "/c/"},
    {"/a//..//b", "/b"}, /* slashes merge before ".." is resolved */
    {"/...", "/..."},
    {"/a/.../b", "/a/.../b"},
    {"/.a/..b/b..", "/.a/..b/b.."},
    {"/a%20b", "/a b"},
    {"/%41%42%63", "/ABc"},
    {"/%2fa%2F%2Fb", "/a/b"},
    {"/a%2Fb", "/a/b"},
    {"/%2e/a", "/a"},
    {"/a/%2e%2e/b", "/b"},
    {"/a/.%2e", "/"},
    {"/a/%2E.", "/"},
    {"/%25", "/%"},
    {"/%252e%252e/", "/%2e%2e/"}, /* decoded once only */
    {"/\xc3\xa9", "/\xc3\xa9"},
    {"/%c3%a9", "/\xc3\xa9"},
    {"/a?b", "/a?b"}, /* the caller splits off the query first */

    /* traversal: nothing escapes the root */
    {"/..", NULL},
    {"/../", NULL},
    {"/../etc/passwd", NULL},
    {"/a/../../b", NULL},
    {"/a/./../..", NULL},
    {"/%2e%2e/", NULL},
    {"/%2E%2e%2fetc", NULL},
    {"/..%2f", NULL},
    {"/.%2e/", NULL},
    {"/%2e./x", NULL},
    {"//..", NULL},
    {"/a/%2f%2e%2e%2f..", NULL},
    {"/a/b%2F..%2F..%2F..%2Fetc", NULL},

    /* bad input */
    {"", NULL},
    {"a/b", NULL},
    {"%2fa", NULL},
    {"/%00", NULL},
    {"/a%00.html", NULL},
    {"/%", NULL},
    {"/%2", NULL},
    {"/a%zz", NULL},
    {"/a%g0", NULL},
    {"/a%0g", NULL},
    {"/%%30", NULL},
};

static void test_table(void)
{
    for (size_t i = 0; i < HS_ARRAY_LEN(cases); i++) {
        size_t n = strlen(cases[i].raw);
        char *in = guard_base + guard_size - n;
        memcpy(in, cases[i].raw, n);
        char *out = malloc(n + 1); /* the documented capacity, so ASan sees overflows */
        size_t out_len = 12345;
        int rc = hs_http_normalize_path(hs_str_from(in, n), out, &out_len);
        int before = unit_failures;
        if (!cases[i].want) {
            CHECK_INT(rc, HS_ERROR);
        } else {
            CHECK_INT(rc, HS_OK);
            if (rc == HS_OK) {
                CHECK_INT(out_len, strlen(cases[i].want));
                CHECK_SLICE(hs_str_from(out, out_len), cases[i].want);
                CHECK_INT(out[out_len], '\0');
            }
        }
        if (unit_failures != before)
            fprintf(stderr, "  raw path \"%s\"\n", cases[i].raw);
        free(out);
    }
}

/* Normalising is idempotent: a normalised path normalises to itself. */
static void test_idempotent(void)
{
    for (size_t i = 0; i < HS_ARRAY_LEN(cases); i++) {
        const char *w = cases[i].want;
        if (!w || strchr(w, '%'))
            continue;
        char out[256];
        size_t len;
        CHECK_INT(hs_http_normalize_path(hs_cstr(w), out, &len), HS_OK);
        CHECK_SLICE(hs_str_from(out, len), w);
    }
}

int main(void)
{
    guard_init();
    test_table();
    test_idempotent();
    UNIT_MAIN_END();
}
