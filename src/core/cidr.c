/* CIDR blocks: allow/deny, deny_addr, set_real_ip_from. */
#include "core/cidr.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

static void make_mask(uint8_t *mask, int bits, int bytes)
{
    memset(mask, 0, 16);
    for (int i = 0; i < bytes; i++) {
        int b = bits - i * 8;
        mask[i] = b >= 8 ? 0xff : (b <= 0 ? 0 : (uint8_t)(0xff << (8 - b)));
    }
}

int hs_cidr_parse(hs_str text, hs_cidr *out)
{
    memset(out, 0, sizeof(*out));
    if (hs_str_eq_lit(text, "all"))
        return HS_OK;
    if (hs_str_eq_lit(text, "unix:")) {
        out->family = AF_UNIX; /* every unix-socket client, as nginx */
        return HS_OK;
    }
    char buf[64];
    if (text.n == 0 || text.n >= sizeof(buf))
        return HS_ERROR;
    memcpy(buf, text.p, text.n);
    buf[text.n] = '\0';
    char *slash = strchr(buf, '/');
    int bits = -1;
    if (slash) {
        *slash = '\0';
        char *end;
        long v = strtol(slash + 1, &end, 10);
        if (*end || end == slash + 1 || v < 0)
            return HS_ERROR;
        bits = (int)v;
    }
    int bytes;
    if (inet_pton(AF_INET, buf, out->addr) == 1) {
        out->family = AF_INET;
        bytes = 4;
    } else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
        out->family = AF_INET6;
        bytes = 16;
    } else {
        return HS_ERROR;
    }
    if (bits < 0)
        bits = bytes * 8;
    if (bits > bytes * 8)
        return HS_ERROR;
    make_mask(out->mask, bits, bytes);
    for (int i = 0; i < bytes; i++)
        out->addr[i] &= out->mask[i]; /* nginx warns about low bits set; we just clear them */
    return HS_OK;
}

static bool match_bytes(const hs_cidr *c, const uint8_t *a, int n)
{
    for (int i = 0; i < n; i++)
        if ((a[i] & c->mask[i]) != c->addr[i])
            return false;
    return true;
}

bool hs_cidr_match(const hs_cidr *c, const struct sockaddr *sa)
{
    if (c->family == 0)
        return true;
    if (c->family == AF_UNIX || sa->sa_family == AF_UNIX)
        return c->family == sa->sa_family;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return c->family == AF_INET && match_bytes(c, (const uint8_t *)&in->sin_addr, 4);
    }
    if (sa->sa_family != AF_INET6)
        return false;
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
    const uint8_t *a = in6->sin6_addr.s6_addr;
    if (c->family == AF_INET6)
        return match_bytes(c, a, 16);
    /* an IPv4-mapped address is matched by IPv4 rules, as nginx does */
    return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && match_bytes(c, a + 12, 4);
}
