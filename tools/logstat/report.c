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

ls_loc_row ls_loc_row_of(const ls_tk_entry *e)
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
            rp->by_count[rp->n_by_count++] = ls_loc_row_of(all[i]);
        if (all[i]->c[LS_LOC_REQ] >= rp->o.min_requests)
            rp->by_rate[rp->n_by_rate++] = ls_loc_row_of(all[i]);
    }
    qsort(rp->by_rate, rp->n_by_rate, sizeof(ls_loc_row), by_rate_desc);
    if (rp->n_by_rate > rp->o.top)
        rp->n_by_rate = rp->o.top;
    size_t m = ls_topk_top(t, LS_LOC_REQ, all, t->n < 200 ? t->n : 200);
    rp->scatter = ls_xcalloc(m + 1, sizeof(ls_loc_row));
    for (size_t i = 0; i < m; i++)
        if (all[i]->ext)
            rp->scatter[rp->n_scatter++] = ls_loc_row_of(all[i]);
    free(all);
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
    ls_find_spikes(rp);
    ls_find_offenders(rp);
    ls_find_tables(rp);
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
    free(rp->deny);
    ls_free_tables(rp);
    for (size_t i = 0; i < rp->n_suggest; i++)
        free(rp->suggest[i]);
    free(rp->suggest);
    memset(rp, 0, sizeof(*rp));
}
