/* A string-keyed hash map (open addressing, linear probing). Keys are copied
 * into the map's own memory; values are opaque pointers. Used for lookups
 * built at configuration time (mime types, exact server names) and for
 * caches (file cache) that delete too. */
#ifndef HS_CORE_HASH_H
#define HS_CORE_HASH_H

#include "core/str.h"

typedef struct hs_hash_slot hs_hash_slot;

typedef struct {
    hs_hash_slot *slots; /* cap entries */
    size_t cap;          /* power of two */
    size_t used;         /* live entries */
    size_t tombs;        /* deleted slots still probed through */
} hs_hash;

uint64_t hs_hash_bytes(const void *p, size_t n);
void hs_hash_init(hs_hash *h);
void hs_hash_free(hs_hash *h);
/* Inserts or replaces; HS_OK or HS_ERROR (out of memory). */
int hs_hash_put(hs_hash *h, hs_str key, void *value);
void *hs_hash_get(const hs_hash *h, hs_str key);
/* Case-insensitive variant for ASCII keys (all keys must then be stored lowercase). */
void *hs_hash_get_lower(const hs_hash *h, hs_str key);
void *hs_hash_del(hs_hash *h, hs_str key);
/* Calls fn on every value (before hs_hash_free, when values are owned). */
void hs_hash_release_values(hs_hash *h, void (*fn)(void *));

#endif
