/* The report model: everything the renderers show, derived once from the
 * statistics (rankings, rates, percentiles, spikes, offenders and the
 * config lines suggested for them).  Renderers only format it. */
#ifndef LS_REPORT_H
#define LS_REPORT_H

#include <stdio.h>

#include "endings.h"
#include "stats.h"

typedef struct {
    size_t top;             /* rows per ranked list */
    uint64_t min_requests;  /* requests a location needs to rank by 499 rate */
    uint64_t offender_min;  /* 444+400+408 a source needs to be suggested */
    double offender_share;  /* and the share of its requests they must be */
    size_t group_min;       /* qualifying addresses that make a /24 or /64 */
    double spike_alpha;     /* significance of a spike, over all buckets */
    uint64_t spike_min;     /* endings a spike bucket needs at least */
    size_t max_spikes;      /* spike rows kept (the largest jumps) */
    int refresh;            /* seconds for the HTML page to reload (follow), 0 none */
} ls_report_opts;

/* A location in "who gives up". */
typedef struct {
    const ls_tk_entry *e;   /* key, LS_LOC_REQ and LS_LOC_499 counters */
    double rate;            /* 499s / requests */
    double p50, p90, p99;   /* request time of all its requests, -1 if unknown */
    double abort_p50;       /* median wait of its 499s, -1 if unknown */
} ls_loc_row;

/* An upstream ($upstream_addr) with its 5xx, 499s and request times. */
typedef struct {
    const ls_tk_entry *e;   /* LS_UP_* counters */
    double p50, p90, p99;   /* request time of its requests, -1 if unknown */
} ls_up_row;

/* Buckets (one, or a run of consecutive ones) whose 444 or 499 count is
 * significantly above what the moving baseline rate predicts. */
typedef struct {
    int64_t start;          /* first bucket's start, unix seconds */
    int64_t seconds;        /* length: the bucket width times the buckets */
    ls_kind kind;           /* LS_K_DROP or LS_K_ABORT */
    uint64_t requests;      /* lines in the buckets */
    uint64_t count;         /* lines of that kind */
    double rate, baseline;  /* count/requests, and the baseline rate before */
    double log10_p;         /* log10 of the smallest bucket p-value */
    size_t tested;          /* tests the significance was divided by */
} ls_spike;

/* A source in the repeat offenders table, with the verdict on it. */
typedef struct {
    const ls_tk_entry *e;   /* LS_SRC_* counters, t_first, t_last, partial */
    double share;           /* bad / requests */
    bool suggested;         /* its address (or its range) is in deny_addr */
    char why[160];          /* why it is, or is not, suggested */
} ls_offender;

/* One item of the suggested deny_addr line: an address or a range. */
typedef struct {
    char addr[64];          /* "198.51.100.7", "203.0.113.0/24", "2001:db8::/64" */
    size_t addresses;       /* addresses of the log behind it */
    uint64_t requests, bad;
    double share;
    char why[200];
} ls_deny;

typedef struct {
    const ls_stats *st;
    ls_report_opts o;
    const char *const *files;
    size_t nfiles;
    uint64_t classes[LS_CLASS_COUNT]; /* lines per status class */
    uint64_t other_status;            /* statuses outside 100..599 */
    bool have_request_time;
    bool have_close_reason;
    /* who is dropped: top keys among 444s */
    const ls_tk_entry **drop_src, **drop_hosts, **drop_uas, **drop_requests, **drop_rules;
    size_t n_drop_src, n_drop_hosts, n_drop_uas, n_drop_requests, n_drop_rules;
    /* who gives up */
    ls_loc_row *by_count, *by_rate;
    size_t n_by_count, n_by_rate;
    ls_loc_row *scatter;              /* locations for the latency/aborts chart */
    size_t n_scatter;
    /* probes (by 404s), 5xx by location, upstreams by 5xx + 499 (tables.c) */
    ls_loc_row *probes, *errors;
    size_t n_probes, n_errors;
    ls_up_row *upstreams;
    size_t n_upstreams;
    bool have_upstream;
    /* spikes, in time order */
    ls_spike *spikes;
    size_t n_spikes;
    size_t spike_tests;               /* tests the significance is divided by */
    /* repeat offenders and what to put in the config */
    ls_offender *offenders;
    size_t n_offenders;
    ls_deny *deny;
    size_t n_deny;
    char **suggest;                   /* config lines, NUL-terminated */
    size_t n_suggest;
} ls_report;

/* A location's row: its rates and request-time percentiles. */
ls_loc_row ls_loc_row_of(const ls_tk_entry *e);

/* Fills probes, errors and upstreams (tables.c). */
void ls_find_tables(ls_report *rp);
void ls_free_tables(ls_report *rp);

/* Fills spikes (spikes.c). */
void ls_find_spikes(ls_report *rp);

/* Fills offenders, deny and the suggested config (offenders.c). */
void ls_find_offenders(ls_report *rp);

void ls_report_build(ls_report *rp, const ls_stats *st, const ls_report_opts *o,
                     const char *const *files, size_t nfiles);
void ls_report_free(ls_report *rp);

/* The share n/d as a fraction (0 when d is 0). */
double ls_share(uint64_t n, uint64_t d);

/* Renderers.  color: ANSI colours in the text report. */
void ls_report_text(const ls_report *rp, FILE *out, bool color);
void ls_report_json(const ls_report *rp, FILE *out);
void ls_report_html(const ls_report *rp, FILE *out);

#endif
