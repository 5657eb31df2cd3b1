/* CIDR blocks of client addresses (allow/deny, deny_addr, set_real_ip_from). */
#ifndef HS_CORE_CIDR_H
#define HS_CORE_CIDR_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/str.h"

/* One CIDR block. */
typedef struct {
    int family;          /* AF_INET, AF_INET6, AF_UNIX ("unix:"), or 0 for "all" */
    uint8_t addr[16];    /* network, masked */
    uint8_t mask[16];    /* prefix mask */
} hs_cidr;

/* Parses "1.2.3.0/24", "::1", "2001:db8::/32", "unix:" or "all"; HS_OK or HS_ERROR. */
int hs_cidr_parse(hs_str text, hs_cidr *out);
/* Does sa fall in c? A v4-mapped v6 address counts as v4; "unix:" matches
 * every unix-socket client and nothing else. */
bool hs_cidr_match(const hs_cidr *c, const struct sockaddr *sa);

#endif
