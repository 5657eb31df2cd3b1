/* Log timestamps to unix seconds.  Consecutive lines almost always share
 * their minute, so each parser remembers the last minute it converted and
 * only does calendar arithmetic when the minute changes. */
#ifndef LS_TIMEPARSE_H
#define LS_TIMEPARSE_H

#include <stdint.h>

#include "core/str.h"

/* Days from 1970-01-01 to the given civil date (proleptic Gregorian). */
int64_t ls_days_from_civil(int y, int m, int d);

/* "25/Nov/2026:10:00:00 +0000" ($time_local).  On success stores the UTC
 * epoch in *t and the offset in seconds in *tz and returns HS_OK. */
int ls_time_local(hs_str v, int64_t *t, int *tz);

/* "2026-11-25T10:00:00+00:00" ($time_iso8601; "Z" and fractions accepted). */
int ls_time_iso8601(hs_str v, int64_t *t, int *tz);

/* "1764064800.123" ($msec). */
int ls_time_msec(hs_str v, int64_t *t, int *tz);

/* Formats t (shown in offset tz) as "2026-11-25 10:00:00" (iso == false) or
 * "2026-11-25T10:00:00+00:00" (iso == true) into out[32]. */
void ls_time_format(int64_t t, int tz, bool iso, char out[32]);

#endif
