/* Fuzz target for the fleet's messages (src/sync/bans.c, counts.c): what
 * arrives on PREFIX:events, or as a ban key's value, from Redis — whoever
 * can publish there. "lr ..." goes to the limit counts' parser, the rest to
 * the bans' one. Contract: a ban applied has an address key (4 or 16
 * bytes) and an end in the future (or 0: lifted); a limit count is applied
 * with a key of 1 to 64 bytes and a count above 0; our own origin is never
 * recorded as another instance's. */
#include <string.h>

#include "core/clock.h"
#include "fuzz.h"
#include "sync/fleet.h"

#define MAX_INPUT 65535

hs_clock hs_now = {.msec = 1700000000000ull, .mono_msec = 1000};
char hs_sync_origin[48] = "me/1";

static hs_edge_zone ban_zone = {.name = {"abuse", 5}, .kind = HS_ZONE_BAN};
static hs_edge_zone req_zone = {.name = {"perip", 5}, .kind = HS_ZONE_LIMIT_REQ};

hs_edge_zone *hs_sync_zone(hs_fleet *f, int kind, const char *name, size_t n)
{
    (void)f;
    hs_edge_zone *z = kind == HS_ZONE_BAN ? &ban_zone : &req_zone;
    return n == z->name.n && memcmp(name, z->name.p, n) == 0 ? z : NULL;
}

bool hs_ban_apply(hs_edge_zone *z, hs_str key, uint64_t until_ms, const char *origin)
{
    REQUIRE(z == &ban_zone);
    REQUIRE(key.n == 4 || key.n == 16);
    REQUIRE(until_ms == 0 || until_ms > hs_now.msec);
    REQUIRE(origin != NULL && strcmp(origin, hs_sync_origin) != 0); /* ours shows as "here" */
    return true;
}

void hs_limit_req_add(hs_edge_zone *z, hs_str key, uint64_t n, uint64_t now_ms)
{
    REQUIRE(z == &req_zone);
    REQUIRE(key.n >= 1 && key.n <= 64);
    REQUIRE(n > 0);
    REQUIRE(now_ms == hs_now.mono_msec);
}

bool hs_sync_send(hs_sync_link *l, int argc, const char **argv, const size_t *lens, bool keep,
                  hs_sync_reply_fn *fn, void *arg)
{
    (void)l, (void)argc, (void)argv, (void)lens, (void)keep, (void)fn, (void)arg;
    return true;
}

void hs_sync_count_dropped(uint64_t n) { (void)n; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_INPUT)
        return 0;
    static hs_fleet fleet;
    char *m = malloc(size + 1); /* NUL-terminated, as the subscriber hands it on */
    memcpy(m, data, size);
    m[size] = '\0';
    if (size > 3 && memcmp(m, "lr ", 3) == 0)
        hs_sync_limit_apply(&fleet, m, size);
    else
        hs_sync_ban_message(&fleet, m, size, size % 2 == 0);
    free(m);
    return 0;
}
