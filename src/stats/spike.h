/* The spike detector: a moving baseline of a rate (499s of a location, 444s
 * of a rule) and the test "the last minute exceeds ratio x baseline and an
 * absolute floor". Pure functions over hs_spike, driven once a second by one
 * worker (stats/worker.c), tested without a server (tests/unit/stats). */
#ifndef HS_STATS_SPIKE_H
#define HS_STATS_SPIKE_H

#include <stdint.h>

#include "stats/region.h"

#define HS_SPIKE_BASELINE_TAU 600.0 /* seconds: time constant of the baseline */
#define HS_SPIKE_CALM_SECONDS 10    /* below the line this long before it clears */

/* Advances series s from second prev to second now (prev < now; prev 0 =
 * first tick) with the cumulative count total. Returns +1 when a spike
 * starts, -1 when it clears, 0 otherwise. ratio <= 0 disables the alert
 * (the counts still move). */
int hs_spike_update(hs_spike *s, uint64_t total, uint64_t prev, uint64_t now, double ratio, uint64_t min);

#endif
