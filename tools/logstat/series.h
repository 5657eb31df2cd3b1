/* Counts of endings over time, in buckets of one minute.  When the log
 * spans more buckets than the cap, the width doubles (two minutes, four...)
 * and neighbours merge, so memory stays bounded for logs of any span. */
#ifndef LS_SERIES_H
#define LS_SERIES_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

typedef struct {
    uint32_t k[LS_K_COUNT]; /* lines per ending kind */
} ls_bucket;

typedef struct {
    int64_t base;     /* start of bucket 0, a multiple of width */
    int64_t width;    /* seconds per bucket */
    ls_bucket *b;     /* buckets [0, n) */
    size_t n, alloc;
    size_t max;       /* cap on n */
    int64_t hit_lo, hit_hi; /* time range of the last bucket touched */
    ls_bucket *hit;   /* that bucket */
} ls_series;

void ls_series_init(ls_series *s, size_t max_buckets);
void ls_series_free(ls_series *s);

/* Counts one line of kind k at time t. */
void ls_series_add(ls_series *s, int64_t t, ls_kind k);

/* Lines in bucket b (all kinds). */
uint64_t ls_bucket_total(const ls_bucket *b);

#endif
