/* Fuzz target for the Range field parser (static/range.c). The first
 * eight bytes give the file's size and max_ranges; the rest is the field's
 * value, in an exact-size heap block. Besides "no crash, no over-read": 1
 * means 1..256 ranges, each non-empty and inside the file, adding up to no
 * more than it, and within max_ranges; 0 and -1 are the only other answers. */
#include <string.h>

#include "fuzz.h"
#include "static/static_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8 || size > 8192)
        return 0;
    uint32_t a, b;
    memcpy(&a, data, 4);
    memcpy(&b, data + 4, 4);
    int64_t file_size = (a & 1) ? (int64_t)(a >> 1) : (int64_t)(a % 1000); /* small ones often */
    int64_t max_ranges = (b & 0xff) == 0xff ? -1 : (int64_t)(b % 8);
    size_t n = size - 8;
    char *v = malloc(n ? n : 1);
    memcpy(v, data + 8, n);
    hs_static_range rg[256];
    size_t count = 0;
    int rc = hs_static_parse_ranges((hs_str){v, n}, file_size, max_ranges, rg, &count);
    REQUIRE(rc == 1 || rc == 0 || rc == -1);
    if (rc == 1) {
        int64_t total = 0;
        REQUIRE(count >= 1 && count <= 256);
        REQUIRE(max_ranges < 0 || (int64_t)count <= max_ranges);
        for (size_t i = 0; i < count; i++) {
            REQUIRE(rg[i].from >= 0 && rg[i].from < rg[i].to && rg[i].to <= file_size);
            total += rg[i].to - rg[i].from;
        }
        REQUIRE(total <= file_size);
    }
    free(v);
    return 0;
}
