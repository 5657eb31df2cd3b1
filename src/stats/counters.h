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

#include "http/counts.h"

#define HS_STATS_MAX_SERVERS 64  /* server labels (first server_name or listen address) */
#define HS_STATS_MAX_LOCS 256    /* (server, location) labels */
#define HS_STATS_MAX_RULES 128   /* drop rule names ($drop_rule) */
#define HS_STATS_MAX_ZONES 32    /* ban zones */
#define HS_STATS_MAX_LOGFILES 32 /* log file paths */
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

/* How a TLS handshake ended: hush_tls_handshakes_total{result}. */
typedef enum {
    HS_TLS_OK,        /* full handshake */
    HS_TLS_RESUMED,   /* resumed session (ticket or cache) */
    HS_TLS_REJECTED,  /* ssl_reject_handshake or a ClientHello rule */
    HS_TLS_FAILED,    /* no shared protocol or cipher, bad record, alert */
    HS_TLS_TIMEOUT,   /* not finished within client_header_timeout */
    HS_TLS__COUNT
} hs_tls_result;

/* One process's counters. Every field is a sum over its lifetime, folded by
 * adding (bans_active may go below zero in one slot: sums stay right). */
/* HTTP/2's own events. */
typedef enum {
    HS_H2_CONNECTIONS, /* connections that spoke HTTP/2 */
    HS_H2_STREAMS,     /* streams that became requests */
    HS_H2_RESETS,      /* RST_STREAM frames from clients */
    HS_H2__COUNT
} hs_h2_event;

typedef struct {
    union {
        /* The HTTP core's counters come first: a worker points
         * hs_http_counts_cur at core, and the core counts there itself.
         * The same fields, unnamed, read as s->endings, s->accepted ... */
        hs_http_counts core;
        struct {
            HS_HTTP_COUNTS_FIELDS
        };
    };
    uint64_t requests[HS_STATS_MAX_SERVERS][HS_STATS_MAX_STATUS]; /* by server, status index */
    hs_stats_hist req_time[HS_STATS_MAX_SERVERS];   /* $request_time */
    hs_stats_hist up_time[HS_STATS_MAX_SERVERS];    /* each upstream try's response time */
    hs_stats_hist fcgi_time[HS_STATS_MAX_SERVERS];  /* ... of a FastCGI upstream */
    uint64_t aborts[HS_STATS_MAX_LOCS][HS_ABORT__COUNT];
    uint64_t status_499[HS_STATS_MAX_LOCS];         /* the 499 series the spike detector watches */
    uint64_t after_abort[HS_STATS_MAX_LOCS];        /* upstream completed after the client left */
    uint64_t drops[HS_STATS_MAX_RULES];             /* by rule, both phases */
    uint64_t bans[HS_STATS_MAX_ZONES];              /* bans started, by zone */
    int64_t bans_active[HS_STATS_MAX_ZONES];        /* started minus ended */
    uint64_t tls_handshakes[HS_TLS__COUNT];          /* by result */
    hs_stats_hist tls_handshake_time;                /* completed handshakes, µs */
    uint64_t http2[HS_H2__COUNT];                    /* by event */
    uint64_t log_lost[HS_STATS_MAX_LOGFILES];        /* log lines a write failed to keep, by file */
    uint64_t sync_errors;                            /* Redis errors and disconnections (src/sync) */
    uint64_t sync_dropped;                           /* sync messages dropped (queue full, Redis slow) */
} hs_stats_counts;

/* Connection states of a worker, refreshed by walking its connections once
 * a second (and right before it answers a scrape). Not folded: gauges. */
typedef struct {
    uint32_t reading;  /* reading a request head */
    uint32_t writing;  /* a request in progress: body, handler, upstream, response */
    uint32_t waiting;  /* idle: before the first byte or between requests */
    uint32_t tarpit;   /* dropped and held open */
    uint32_t requests; /* requests in progress (stub_status counts them, as nginx) */
    uint32_t sync_links;    /* Redis connections configured (src/sync) */
    uint32_t sync_links_up; /* ... of them up */
    uint32_t sync_lag_ms;   /* heartbeat delay through Redis (the largest, not a sum) */
} hs_stats_gauges;

/* The counters this process writes: its shared slot in a worker, a private
 * struct before that (master, unit tests). */
extern hs_stats_counts *hs_stats_cur;

/* Relaxed atomic load and store, no lock prefix: the slot has one writer, and
 * a concurrent reader must never see a torn value. */
#define HS_STATS_ADD(field, n) HS_COUNTER_ADD(field, n)

#ifndef HS_NO_METRICS

/* A drop (444) by the named rule, at accept: hush_drops_total{rule}. (A
 * request's drop is counted from its log line.) */
void hs_stats_drop(const char *rule);
/* A ban started / ended in the named zone. */
void hs_stats_ban_added(const char *zone);
void hs_stats_ban_removed(const char *zone);
/* The response time of each upstream try of r (µs, -1 where none); proto
 * 0 for HTTP, 1 for FastCGI. */
void hs_stats_upstream_tries(const hs_req *r, int proto, const int64_t *us, size_t n);
/* proxy_ignore_client_abort on: the upstream finished after the client left. */
void hs_stats_upstream_after_abort(const hs_req *r);
/* A TLS handshake ended with result; usec is its duration (completed ones). */
void hs_stats_tls_handshake(hs_tls_result result, uint64_t usec);
/* An HTTP/2 connection began, a stream became a request, a client reset one. */
void hs_stats_h2(hs_h2_event ev);
/* lines of the log file at path were lost (a write failed: disk full). */
void hs_stats_log_lost(const char *path, uint64_t lines);
/* Fleet sync (src/sync): a Redis error or disconnection; n messages dropped. */
void hs_stats_sync_error(void);
void hs_stats_sync_dropped(uint64_t n);

#else /* metrics compiled out */

static inline void hs_stats_drop(const char *rule) { (void)rule; }
static inline void hs_stats_ban_added(const char *zone) { (void)zone; }
static inline void hs_stats_ban_removed(const char *zone) { (void)zone; }
static inline void hs_stats_upstream_tries(const hs_req *r, int proto, const int64_t *us, size_t n)
{
    (void)r;
    (void)proto;
    (void)us;
    (void)n;
}
static inline void hs_stats_upstream_after_abort(const hs_req *r) { (void)r; }
static inline void hs_stats_h2(hs_h2_event ev) { (void)ev; }
static inline void hs_stats_tls_handshake(hs_tls_result result, uint64_t usec)
{
    (void)result;
    (void)usec;
}
static inline void hs_stats_log_lost(const char *path, uint64_t lines)
{
    (void)path;
    (void)lines;
}
static inline void hs_stats_sync_error(void) {}
static inline void hs_stats_sync_dropped(uint64_t n) { (void)n; }

#endif

/* Gauges other modules know: set by them when a worker starts (NULL: 0). */
extern int64_t (*hs_stats_bans_active_fn)(void); /* addresses banned now */
extern uint32_t (*hs_stats_tarpit_fn)(void);     /* sockets held in the tarpit */
/* Fleet sync's gauges (src/sync): links configured, up, heartbeat lag. */
extern void (*hs_stats_sync_fn)(uint32_t *links, uint32_t *up, uint32_t *lag_ms);

#endif
