/* The HTTP core's own counters, per worker: connections accepted, handled
 * and refused, and every ending (docs/design.md §2: no ending may go
 * uncounted). They are counted where the endings are decided. The metrics
 * module points hs_http_counts at the start of its shared-memory slot when
 * a worker starts; before that (master, unit tests) they go to a private
 * struct. Compiled with -DHS_NO_METRICS, counting costs nothing. */
#ifndef HS_HTTP_COUNTS_H
#define HS_HTTP_COUNTS_H

#include <stdint.h>

#include "http/http.h"

/* The fields, as a list, so that the metrics module can name them in its
 * own struct too (stats/counters.h). */
#define HS_HTTP_COUNTS_FIELDS                                                            \
    uint64_t endings[HS_END__COUNT]; /* every ending, of a request or of a bare connection */ \
    uint64_t accepted;               /* connections accepted */                         \
    uint64_t handled;                /* accepted and served (not refused or dropped at accept) */ \
    uint64_t refused;                /* reset at the worker_connections limit or at EMFILE */ \
    uint64_t dropped_accept;         /* dropped by an accept-phase rule */              \
    uint64_t dropped_request;        /* dropped by a request-phase rule (444) */        \
    uint64_t requests_all;           /* every request ended (stub_status "requests") */

typedef struct {
    HS_HTTP_COUNTS_FIELDS
} hs_http_counts;

extern hs_http_counts *hs_http_counts_cur;

/* Relaxed atomic load and store, no lock prefix: the slot has one writer,
 * and a concurrent reader (a scrape in another worker) never sees a torn
 * value. */
#define HS_COUNTER_ADD(field, n)                                                        \
    __atomic_store_n(&(field), __atomic_load_n(&(field), __ATOMIC_RELAXED) + (n), __ATOMIC_RELAXED)

#ifndef HS_NO_METRICS
#define HS_HTTP_COUNT(field) HS_COUNTER_ADD(hs_http_counts_cur->field, 1)
#else
#define HS_HTTP_COUNT(field) ((void)0)
#endif

#endif
