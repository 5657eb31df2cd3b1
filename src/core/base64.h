/* Base64 (RFC 4648, standard alphabet) decoding, as HTTP Basic credentials
 * and htpasswd's {SHA} hashes use it. */
#ifndef HS_CORE_BASE64_H
#define HS_CORE_BASE64_H

#include "core/str.h"

/* Decodes in into out (room for in.n * 3 / 4 + 3 bytes); padding is
 * optional and ends the input. HS_OK with *n, or HS_ERROR for a byte
 * outside the alphabet or a length no encoding has (4k + 1). */
int hs_base64_decode(hs_str in, unsigned char *out, size_t *n);

#endif
