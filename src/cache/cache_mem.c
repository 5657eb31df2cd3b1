/* Small cache files kept in the worker's memory, so that a hit on one
 * costs no open, read and close (as the static module's small files): a
 * direct-mapped table by the key's md5, each slot the whole file as read
 * from disk and the generation the zone gave that file. A slot answers only
 * for the generation the zone's entry has now: a new store, a forgotten
 * file or a removed entry gives the key a new one (never reused), so a kept
 * copy is never served after its file changed. Bounded: CACHE_MEM_SLOTS
 * slots of at most CACHE_MEM_MAX bytes. */
#include <stdlib.h>
#include <string.h>

#include "cache/cache_internal.h"

#define CACHE_MEM_SLOTS 256

typedef struct {
    const cache_zone *z;
    uint64_t gen;
    uint8_t md5[16];
    char *data;
    size_t len;
} mem_slot;

static mem_slot slots[CACHE_MEM_SLOTS];

static mem_slot *slot_of(const uint8_t md5[16]) { return &slots[(md5[0] | md5[1] << 8) % CACHE_MEM_SLOTS]; }

const char *hs_cache_mem_get(const cache_zone *z, const uint8_t md5[16], uint64_t gen, size_t *len)
{
    const mem_slot *s = slot_of(md5);
    if (s->data == NULL || s->z != z || s->gen != gen || gen == 0 || memcmp(s->md5, md5, 16) != 0)
        return NULL;
    *len = s->len;
    return s->data;
}

void hs_cache_mem_put(const cache_zone *z, const uint8_t md5[16], uint64_t gen, const char *data, size_t len)
{
    mem_slot *s = slot_of(md5);
    char *copy = len <= CACHE_MEM_MAX ? malloc(len) : NULL;
    if (copy == NULL)
        return;
    free(s->data);
    *s = (mem_slot){.z = z, .gen = gen, .data = memcpy(copy, data, len), .len = len};
    memcpy(s->md5, md5, 16);
}

uint64_t hs_cache_next_gen(cache_zone *z)
{
    cache_totals *t = hs_cache_totals(z);
    return t ? ++t->gen : 0;
}
