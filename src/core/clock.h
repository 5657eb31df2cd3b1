/* The cached clock: read once per event-loop iteration, with the strings
 * that logs and responses need preformatted once per second. */
#ifndef HS_CORE_CLOCK_H
#define HS_CORE_CLOCK_H

#include <stdint.h>
#include <time.h>

typedef struct {
    time_t sec;          /* wall clock, seconds since the epoch */
    uint64_t msec;       /* wall clock in milliseconds */
    uint64_t mono_msec;  /* monotonic milliseconds, for timers and durations */
    uint64_t mono_usec;  /* monotonic microseconds, for precise durations */
    char http_date[32];  /* "Wed, 25 Nov 2026 04:34:53 GMT" */
    char log_local[32];  /* "25/Nov/2026:04:34:53 +0000" ($time_local) */
    char iso8601[32];    /* "2026-11-25T04:34:53+00:00" ($time_iso8601) */
    char errlog[24];     /* "2026/11/25 04:34:53" (error log lines) */
    size_t http_date_len, log_local_len, iso8601_len, errlog_len;
} hs_clock;

extern hs_clock hs_now;

/* Re-reads the clocks; reformats the strings when the second changed. */
void hs_clock_update(void);

/* Formats t as an HTTP date (RFC 9110 IMF-fixdate) into out[32]; returns length. */
size_t hs_http_date(time_t t, char *out);
/* Parses an IMF-fixdate (also RFC 850 and asctime forms); -1 if invalid. */
time_t hs_parse_http_date(const char *p, size_t n);

#endif
