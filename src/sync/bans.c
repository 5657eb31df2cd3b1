/* Bans over the fleet. A ban that starts here is written to Redis as
 *   SET PREFIX:ban:ZONE:ADDR "ban ZONE ADDR UNTIL ORIGIN" PX <ms left>
 * and published on PREFIX:events with the same text; the leader of every
 * other instance applies it to its own zone (so its accept phase drops the
 * address), and loads every key at start and after a reconnection. UNTIL
 * is wall-clock ms: the ban ends at the same moment everywhere.
 * "unban ZONE ADDR" on PREFIX:events lifts a ban everywhere. */
#include <arpa/inet.h>
#include <stdio.h>
#include <hiredis/hiredis.h>
#include <stdlib.h>

#include "core/clock.h"
#include "sync/fleet.h"

#define SCAN_COUNT "500"

static void addr_text(hs_str key, char *out, size_t n)
{
    if (!inet_ntop(key.n == 16 ? AF_INET6 : AF_INET, key.p, out, (socklen_t)n))
        snprintf(out, n, "?");
}

void hs_sync_ban_started(hs_edge_zone *z, hs_str key, uint64_t until_ms)
{
    hs_fleet *f = z->sync;
    if (f == NULL || (key.n != 4 && key.n != 16) || until_ms <= hs_now.msec)
        return;
    char addr[INET6_ADDRSTRLEN], text[256], name[HS_SYNC_PREFIX_MAX + 128], px[24];
    addr_text(key, addr, sizeof(addr));
    int tn = snprintf(text, sizeof(text), "ban %s %s %llu %s", z->name.p, addr, (unsigned long long)until_ms,
                      hs_sync_origin);
    int nn = snprintf(name, sizeof(name), "%s:ban:%s:%s", f->prefix, z->name.p, addr);
    int pn = snprintf(px, sizeof(px), "%llu", (unsigned long long)(until_ms - hs_now.msec));
    if (tn >= (int)sizeof(text) || nn >= (int)sizeof(name))
        return;
    /* both kept while Redis is down: the ban still matters when it comes back */
    const char *set[] = {"SET", name, text, "PX", px};
    size_t setl[] = {3, (size_t)nn, (size_t)tn, 2, (size_t)pn};
    hs_sync_send(&f->cmd, 5, set, setl, true, NULL, NULL);
    const char *pub[] = {"PUBLISH", f->channel, text};
    size_t publ[] = {7, strlen(f->channel), (size_t)tn};
    hs_sync_send(&f->cmd, 3, pub, publ, true, NULL, NULL);
}

/* ADDR as a zone key (4 or 16 bytes); false if it is not an address. */
static bool addr_key(const char *addr, char *buf, hs_str *key)
{
    if (inet_pton(AF_INET, addr, buf) == 1) {
        *key = (hs_str){buf, 4};
        return true;
    }
    if (inet_pton(AF_INET6, addr, buf) == 1) {
        *key = (hs_str){buf, 16};
        return true;
    }
    return false;
}

/* "ban ZONE ADDR UNTIL ORIGIN" or "unban ZONE ADDR [...]" (msg is ours to cut). */
void hs_sync_ban_message(hs_fleet *f, char *msg, size_t len, bool loading)
{
    (void)len;
    char *save = NULL, *verb = strtok_r(msg, " ", &save), *zone = strtok_r(NULL, " ", &save);
    char *addr = strtok_r(NULL, " ", &save);
    if (verb == NULL || zone == NULL || addr == NULL)
        return;
    bool unban = strcmp(verb, "unban") == 0;
    if (!unban && strcmp(verb, "ban") != 0)
        return;
    hs_edge_zone *z = hs_sync_zone(f, HS_ZONE_BAN, zone, strlen(zone));
    char buf[16];
    hs_str key;
    if (z == NULL || !addr_key(addr, buf, &key))
        return;
    if (unban) {
        hs_ban_apply(z, key, 0, "");
        return;
    }
    char *until = strtok_r(NULL, " ", &save), *origin = strtok_r(NULL, " ", &save);
    if (until == NULL || origin == NULL || (!loading && strcmp(origin, hs_sync_origin) == 0))
        return; /* ours: the zone has it already */
    char *end;
    uint64_t ms = strtoull(until, &end, 10);
    if (*end == '\0' && ms > hs_now.msec)
        hs_ban_apply(z, key, ms, strcmp(origin, hs_sync_origin) == 0 ? "" : origin);
}

/* ---- loading: SCAN PREFIX:ban:*, then MGET each batch ---- */

static void scan_next(hs_fleet *f, const char *cursor);

static void on_values(hs_sync_link *l, void *reply, void *arg)
{
    (void)arg;
    redisReply *r = reply;
    if (r == NULL || r->type != REDIS_REPLY_ARRAY)
        return;
    for (size_t i = 0; i < r->elements; i++) {
        redisReply *v = r->element[i];
        char text[256];
        if (v->type != REDIS_REPLY_STRING || v->len >= sizeof(text))
            continue;
        memcpy(text, v->str, v->len);
        text[v->len] = '\0';
        hs_sync_ban_message(l->user, text, v->len, true);
    }
}

static void on_scan(hs_sync_link *l, void *reply, void *arg)
{
    (void)arg;
    redisReply *r = reply;
    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING ||
        r->element[1]->type != REDIS_REPLY_ARRAY)
        return;
    redisReply *keys = r->element[1];
    if (keys->elements) {
        const char **argv = calloc(keys->elements + 1, sizeof(*argv));
        size_t *lens = calloc(keys->elements + 1, sizeof(*lens));
        if (argv && lens) {
            argv[0] = "MGET";
            lens[0] = 4;
            for (size_t i = 0; i < keys->elements; i++) {
                argv[i + 1] = keys->element[i]->str;
                lens[i + 1] = keys->element[i]->len;
            }
            hs_sync_send(l, (int)keys->elements + 1, argv, lens, false, on_values, NULL);
        }
        free(argv);
        free(lens);
    }
    if (strcmp(r->element[0]->str, "0") != 0)
        scan_next(l->user, r->element[0]->str);
}

static void scan_next(hs_fleet *f, const char *cursor)
{
    char match[HS_SYNC_PREFIX_MAX + 16];
    int n = snprintf(match, sizeof(match), "%s:ban:*", f->prefix);
    const char *argv[] = {"SCAN", cursor, "MATCH", match, "COUNT", SCAN_COUNT};
    size_t lens[] = {4, strlen(cursor), 5, (size_t)n, 5, strlen(SCAN_COUNT)};
    hs_sync_send(&f->cmd, 6, argv, lens, false, on_scan, NULL);
}

void hs_sync_bans_load(hs_fleet *f)
{
    if (f->has_bans)
        scan_next(f, "0");
}
