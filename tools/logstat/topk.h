/* A counting table with a cap on distinct keys.  When a new key arrives at a
 * full table, the lighter half of the keys (by counter 0) is folded into an
 * "others" bucket, so memory stays bounded while heavy hitters, which keep
 * coming back, stay exact or nearly so.  Totals always add up: what a key
 * loses goes to others. */
#ifndef LS_TOPK_H
#define LS_TOPK_H

#include <stdbool.h>
#include <stdint.h>

#include "core/str.h"

#define LS_TK_COUNTERS 5
#define LS_TK_MAX_KEY 1024 /* longer keys are cut to this many bytes */

#define LS_TK_INLINE 24 /* keys shorter than this live in the entry itself */

typedef struct {
    char *key;                    /* NUL-terminated: inline, or an owned copy */
    uint32_t keylen;
    uint64_t hash;
    uint64_t c[LS_TK_COUNTERS];   /* caller's counters; c[0] ranks eviction */
    int64_t t_first, t_last;      /* caller's times (0 when new) */
    bool partial;                 /* a key that may have been folded away before:
                                   * its counters miss what was folded */
    void *ext;                    /* caller's per-key data, freed with the key */
    char inline_key[LS_TK_INLINE]; /* short keys (addresses): one cache miss less */
} ls_tk_entry;

typedef struct {
    uint32_t *slots;              /* open addressing: entry index + 1, 0 = free */
    size_t nslots;                /* a power of two, at least twice n */
    ls_tk_entry *entries;         /* dense array of the kept keys */
    size_t n, alloc, cap;         /* in use, allocated, the cap */
    uint64_t others[LS_TK_COUNTERS]; /* counters of keys folded away */
    uint64_t others_keys;         /* how many keys were folded away */
    void (*free_ext)(void *ext);  /* how to free ext, or NULL */
    uint64_t *folded;             /* Bloom filter of folded keys (after a fold) */
} ls_topk;

void ls_topk_init(ls_topk *t, size_t cap, void (*free_ext)(void *));
void ls_topk_free(ls_topk *t);

/* The entry for key, created with zero counters if new (which may fold the
 * lighter half away first).  The pointer is valid until the next call. */
ls_tk_entry *ls_topk_get(ls_topk *t, hs_str key);

/* Fills out with pointers to up to max entries, ranked by counter `by`
 * descending (ties by key), skipping entries whose counter is 0.  Returns
 * how many were written. */
size_t ls_topk_top(const ls_topk *t, int by, const ls_tk_entry **out, size_t max);

/* A fast 64-bit hash of a byte string (not for adversarial-proof tables:
 * a log analyzer's keys are not chosen to collide with it). */
uint64_t ls_hash(const char *p, size_t n);

#endif
