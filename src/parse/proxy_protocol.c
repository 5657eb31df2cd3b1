/* PROXY protocol headers, versions 1 (text) and 2 (binary). */
#include "parse/proxy_protocol.h"

#include <arpa/inet.h>
#include <string.h>

#include "core/str.h"

static const uint8_t v2_sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

static int fail(hs_proxy_header *h, const char *why)
{
    h->error = why;
    return HS_ERROR;
}

/* ---- version 1 ---- */

/* One space-terminated field of at most max bytes at *p (advanced past
 * the space); NULL when there is none. */
static const char *v1_field(const char **p, const char *end, size_t max, size_t *len)
{
    const char *s = *p, *sp = memchr(s, ' ', (size_t)(end - s));
    if (sp == NULL || sp == s || (size_t)(sp - s) > max)
        return NULL;
    *len = (size_t)(sp - s);
    *p = sp + 1;
    return s;
}

static bool v1_addr(const char *s, size_t n, int family, hs_proxy_addr *a)
{
    char buf[INET6_ADDRSTRLEN];
    if (n == 0 || n >= sizeof(buf))
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    memset(a, 0, sizeof(*a));
    a->sa.sa_family = (sa_family_t)family;
    return inet_pton(family, buf, family == AF_INET ? (void *)&a->in4.sin_addr : (void *)&a->in6.sin6_addr) == 1;
}

/* A port: 0..65535 in decimal, without a leading zero (but "0"). */
static bool v1_port(const char *s, size_t n, hs_proxy_addr *a)
{
    unsigned v = 0;
    if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v > 65535)
        return false;
    if (a->sa.sa_family == AF_INET)
        a->in4.sin_port = htons((uint16_t)v);
    else
        a->in6.sin6_port = htons((uint16_t)v);
    return true;
}

/* "TCP4 src dst sport dport" (the line without "PROXY " and CRLF). */
static int v1_line(const char *p, const char *end, hs_proxy_header *h)
{
    if (end - p >= 7 && memcmp(p, "UNKNOWN", 7) == 0 && (end - p == 7 || p[7] == ' '))
        return HS_OK; /* the rest is ignored, as the spec says */
    int family = end - p > 5 && memcmp(p, "TCP4 ", 5) == 0 ? AF_INET
                 : end - p > 5 && memcmp(p, "TCP6 ", 5) == 0 ? AF_INET6 : 0;
    if (family == 0)
        return fail(h, "PROXY protocol v1: unknown protocol");
    p += 5;
    const char *f[4];
    size_t n[4];
    for (int i = 0; i < 3; i++)
        if ((f[i] = v1_field(&p, end, INET6_ADDRSTRLEN, &n[i])) == NULL)
            return fail(h, "PROXY protocol v1: broken line");
    f[3] = p;
    n[3] = (size_t)(end - p);
    if (!v1_addr(f[0], n[0], family, &h->src) || !v1_addr(f[1], n[1], family, &h->dst))
        return fail(h, "PROXY protocol v1: invalid address");
    if (!v1_port(f[2], n[2], &h->src) || !v1_port(f[3], n[3], &h->dst))
        return fail(h, "PROXY protocol v1: invalid port");
    h->has_addr = true;
    return HS_OK;
}

static int parse_v1(const uint8_t *buf, size_t n, hs_proxy_header *h)
{
    /* the CR at index 105 at the latest: the LF makes 107 bytes */
    size_t lim = n < HS_PROXY_V1_MAX - 1 ? n : HS_PROXY_V1_MAX - 1;
    for (size_t i = 0; i < lim; i++) {
        if (buf[i] == '\r') {
            if (i + 1 == n)
                return HS_AGAIN;
            if (buf[i + 1] != '\n')
                return fail(h, "PROXY protocol v1: CR without LF");
            h->version = 1;
            h->len = i + 2;
            return v1_line((const char *)buf + 6, (const char *)buf + i, h);
        }
        if (buf[i] < 0x20 || buf[i] > 0x7e)
            return fail(h, "PROXY protocol v1: invalid byte");
    }
    return n < HS_PROXY_V1_MAX - 1 ? HS_AGAIN : fail(h, "PROXY protocol v1: line too long");
}

/* ---- version 2 ---- */

/* The TLVs after the addresses: each type, length, value within the header. */
static int v2_tlvs(const uint8_t *p, size_t n, hs_proxy_header *h)
{
    while (n > 0) {
        if (n < 3)
            return fail(h, "PROXY protocol v2: truncated TLV");
        size_t len = (size_t)p[1] << 8 | p[2];
        if (len > n - 3)
            return fail(h, "PROXY protocol v2: TLV past the header");
        p += 3 + len;
        n -= 3 + len;
    }
    return HS_OK;
}

static int v2_inet(const uint8_t *p, size_t n, int family, hs_proxy_header *h)
{
    size_t alen = family == AF_INET ? 4 : 16, need = 2 * alen + 4;
    if (n < need)
        return fail(h, "PROXY protocol v2: addresses past the header");
    memset(&h->src, 0, sizeof(h->src));
    memset(&h->dst, 0, sizeof(h->dst));
    h->src.sa.sa_family = h->dst.sa.sa_family = (sa_family_t)family;
    if (family == AF_INET) {
        memcpy(&h->src.in4.sin_addr, p, 4);
        memcpy(&h->dst.in4.sin_addr, p + 4, 4);
        memcpy(&h->src.in4.sin_port, p + 8, 2);
        memcpy(&h->dst.in4.sin_port, p + 10, 2);
    } else {
        memcpy(&h->src.in6.sin6_addr, p, 16);
        memcpy(&h->dst.in6.sin6_addr, p + 16, 16);
        memcpy(&h->src.in6.sin6_port, p + 32, 2);
        memcpy(&h->dst.in6.sin6_port, p + 34, 2);
    }
    h->has_addr = true;
    return v2_tlvs(p + need, n - need, h);
}

static int parse_v2(const uint8_t *buf, size_t n, hs_proxy_header *h)
{
    if (n < 16)
        return HS_AGAIN;
    uint8_t cmd = buf[12], fam = buf[13];
    size_t len = (size_t)buf[14] << 8 | buf[15];
    if (cmd >> 4 != 2)
        return fail(h, "PROXY protocol v2: unknown version");
    if ((cmd & 0x0f) > 1)
        return fail(h, "PROXY protocol v2: unknown command");
    if (fam >> 4 > 3 || (fam & 0x0f) > 2)
        return fail(h, "PROXY protocol v2: unknown address family or transport");
    if (len > HS_PROXY_V2_MAX_BODY)
        return fail(h, "PROXY protocol v2: header too long");
    if (n < 16 + len)
        return HS_AGAIN;
    h->version = 2;
    h->len = 16 + len;
    if ((cmd & 0x0f) == 0) /* LOCAL: the balancer's own connection (a health check) */
        return HS_OK;
    /* INET and INET6 over STREAM; UNSPEC, UNIX and DGRAM carry no address we use (as nginx) */
    if ((fam >> 4 == 1 || fam >> 4 == 2) && (fam & 0x0f) == 1)
        return v2_inet(buf + 16, len, fam >> 4 == 1 ? AF_INET : AF_INET6, h);
    return HS_OK;
}

int hs_proxy_parse(const uint8_t *buf, size_t n, hs_proxy_header *h)
{
    memset(h, 0, sizeof(*h));
    size_t k = n < 12 ? n : 12;
    if (n > 0 && buf[0] == 0x0D) {
        if (memcmp(buf, v2_sig, k) != 0)
            return fail(h, "not a PROXY protocol header");
        return n < 12 ? HS_AGAIN : parse_v2(buf, n, h);
    }
    k = n < 6 ? n : 6;
    if (memcmp(buf, "PROXY ", k) != 0)
        return fail(h, "not a PROXY protocol header");
    return n < 6 ? HS_AGAIN : parse_v1(buf, n, h);
}
