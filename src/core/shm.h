/* Shared-memory zones: one mapping per zone, created by the master before
 * the workers fork, so every worker sees the same bytes. A zone holds a
 * fixed-size-entry table (hash + LRU), bounded by the configured size: when
 * it is full the least recently used entry is reused. A spinlock in the zone
 * serialises access across processes; critical sections are a few hundred
 * nanoseconds (one lookup and an update).
 *
 * Everything inside a zone is addressed by index, never by pointer, so
 * another process (hush -s bans) can map the same memory anywhere. Zones are
 * memfd-backed ("hush:NAME"), which lets that process find them through
 * /proc/MASTER/fd. */
#ifndef HS_CORE_SHM_H
#define HS_CORE_SHM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"

#define HS_SHM_KEY_MAX 24     /* keys longer than this are stored as a 128-bit digest */
#define HS_SHM_NAME_MAX 32
#define HS_SHM_MIN_SIZE 16384

typedef struct hs_shm_zone hs_shm_zone;

/* Creates a zone of size bytes whose entries carry val_size bytes of value;
 * kind tags what the zone is for (reuse on reload checks it). Returns NULL
 * and writes err on failure. */
hs_shm_zone *hs_shm_create(const char *name, size_t size, uint32_t kind, size_t val_size, char *err,
                           size_t errlen);
void hs_shm_destroy(hs_shm_zone *z);

/* The zones one module made in the master, kept across reloads while a
 * configuration uses them. */
#define HS_SHM_SET_MAX 64
typedef struct {
    hs_shm_zone *zones[HS_SHM_SET_MAX];
    size_t n;
} hs_shm_set;
/* hs_shm_create into the set; a full set is an error ("too many WHAT zones"). */
hs_shm_zone *hs_shm_set_create(hs_shm_set *s, const char *what, const char *name, size_t size, uint32_t kind,
                               size_t val_size, char *err, size_t errlen);
/* Destroys the zones of s that neither configuration uses (uses(cfg, z);
 * either may be NULL), once the new one is in place. */
void hs_shm_set_sweep(hs_shm_set *s, bool (*uses)(const void *cfg, const hs_shm_zone *z), const void *conf,
                      const void *old);
/* Maps an existing zone read-only from its memfd (inspection); NULL if fd is
 * not a hush zone. Unmap with hs_shm_unmap. */
hs_shm_zone *hs_shm_map_fd(int fd);
void hs_shm_unmap(hs_shm_zone *z);

const char *hs_shm_name(const hs_shm_zone *z);
uint32_t hs_shm_kind(const hs_shm_zone *z);
size_t hs_shm_size(const hs_shm_zone *z);
uint32_t hs_shm_capacity(const hs_shm_zone *z);
uint32_t hs_shm_used(const hs_shm_zone *z);
uint64_t hs_shm_evictions(const hs_shm_zone *z);

void hs_shm_lock(hs_shm_zone *z);
void hs_shm_unlock(hs_shm_zone *z);

/* With the lock held: the value of key, or NULL. With create, a missing key
 * gets a zeroed value (evicting the least recently used entry if the zone is
 * full) and *created is set. A found entry becomes the most recently used. */
void *hs_shm_get(hs_shm_zone *z, hs_str key, int create, int *created);
/* With the lock held: removes the entry whose value is val. */
void hs_shm_del(hs_shm_zone *z, void *val);
/* Calls fn for every entry (lock held by the caller, or a read-only map).
 * key is the stored key (a digest for long keys: klen is then 0). */
void hs_shm_each(hs_shm_zone *z, void (*fn)(void *arg, const uint8_t *key, size_t klen, void *val),
                 void *arg);

#endif
