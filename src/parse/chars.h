/* HTTP/1.x byte classes: one table shared by the request, response and
 * chunked parsers (a lookup per byte keeps their hot loops branch-light). */
#ifndef HS_PARSE_CHARS_H
#define HS_PARSE_CHARS_H

#include <stdbool.h>
#include <stdint.h>

enum {
    HS_CH_VALUE = 1,  /* field-value byte: HTAB, SP, VCHAR, obs-text */
    HS_CH_TARGET = 2, /* request-target byte: VCHAR or obs-text (no controls, no SP) */
    HS_CH_TCHAR = 4,  /* token character (RFC 9110 5.6.2) */
    HS_CH_PLAIN = 8,  /* a header-name byte nginx takes as valid: A-Z a-z 0-9 '-' */
};

extern const uint8_t hs_http_chars[256];

/* a token character (RFC 9110 5.6.2): field names, methods, chunk extensions */
static inline bool hs_is_tchar(char c) { return hs_http_chars[(uint8_t)c] & HS_CH_TCHAR; }

#endif
