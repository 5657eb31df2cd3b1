#include "core/hash.h"

#include <stdlib.h>

struct hs_hash_slot {
    char *key;       /* owned copy, NULL if empty; TOMB if deleted */
    size_t keylen;   /* its length */
    uint64_t hash;   /* full hash of the key */
    void *value;     /* caller's pointer */
};

static char tomb_marker;
#define TOMB (&tomb_marker)

uint64_t hs_hash_bytes(const void *p, size_t n)
{
    /* FNV-1a: short keys, configuration-sized tables. */
    const unsigned char *s = p;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

void hs_hash_init(hs_hash *h) { memset(h, 0, sizeof(*h)); }

void hs_hash_free(hs_hash *h)
{
    for (size_t i = 0; i < h->cap; i++)
        if (h->slots[i].key && h->slots[i].key != TOMB)
            free(h->slots[i].key);
    free(h->slots);
    memset(h, 0, sizeof(*h));
}

static hs_hash_slot *find_slot(const hs_hash *h, hs_str key, uint64_t hv)
{
    if (h->cap == 0)
        return NULL;
    size_t mask = h->cap - 1;
    for (size_t i = hv & mask;; i = (i + 1) & mask) {
        hs_hash_slot *s = &h->slots[i];
        if (s->key == NULL)
            return NULL;
        if (s->key != TOMB && s->hash == hv && s->keylen == key.n && memcmp(s->key, key.p, key.n) == 0)
            return s;
    }
}

static int grow(hs_hash *h)
{
    size_t cap = h->cap ? h->cap * 2 : 16;
    hs_hash_slot *slots = calloc(cap, sizeof(*slots));
    if (slots == NULL)
        return HS_ERROR;
    for (size_t i = 0; i < h->cap; i++) {
        hs_hash_slot *o = &h->slots[i];
        if (o->key == NULL || o->key == TOMB)
            continue;
        size_t j = o->hash & (cap - 1);
        while (slots[j].key)
            j = (j + 1) & (cap - 1);
        slots[j] = *o;
    }
    free(h->slots);
    h->slots = slots;
    h->cap = cap;
    h->tombs = 0;
    return HS_OK;
}

int hs_hash_put(hs_hash *h, hs_str key, void *value)
{
    uint64_t hv = hs_hash_bytes(key.p, key.n);
    hs_hash_slot *s = find_slot(h, key, hv);
    if (s) {
        s->value = value;
        return HS_OK;
    }
    if ((h->used + h->tombs + 1) * 4 >= h->cap * 3 && grow(h) != HS_OK)
        return HS_ERROR;
    char *k = malloc(key.n + 1);
    if (k == NULL)
        return HS_ERROR;
    memcpy(k, key.p, key.n);
    k[key.n] = '\0';
    size_t mask = h->cap - 1;
    size_t i = hv & mask;
    while (h->slots[i].key && h->slots[i].key != TOMB)
        i = (i + 1) & mask;
    if (h->slots[i].key == TOMB)
        h->tombs--;
    h->slots[i] = (hs_hash_slot){k, key.n, hv, value};
    h->used++;
    return HS_OK;
}

void *hs_hash_get(const hs_hash *h, hs_str key)
{
    hs_hash_slot *s = find_slot(h, key, hs_hash_bytes(key.p, key.n));
    return s ? s->value : NULL;
}

void *hs_hash_get_lower(const hs_hash *h, hs_str key)
{
    char buf[256];
    if (key.n > sizeof(buf))
        return NULL;
    for (size_t i = 0; i < key.n; i++)
        buf[i] = hs_lower(key.p[i]);
    return hs_hash_get(h, (hs_str){buf, key.n});
}

void *hs_hash_del(hs_hash *h, hs_str key)
{
    hs_hash_slot *s = find_slot(h, key, hs_hash_bytes(key.p, key.n));
    if (s == NULL)
        return NULL;
    void *v = s->value;
    free(s->key);
    s->key = TOMB;
    s->value = NULL;
    h->used--;
    h->tombs++;
    return v;
}

void hs_hash_release_values(hs_hash *h, void (*fn)(void *))
{
    for (size_t i = 0; i < h->cap; i++)
        if (h->slots[i].key && h->slots[i].key != TOMB && h->slots[i].value)
            fn(h->slots[i].value);
}
