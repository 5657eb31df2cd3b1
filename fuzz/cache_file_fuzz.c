/* Fuzz target for the cache file's header (src/cache/cache_file.c): files
 * on disk may be corrupt or cut short, and a bad one must be a miss, never
 * a crash. The input is a whole file (in an exact-size heap block), read as
 * a hit reads it: its first 4 KiB, then its whole header when that is
 * longer. A header that parses has its slices inside the input, its body
 * exactly the rest of the file, its head lines readable to the end; and
 * written again, it parses the same. */
#include <string.h>

#include "cache/cache_file.h"
#include "fuzz.h"

#define MAX_INPUT 70000

static void check_slice(hs_str s, const char *buf, size_t len)
{
    if (s.n)
        REQUIRE(s.p >= buf && s.p + s.n <= buf + len);
}

static void walk_head(hs_str head)
{
    size_t pos = 0;
    int status;
    hs_str reason, name, value;
    REQUIRE(hs_cache_head_status(head, &pos, &status, &reason));
    REQUIRE(status >= 200 && status <= 999);
    while (hs_cache_head_next(head, &pos, &name, &value)) {
        REQUIRE(name.n > 0 && name.p >= head.p && value.p + value.n <= head.p + head.n);
        REQUIRE(pos <= head.n);
    }
}

static void roundtrip(const hs_cache_meta *m)
{
    hs_cache_meta w = *m;
    char *out = malloc(HS_CACHE_FIXED + m->key.n + m->vary.n + m->head.n);
    size_t n = hs_cache_header_write(&w, out);
    REQUIRE(n == m->header_len);
    hs_cache_meta again;
    REQUIRE(hs_cache_header_parse(out, n, (int64_t)n + m->body_len, &again) == HS_OK);
    REQUIRE(again.valid_until == m->valid_until && again.body_len == m->body_len);
    REQUIRE(again.key.n == m->key.n && memcmp(again.key.p, m->key.p, m->key.n) == 0);
    REQUIRE(again.head.n == m->head.n && memcmp(again.head.p, m->head.p, m->head.n) == 0);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_INPUT)
        return 0;
    char *buf = malloc(size ? size : 1);
    memcpy(buf, data, size);
    hs_cache_meta m;
    size_t first = size < 4096 ? size : 4096;
    int rc = hs_cache_header_parse(buf, first, (int64_t)size, &m);
    REQUIRE(rc == HS_OK || rc == HS_AGAIN || rc == HS_ERROR);
    if (rc == HS_AGAIN) {
        REQUIRE(m.header_len > first && m.header_len <= size);
        rc = hs_cache_header_parse(buf, m.header_len, (int64_t)size, &m);
        REQUIRE(rc == HS_OK || rc == HS_ERROR);
    }
    if (rc == HS_OK) {
        REQUIRE(m.header_len <= size && (int64_t)(size - m.header_len) == m.body_len);
        check_slice(m.key, buf, m.header_len);
        check_slice(m.vary, buf, m.header_len);
        check_slice(m.head, buf, m.header_len);
        REQUIRE(m.key.n > 0);
        walk_head(m.head);
        roundtrip(&m);
    }
    free(buf);
    return 0;
}
