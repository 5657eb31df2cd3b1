/* The capped counting table. */
#include "topk.h"

#include <stdlib.h>

#include "bytes.h"
#include "mem.h"

uint64_t ls_hash(const char *p, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xff51afd7ed558ccdull);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
        p += 8;
        n -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, p, n);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 29);
}

void ls_topk_init(ls_topk *t, size_t cap, void (*free_ext)(void *))
{
    memset(t, 0, sizeof(*t));
    t->cap = cap < 2 ? 2 : cap;
    t->free_ext = free_ext;
    t->nslots = 64;
    t->slots = ls_xcalloc(t->nslots, sizeof(uint32_t));
}

static void drop_entry(ls_topk *t, ls_tk_entry *e)
{
    if (e->key != e->inline_key)
        free(e->key);
    if (e->ext && t->free_ext)
        t->free_ext(e->ext);
}

void ls_topk_free(ls_topk *t)
{
    for (size_t i = 0; i < t->n; i++)
        drop_entry(t, &t->entries[i]);
    free(t->entries);
    free(t->slots);
    free(t->folded);
    memset(t, 0, sizeof(*t));
}

static void rebuild_slots(ls_topk *t, size_t nslots)
{
    free(t->slots);
    t->nslots = nslots;
    t->slots = ls_xcalloc(nslots, sizeof(uint32_t));
    size_t mask = nslots - 1;
    for (size_t i = 0; i < t->n; i++) {
        size_t s = t->entries[i].hash & mask;
        while (t->slots[s])
            s = (s + 1) & mask;
        t->slots[s] = (uint32_t)(i + 1);
    }
}

/* Inline keys move with their entries (realloc, sort): point them home. */
static void fix_inline_keys(ls_topk *t)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->entries[i].keylen < LS_TK_INLINE)
            t->entries[i].key = t->entries[i].inline_key;
}

static int by_weight_desc(const void *a, const void *b)
{
    const ls_tk_entry *x = a, *y = b;
    return x->c[0] < y->c[0] ? 1 : x->c[0] > y->c[0] ? -1 : 0;
}

/* A Bloom filter of the folded keys (2^21 bits, two probes from the key's
 * hash), so that a key coming back is known to have lost counts.  False
 * positives only mark a key partial that was not: the safe side. */
#define FOLD_BITS (1u << 21)

static void fold_mark(ls_topk *t, uint64_t h)
{
    if (!t->folded)
        t->folded = ls_xcalloc(FOLD_BITS / 64, sizeof(uint64_t));
    uint32_t a = (uint32_t)h & (FOLD_BITS - 1), b = (uint32_t)(h >> 40) & (FOLD_BITS - 1);
    t->folded[a / 64] |= 1ull << (a % 64);
    t->folded[b / 64] |= 1ull << (b % 64);
}

static bool fold_seen(const ls_topk *t, uint64_t h)
{
    if (!t->folded)
        return false;
    uint32_t a = (uint32_t)h & (FOLD_BITS - 1), b = (uint32_t)(h >> 40) & (FOLD_BITS - 1);
    return (t->folded[a / 64] >> (a % 64) & 1) && (t->folded[b / 64] >> (b % 64) & 1);
}

/* Keeps the heavier half.  Amortised O(1) per new key: a fold costs
 * O(cap log cap) and happens once per cap/2 new keys. */
static void fold_lighter_half(ls_topk *t)
{
    qsort(t->entries, t->n, sizeof(ls_tk_entry), by_weight_desc);
    fix_inline_keys(t);
    size_t keep = t->cap / 2;
    for (size_t i = keep; i < t->n; i++) {
        for (int k = 0; k < LS_TK_COUNTERS; k++)
            t->others[k] += t->entries[i].c[k];
        t->others_keys++;
        fold_mark(t, t->entries[i].hash);
        drop_entry(t, &t->entries[i]);
    }
    t->n = keep;
    rebuild_slots(t, t->nslots);
}

static ls_tk_entry *insert(ls_topk *t, hs_str key, uint64_t h)
{
    if (t->n == t->cap)
        fold_lighter_half(t);
    if (t->n == t->alloc) {
        t->alloc = t->alloc ? t->alloc * 2 : 64;
        if (t->alloc > t->cap)
            t->alloc = t->cap;
        t->entries = ls_xrealloc(t->entries, t->alloc * sizeof(ls_tk_entry));
        fix_inline_keys(t);
    }
    if ((t->n + 1) * 2 > t->nslots)
        rebuild_slots(t, t->nslots * 2);
    ls_tk_entry *e = &t->entries[t->n++];
    memset(e, 0, sizeof(*e));
    if (key.n < LS_TK_INLINE) {
        memcpy(e->inline_key, key.p, key.n);
        e->inline_key[key.n] = '\0';
        e->key = e->inline_key;
    } else {
        e->key = ls_xstrndup(key.p, key.n);
    }
    e->keylen = (uint32_t)key.n;
    e->hash = h;
    e->partial = fold_seen(t, h);
    size_t mask = t->nslots - 1, s = h & mask;
    while (t->slots[s])
        s = (s + 1) & mask;
    t->slots[s] = (uint32_t)t->n;
    return e;
}

ls_tk_entry *ls_topk_get(ls_topk *t, hs_str key)
{
    if (key.n > LS_TK_MAX_KEY)
        key.n = LS_TK_MAX_KEY;
    uint64_t h = ls_hash(key.p, key.n);
    size_t mask = t->nslots - 1;
    for (size_t s = h & mask; t->slots[s]; s = (s + 1) & mask) {
        ls_tk_entry *e = &t->entries[t->slots[s] - 1];
        if (e->hash == h && e->keylen == key.n && ls_bytes_eq(e->key, key.p, key.n))
            return e;
    }
    return insert(t, key, h);
}

static int by_counter_desc(const void *a, const void *b, void *arg)
{
    const ls_tk_entry *x = *(const ls_tk_entry *const *)a, *y = *(const ls_tk_entry *const *)b;
    int k = *(const int *)arg;
    if (x->c[k] != y->c[k])
        return x->c[k] < y->c[k] ? 1 : -1;
    return strcmp(x->key, y->key);
}

size_t ls_topk_top(const ls_topk *t, int by, const ls_tk_entry **out, size_t max)
{
    const ls_tk_entry **all = ls_xmalloc((t->n + 1) * sizeof(*all));
    size_t m = 0;
    for (size_t i = 0; i < t->n; i++)
        if (t->entries[i].c[by])
            all[m++] = &t->entries[i];
    qsort_r(all, m, sizeof(*all), by_counter_desc, &by);
    if (m > max)
        m = max;
    memcpy(out, all, m * sizeof(*all));
    free(all);
    return m;
}
