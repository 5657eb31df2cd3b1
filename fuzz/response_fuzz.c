/* Fuzz target for the parser of upstream response heads (what the proxy
 * reads from a backend). Besides "no crash, no over-read" (the input sits in
 * an exact-size heap block) it checks the contract: a complete head's
 * prefixes are HS_AGAIN, slices stay inside the buffer, the framing fields
 * are consistent, and an error always says why. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "parse/response.h"

#define MAXH 32
#define MAX_INPUT 8192

static void check_slice(hs_str s, const char *buf, size_t len)
{
    if (s.n)
        REQUIRE(s.p >= buf && s.p + s.n <= buf + len);
}

static int parse(const char *buf, size_t len, hs_http_response *r, hs_header *h)
{
    memset(r, 0, sizeof(*r));
    return hs_http_parse_response(buf, len, r, h, MAXH);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_INPUT)
        return 0;
    char *buf = malloc(size ? size : 1);
    memcpy(buf, data, size);
    hs_http_response r;
    hs_header h[MAXH];
    int rc = parse(buf, size, &r, h);
    REQUIRE(rc == HS_OK || rc == HS_AGAIN || rc == HS_ERROR);
    if (rc == HS_ERROR)
        REQUIRE(r.error != NULL);
    if (rc == HS_OK) {
        REQUIRE(r.head_len > 0 && r.head_len <= size);
        REQUIRE(r.status >= 100 && r.status <= 999);
        REQUIRE(r.nheaders <= MAXH);
        REQUIRE(r.content_length >= -1);
        check_slice(r.reason, buf, size);
        for (size_t i = 0; i < r.nheaders; i++) {
            check_slice(h[i].name, buf, size);
            check_slice(h[i].value, buf, size);
        }
        /* every strict prefix of a complete head is incomplete */
        size_t head = r.head_len;
        for (size_t n = 0; n < head; n += 1 + n / 16) {
            hs_http_response p;
            hs_header ph[MAXH];
            REQUIRE(parse(buf, n, &p, ph) == HS_AGAIN);
        }
    }
    free(buf);
    return 0;
}
