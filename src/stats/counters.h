/* Per-worker counters of endings, statuses and drops. Incremented on the hot
 * path without locks; summed over workers when read (metrics, later). */
#ifndef HS_STATS_COUNTERS_H
#define HS_STATS_COUNTERS_H

#include <stdint.h>

#include "http/http.h"

typedef struct {
    uint64_t endings[HS_END__COUNT]; /* by $close_reason */
    uint64_t status[6];              /* 1xx..5xx by first digit; [0] other */
    uint64_t status_444, status_499, status_408, status_400;
    uint64_t requests;               /* requests logged */
    uint64_t accepted;               /* connections accepted */
    uint64_t handled;                /* connections handled (not refused at the limit) */
    uint64_t refused_limit;          /* closed because of worker_connections */
    uint64_t drops;                  /* dropped requests and connections */
    uint64_t client_aborts;          /* clients that left a proxied request */
    uint64_t upstream_after_abort;   /* upstream responses completed after the client left */
} hs_counters;

extern hs_counters hs_stats;

static inline void hs_stats_ending(hs_ending e) { hs_stats.endings[e]++; }
void hs_stats_request(hs_ending e, int status);
static inline void hs_stats_drop(const char *rule)
{
    (void)rule;
    hs_stats.drops++;
}

#endif
