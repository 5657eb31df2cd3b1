/* Addresses as nginx's listen writes them: "8080", "127.0.0.1:8080",
 * "127.0.0.1", "*:80", "[::1]:8080", "localhost:8080" (names resolved). */
#ifndef HS_PARSE_ADDR_H
#define HS_PARSE_ADDR_H

#include <sys/socket.h>

#include "core/str.h"

/* A port 1..65535, or -1. */
int hs_parse_port(hs_str s);
/* Fills the address, its length, its port and whether it is a wildcard
 * (0.0.0.0, [::]); HS_OK or HS_ERROR. */
int hs_parse_address(hs_str a, struct sockaddr_storage *ss, socklen_t *len, int *port, bool *wildcard);
/* "127.0.0.1:8080" / "[::1]:8080" into text (n bytes). */
void hs_address_text(const struct sockaddr_storage *ss, int port, char *text, size_t n);

#endif
