#include "core/shm.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/hash.h"

#define SHM_MAGIC 0x68757368u /* "hush" */
#define NIL 0u                /* index 0 means none: entries are numbered from 1 */
#define KLEN_DIGEST 0xffu     /* klen of a key stored as a digest */

/* One entry; its value follows, 8-byte aligned. */
typedef struct {
    uint32_t hnext;               /* next in the hash chain */
    uint32_t prev, next;          /* LRU list: head = most recent */
    uint32_t hash;                /* of the stored key */
    uint8_t klen;                 /* key length, or KLEN_DIGEST */
    uint8_t in_use;               /* 0 on the free list */
    uint8_t key[HS_SHM_KEY_MAX];  /* the key or its digest */
    uint8_t pad[2];
} entry;

struct hs_shm_zone {
    uint32_t magic;
    volatile uint32_t lock;       /* 0 free, 1 held */
    char name[HS_SHM_NAME_MAX];   /* zone=NAME */
    uint32_t kind;                /* what it is for */
    uint32_t val_size;            /* value bytes per entry */
    uint32_t entry_size;          /* header + value, rounded up */
    uint32_t capacity;            /* entries */
    uint32_t nbuckets;            /* power of two */
    uint32_t used;                /* live entries */
    uint32_t free_head;           /* free list through hnext */
    uint32_t lru_head, lru_tail;  /* most and least recently used */
    uint64_t size;                /* mapping size */
    uint64_t evictions;           /* entries reused while full */
    uint64_t buckets_off;         /* offsets from the zone start */
    uint64_t entries_off;
    int fd;                       /* memfd in the master, -1 otherwise */
};

static uint32_t *buckets(hs_shm_zone *z) { return (uint32_t *)((char *)z + z->buckets_off); }

static entry *ent(hs_shm_zone *z, uint32_t i)
{
    return (entry *)((char *)z + z->entries_off + (size_t)(i - 1) * z->entry_size);
}

/* Values start 8-byte aligned after the header (entry sizes are multiples of 8). */
#define VAL_OFF ((sizeof(entry) + 7) & ~(size_t)7)

static void *val_of(entry *e) { return (char *)e + VAL_OFF; }

static uint32_t idx_of(hs_shm_zone *z, void *val)
{
    char *e = (char *)val - VAL_OFF;
    return (uint32_t)((size_t)(e - ((char *)z + z->entries_off)) / z->entry_size) + 1;
}

static void layout(hs_shm_zone *z, size_t size, size_t val_size)
{
    z->val_size = (uint32_t)val_size;
    z->entry_size = (uint32_t)((VAL_OFF + val_size + 7) & ~(size_t)7);
    size_t room = size - sizeof(*z) - 64;
    /* about one bucket per entry: 4 bytes each */
    uint32_t cap = (uint32_t)(room / (z->entry_size + 4));
    uint32_t nb = 1;
    while (nb < cap)
        nb <<= 1;
    while ((size_t)nb * 4 + (size_t)cap * z->entry_size > room)
        cap--;
    z->capacity = cap;
    z->nbuckets = nb;
    z->buckets_off = (sizeof(*z) + 63) & ~(uint64_t)63;
    z->entries_off = (z->buckets_off + (uint64_t)nb * 4 + 63) & ~(uint64_t)63;
    z->free_head = cap ? 1 : NIL;
    for (uint32_t i = 1; i <= cap; i++)
        ent(z, i)->hnext = i < cap ? i + 1 : NIL;
}

hs_shm_zone *hs_shm_create(const char *name, size_t size, uint32_t kind, size_t val_size, char *err,
                           size_t errlen)
{
    if (size < HS_SHM_MIN_SIZE) {
        snprintf(err, errlen, "zone \"%s\" is too small (at least %dk)", name, HS_SHM_MIN_SIZE / 1024);
        return NULL;
    }
    char mname[64];
    snprintf(mname, sizeof(mname), "hush:%s", name);
    int fd = memfd_create(mname, MFD_CLOEXEC);
    void *p = MAP_FAILED;
    if (fd >= 0 && ftruncate(fd, (off_t)size) == 0)
        p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        /* no memfd: an anonymous shared mapping works as well, only not inspectable */
        if (fd >= 0)
            close(fd);
        fd = -1;
        p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    }
    if (p == MAP_FAILED) {
        snprintf(err, errlen, "mmap(%zu) for zone \"%s\" failed: %s", size, name, strerror(errno));
        return NULL;
    }
    hs_shm_zone *z = p;
    memset(z, 0, sizeof(*z));
    snprintf(z->name, sizeof(z->name), "%s", name);
    z->kind = kind;
    z->size = size;
    z->fd = fd;
    layout(z, size, val_size);
    z->magic = SHM_MAGIC;
    return z;
}

void hs_shm_destroy(hs_shm_zone *z)
{
    if (z == NULL)
        return;
    int fd = z->fd;
    munmap(z, z->size);
    if (fd >= 0)
        close(fd);
}

hs_shm_zone *hs_shm_set_create(hs_shm_set *s, const char *what, const char *name, size_t size, uint32_t kind,
                               size_t val_size, char *err, size_t errlen)
{
    if (s->n == HS_SHM_SET_MAX) {
        snprintf(err, errlen, "too many %s zones (at most %d)", what, HS_SHM_SET_MAX);
        return NULL;
    }
    hs_shm_zone *z = hs_shm_create(name, size, kind, val_size, err, errlen);
    if (z)
        s->zones[s->n++] = z;
    return z;
}

void hs_shm_set_sweep(hs_shm_set *s, bool (*uses)(const void *cfg, const hs_shm_zone *z), const void *conf,
                      const void *old)
{
    for (size_t i = 0; i < s->n;) {
        if (uses(conf, s->zones[i]) || uses(old, s->zones[i])) {
            i++;
            continue;
        }
        hs_shm_destroy(s->zones[i]);
        s->zones[i] = s->zones[--s->n];
    }
}

hs_shm_zone *hs_shm_map_fd(int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || (size_t)st.st_size < sizeof(hs_shm_zone))
        return NULL;
    hs_shm_zone *z = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    if (z == MAP_FAILED)
        return NULL;
    if (z->magic != SHM_MAGIC || z->size != (uint64_t)st.st_size) {
        munmap(z, (size_t)st.st_size);
        return NULL;
    }
    return z;
}

void hs_shm_unmap(hs_shm_zone *z) { munmap(z, z->size); }

const char *hs_shm_name(const hs_shm_zone *z) { return z->name; }
uint32_t hs_shm_kind(const hs_shm_zone *z) { return z->kind; }
size_t hs_shm_size(const hs_shm_zone *z) { return z->size; }
uint32_t hs_shm_capacity(const hs_shm_zone *z) { return z->capacity; }
uint32_t hs_shm_used(const hs_shm_zone *z) { return z->used; }
uint64_t hs_shm_evictions(const hs_shm_zone *z) { return z->evictions; }

void hs_shm_lock(hs_shm_zone *z)
{
    for (unsigned spins = 0;; spins++) {
        if (__atomic_exchange_n(&z->lock, 1, __ATOMIC_ACQUIRE) == 0)
            return;
        while (__atomic_load_n(&z->lock, __ATOMIC_RELAXED)) {
            if (++spins > 64) {
                sched_yield(); /* the holder may be descheduled (2 cores, many workers) */
                spins = 0;
            } else {
                __builtin_ia32_pause();
            }
        }
    }
}

void hs_shm_unlock(hs_shm_zone *z) { __atomic_store_n(&z->lock, 0, __ATOMIC_RELEASE); }

/* The stored form of a key: itself, or a 128-bit digest of a long key. */
static size_t store_key(hs_str key, uint8_t out[HS_SHM_KEY_MAX], uint8_t *klen)
{
    if (key.n <= HS_SHM_KEY_MAX) {
        memcpy(out, key.p, key.n);
        *klen = (uint8_t)key.n;
        return key.n;
    }
    uint64_t h1 = hs_hash_bytes(key.p, key.n);
    uint64_t h2 = hs_hash_bytes(key.p + 1, key.n - 1) ^ (uint64_t)key.n * 0x9e3779b97f4a7c15ull;
    memcpy(out, &h1, 8);
    memcpy(out + 8, &h2, 8);
    *klen = KLEN_DIGEST;
    return 16;
}

static void lru_unlink(hs_shm_zone *z, uint32_t i)
{
    entry *e = ent(z, i);
    if (e->prev)
        ent(z, e->prev)->next = e->next;
    else
        z->lru_head = e->next;
    if (e->next)
        ent(z, e->next)->prev = e->prev;
    else
        z->lru_tail = e->prev;
    e->prev = e->next = NIL;
}

static void lru_push_head(hs_shm_zone *z, uint32_t i)
{
    entry *e = ent(z, i);
    e->prev = NIL;
    e->next = z->lru_head;
    if (z->lru_head)
        ent(z, z->lru_head)->prev = i;
    z->lru_head = i;
    if (z->lru_tail == NIL)
        z->lru_tail = i;
}

static void chain_unlink(hs_shm_zone *z, uint32_t i)
{
    entry *e = ent(z, i);
    uint32_t *slot = &buckets(z)[e->hash & (z->nbuckets - 1)];
    while (*slot && *slot != i)
        slot = &ent(z, *slot)->hnext;
    if (*slot == i)
        *slot = e->hnext;
}

static void remove_entry(hs_shm_zone *z, uint32_t i)
{
    entry *e = ent(z, i);
    chain_unlink(z, i);
    lru_unlink(z, i);
    e->in_use = 0;
    e->hnext = z->free_head;
    z->free_head = i;
    z->used--;
}

void *hs_shm_get(hs_shm_zone *z, hs_str key, int create, int *created)
{
    uint8_t k[HS_SHM_KEY_MAX], klen;
    size_t kn = store_key(key, k, &klen);
    uint32_t h = (uint32_t)hs_hash_bytes(k, kn);
    if (created)
        *created = 0;
    for (uint32_t i = buckets(z)[h & (z->nbuckets - 1)]; i; i = ent(z, i)->hnext) {
        entry *e = ent(z, i);
        if (e->hash == h && e->klen == klen && memcmp(e->key, k, kn) == 0) {
            if (z->lru_head != i) {
                lru_unlink(z, i);
                lru_push_head(z, i);
            }
            return val_of(e);
        }
    }
    if (!create || z->capacity == 0)
        return NULL;
    if (z->free_head == NIL) {
        remove_entry(z, z->lru_tail);
        z->evictions++;
    }
    uint32_t i = z->free_head;
    entry *e = ent(z, i);
    z->free_head = e->hnext;
    e->hash = h;
    e->klen = klen;
    e->in_use = 1;
    memcpy(e->key, k, kn);
    memset(val_of(e), 0, z->val_size);
    uint32_t *b = &buckets(z)[h & (z->nbuckets - 1)];
    e->hnext = *b;
    *b = i;
    lru_push_head(z, i);
    z->used++;
    if (created)
        *created = 1;
    return val_of(e);
}

void hs_shm_del(hs_shm_zone *z, void *val) { remove_entry(z, idx_of(z, val)); }

void hs_shm_each(hs_shm_zone *z, void (*fn)(void *arg, const uint8_t *key, size_t klen, void *val),
                 void *arg)
{
    for (uint32_t i = z->lru_head, n = 0; i && i <= z->capacity && n < z->capacity; i = ent(z, i)->next, n++) {
        entry *e = ent(z, i);
        fn(arg, e->key, e->klen == KLEN_DIGEST ? 0 : e->klen, val_of(e));
    }
}
