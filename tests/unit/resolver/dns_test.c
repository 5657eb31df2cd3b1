/* Tests for src/resolver/dns.c: the query's bytes, answers with compressed
 * names, CNAME chains, TTLs (the smallest; the top bit set is zero), and
 * every way an answer is refused. */
#include "resolver/dns.h"
#include "unit.h"

#include <arpa/inet.h>

static const uint8_t question[] = "\x03""app\x04test\x00\x00\x01\x00\x01"; /* app.test A IN */
#define QLEN (sizeof(question) - 1)

/* A response with id 0x1234, the question, and the records given. */
static size_t answer(uint8_t *m, uint16_t flags, uint16_t an, const uint8_t *rr, size_t rrlen)
{
    uint8_t h[12] = {0x12, 0x34, (uint8_t)(flags >> 8), (uint8_t)flags, 0, 1, (uint8_t)(an >> 8), (uint8_t)an};
    memcpy(m, h, 12);
    memcpy(m + 12, question, QLEN);
    if (rrlen)
        memcpy(m + 12 + QLEN, rr, rrlen);
    return 12 + QLEN + rrlen;
}

static void test_query(void)
{
    uint8_t b[64];
    size_t n = hs_dns_query(b, sizeof(b), 0xabcd, "app.test.", HS_DNS_TYPE_A);
    CHECK_INT(n, 12 + QLEN);
    CHECK(memcmp(b, "\xab\xcd\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12) == 0);
    CHECK(memcmp(b + 12, question, QLEN) == 0);
    CHECK_INT(hs_dns_query(b, sizeof(b), 1, "a..b", HS_DNS_TYPE_A), 0);
    CHECK_INT(hs_dns_query(b, 20, 1, "app.test", HS_DNS_TYPE_A), 0);
}

static void test_answers(void)
{
    uint8_t m[512];
    hs_dns_answer a;
    /* two A records by pointer to the question's name, TTLs 300 and 60 */
    static const uint8_t two[] = "\xc0\x0c\x00\x01\x00\x01\x00\x00\x01\x2c\x00\x04\x0a\x00\x00\x01"
                                 "\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x0a\x00\x00\x02";
    size_t n = answer(m, 0x8180, 2, two, sizeof(two) - 1);
    CHECK_INT(hs_dns_parse(m, n, 0x1234, "app.test", HS_DNS_TYPE_A, &a), 0);
    CHECK_INT(a.naddrs, 2);
    CHECK_INT(a.ttl, 60);
    CHECK_INT(a.addrs[1].a.v4.s_addr, htonl(0x0a000002));
    /* a CNAME first, then the A of its target; a TTL with the top bit set counts as 0 */
    static const uint8_t chain[] = "\xc0\x0c\x00\x05\x00\x01\x00\x00\x00\x3c\x00\x04\x01x\xc0\x10"
                                   "\x01x\xc0\x10\x00\x01\x00\x01\x80\x00\x00\x00\x00\x04\x7f\x00\x00\x01";
    n = answer(m, 0x8180, 2, chain, sizeof(chain) - 1);
    CHECK_INT(hs_dns_parse(m, n, 0x1234, "APP.test", HS_DNS_TYPE_A, &a), 0);
    CHECK_INT(a.naddrs, 1);
    CHECK_INT(a.ttl, 0);
    /* NXDOMAIN */
    n = answer(m, 0x8183, 0, NULL, 0);
    CHECK_INT(hs_dns_parse(m, n, 0x1234, "app.test", HS_DNS_TYPE_A, &a), 0);
    CHECK_INT(a.rcode, 3);
    CHECK_STR(hs_dns_rcode_text(3), "Host not found");
}

static void test_refused(void)
{
    uint8_t m[512];
    hs_dns_answer a;
    size_t n = answer(m, 0x8180, 0, NULL, 0);
    CHECK_INT(hs_dns_parse(m, n, 0x9999, "app.test", HS_DNS_TYPE_A, &a), -1);   /* wrong id */
    CHECK_INT(hs_dns_parse(m, n, 0x1234, "other.test", HS_DNS_TYPE_A, &a), -1); /* another question */
    CHECK_INT(hs_dns_parse(m, n, 0x1234, "app.test", HS_DNS_TYPE_AAAA, &a), -1);
    CHECK_INT(hs_dns_parse(m, 11, 0x1234, "app.test", HS_DNS_TYPE_A, &a), -1);  /* short */
    n = answer(m, 0x0100, 0, NULL, 0);
    CHECK_INT(hs_dns_parse(m, n, 0x1234, "app.test", HS_DNS_TYPE_A, &a), -1);   /* a query */
    /* an owner name pointing at itself */
    uint8_t loop[] = {0xc0, (uint8_t)(12 + QLEN), 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4};
    n = answer(m, 0x8180, 1, loop, sizeof(loop));
    CHECK_INT(hs_dns_parse(m, n, 0x1234, "app.test", HS_DNS_TYPE_A, &a), -1);
    CHECK(a.error != NULL);
    /* an A record of 5 bytes; one cut short */
    static const uint8_t bad[] = "\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x05\x01\x02\x03\x04\x05";
    n = answer(m, 0x8180, 1, bad, sizeof(bad) - 1);
    CHECK_INT(hs_dns_parse(m, n, 0x1234, "app.test", HS_DNS_TYPE_A, &a), -1);
    CHECK_INT(hs_dns_parse(m, n - 3, 0x1234, "app.test", HS_DNS_TYPE_A, &a), -1);
}

int main(void)
{
    test_query();
    test_answers();
    test_refused();
    UNIT_MAIN_END();
}
