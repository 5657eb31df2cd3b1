/* limit_req over the fleet, local-first. Each worker counts, per key of a
 * synced zone, the requests it accepted (a small table of its own); every
 * sync_interval it publishes them on PREFIX:events as
 *   lr ZONE ORIGIN SENT_MS HEXKEY:N HEXKEY:N ...
 * and forgets them. The leader of every other instance adds those N to the
 * key's bucket in its zone (hs_limit_req_add), as if the requests had come
 * there. Decisions never wait for Redis; the fleet's error bound follows
 * from the interval (README "Running a fleet"). While Redis is down the
 * counts are not kept: they would be stale when it comes back. */
#include <stdio.h>
#include <stdlib.h>

#include "core/clock.h"
#include "sync/fleet.h"

#define SLOTS 4096        /* keys per worker and interval */
#define KEY_MAX 64        /* longer keys are not shared */
#define MSG_MAX 32768     /* one message; more keys: more messages */

typedef struct {
    hs_edge_zone *z;      /* NULL: free slot */
    uint32_t n;
    uint8_t klen;
    uint8_t key[KEY_MAX];
} slot;

typedef struct {
    slot s[SLOTS];
    uint32_t used;
} table;

static uint32_t hash(const hs_edge_zone *z, hs_str key)
{
    uint32_t h = 2166136261u ^ (uint32_t)(uintptr_t)z;
    for (size_t i = 0; i < key.n; i++)
        h = (h ^ (uint8_t)key.p[i]) * 16777619u;
    return h;
}

void hs_sync_limit_counted(hs_edge_zone *z, hs_str key)
{
    hs_fleet *f = z->sync;
    if (f == NULL || key.n > KEY_MAX || !f->cmd.up)
        return;
    if (f->counts == NULL && (f->counts = calloc(1, sizeof(table))) == NULL)
        return;
    table *t = f->counts;
    uint32_t h = hash(z, key);
    for (uint32_t probe = 0; probe < 32; probe++) {
        slot *s = &t->s[(h + probe) % SLOTS];
        if (s->z == NULL) {
            if (t->used >= SLOTS * 3 / 4)
                break;
            s->z = z;
            s->klen = (uint8_t)key.n;
            memcpy(s->key, key.p, key.n);
            s->n = 1;
            t->used++;
            return;
        }
        if (s->z == z && s->klen == key.n && memcmp(s->key, key.p, key.n) == 0) {
            s->n++;
            return;
        }
    }
    hs_sync_count_dropped(1); /* this interval saw too many keys */
}

static void publish(hs_fleet *f, const char *text, size_t n)
{
    const char *argv[] = {"PUBLISH", f->channel, text};
    size_t lens[] = {7, strlen(f->channel), n};
    hs_sync_send(&f->cmd, 3, argv, lens, false, NULL, NULL);
}

static void flush_zone(hs_fleet *f, table *t, hs_edge_zone *z, char *msg)
{
    static const char hex[] = "0123456789abcdef";
    int head = snprintf(msg, MSG_MAX, "lr %s %s %llu", z->name.p, hs_sync_origin, (unsigned long long)hs_now.msec);
    size_t n = (size_t)head;
    for (uint32_t i = 0; i < SLOTS; i++) {
        slot *s = &t->s[i];
        if (s->z != z)
            continue;
        if (n + 2 * KEY_MAX + 16 > MSG_MAX) {
            publish(f, msg, n);
            n = (size_t)head;
        }
        msg[n++] = ' ';
        for (size_t k = 0; k < s->klen; k++) {
            msg[n++] = hex[s->key[k] >> 4];
            msg[n++] = hex[s->key[k] & 15];
        }
        n += (size_t)snprintf(msg + n, MSG_MAX - n, ":%u", s->n);
    }
    if (n > (size_t)head)
        publish(f, msg, n);
}

void hs_sync_limit_flush(hs_fleet *f)
{
    table *t = f->counts;
    if (t == NULL || t->used == 0)
        return;
    static char msg[MSG_MAX];
    for (uint32_t i = 0; i < SLOTS && f->cmd.up; i++) {
        hs_edge_zone *z = t->s[i].z;
        if (z && z->sync == f && t->s[i].n) {
            flush_zone(f, t, z, msg);
            for (uint32_t k = i; k < SLOTS; k++) /* done with z */
                if (t->s[k].z == z)
                    t->s[k].n = 0;
        }
    }
    memset(t, 0, sizeof(*t));
}

static int unhex(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* One HEXKEY:N of another instance. */
static void apply_one(hs_edge_zone *z, const char *item)
{
    uint8_t key[KEY_MAX];
    size_t n = 0;
    const char *p = item;
    for (; p[0] && p[0] != ':' && n < KEY_MAX; p += 2, n++) {
        int hi = unhex(p[0]), lo = p[1] ? unhex(p[1]) : -1;
        if (hi < 0 || lo < 0)
            return;
        key[n] = (uint8_t)(hi << 4 | lo);
    }
    char *end;
    if (p[0] != ':' || n == 0)
        return;
    unsigned long count = strtoul(p + 1, &end, 10);
    if (*end == '\0' && count > 0)
        hs_limit_req_add(z, (hs_str){(const char *)key, n}, count, hs_now.mono_msec);
}

void hs_sync_limit_apply(hs_fleet *f, char *msg, size_t len)
{
    (void)len;
    char *save = NULL;
    strtok_r(msg, " ", &save);
    char *zone = strtok_r(NULL, " ", &save), *origin = strtok_r(NULL, " ", &save);
    if (zone == NULL || origin == NULL || strtok_r(NULL, " ", &save) == NULL || strcmp(origin, hs_sync_origin) == 0)
        return; /* our own counts are in our zone already */
    hs_edge_zone *z = hs_sync_zone(f, HS_ZONE_LIMIT_REQ, zone, strlen(zone));
    if (z == NULL)
        return;
    for (char *item; (item = strtok_r(NULL, " ", &save)) != NULL;)
        apply_one(z, item);
}
