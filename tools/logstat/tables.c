/* The tables people look for next in a log: 404s by location (probes, with
 * how many of the location's requests rules dropped), 5xx by location and
 * 5xx and 499 by upstream, with request-time percentiles. */
#include <stdlib.h>

#include "mem.h"
#include "report.h"

static ls_loc_row *loc_rows(const ls_report *rp, int by, size_t *n)
{
    const ls_topk *t = &rp->st->locations;
    const ls_tk_entry **top = ls_xmalloc((rp->o.top + 1) * sizeof(*top));
    *n = ls_topk_top(t, by, top, rp->o.top);
    ls_loc_row *rows = ls_xcalloc(*n + 1, sizeof(ls_loc_row));
    for (size_t i = 0; i < *n; i++)
        rows[i] = ls_loc_row_of(top[i]);
    free(top);
    return rows;
}

static uint64_t up_errors(const ls_tk_entry *e) { return e->c[LS_UP_5XX] + e->c[LS_UP_499]; }

static int by_errors_desc(const void *a, const void *b)
{
    const ls_tk_entry *x = *(const ls_tk_entry *const *)a, *y = *(const ls_tk_entry *const *)b;
    if (up_errors(x) != up_errors(y))
        return up_errors(x) < up_errors(y) ? 1 : -1;
    if (x->c[LS_UP_REQ] != y->c[LS_UP_REQ])
        return x->c[LS_UP_REQ] < y->c[LS_UP_REQ] ? 1 : -1;
    return strcmp(x->key, y->key);
}

/* Every upstream ranked by 5xx + 499, then by requests. */
static void rank_upstreams(ls_report *rp)
{
    const ls_topk *t = &rp->st->upstreams;
    const ls_tk_entry **all = ls_xmalloc((t->n + 1) * sizeof(*all));
    size_t n = ls_topk_top(t, LS_UP_REQ, all, t->n);
    qsort(all, n, sizeof(*all), by_errors_desc);
    if (n > rp->o.top)
        n = rp->o.top;
    rp->upstreams = ls_xcalloc(n + 1, sizeof(ls_up_row));
    for (size_t i = 0; i < n; i++) {
        const ls_hist *h = all[i]->ext;
        rp->upstreams[i] = (ls_up_row){all[i], h ? ls_hist_quantile(h, 0.5) : -1,
                                       h ? ls_hist_quantile(h, 0.9) : -1, h ? ls_hist_quantile(h, 0.99) : -1};
    }
    rp->n_upstreams = n;
    rp->have_upstream = t->n > 0 || t->others_keys > 0;
    free(all);
}

void ls_find_tables(ls_report *rp)
{
    rp->probes = loc_rows(rp, LS_LOC_404, &rp->n_probes);
    rp->errors = loc_rows(rp, LS_LOC_5XX, &rp->n_errors);
    rank_upstreams(rp);
}

void ls_free_tables(ls_report *rp)
{
    free(rp->probes);
    free(rp->errors);
    free(rp->upstreams);
}
