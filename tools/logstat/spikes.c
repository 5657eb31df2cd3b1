/* Spikes: a bucket is flagged when its 444 (or 499) count is significantly
 * above what the rate of the buckets before it predicts.  The test is the
 * exact conditional test of two Poisson rates: given the c endings of the
 * bucket (n lines) and the C endings of the window before it (N lines),
 * under "same rate" c is Binomial(c + C, n / (n + N)); the p-value is its
 * upper tail.  It accounts for the uncertainty of the baseline as well as
 * the bucket's own noise.  A bucket is a spike when p < alpha / m, m being
 * the number of buckets tested (Bonferroni), and c >= spike_min.
 * Consecutive flagged buckets of one kind make one spike. */
#include <math.h>
#include <stdlib.h>

#include "mem.h"
#include "report.h"

#define SPIKE_WINDOW 30    /* buckets with traffic in the moving baseline */
#define SPIKE_MIN_WINDOW 5 /* buckets needed before judging */

/* log10 P(X >= c) for X ~ Binomial(N, q), c above the mean N q. */
static double log10_upper_tail(uint64_t c, uint64_t N, double q)
{
    double lq = log(q), l1q = log1p(-q);
    double lpmf = lgamma((double)N + 1) - lgamma((double)c + 1) - lgamma((double)(N - c) + 1) +
                  (double)c * lq + (double)(N - c) * l1q;
    double sum = 1, term = 1, odds = q / (1 - q);
    for (uint64_t k = c; k < N && k - c < 1000000; k++) {
        term *= (double)(N - k) / (double)(k + 1) * odds;
        sum += term;
        if (term < sum * 1e-16)
            break;
    }
    double l = (lpmf + log(sum)) / log(10);
    return l > 0 ? 0 : l;
}

typedef struct {
    uint64_t c[SPIKE_WINDOW], n[SPIKE_WINDOW];
    uint64_t sum_c, sum_n;
    size_t len, head;
} window;

static void window_push(window *w, uint64_t c, uint64_t n)
{
    if (w->len == SPIKE_WINDOW) {
        w->sum_c -= w->c[w->head];
        w->sum_n -= w->n[w->head];
    } else {
        w->len++;
    }
    w->c[w->head] = c;
    w->n[w->head] = n;
    w->sum_c += c;
    w->sum_n += n;
    w->head = (w->head + 1) % SPIKE_WINDOW;
}

/* Adds the flagged bucket i to the spikes, or to the spike it continues. */
static void flag(ls_spike *out, size_t *n, size_t *last_i, size_t i, const ls_spike *s)
{
    ls_spike *prev = *n ? &out[*n - 1] : NULL;
    if (prev && prev->kind == s->kind && *last_i + 1 == i) {
        prev->seconds += s->seconds;
        prev->count += s->count;
        prev->requests += s->requests;
        prev->rate = ls_share(prev->count, prev->requests);
        if (s->log10_p < prev->log10_p)
            prev->log10_p = s->log10_p;
    } else {
        out[(*n)++] = *s;
    }
    *last_i = i;
}

static size_t buckets_tested(const ls_series *s)
{
    size_t m = 0;
    for (size_t i = 0; i < s->n; i++)
        m += ls_bucket_total(&s->b[i]) > 0;
    return m > SPIKE_MIN_WINDOW ? m - SPIKE_MIN_WINDOW : 1;
}

static void find_spikes_of(ls_report *rp, ls_kind k, size_t m, ls_spike *out, size_t *n)
{
    const ls_series *s = &rp->st->series;
    double limit = log10(rp->o.spike_alpha / (double)m);
    window w = {0};
    size_t last_i = SIZE_MAX;
    for (size_t i = 0; i < s->n; i++) {
        uint64_t total = ls_bucket_total(&s->b[i]), c = s->b[i].k[k];
        if (!total)
            continue;
        if (w.len >= SPIKE_MIN_WINDOW && c >= rp->o.spike_min && (double)c * (double)w.sum_n > (double)w.sum_c * (double)total) {
            double q = (double)total / (double)(total + w.sum_n);
            double lp = log10_upper_tail(c, c + w.sum_c, q);
            ls_spike sp = {s->base + (int64_t)i * s->width, s->width, k, total, c,
                           ls_share(c, total), ls_share(w.sum_c, w.sum_n), lp, m};
            if (lp < limit)
                flag(out, n, &last_i, i, &sp);
        }
        window_push(&w, c, total);
    }
}

static int by_p(const void *a, const void *b)
{
    const ls_spike *x = a, *y = b;
    return x->log10_p < y->log10_p ? -1 : x->log10_p > y->log10_p ? 1 : 0;
}

static int by_time(const void *a, const void *b)
{
    const ls_spike *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return (int)x->kind - (int)y->kind;
}

/* The max_spikes most significant spikes, in time order. */
void ls_find_spikes(ls_report *rp)
{
    const ls_series *s = &rp->st->series;
    size_t m = 2 * buckets_tested(s);
    rp->spike_tests = m;
    ls_spike *all = ls_xmalloc((s->n * 2 + 1) * sizeof(ls_spike));
    size_t n = 0;
    find_spikes_of(rp, LS_K_DROP, m, all, &n);
    find_spikes_of(rp, LS_K_ABORT, m, all, &n);
    qsort(all, n, sizeof(ls_spike), by_p);
    if (n > rp->o.max_spikes)
        n = rp->o.max_spikes;
    qsort(all, n, sizeof(ls_spike), by_time);
    rp->spikes = all;
    rp->n_spikes = n;
}
