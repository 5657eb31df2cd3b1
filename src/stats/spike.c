#include "stats/spike.h"

#include <string.h>

/* Moves the one-minute window forward to second now: seconds that passed
 * without a tick count as zero. */
static void advance(hs_spike *s, uint64_t prev, uint64_t now)
{
    uint64_t gap = now - prev;
    if (prev == 0 || gap >= HS_STATS_SPIKE_WINDOW) {
        memset(s->ring, 0, sizeof(s->ring));
        s->window = 0;
        return;
    }
    for (uint64_t t = prev + 1; t <= now; t++) {
        uint32_t *slot = &s->ring[t % HS_STATS_SPIKE_WINDOW];
        s->window -= *slot;
        *slot = 0;
    }
}

int hs_spike_update(hs_spike *s, uint64_t total, uint64_t prev, uint64_t now, double ratio, uint64_t min)
{
    uint64_t delta = total >= s->last_total ? total - s->last_total : 0;
    s->last_total = total;
    advance(s, prev, now);
    if (delta > UINT32_MAX)
        delta = UINT32_MAX;
    s->ring[now % HS_STATS_SPIKE_WINDOW] += (uint32_t)delta;
    s->window += delta;
    if (delta)
        s->seen = true;
    /* judged against the baseline before this second moves it */
    bool over = ratio > 0 && s->window >= min && (double)s->window > ratio * s->baseline;
    /* an exponential moving average; dt / (tau + dt) stands in for
     * 1 - exp(-dt / tau) (no libm in the server) */
    double dt = prev ? (double)(now - prev) : 1.0;
    s->baseline += ((double)s->window - s->baseline) * dt / (HS_SPIKE_BASELINE_TAU + dt);
    if (!s->active) {
        if (!over)
            return 0;
        s->active = true;
        s->calm = 0;
        return 1;
    }
    if (over) {
        s->calm = 0;
        return 0;
    }
    s->calm += (uint32_t)dt;
    if (s->calm < HS_SPIKE_CALM_SECONDS)
        return 0;
    s->active = false;
    s->calm = 0;
    return -1;
}
