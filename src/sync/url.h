/* redis://HOST:PORT[/DB], parsed strictly: HOST an IPv4 address, a
 * bracketed IPv6 address or a name (resolved once, when the configuration
 * loads, never on a worker's request path); PORT 1-65535; DB 0-2147483647.
 * No credentials, query or fragment: anything else is refused with a reason. */
#ifndef HS_SYNC_URL_H
#define HS_SYNC_URL_H

#include <stddef.h>
#include <stdint.h>

#include "core/str.h"

typedef struct {
    char host[256];   /* as written (without brackets) */
    uint16_t port;
    int db;           /* 0 when absent */
} hs_redis_url;

/* HS_OK, or HS_ERROR with the reason in err. */
int hs_redis_url_parse(hs_str text, hs_redis_url *out, char *err, size_t errlen);

#endif
