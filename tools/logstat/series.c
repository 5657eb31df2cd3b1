/* The ending-over-time series. */
#include "series.h"

#include <stdlib.h>

#include "mem.h"

static int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

void ls_series_init(ls_series *s, size_t max_buckets)
{
    memset(s, 0, sizeof(*s));
    s->width = 60;
    s->max = max_buckets < 16 ? 16 : max_buckets;
}

void ls_series_free(ls_series *s)
{
    free(s->b);
    memset(s, 0, sizeof(*s));
}

uint64_t ls_bucket_total(const ls_bucket *b)
{
    uint64_t t = 0;
    for (int k = 0; k < LS_K_COUNT; k++)
        t += b->k[k];
    return t;
}

/* Re-buckets [base, ...) into width w at base nb (nb <= base, aligned). */
static void rebucket(ls_series *s, int64_t nb, int64_t w, size_t need)
{
    ls_bucket *nbk = ls_xcalloc(need, sizeof(ls_bucket));
    for (size_t i = 0; i < s->n; i++) {
        size_t j = (size_t)((s->base + (int64_t)i * s->width - nb) / w);
        for (int k = 0; k < LS_K_COUNT; k++)
            nbk[j].k[k] += s->b[i].k[k];
    }
    free(s->b);
    s->b = nbk;
    s->alloc = need;
    s->base = nb;
    s->width = w;
    s->hit = NULL;
}

/* Makes t fall inside [base, base + max * width), widening if needed, and
 * returns the index of its bucket with room allocated for it. */
static size_t make_room(ls_series *s, int64_t t)
{
    int64_t lo = s->n ? (t < s->base ? t : s->base) : t;
    int64_t hi = s->n ? (t > s->base + (int64_t)s->n * s->width - 1 ? t : s->base + (int64_t)s->n * s->width - 1) : t;
    int64_t w = s->width, nb;
    for (;;) {
        nb = floor_div(lo, w) * w;
        if ((hi - nb) / w < (int64_t)s->max)
            break;
        w *= 2;
    }
    size_t idx = (size_t)((t - nb) / w);
    size_t nn = (size_t)((hi - nb) / w) + 1;
    if (nb != s->base || w != s->width || nn > s->alloc) {
        size_t want = nn > s->alloc ? nn * 2 : s->alloc;
        if (want > s->max)
            want = s->max;
        if (!s->n)
            s->base = nb, s->width = w;
        rebucket(s, nb, w, want);
    }
    s->n = nn;
    return idx;
}

void ls_series_add(ls_series *s, int64_t t, ls_kind k)
{
    if (s->hit && t >= s->hit_lo && t < s->hit_hi) {
        s->hit->k[k]++;
        return;
    }
    size_t idx;
    if (s->n && t >= s->base && t < s->base + (int64_t)s->n * s->width)
        idx = (size_t)((t - s->base) / s->width);
    else
        idx = make_room(s, t);
    s->hit = &s->b[idx];
    s->hit_lo = s->base + (int64_t)idx * s->width;
    s->hit_hi = s->hit_lo + s->width;
    s->hit->k[k]++;
}
