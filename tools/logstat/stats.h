/* Streaming aggregation: every parsed line updates fixed counters, the
 * time series, latency histograms and a few capped key tables.  Memory is
 * bounded by the caps, whatever the size of the log. */
#ifndef LS_STATS_H
#define LS_STATS_H

#include "hist.h"
#include "parser.h"
#include "record.h"
#include "series.h"
#include "topk.h"

/* Counters of the sources table (ls_tk_entry.c[]): every line is counted
 * in LS_SRC_REQ, the 444/400/408 ones also in LS_SRC_BAD (which ranks the
 * keys kept when the table is full) and their own counter.  t_first and
 * t_last are the first and last time the source was seen (0 if untimed). */
enum { LS_SRC_BAD = 0, LS_SRC_444, LS_SRC_400, LS_SRC_408, LS_SRC_REQ };
/* Counters of the locations table. */
enum { LS_LOC_REQ = 0, LS_LOC_499, LS_LOC_404, LS_LOC_444, LS_LOC_5XX };
/* Counters of the upstreams table ($upstream_addr; ext: an ls_hist of
 * the request times of its requests). */
enum { LS_UP_REQ = 0, LS_UP_5XX, LS_UP_499 };

/* Request times at one location (the ext of a locations entry). */
typedef struct {
    ls_hist all;     /* every request with a $request_time */
    ls_hist aborted; /* the 499s: how long their clients waited */
} ls_loc_lat;

#define LS_MAX_EXAMPLES 5
#define LS_EXAMPLE_LEN 160

typedef struct {
    const char *file;          /* as given on the command line */
    uint64_t line;             /* 1-based line number in that file */
    char text[LS_EXAMPLE_LEN]; /* the start of the line */
} ls_example;

/* The protocol a $request names ("GET / HTTP/2.0"). */
enum { LS_PROTO_10, LS_PROTO_11, LS_PROTO_20, LS_PROTO_OTHER, LS_PROTO_COUNT };
extern const char *const ls_proto_names[LS_PROTO_COUNT];

typedef struct {
    /* settings */
    bool real_ip;              /* source = first $http_x_forwarded_for address */
    /* where we are, for malformed-line examples */
    const char *cur_file;
    uint64_t cur_line;
    /* line counts */
    uint64_t lines, parsed, malformed;
    /* connection-log lines (they have $connection_requests); those of
     * connections with requests are left to the access log (skipped) */
    uint64_t conn_lines, conn_skipped;
    uint64_t formats[LS_FMT_COUNT];
    ls_example examples[LS_MAX_EXAMPLES];
    size_t nexamples;
    /* endings */
    uint64_t status[600];      /* by status code; codes >= 600 count at 0 */
    uint64_t no_status;        /* lines without a $status */
    uint64_t kinds[LS_K_COUNT];
    uint64_t close_reasons[LS_CR_COUNT];
    uint64_t protocols[LS_PROTO_COUNT]; /* from the end of $request */
    uint64_t h2_aborts;                 /* HTTP/2 streams ended 499: the client reset them or left */
    uint32_t have;             /* LS_HAVE() bits of every field seen */
    /* time */
    int64_t t_first, t_last;   /* LS_TIME_NONE until a line has a time */
    int tz;                    /* offset of the first timed line, for display */
    uint64_t no_time;          /* parsed lines without a time */
    ls_series series;
    /* latency */
    ls_hist lat_all, lat_abort, lat_upstream;
    /* who: capped tables */
    ls_topk sources;           /* every source: LS_SRC_* counters */
    ls_topk drop_hosts, drop_uas, drop_requests, drop_rules; /* c[0]: 444s */
    ls_topk locations;         /* LS_LOC_* counters, ext ls_loc_lat */
    ls_topk upstreams;         /* LS_UP_* counters, ext ls_hist */
    /* endings by hour of the day, in each line's own UTC offset */
    uint64_t hours[24][LS_K_COUNT];
} ls_stats;

/* max_keys caps each key table; max_buckets the time series. */
void ls_stats_init(ls_stats *st, size_t max_keys, size_t max_buckets);
void ls_stats_free(ls_stats *st);

/* Counts a line that parsed with format fmt. */
void ls_stats_add(ls_stats *st, const ls_rec *r, int fmt);

/* Counts a malformed line, keeping the first few as examples. */
void ls_stats_malformed(ls_stats *st, hs_str line);

#endif
