/* Log-linear latency histograms. */
#include "hist.h"


/* Bucket of a value in whole milliseconds: 0..15 are exact; above, the top
 * four bits (the leading one and three more) pick one of 8 sub-buckets of
 * the value's power of two. */
static unsigned bucket_of(uint64_t ms)
{
    if (ms < 16)
        return (unsigned)ms;
    unsigned e = 63u - (unsigned)__builtin_clzll(ms); /* 4.. */
    unsigned idx = 16 + (e - 4) * 8 + (unsigned)((ms >> (e - 3)) & 7);
    return idx < LS_HIST_BUCKETS ? idx : LS_HIST_BUCKETS - 1;
}

/* The middle of a bucket, in milliseconds. */
static double bucket_mid(unsigned idx)
{
    if (idx < 16)
        return idx;
    unsigned e = (idx - 16) / 8 + 4, sub = (idx - 16) % 8;
    double lo = (double)((8ull + sub) << (e - 3));
    double width = (double)(1ull << (e - 3));
    return lo + (width - 1) / 2;
}

void ls_hist_add(ls_hist *h, double seconds)
{
    if (!(seconds >= 0))
        return;
    uint64_t ms = (uint64_t)(seconds * 1000 + 0.5);
    h->b[bucket_of(ms)]++;
    h->n++;
    h->sum += seconds;
    if (seconds > h->max)
        h->max = seconds;
}

double ls_hist_quantile(const ls_hist *h, double q)
{
    if (h->n == 0)
        return -1;
    /* nearest rank: ceil(q * n), without libm */
    double want = q * (double)h->n;
    uint64_t rank = (uint64_t)want;
    if ((double)rank < want || rank < 1)
        rank++;
    uint64_t seen = 0;
    for (unsigned i = 0; i < LS_HIST_BUCKETS; i++) {
        seen += h->b[i];
        if (seen >= rank) {
            double v = bucket_mid(i) / 1000;
            return v > h->max ? h->max : v;
        }
    }
    return h->max;
}

void ls_hist_merge(ls_hist *dst, const ls_hist *src)
{
    for (unsigned i = 0; i < LS_HIST_BUCKETS; i++)
        dst->b[i] += src->b[i];
    dst->n += src->n;
    dst->sum += src->sum;
    if (src->max > dst->max)
        dst->max = src->max;
}
