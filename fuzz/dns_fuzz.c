/* Fuzz target for the resolver's DNS answer parser (src/resolver/dns.c):
 * whatever a name server (or anyone who can send a datagram to the port)
 * sends. The input sits in an exact-size heap block; its first two bytes
 * are taken as the id the query had, so the parse goes past the header.
 * Contract: 0 or -1 only, an error always says why, at most
 * HS_DNS_MAX_ADDRS addresses and all of the type asked, and a query the
 * parser wrote for the same name is accepted as its own question. */
#include <string.h>

#include "fuzz.h"
#include "resolver/dns.h"

#define MAX_INPUT 4096

static void check(const uint8_t *m, size_t n, uint16_t qtype)
{
    hs_dns_answer a;
    uint16_t id = n >= 2 ? (uint16_t)(m[0] << 8 | m[1]) : 0;
    int rc = hs_dns_parse(m, n, id, "app.test", qtype, &a);
    REQUIRE(rc == 0 || rc == -1);
    if (rc == -1)
        REQUIRE(a.error != NULL);
    REQUIRE(a.naddrs <= HS_DNS_MAX_ADDRS);
    for (size_t i = 0; i < a.naddrs; i++)
        REQUIRE(a.addrs[i].family == (qtype == HS_DNS_TYPE_A ? AF_INET : AF_INET6));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_INPUT)
        return 0;
    uint8_t *m = malloc(size ? size : 1);
    memcpy(m, data, size);
    check(m, size, HS_DNS_TYPE_A);
    check(m, size, HS_DNS_TYPE_AAAA);
    free(m);
    /* a query is a message the parser must refuse as an answer (QR unset) */
    uint8_t q[300];
    size_t qn = hs_dns_query(q, sizeof(q), 7, "app.test", HS_DNS_TYPE_A);
    REQUIRE(qn > 12);
    hs_dns_answer a;
    REQUIRE(hs_dns_parse(q, qn, 7, "app.test", HS_DNS_TYPE_A, &a) == -1);
    q[2] |= 0x80; /* now a response to it, without answers */
    REQUIRE(hs_dns_parse(q, qn, 7, "app.test", HS_DNS_TYPE_A, &a) == 0 && a.naddrs == 0);
    return 0;
}
