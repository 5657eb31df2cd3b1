/* Prometheus text exposition (format 0.0.4) into a growing buffer: family
 * heads, samples with escaped label values, histograms. Pure: unit-tested
 * in tests/unit/stats/expo_test.c. */
#ifndef HS_STATS_EXPO_H
#define HS_STATS_EXPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats/counters.h"

typedef struct hs_expo_s {
    char *p;        /* malloc'd text, not NUL-terminated */
    size_t len;
    size_t cap;
    bool oom;       /* an allocation failed: the text is incomplete */
} hs_expo;

/* Families another module renders after the stats module's own (the
 * cache's zones); set in the master before the workers fork. NULL: none. */
extern void (*hs_stats_more_fn)(hs_expo *e);

#define HS_EXPO_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

void hs_expo_free(hs_expo *e);
void hs_expo_raw(hs_expo *e, const char *s, size_t n);
void hs_expo_printf(hs_expo *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "# HELP name help\n# TYPE name type\n" */
void hs_expo_head(hs_expo *e, const char *name, const char *type, const char *help);
/* name{k="v",...} value: labels is NULL or a NULL-terminated list of
 * key, value, key, value ...; values are escaped (\\, \", \n). */
void hs_expo_u64(hs_expo *e, const char *name, const char *const *labels, uint64_t v);
void hs_expo_i64(hs_expo *e, const char *name, const char *const *labels, int64_t v);
void hs_expo_double(hs_expo *e, const char *name, const char *const *labels, double v);
/* name_bucket{...,le="..."} (cumulative), name_sum, name_count. */
void hs_expo_hist(hs_expo *e, const char *name, const char *const *labels, const hs_stats_hist *h);

#endif
