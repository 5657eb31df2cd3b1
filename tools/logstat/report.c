/* Building the report model from the statistics. */
#include "report.h"

#include <math.h>
#include <stdlib.h>

#include "mem.h"

double ls_share(uint64_t n, uint64_t d) { return d ? (double)n / (double)d : 0; }

static void count_classes(ls_report *rp)
{
    const ls_stats *st = rp->st;
    for (int s = 0; s < 600; s++) {
        if (!st->status[s])
            continue;
        if (s >= 100)
            rp->classes[s / 100 - 1] += st->status[s];
        else
            rp->other_status += st->status[s];
    }
}

static const ls_tk_entry **top_of(const ls_topk *t, int by, size_t max, size_t *n)
{
    const ls_tk_entry **out = ls_xmalloc((max + 1) * sizeof(*out));
    *n = ls_topk_top(t, by, out, max);
    return out;
}

static ls_loc_row loc_row(const ls_tk_entry *e)
{
    ls_loc_row r = {e, ls_share(e->c[LS_LOC_499], e->c[LS_LOC_REQ]), -1, -1, -1, -1};
    const ls_loc_lat *lat = e->ext;
    if (lat) {
        r.p50 = ls_hist_quantile(&lat->all, 0.50);
        r.p90 = ls_hist_quantile(&lat->all, 0.90);
        r.p99 = ls_hist_quantile(&lat->all, 0.99);
        r.abort_p50 = ls_hist_quantile(&lat->aborted, 0.50);
    }
    return r;
}

static int by_rate_desc(const void *a, const void *b)
{
    const ls_loc_row *x = a, *y = b;
    if (x->rate != y->rate)
        return x->rate < y->rate ? 1 : -1;
    if (x->e->c[LS_LOC_499] != y->e->c[LS_LOC_499])
        return x->e->c[LS_LOC_499] < y->e->c[LS_LOC_499] ? 1 : -1;
    return strcmp(x->e->key, y->e->key);
}

/* Who gives up: by 499 count, by 499 rate (among busy enough locations),
 * and the busiest locations for the latency-versus-aborts chart. */
static void rank_locations(ls_report *rp)
{
    const ls_topk *t = &rp->st->locations;
    const ls_tk_entry **all = ls_xmalloc((t->n + 1) * sizeof(*all));
    size_t n = ls_topk_top(t, LS_LOC_499, all, t->n);
    rp->by_count = ls_xcalloc(rp->o.top + 1, sizeof(ls_loc_row));
    rp->by_rate = ls_xcalloc(n + 1, sizeof(ls_loc_row));
    for (size_t i = 0; i < n; i++) {
        if (i < rp->o.top)
            rp->by_count[rp->n_by_count++] = loc_row(all[i]);
        if (all[i]->c[LS_LOC_REQ] >= rp->o.min_requests)
            rp->by_rate[rp->n_by_rate++] = loc_row(all[i]);
    }
    qsort(rp->by_rate, rp->n_by_rate, sizeof(ls_loc_row), by_rate_desc);
    if (rp->n_by_rate > rp->o.top)
        rp->n_by_rate = rp->o.top;
    size_t m = ls_topk_top(t, LS_LOC_REQ, all, t->n < 200 ? t->n : 200);
    rp->scatter = ls_xcalloc(m + 1, sizeof(ls_loc_row));
    for (size_t i = 0; i < m; i++)
        if (all[i]->ext)
            rp->scatter[rp->n_scatter++] = loc_row(all[i]);
    free(all);
}

/* ---- spikes ---- */

#define SPIKE_WINDOW 15     /* buckets in the moving baseline */
#define SPIKE_MIN_WINDOW 5  /* buckets needed before judging */
#define SPIKE_MIN_EVENTS 5  /* a jump of fewer events is noise */

/* A bucket is a spike when its rate is at least twice the baseline (the
 * mean rate of the previous SPIKE_WINDOW buckets with traffic), above it by
 * three standard deviations, and by at least five points. */
static bool is_spike(double rate, const double *win, size_t n, double *mean_out)
{
    double sum = 0, sq = 0;
    for (size_t i = 0; i < n; i++)
        sum += win[i];
    double mean = sum / (double)n;
    for (size_t i = 0; i < n; i++)
        sq += (win[i] - mean) * (win[i] - mean);
    double sd = sqrt(sq / (double)n);
    *mean_out = mean;
    return rate >= 2 * mean && rate >= mean + 3 * sd && rate >= mean + 0.05;
}

static void find_spikes_of(ls_report *rp, ls_kind k, ls_spike *out, size_t *n, size_t cap)
{
    const ls_series *s = &rp->st->series;
    double win[SPIKE_WINDOW];
    size_t nwin = 0, head = 0;
    for (size_t i = 0; i < s->n; i++) {
        uint64_t total = ls_bucket_total(&s->b[i]);
        if (!total)
            continue;
        uint64_t c = s->b[i].k[k];
        double rate = ls_share(c, total), mean;
        if (nwin >= SPIKE_MIN_WINDOW && c >= SPIKE_MIN_EVENTS && is_spike(rate, win, nwin, &mean) &&
            *n < cap)
            out[(*n)++] = (ls_spike){s->base + (int64_t)i * s->width, k, total, c, rate, mean};
        win[head] = rate;
        head = (head + 1) % SPIKE_WINDOW;
        if (nwin < SPIKE_WINDOW)
            nwin++;
    }
}

static int by_jump_desc(const void *a, const void *b)
{
    const ls_spike *x = a, *y = b;
    double jx = x->rate - x->baseline, jy = y->rate - y->baseline;
    return jx < jy ? 1 : jx > jy ? -1 : 0;
}

static int by_time(const void *a, const void *b)
{
    const ls_spike *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return (int)x->kind - (int)y->kind;
}

static void find_spikes(ls_report *rp)
{
    size_t cap = rp->st->series.n * 2 + 1;
    ls_spike *all = ls_xmalloc(cap * sizeof(ls_spike));
    size_t n = 0;
    find_spikes_of(rp, LS_K_DROP, all, &n, cap);
    find_spikes_of(rp, LS_K_ABORT, all, &n, cap);
    qsort(all, n, sizeof(ls_spike), by_jump_desc);
    if (n > rp->o.max_spikes)
        n = rp->o.max_spikes;
    qsort(all, n, sizeof(ls_spike), by_time);
    rp->spikes = all;
    rp->n_spikes = n;
}

/* ---- repeat offenders ---- */

static bool is_ipv4(const char *s)
{
    int dots = 0;
    for (; *s; s++) {
        if (*s == '.')
            dots++;
        else if (*s < '0' || *s > '9')
            return false;
    }
    return dots == 3;
}

/* Only addresses go into suggested config lines, never arbitrary log text. */
static bool is_address(const char *s)
{
    if (!*s || strlen(s) > 45)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F') ||
              *p == '.' || *p == ':'))
            return false;
    return strchr(s, '.') || strchr(s, ':');
}

/* "a.b.c.d" -> "a.b.c." (the /24 prefix, with its dot). */
static size_t prefix24(const char *s, char *out)
{
    const char *dot = strrchr(s, '.');
    size_t n = (size_t)(dot - s) + 1;
    memcpy(out, s, n);
    out[n] = '\0';
    return n;
}

static void add_suggestion(ls_report *rp, const char *line)
{
    rp->suggest = ls_xrealloc(rp->suggest, (rp->n_suggest + 1) * sizeof(char *));
    rp->suggest[rp->n_suggest++] = ls_xstrndup(line, strlen(line));
}

/* One deny_addr line for the offenders shown; three or more IPv4 offenders
 * in one /24 become that /24, since scanners usually come in blocks. */
static void suggest_deny(ls_report *rp)
{
    size_t cap = 64 + rp->n_offenders * 52;
    char *line = ls_xmalloc(cap);
    size_t len = (size_t)snprintf(line, cap, "deny_addr");
    bool *done = ls_xcalloc(rp->n_offenders + 1, 1), any = false;
    for (size_t i = 0; i < rp->n_offenders; i++) {
        const char *a = rp->offenders[i]->key;
        if (done[i] || !is_address(a))
            continue;
        char pre[48];
        size_t pn = is_ipv4(a) ? prefix24(a, pre) : 0;
        size_t same = 0;
        for (size_t j = i; pn && j < rp->n_offenders; j++)
            same += !done[j] && is_ipv4(rp->offenders[j]->key) &&
                    strncmp(rp->offenders[j]->key, pre, pn) == 0;
        if (same >= 3) {
            for (size_t j = i; j < rp->n_offenders; j++)
                if (is_ipv4(rp->offenders[j]->key) && strncmp(rp->offenders[j]->key, pre, pn) == 0)
                    done[j] = true;
            len += (size_t)snprintf(line + len, cap - len, " %s0/24", pre);
        } else {
            len += (size_t)snprintf(line + len, cap - len, " %s", a);
        }
        any = true;
    }
    snprintf(line + len, cap - len, ";");
    if (any)
        add_suggestion(rp, line);
    free(done);
    free(line);
}

static void find_offenders(ls_report *rp)
{
    const ls_topk *t = &rp->st->sources;
    const ls_tk_entry **all = ls_xmalloc((t->n + 1) * sizeof(*all));
    size_t n = ls_topk_top(t, LS_SRC_BAD, all, rp->o.top);
    while (n && all[n - 1]->c[LS_SRC_BAD] < rp->o.offender_min)
        n--;
    rp->offenders = all;
    rp->n_offenders = n;
    if (!n)
        return;
    suggest_deny(rp);
    char line[256];
    snprintf(line, sizeof(line),
             "ban_zone zone=offenders:10m key=$binary_remote_addr threshold=%llu window=10m "
             "duration=1h;",
             (unsigned long long)rp->o.offender_min);
    add_suggestion(rp, line);
    add_suggestion(rp, "ban zone=offenders on=444,400,408;");
}

void ls_report_build(ls_report *rp, const ls_stats *st, const ls_report_opts *o,
                     const char *const *files, size_t nfiles)
{
    memset(rp, 0, sizeof(*rp));
    rp->st = st;
    rp->o = *o;
    rp->files = files;
    rp->nfiles = nfiles;
    rp->have_request_time = st->lat_all.n > 0;
    rp->have_close_reason = (st->have & LS_HAVE(LS_F_CLOSE_REASON)) != 0;
    count_classes(rp);
    rp->drop_src = top_of(&st->sources, LS_SRC_444, o->top, &rp->n_drop_src);
    rp->drop_hosts = top_of(&st->drop_hosts, 0, o->top, &rp->n_drop_hosts);
    rp->drop_uas = top_of(&st->drop_uas, 0, o->top, &rp->n_drop_uas);
    rp->drop_requests = top_of(&st->drop_requests, 0, o->top, &rp->n_drop_requests);
    rp->drop_rules = top_of(&st->drop_rules, 0, o->top, &rp->n_drop_rules);
    rank_locations(rp);
    find_spikes(rp);
    find_offenders(rp);
}

void ls_report_free(ls_report *rp)
{
    free(rp->drop_src);
    free(rp->drop_hosts);
    free(rp->drop_uas);
    free(rp->drop_requests);
    free(rp->drop_rules);
    free(rp->by_count);
    free(rp->by_rate);
    free(rp->scatter);
    free(rp->spikes);
    free(rp->offenders);
    for (size_t i = 0; i < rp->n_suggest; i++)
        free(rp->suggest[i]);
    free(rp->suggest);
    memset(rp, 0, sizeof(*rp));
}
