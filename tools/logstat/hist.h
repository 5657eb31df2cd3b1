/* Latency histograms with bounded relative error: exact below 16 ms, then
 * 8 buckets per power of two (at most 1/16 = 6.25% from the true value),
 * up to about 9 hours.  Fixed size, so one can sit beside every key. */
#ifndef LS_HIST_H
#define LS_HIST_H

#include <stdint.h>

#define LS_HIST_BUCKETS 184

typedef struct {
    uint32_t b[LS_HIST_BUCKETS]; /* counts per bucket */
    uint64_t n;                  /* values added */
    double sum;                  /* their sum, in seconds */
    double max;                  /* the largest, in seconds */
} ls_hist;

/* Adds a duration in seconds (negative values are ignored). */
void ls_hist_add(ls_hist *h, double seconds);

/* The q-quantile (0 < q <= 1) in seconds, nearest rank, reported as the
 * middle of its bucket; -1 when empty. */
double ls_hist_quantile(const ls_hist *h, double q);

/* Adds every value of src into dst. */
void ls_hist_merge(ls_hist *dst, const ls_hist *src);

#endif
