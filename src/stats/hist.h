/* Latency histogram buckets: 1 ms to 60 s (hush_request_duration_seconds,
 * hush_upstream_response_seconds), and quantiles read back from them. */
#ifndef HS_STATS_HIST_H
#define HS_STATS_HIST_H

#include <stdint.h>

#include "stats/counters.h"

/* Upper bounds in µs of the finite buckets; the last bucket is +Inf. */
static const uint64_t hs_hist_bounds_usec[HS_STATS_NBUCKETS - 1] = {
    1000,    2500,    5000,     10000,    25000,    50000,    100000,  250000,
    500000,  1000000, 2500000,  5000000,  10000000, 30000000, 60000000,
};

/* The same bounds as Prometheus writes them in le="...". */
static const char *const hs_hist_bounds_text[HS_STATS_NBUCKETS] = {
    "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
    "0.5",   "1",      "2.5",   "5",    "10",    "30",   "60",  "+Inf",
};

static inline unsigned hs_hist_bucket(uint64_t usec)
{
    unsigned i = 0;
    while (i < HS_STATS_NBUCKETS - 1 && usec > hs_hist_bounds_usec[i])
        i++;
    return i;
}

/* Records one observation (single writer: the slot's owner). */
static inline void hs_hist_observe(hs_stats_hist *h, uint64_t usec)
{
    HS_STATS_ADD(h->bucket[hs_hist_bucket(usec)], 1);
    HS_STATS_ADD(h->sum_usec, usec);
}

/* The q-quantile (0 < q < 1) in seconds, interpolated linearly inside its
 * bucket as Prometheus' histogram_quantile does; -1 with no observation.
 * Observations in +Inf answer the last finite bound. */
double hs_hist_quantile(const hs_stats_hist *h, double q);

#endif
