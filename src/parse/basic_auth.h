/* The value of an "Authorization: Basic base64(user:password)" field
 * (RFC 7617), as nginx reads it. */
#ifndef HS_PARSE_BASIC_AUTH_H
#define HS_PARSE_BASIC_AUTH_H

#include "core/str.h"

/* Decodes value into out (room for value.n bytes): HS_OK with user and
 * password slicing out, or HS_DECLINED (not Basic, not base64, no colon,
 * an empty user name). */
int hs_parse_basic_auth(hs_str value, unsigned char *out, hs_str *user, hs_str *pass);

#endif
