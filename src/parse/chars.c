/* The byte-class table of parse/chars.h. */
#include "parse/chars.h"

#define V (HS_CH_VALUE | HS_CH_TARGET)
#define T (HS_CH_VALUE | HS_CH_TARGET | HS_CH_TCHAR)
#define P (T | HS_CH_PLAIN)

/* One lookup per byte keeps the hot loops branch-light. The ranges walk the
 * printable ASCII table in order (no overlaps), tchars marked T. */
const uint8_t hs_http_chars[256] = {
    ['\t'] = HS_CH_VALUE, [' '] = HS_CH_VALUE,
    ['!'] = T,           ['"'] = V,
    ['#' ... '\''] = T,  ['(' ... ')'] = V,
    ['*' ... '+'] = T,   [','] = V,
    ['-'] = P,           ['.'] = T,
    ['/'] = V,           ['0' ... '9'] = P,
    [':' ... '@'] = V,   ['A' ... 'Z'] = P,
    ['[' ... ']'] = V,   ['^' ... '`'] = T,
    ['a' ... 'z'] = P,   ['{'] = V,
    ['|'] = T,           ['}'] = V,
    ['~'] = T,           [0x80 ... 0xFF] = V,
};

#undef V
#undef T
#undef P

