/* DNS queries and answers on the wire (RFC 1035 4.1): see dns.h. */
#include "resolver/dns.h"

#include <string.h>
#include <strings.h>

#define HDR 12
#define MAX_HOPS 16     /* compression pointers followed in one name */

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

size_t hs_dns_query(uint8_t *buf, size_t cap, uint16_t id, const char *name, uint16_t qtype)
{
    size_t len = strlen(name);
    if (len && name[len - 1] == '.')
        len--;
    if (len == 0 || len > 253 || cap < HDR + len + 2 + 4)
        return 0;
    memset(buf, 0, HDR);
    put16(buf, id);
    put16(buf + 2, 0x0100); /* RD */
    put16(buf + 4, 1);      /* QDCOUNT */
    uint8_t *p = buf + HDR;
    for (size_t at = 0; at <= len;) {
        const char *dot = memchr(name + at, '.', len - at);
        size_t l = dot ? (size_t)(dot - name - at) : len - at;
        if (l == 0 || l > 63)
            return 0;
        *p++ = (uint8_t)l;
        memcpy(p, name + at, l);
        p += l;
        at += l + 1;
    }
    *p++ = 0;
    put16(p, qtype);
    put16(p + 2, 1); /* IN */
    return (size_t)(p + 4 - buf);
}

/* Reads the name at *off into out (dotted, lower-case as sent), following
 * pointers; *off moves past the name as it stands at *off. -1 if malformed. */
static int read_name(const uint8_t *m, size_t n, size_t *off, char *out, size_t cap)
{
    size_t at = *off, len = 0, end = 0;
    int hops = 0;
    for (;;) {
        if (at >= n)
            return -1;
        uint8_t l = m[at];
        if ((l & 0xC0) == 0xC0) {
            if (at + 1 >= n || ++hops > MAX_HOPS)
                return -1;
            if (end == 0)
                end = at + 2;
            at = (size_t)(l & 0x3F) << 8 | m[at + 1];
            continue;
        }
        if (l & 0xC0)
            return -1;
        if (l == 0)
            break;
        if (at + 1 + l > n || len + l + 2 > cap)
            return -1;
        if (len)
            out[len++] = '.';
        memcpy(out + len, m + at + 1, l);
        len += l;
        at += 1 + (size_t)l;
    }
    out[len] = '\0';
    *off = end ? end : at + 1;
    return 0;
}

static bool same_name(const char *got, const char *want)
{
    size_t w = strlen(want);
    if (w && want[w - 1] == '.')
        w--;
    return strlen(got) == w && strncasecmp(got, want, w) == 0;
}

/* One resource record at *off: an address of qtype is added to out. */
static int read_rr(const uint8_t *m, size_t n, size_t *off, uint16_t qtype, hs_dns_answer *out)
{
    char owner[HS_DNS_MAX_NAME + 1];
    if (read_name(m, n, off, owner, sizeof(owner)) != 0 || *off + 10 > n)
        return -1;
    uint16_t type = get16(m + *off), cls = get16(m + *off + 2), rdlen = get16(m + *off + 8);
    uint32_t ttl = get32(m + *off + 4);
    const uint8_t *rd = m + *off + 10;
    if (*off + 10 + rdlen > n)
        return -1;
    size_t rdoff = *off + 10;
    *off += 10 + (size_t)rdlen;
    if (type == HS_DNS_TYPE_CNAME && cls == 1 && same_name(owner, out->cname)) {
        char target[HS_DNS_MAX_NAME + 1];
        if (read_name(m, n, &rdoff, target, sizeof(target)) != 0)
            return -1;
        memcpy(out->cname, target, sizeof(target)); /* the chain goes on from there */
        return 0;
    }
    if (type != qtype || cls != 1)
        return 0; /* a CNAME of the chain, or another record: its addresses follow */
    size_t want = qtype == HS_DNS_TYPE_A ? 4 : 16;
    if (rdlen != want)
        return -1;
    if (out->naddrs == HS_DNS_MAX_ADDRS)
        return 0;
    hs_dns_addr *a = &out->addrs[out->naddrs++];
    a->family = qtype == HS_DNS_TYPE_A ? AF_INET : AF_INET6;
    memcpy(&a->a, rd, want);
    if (ttl & 0x80000000u)
        ttl = 0; /* RFC 2181 8: a TTL with the top bit set is zero */
    if (out->naddrs == 1 || ttl < out->ttl)
        out->ttl = ttl;
    return 0;
}

static int refuse(hs_dns_answer *out, const char *why)
{
    out->error = why;
    return -1;
}

int hs_dns_parse(const uint8_t *m, size_t n, uint16_t id, const char *name, uint16_t qtype, hs_dns_answer *out)
{
    memset(out, 0, sizeof(*out));
    if (n < HDR)
        return refuse(out, "short DNS response");
    uint16_t flags = get16(m + 2), qd = get16(m + 4), an = get16(m + 6);
    if (get16(m) != id)
        return refuse(out, "DNS response with a wrong id");
    if (!(flags & 0x8000) || (flags & 0x7800))
        return refuse(out, "not a DNS response to a query");
    out->rcode = flags & 0x000F;
    if (qd != 1)
        return refuse(out, "DNS response without the question");
    size_t off = HDR;
    char q[HS_DNS_MAX_NAME + 1];
    if (read_name(m, n, &off, q, sizeof(q)) != 0 || off + 4 > n)
        return refuse(out, "invalid question in DNS response");
    if (!same_name(q, name) || get16(m + off) != qtype || get16(m + off + 2) != 1)
        return refuse(out, "DNS response to another question");
    off += 4;
    if (out->rcode != 0)
        return 0;
    memcpy(out->cname, q, sizeof(q)); /* the chain starts at the question */
    for (uint16_t i = 0; i < an; i++)
        if (read_rr(m, n, &off, qtype, out) != 0)
            return refuse(out, "invalid record in DNS response");
    if (same_name(out->cname, name))
        out->cname[0] = '\0'; /* no CNAME for the name */
    return 0;
}

const char *hs_dns_rcode_text(int rcode)
{
    static const char *const names[] = {"", "Format error", "Server failure", "Host not found", "Unimplemented",
                                        "Operation refused"};
    return rcode > 0 && rcode <= 5 ? names[rcode] : "Unknown error";
}
