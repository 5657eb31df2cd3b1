/* Per-worker counters of endings, statuses, drops, aborts and latencies.
 *
 * Each worker owns one slot of a shared-memory region (created by the master
 * before it forks, see stats/stats.h) and increments it without locks or
 * atomic read-modify-writes: nobody else writes the slot while the worker
 * lives. A scrape sums every live slot plus the accumulator into which the
 * master folds the slots of workers that exited, so a reload neither loses
 * nor double-counts anything.
 *
 * Label values are bounded: servers, locations, drop rules and ban zones are
 * names from the configuration, interned once per worker into fixed tables
 * (index 0 of each table collects whatever does not fit: "_overflow").
 *
 * Compiled with -DHS_NO_METRICS every call below is an empty inline function
 * (bench/metrics.sh measures the difference). */
#ifndef HS_STATS_COUNTERS_H
#define HS_STATS_COUNTERS_H

#include <stdint.h>

#include "http/http.h"

#define HS_STATS_MAX_SERVERS 64  /* server labels (first server_name or listen address) */
#define HS_STATS_MAX_LOCS 256    /* (server, location) labels */
#define HS_STATS_MAX_RULES 128   /* drop rule names ($drop_rule) */
#define HS_STATS_MAX_ZONES 32    /* ban zones */
#define HS_STATS_MAX_STATUS 48   /* distinct status codes; [0] collects the rest */
#define HS_STATS_NBUCKETS 16     /* histogram buckets: 15 bounds (1 ms .. 60 s) and +Inf */

/* Where a client that left was: hush_client_aborts_total{phase}. */
typedef enum {
    HS_ABORT_WAITING_UPSTREAM, /* 499 while the upstream worked */
    HS_ABORT_WAITING_RESPONSE, /* 499 before the head of a local response went out */
    HS_ABORT_SENDING_BODY,     /* client_abort_body while the response body was sent */
    HS_ABORT_READING_BODY,     /* client_abort_body in the middle of its request body */
    HS_ABORT__COUNT
} hs_abort_phase;

/* A latency histogram: counts per bucket (not cumulative) and the sum. */
typedef struct {
    uint64_t bucket[HS_STATS_NBUCKETS];
    uint64_t sum_usec;
} hs_stats_hist;

/* One process's counters. Every field is a sum over its lifetime, folded by
 * adding (bans_active may go below zero in one slot: sums stay right). */
typedef struct {
    uint64_t endings[HS_END__COUNT];   /* every ending, of a request or of a bare connection */
    uint64_t accepted;                 /* connections accepted */
    uint64_t handled;                  /* accepted and served (not refused, not dropped at accept) */
    uint64_t refused;                  /* reset at the worker_connections limit or at EMFILE */
    uint64_t dropped_accept;           /* dropped by an accept-phase rule */
    uint64_t dropped_request;          /* dropped by a request-phase rule (444) */
    uint64_t requests_all;             /* every request ended (stub_status "requests") */
    uint64_t requests[HS_STATS_MAX_SERVERS][HS_STATS_MAX_STATUS]; /* by server, status index */
    hs_stats_hist req_time[HS_STATS_MAX_SERVERS];   /* $request_time */
    hs_stats_hist up_time[HS_STATS_MAX_SERVERS];    /* each upstream try's response time */
    uint64_t aborts[HS_STATS_MAX_LOCS][HS_ABORT__COUNT];
    uint64_t status_499[HS_STATS_MAX_LOCS];         /* the 499 series the spike detector watches */
    uint64_t after_abort[HS_STATS_MAX_LOCS];        /* upstream completed after the client left */
    uint64_t drops[HS_STATS_MAX_RULES];             /* by rule, both phases */
    uint64_t bans[HS_STATS_MAX_ZONES];              /* bans started, by zone */
    int64_t bans_active[HS_STATS_MAX_ZONES];        /* started minus ended */
} hs_stats_counts;

/* Connection states of a worker, refreshed by walking its connections once
 * a second (and right before it answers a scrape). Not folded: gauges. */
typedef struct {
    uint32_t reading;  /* reading a request head */
    uint32_t writing;  /* a request in progress: body, handler, upstream, response */
    uint32_t waiting;  /* idle: before the first byte or between requests */
    uint32_t tarpit;   /* dropped and held open */
    uint32_t requests; /* requests in progress (stub_status counts them, as nginx) */
} hs_stats_gauges;

/* The counters this process writes: its shared slot in a worker, a private
 * struct before that (master, unit tests). */
extern hs_stats_counts *hs_stats_cur;

/* Relaxed atomic load and store, no lock prefix: the slot has one writer, and
 * a concurrent reader must never see a torn value. */
#define HS_STATS_ADD(field, n)                                                          \
    __atomic_store_n(&(field), __atomic_load_n(&(field), __ATOMIC_RELAXED) + (n), __ATOMIC_RELAXED)

#ifndef HS_NO_METRICS

/* A connection ended without a request (no_request, keepalive_close, ...);
 * a drop here is an accept-phase drop. */
static inline void hs_stats_ending(hs_ending e)
{
    HS_STATS_ADD(hs_stats_cur->endings[e], 1);
    if (e == HS_END_DROP)
        HS_STATS_ADD(hs_stats_cur->dropped_accept, 1);
}
/* A request ended (logged or not): status, ending, latency, aborts. Called
 * once per request from request_log_and_count. */
void hs_stats_request(const hs_req *r);
/* A drop (444) by the named rule: hush_drops_total{rule}. The phase comes
 * from the ending counted next to it: a request's (hs_stats_request) is a
 * request-phase drop, a bare connection's (hs_stats_ending) an accept-phase
 * one. */
void hs_stats_drop(const char *rule);
/* Both for an accept-phase drop: hs_stats_drop(rule) + hs_stats_ending(drop). */
void hs_stats_drop_accept(const char *rule);
/* A ban started / ended in the named zone. */
void hs_stats_ban_added(const char *zone);
void hs_stats_ban_removed(const char *zone);
/* proxy_ignore_client_abort on: the upstream finished after the client left. */
void hs_stats_upstream_after_abort(const hs_req *r);
static inline void hs_stats_accepted(void) { HS_STATS_ADD(hs_stats_cur->accepted, 1); }
static inline void hs_stats_handled(void) { HS_STATS_ADD(hs_stats_cur->handled, 1); }
static inline void hs_stats_refused(void) { HS_STATS_ADD(hs_stats_cur->refused, 1); }

#else /* metrics compiled out */

static inline void hs_stats_ending(hs_ending e) { (void)e; }
static inline void hs_stats_request(const hs_req *r) { (void)r; }
static inline void hs_stats_drop(const char *rule) { (void)rule; }
static inline void hs_stats_drop_accept(const char *rule) { (void)rule; }
static inline void hs_stats_ban_added(const char *zone) { (void)zone; }
static inline void hs_stats_ban_removed(const char *zone) { (void)zone; }
static inline void hs_stats_upstream_after_abort(const hs_req *r) { (void)r; }
static inline void hs_stats_accepted(void) {}
static inline void hs_stats_handled(void) {}
static inline void hs_stats_refused(void) {}

#endif

#endif
