/* Numbers with nginx's units: sizes (k, m, g) and times (ms, s, m, h, d, w, M, y). */
#ifndef HS_CORE_UNITS_H
#define HS_CORE_UNITS_H

#include <stdint.h>

#include "core/str.h"

/* "1024", "8k", "1m", "2g" -> bytes; -1 on error. */
int64_t hs_parse_size(hs_str s);
/* "500ms", "10s", "1m", "1h 30m", "1h30m", "60" (seconds) -> milliseconds; -1 on error. */
int64_t hs_parse_msec(hs_str s);
/* Plain non-negative decimal; -1 on error or overflow. */
int64_t hs_parse_int(hs_str s);

#endif
