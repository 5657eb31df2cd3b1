/* The PROXY protocol header a load balancer sends before the client's
 * bytes (haproxy's spec, versions 1 and 2): the client's address and port
 * and the address it connected to. Parsed strictly; TLVs are checked for
 * their framing and skipped. */
#ifndef HS_PARSE_PROXY_PROTOCOL_H
#define HS_PARSE_PROXY_PROTOCOL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* v1: "PROXY TCP6 <46 chars> <46 chars> 65535 65535\r\n" at most. */
#define HS_PROXY_V1_MAX 107
/* v2: the 16-byte head and at most this many bytes after it (addresses and
 * TLVs); a longer header is refused (the spec allows 65535). */
#define HS_PROXY_V2_MAX_BODY 4096
#define HS_PROXY_MAX (16 + HS_PROXY_V2_MAX_BODY)

typedef union {
    struct sockaddr sa;
    struct sockaddr_in in4;
    struct sockaddr_in6 in6;
} hs_proxy_addr;

typedef struct {
    uint8_t version;       /* 1 or 2 */
    bool has_addr;         /* src and dst are set: not v2 LOCAL, not UNKNOWN / AF_UNSPEC / AF_UNIX */
    hs_proxy_addr src;     /* the client, as the load balancer saw it */
    hs_proxy_addr dst;     /* the address the client connected to */
    size_t len;            /* bytes of the header */
    const char *error;     /* HS_ERROR: why, for the error log */
} hs_proxy_header;

/* Parses the n bytes at buf: HS_OK (a header of h->len bytes), HS_AGAIN
 * (what is there is a valid beginning: more bytes are needed), HS_ERROR
 * (not a PROXY header, or a broken one: h->error). */
int hs_proxy_parse(const uint8_t *buf, size_t n, hs_proxy_header *h);

#endif
