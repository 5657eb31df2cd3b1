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
    uint64_t offender_min;  /* 444+400+408 that make a repeat offender */
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

/* A bucket whose 444 or 499 rate jumped over its moving baseline. */
typedef struct {
    int64_t start;          /* bucket start, unix seconds */
    ls_kind kind;           /* LS_K_DROP or LS_K_ABORT */
    uint64_t requests;      /* lines in the bucket */
    uint64_t count;         /* lines of that kind */
    double rate, baseline;  /* count/requests, and the mean of the window */
} ls_spike;

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
    /* spikes, in time order */
    ls_spike *spikes;
    size_t n_spikes;
    /* repeat offenders and what to put in the config */
    const ls_tk_entry **offenders;
    size_t n_offenders;
    char **suggest;                   /* config lines, NUL-terminated */
    size_t n_suggest;
} ls_report;

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
