/* DNS messages (RFC 1035) for the resolver: a query for one name and type,
 * and the parse of its answer. Pure functions over bytes, so that the
 * parser can be fuzzed alone (fuzz/dns_fuzz.c): every offset is checked
 * against the message's length, compression pointers are followed a
 * bounded number of times, and a malformed message is an error, never a
 * crash or a loop. */
#ifndef HS_RESOLVER_DNS_H
#define HS_RESOLVER_DNS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HS_DNS_TYPE_A 1
#define HS_DNS_TYPE_AAAA 28
#define HS_DNS_TYPE_CNAME 5
#define HS_DNS_MAX_ADDRS 16
#define HS_DNS_MAX_NAME 255

typedef struct {
    int family;               /* AF_INET or AF_INET6 */
    union {
        struct in_addr v4;
        struct in6_addr v6;
    } a;
} hs_dns_addr;

typedef struct {
    int rcode;                /* the header's RCODE (0: no error; 3: the name does not exist) */
    uint32_t ttl;             /* the smallest TTL of the addresses taken */
    hs_dns_addr addrs[HS_DNS_MAX_ADDRS];
    size_t naddrs;
    const char *error;        /* why the message was refused (HS_ERROR) */
    char cname[HS_DNS_MAX_NAME + 1]; /* where the name's CNAME chain in the answer ends ("" none) */
} hs_dns_answer;

/* Writes a query with id for name (dotted, no trailing dot needed) and
 * qtype into buf: its length, or 0 when the name is not a valid DNS name
 * or cap is too small. Recursion desired. */
size_t hs_dns_query(uint8_t *buf, size_t cap, uint16_t id, const char *name, uint16_t qtype);

/* The answer in msg to the query (id, name, qtype): 0 (HS_OK) with the
 * rcode and the addresses of that type, or -1 (HS_ERROR) with out->error
 * for a message that is not that answer (wrong id, not a response, another
 * question) or is malformed. */
int hs_dns_parse(const uint8_t *msg, size_t n, uint16_t id, const char *name, uint16_t qtype, hs_dns_answer *out);

/* nginx's words for an RCODE: "Format error", "Server failure", "Host not
 * found", "Unimplemented", "Operation refused", else "Unknown error". */
const char *hs_dns_rcode_text(int rcode);

#endif
