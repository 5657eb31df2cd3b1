/* Fuzz target for the PROXY protocol header parser (parse/proxy_protocol.h).
 * The input is the first bytes of a connection on a `listen ...
 * proxy_protocol` address. Invariants: HS_OK gives a header of 1..n bytes
 * (v1: at most 107, ending in CRLF; v2: the signature and at least 16),
 * addresses of one family when it has any, and the same result for the
 * header alone; every shorter prefix of a header is HS_AGAIN; HS_AGAIN
 * never for a buffer of HS_PROXY_MAX bytes; every error explained. Inputs
 * are copied to exact-size heap blocks, so over-reads trip ASan. */
#include <string.h>
#include <sys/socket.h>

#include "core/str.h"
#include "fuzz.h"
#include "parse/proxy_protocol.h"

static int parse_copy(const uint8_t *data, size_t n, hs_proxy_header *h)
{
    uint8_t *b = malloc(n ? n : 1);
    REQUIRE(b != NULL);
    memcpy(b, data, n);
    int rc = hs_proxy_parse(b, n, h);
    free(b);
    return rc;
}

static void check_ok(const uint8_t *data, size_t n, const hs_proxy_header *h)
{
    REQUIRE(h->len > 0 && h->len <= n && h->len <= HS_PROXY_MAX);
    if (h->version == 1) {
        REQUIRE(h->len <= HS_PROXY_V1_MAX && memcmp(data, "PROXY ", 6) == 0);
        REQUIRE(data[h->len - 2] == '\r' && data[h->len - 1] == '\n');
    } else {
        REQUIRE(h->version == 2 && h->len >= 16 && data[0] == 0x0D && (data[12] >> 4) == 2);
    }
    if (h->has_addr) {
        int f = h->src.sa.sa_family;
        REQUIRE((f == AF_INET || f == AF_INET6) && h->dst.sa.sa_family == f);
    }
    hs_proxy_header alone;
    REQUIRE(parse_copy(data, h->len, &alone) == HS_OK && alone.len == h->len && alone.version == h->version);
    REQUIRE(alone.has_addr == h->has_addr && memcmp(&alone.src, &h->src, sizeof(h->src)) == 0);
    size_t cuts[] = {0, 1, 5, 6, 12, 15, 16, h->len / 2, h->len - 1};
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        hs_proxy_header part;
        if (cuts[i] < h->len)
            REQUIRE(parse_copy(data, cuts[i], &part) == HS_AGAIN);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hs_proxy_header h;
    int rc = parse_copy(data, size, &h);
    REQUIRE(rc == HS_OK || rc == HS_AGAIN || rc == HS_ERROR);
    if (rc == HS_OK)
        check_ok(data, size, &h);
    else if (rc == HS_ERROR)
        REQUIRE(h.error != NULL && h.error[0] != '\0');
    else
        REQUIRE(size < HS_PROXY_MAX);
    return 0;
}
