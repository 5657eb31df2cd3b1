#include "stats/expo.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats/hist.h"

static bool reserve(hs_expo *e, size_t more)
{
    if (e->oom)
        return false;
    if (e->len + more <= e->cap)
        return true;
    size_t cap = e->cap ? e->cap : 4096;
    while (cap < e->len + more)
        cap *= 2;
    char *p = realloc(e->p, cap);
    if (p == NULL) {
        e->oom = true;
        return false;
    }
    e->p = p;
    e->cap = cap;
    return true;
}

void hs_expo_free(hs_expo *e)
{
    free(e->p);
    *e = (hs_expo){0};
}

void hs_expo_raw(hs_expo *e, const char *s, size_t n)
{
    if (!reserve(e, n))
        return;
    memcpy(e->p + e->len, s, n);
    e->len += n;
}

static void raw_str(hs_expo *e, const char *s) { hs_expo_raw(e, s, strlen(s)); }

void hs_expo_printf(hs_expo *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !reserve(e, (size_t)n + 1))
        return;
    va_start(ap, fmt);
    vsnprintf(e->p + e->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    e->len += (size_t)n;
}

/* HELP text escapes \ and newline; label values also ". */
static void escaped(hs_expo *e, const char *s, bool quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            raw_str(e, "\\\\");
        else if (*s == '\n')
            raw_str(e, "\\n");
        else if (*s == '"' && quote)
            raw_str(e, "\\\"");
        else
            hs_expo_raw(e, s, 1);
    }
}

void hs_expo_head(hs_expo *e, const char *name, const char *type, const char *help)
{
    raw_str(e, "# HELP ");
    raw_str(e, name);
    hs_expo_raw(e, " ", 1);
    escaped(e, help, false);
    raw_str(e, "\n# TYPE ");
    raw_str(e, name);
    hs_expo_raw(e, " ", 1);
    raw_str(e, type);
    hs_expo_raw(e, "\n", 1);
}

static void series(hs_expo *e, const char *name, const char *suffix, const char *const *labels,
                   const char *le)
{
    raw_str(e, name);
    if (suffix)
        raw_str(e, suffix);
    bool any = false;
    for (size_t i = 0; labels && labels[i]; i += 2) {
        hs_expo_raw(e, any ? "," : "{", 1);
        raw_str(e, labels[i]);
        raw_str(e, "=\"");
        escaped(e, labels[i + 1] ? labels[i + 1] : "", true);
        hs_expo_raw(e, "\"", 1);
        any = true;
    }
    if (le) {
        raw_str(e, any ? ",le=\"" : "{le=\"");
        raw_str(e, le);
        hs_expo_raw(e, "\"", 1);
        any = true;
    }
    if (any)
        hs_expo_raw(e, "}", 1);
    hs_expo_raw(e, " ", 1);
}

void hs_expo_u64(hs_expo *e, const char *name, const char *const *labels, uint64_t v)
{
    series(e, name, NULL, labels, NULL);
    hs_expo_printf(e, "%llu\n", (unsigned long long)v);
}

void hs_expo_i64(hs_expo *e, const char *name, const char *const *labels, int64_t v)
{
    series(e, name, NULL, labels, NULL);
    hs_expo_printf(e, "%lld\n", (long long)v);
}

void hs_expo_double(hs_expo *e, const char *name, const char *const *labels, double v)
{
    series(e, name, NULL, labels, NULL);
    hs_expo_printf(e, "%.17g\n", v);
}

void hs_expo_hist(hs_expo *e, const char *name, const char *const *labels, const hs_stats_hist *h)
{
    uint64_t cum = 0;
    for (unsigned i = 0; i < HS_STATS_NBUCKETS; i++) {
        cum += h->bucket[i];
        series(e, name, "_bucket", labels, hs_hist_bounds_text[i]);
        hs_expo_printf(e, "%llu\n", (unsigned long long)cum);
    }
    series(e, name, "_sum", labels, NULL);
    hs_expo_printf(e, "%llu.%06llu\n", (unsigned long long)(h->sum_usec / 1000000),
                   (unsigned long long)(h->sum_usec % 1000000));
    series(e, name, "_count", labels, NULL);
    hs_expo_printf(e, "%llu\n", (unsigned long long)cum);
}

double hs_hist_quantile(const hs_stats_hist *h, double q)
{
    uint64_t total = 0;
    for (unsigned i = 0; i < HS_STATS_NBUCKETS; i++)
        total += h->bucket[i];
    if (total == 0)
        return -1;
    double rank = q * (double)total, cum = 0;
    for (unsigned i = 0; i < HS_STATS_NBUCKETS; i++) {
        double next = cum + (double)h->bucket[i];
        if (next >= rank && h->bucket[i]) {
            if (i == HS_STATS_NBUCKETS - 1)
                return (double)hs_hist_bounds_usec[i - 1] / 1e6;
            double lo = i ? (double)hs_hist_bounds_usec[i - 1] : 0, hi = (double)hs_hist_bounds_usec[i];
            return (lo + (hi - lo) * (rank - cum) / (double)h->bucket[i]) / 1e6;
        }
        cum = next;
    }
    return (double)hs_hist_bounds_usec[HS_STATS_NBUCKETS - 2] / 1e6;
}
