/* The redis:// URL of sync= (url.h). */
#include "sync/url.h"

#include <stdio.h>
#include <string.h>

#include "core/str.h"

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

static bool v6_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
}

/* Digits only, value in [lo, hi]; -1 otherwise. */
static int64_t number(const char *p, size_t n, int64_t lo, int64_t hi)
{
    int64_t v = 0;
    if (n == 0 || n > 10)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v < lo || v > hi ? -1 : v;
}

#define FAIL(...) (snprintf(err, errlen, __VA_ARGS__), HS_ERROR)

/* HOST, up to the ':' of the port; *rest points past it. */
static int parse_host(const char *p, const char *end, hs_redis_url *out, const char **rest, char *err,
                      size_t errlen)
{
    const char *h = p, *he;
    if (p < end && *p == '[') {
        h = ++p;
        while (p < end && v6_char(*p))
            p++;
        if (p == end || *p != ']' || p == h)
            return FAIL("invalid IPv6 address in brackets");
        he = p++;
    } else {
        while (p < end && name_char(*p))
            p++;
        he = p;
        if (he == h)
            return FAIL("no host");
    }
    if (p == end || *p != ':') {
        if (p < end && *p == '@')
            return FAIL("credentials in the URL are not supported");
        return FAIL(p == end ? "no port (redis://HOST:PORT)" : "invalid character '%c' in the host", *p);
    }
    if ((size_t)(he - h) >= sizeof(out->host))
        return FAIL("host name too long");
    memcpy(out->host, h, (size_t)(he - h));
    out->host[he - h] = '\0';
    *rest = p + 1;
    return HS_OK;
}

int hs_redis_url_parse(hs_str text, hs_redis_url *out, char *err, size_t errlen)
{
    static const char scheme[] = "redis://";
    memset(out, 0, sizeof(*out));
    if (text.n < sizeof(scheme) - 1 || memcmp(text.p, scheme, sizeof(scheme) - 1) != 0)
        return FAIL("the URL must start with redis:// (rediss://, unix sockets and others are not supported)");
    const char *p = text.p + sizeof(scheme) - 1, *end = text.p + text.n, *rest;
    if (memchr(p, '@', (size_t)(end - p)))
        return FAIL("credentials in the URL are not supported");
    if (parse_host(p, end, out, &rest, err, errlen) != HS_OK)
        return HS_ERROR;
    const char *slash = memchr(rest, '/', (size_t)(end - rest));
    const char *pe = slash ? slash : end;
    int64_t port = number(rest, (size_t)(pe - rest), 1, 65535);
    if (port < 0)
        return FAIL("invalid port \"%.*s\" (1-65535)", (int)(pe - rest), rest);
    out->port = (uint16_t)port;
    if (slash == NULL)
        return HS_OK;
    int64_t db = number(slash + 1, (size_t)(end - slash - 1), 0, 2147483647);
    if (db < 0)
        return FAIL("invalid database \"%.*s\" (a number after the port's /)", (int)(end - slash - 1), slash + 1);
    out->db = (int)db;
    return HS_OK;
}
