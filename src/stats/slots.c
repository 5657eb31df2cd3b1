/* The shared region: creation, slots (claim, fold, sum), label interning,
 * and the hot-path counting functions of counters.h. */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/clock.h"
#include "http/http.h"
#include "stats/hist.h"
#include "stats/region.h"
#include "stats/stats.h"

#define REGION_MAGIC 0x6875736873746174ull /* "hushstat" */

hs_stats_region *hs_stats_shm;
static hs_stats_counts private_counts; /* before a slot is claimed, and in the master */
hs_stats_counts *hs_stats_cur = &private_counts;
int64_t (*hs_stats_bans_active_fn)(void);
uint32_t (*hs_stats_tarpit_fn)(void);
void (*hs_stats_sync_fn)(uint32_t *links, uint32_t *up, uint32_t *lag_ms);

/* ---- the region ---- */

hs_stats_region *hs_stats_region_create(void)
{
    /* MAP_NORESERVE: pages of slots never claimed cost nothing */
    void *p = mmap(NULL, sizeof(hs_stats_region), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    hs_stats_region *g = p;
    g->magic = REGION_MAGIC;
    g->nslots = HS_STATS_MAX_SLOTS;
    strcpy(g->servers[0], "_overflow");
    strcpy(g->locs[0].name, "_overflow");
    strcpy(g->rules[0], "_overflow");
    strcpy(g->zones[0], "_overflow");
    strcpy(g->logfiles[0], "_overflow");
    g->nservers = g->nlocs = g->nrules = g->nzones = g->nstatus = g->nlogfiles = 1;
    return g;
}

hs_stats_slot *hs_stats_slot_claim(hs_stats_region *g, pid_t pid)
{
    for (uint32_t i = 0; i < g->nslots; i++) {
        int32_t free_pid = 0;
        if (__atomic_compare_exchange_n(&g->slots[i].pid, &free_pid, (int32_t)pid, false, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED)) {
            /* slots are claimed lowest first, so readers never need to look
             * (and fault in pages) past the highest one ever used */
            uint32_t high = __atomic_load_n(&g->slots_high, __ATOMIC_RELAXED);
            while (high < i + 1 &&
                   !__atomic_compare_exchange_n(&g->slots_high, &high, i + 1, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
                ;
            return &g->slots[i];
        }
    }
    return NULL;
}

void hs_stats_counts_add(hs_stats_counts *dst, const hs_stats_counts *src)
{
    /* every field is a 64-bit integer: add them as one array (two's
     * complement makes the signed gauges come out right too) */
    uint64_t *d = (uint64_t *)dst;
    const uint64_t *s = (const uint64_t *)src;
    for (size_t i = 0; i < sizeof(*dst) / sizeof(uint64_t); i++)
        d[i] += __atomic_load_n(&s[i], __ATOMIC_RELAXED);
}

bool hs_stats_slot_release(hs_stats_region *g, pid_t pid)
{
    for (uint32_t i = 0; i < g->nslots; i++) {
        hs_stats_slot *s = &g->slots[i];
        if (__atomic_load_n(&s->pid, __ATOMIC_ACQUIRE) != (int32_t)pid)
            continue;
        /* readers retry while seq is odd or changed: they never see the
         * counts both in the slot and in the accumulator, nor in neither */
        __atomic_add_fetch(&g->seq, 1, __ATOMIC_ACQ_REL);
        hs_stats_counts_add(&g->accum, &s->counts);
        memset(&s->counts, 0, sizeof(s->counts));
        memset(&s->gauges, 0, sizeof(s->gauges));
        __atomic_add_fetch(&g->seq, 1, __ATOMIC_ACQ_REL);
        __atomic_store_n(&s->pid, 0, __ATOMIC_RELEASE);
        return true;
    }
    return false;
}

static void gauges_add(hs_stats_gauges *d, const hs_stats_gauges *s)
{
    d->reading += __atomic_load_n(&s->reading, __ATOMIC_RELAXED);
    d->writing += __atomic_load_n(&s->writing, __ATOMIC_RELAXED);
    d->waiting += __atomic_load_n(&s->waiting, __ATOMIC_RELAXED);
    d->tarpit += __atomic_load_n(&s->tarpit, __ATOMIC_RELAXED);
    d->requests += __atomic_load_n(&s->requests, __ATOMIC_RELAXED);
    d->sync_links += __atomic_load_n(&s->sync_links, __ATOMIC_RELAXED);
    d->sync_links_up += __atomic_load_n(&s->sync_links_up, __ATOMIC_RELAXED);
    uint32_t lag = __atomic_load_n(&s->sync_lag_ms, __ATOMIC_RELAXED);
    d->sync_lag_ms = lag > d->sync_lag_ms ? lag : d->sync_lag_ms;
}

void hs_stats_snapshot(hs_stats_region *g, hs_stats_counts *out, hs_stats_gauges *gauges,
                       uint32_t *nprocs, pid_t *pids, size_t maxpids)
{
    for (;;) {
        uint32_t seq = __atomic_load_n(&g->seq, __ATOMIC_ACQUIRE);
        if (seq & 1) {
            sched_yield();
            continue;
        }
        memset(out, 0, sizeof(*out));
        memset(gauges, 0, sizeof(*gauges));
        uint32_t n = 0;
        hs_stats_counts_add(out, &g->accum);
        uint32_t high = __atomic_load_n(&g->slots_high, __ATOMIC_ACQUIRE);
        for (uint32_t i = 0; i < high && i < g->nslots; i++) {
            hs_stats_slot *s = &g->slots[i];
            int32_t pid = __atomic_load_n(&s->pid, __ATOMIC_ACQUIRE);
            if (pid == 0)
                continue;
            hs_stats_counts_add(out, &s->counts);
            gauges_add(gauges, &s->gauges);
            if (pids && n < maxpids)
                pids[n] = pid;
            n++;
        }
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&g->seq, __ATOMIC_RELAXED) == seq) {
            *nprocs = n;
            return;
        }
    }
}

/* ---- labels ---- */

static void region_lock(hs_stats_region *g)
{
    while (__atomic_exchange_n(&g->lock, 1, __ATOMIC_ACQUIRE))
        sched_yield();
}

static void region_unlock(hs_stats_region *g) { __atomic_store_n(&g->lock, 0, __ATOMIC_RELEASE); }

static size_t cut(size_t len) { return len < HS_STATS_LABEL_LEN - 1 ? len : HS_STATS_LABEL_LEN - 1; }

static bool label_eq(const char *stored, const char *s, size_t len)
{
    return strncmp(stored, s, len) == 0 && stored[len] == '\0';
}

/* Finds or adds s in a table of char[HS_STATS_LABEL_LEN]; 0 when full. */
static uint32_t intern_in(hs_stats_region *g, char (*table)[HS_STATS_LABEL_LEN], uint32_t *n, uint32_t max,
                          const char *s, size_t len)
{
    len = cut(len);
    region_lock(g);
    uint32_t idx = 0;
    for (uint32_t i = 1; i < *n && idx == 0; i++)
        if (label_eq(table[i], s, len))
            idx = i;
    if (idx == 0 && *n < max) {
        idx = *n;
        memcpy(table[idx], s, len);
        table[idx][len] = '\0';
        __atomic_store_n(n, idx + 1, __ATOMIC_RELEASE);
    }
    region_unlock(g);
    return idx;
}

uint32_t hs_stats_intern_server(hs_stats_region *g, const char *s, size_t len)
{
    return intern_in(g, g->servers, &g->nservers, HS_STATS_MAX_SERVERS, s, len);
}

uint32_t hs_stats_intern_rule(hs_stats_region *g, const char *s, size_t len)
{
    return intern_in(g, g->rules, &g->nrules, HS_STATS_MAX_RULES, s, len);
}

uint32_t hs_stats_intern_zone(hs_stats_region *g, const char *s, size_t len)
{
    return intern_in(g, g->zones, &g->nzones, HS_STATS_MAX_ZONES, s, len);
}

uint32_t hs_stats_intern_logfile(hs_stats_region *g, const char *s, size_t len)
{
    return intern_in(g, g->logfiles, &g->nlogfiles, HS_STATS_MAX_LOGFILES, s, len);
}

uint32_t hs_stats_intern_loc(hs_stats_region *g, uint32_t server, const char *s, size_t len)
{
    len = cut(len);
    region_lock(g);
    uint32_t idx = 0;
    for (uint32_t i = 1; i < g->nlocs && idx == 0; i++)
        if (g->locs[i].server == server && label_eq(g->locs[i].name, s, len))
            idx = i;
    if (idx == 0 && g->nlocs < HS_STATS_MAX_LOCS) {
        idx = g->nlocs;
        g->locs[idx].server = (uint16_t)server;
        memcpy(g->locs[idx].name, s, len);
        g->locs[idx].name[len] = '\0';
        __atomic_store_n(&g->nlocs, idx + 1, __ATOMIC_RELEASE);
    }
    region_unlock(g);
    return idx;
}

uint32_t hs_stats_intern_status(hs_stats_region *g, int code)
{
    region_lock(g);
    uint32_t idx = 0;
    for (uint32_t i = 1; i < g->nstatus && idx == 0; i++)
        if (g->status_codes[i] == code)
            idx = i;
    if (idx == 0 && g->nstatus < HS_STATS_MAX_STATUS) {
        idx = g->nstatus;
        g->status_codes[idx] = (uint16_t)code;
        __atomic_store_n(&g->nstatus, idx + 1, __ATOMIC_RELEASE);
    }
    region_unlock(g);
    return idx;
}

#ifndef HS_NO_METRICS

/* ---- worker-local lookups: configuration pointer -> label index ---- */

#define PTR_CACHE 4096 /* power of two, above any sane count of servers + locations */

typedef struct {
    const void *key;
    uint32_t idx;
} ptr_entry;

static ptr_entry ptr_cache[PTR_CACHE];
static uint8_t status_cache[1000]; /* code -> index + 1; 0 unknown */

static ptr_entry *ptr_find(const void *key)
{
    uintptr_t h = ((uintptr_t)key >> 4) * 0x9E3779B97F4A7C15ull;
    for (uint32_t i = 0, k = (uint32_t)(h >> 52) & (PTR_CACHE - 1); i < 64; i++, k = (k + 1) & (PTR_CACHE - 1)) {
        if (ptr_cache[k].key == key || ptr_cache[k].key == NULL)
            return &ptr_cache[k];
    }
    return NULL; /* a long run: treat as overflow */
}

/* The server label: its first server_name, else its first listen address. */
static uint32_t server_index(const hs_srv_conf *srv)
{
    if (hs_stats_shm == NULL || srv == NULL)
        return 0;
    ptr_entry *e = ptr_find(srv);
    if (e && e->key)
        return e->idx;
    hs_str name = srv->name;
    if (name.n == 0 && srv->nlistens)
        name = hs_cstr(srv->listens[0].text);
    uint32_t idx = hs_stats_intern_server(hs_stats_shm, name.p ? name.p : "", name.n);
    if (e) {
        e->idx = idx;
        e->key = srv;
    }
    return idx;
}

/* The location label: "= /x", "~ re", "/prefix/", "@name", or "(server)"
 * when the request never reached a location. */
static uint32_t loc_index(const hs_loc_conf *lc, const hs_srv_conf *srv)
{
    if (hs_stats_shm == NULL || lc == NULL)
        return 0;
    ptr_entry *e = ptr_find(lc);
    if (e && e->key)
        return e->idx;
    char buf[HS_STATS_LABEL_LEN];
    const char *mod = lc->match == HS_LOC_EXACT ? "= " : lc->match == HS_LOC_NOREGEX ? "^~ "
                    : lc->match == HS_LOC_REGEX ? "~ " : lc->match == HS_LOC_REGEX_I ? "~* " : "";
    int n = lc->match == HS_LOC_SERVER ? snprintf(buf, sizeof(buf), "(server)")
                                       : snprintf(buf, sizeof(buf), "%s%.*s", mod, (int)lc->name.n, lc->name.p);
    if (n < 0)
        n = 0;
    uint32_t idx = hs_stats_intern_loc(hs_stats_shm, server_index(srv ? srv : lc->server), buf,
                                       (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
    if (e) {
        e->idx = idx;
        e->key = lc;
    }
    return idx;
}

static uint32_t status_index(int code)
{
    if (code < 0 || code >= 1000 || hs_stats_shm == NULL)
        return 0;
    if (status_cache[code])
        return status_cache[code] - 1u;
    uint32_t idx = hs_stats_intern_status(hs_stats_shm, code);
    status_cache[code] = (uint8_t)(idx + 1);
    return idx;
}

/* Rule and zone names are short; they are compared by content (a caller may
 * build one in a buffer), cached by a hash of the text. */
#define NAME_CACHE 512

typedef struct {
    uint64_t hash;
    uint32_t idx;
    bool used;
} name_entry;

static name_entry rule_cache[NAME_CACHE], zone_cache[NAME_CACHE], logfile_cache[NAME_CACHE];

static uint64_t name_hash(const char *s, size_t *len)
{
    uint64_t h = 1469598103934665603ull;
    size_t n = 0;
    for (; s[n]; n++)
        h = (h ^ (uint8_t)s[n]) * 1099511628211ull;
    *len = n;
    return h | 1;
}

static uint32_t name_index(name_entry *cache, char (*table)[HS_STATS_LABEL_LEN],
                           uint32_t (*intern)(hs_stats_region *, const char *, size_t), const char *s)
{
    if (hs_stats_shm == NULL || s == NULL)
        return 0;
    size_t len;
    uint64_t h = name_hash(s, &len);
    name_entry *e = &cache[h & (NAME_CACHE - 1)];
    if (e->used && e->hash == h && label_eq(table[e->idx], s, cut(len)))
        return e->idx;
    uint32_t idx = intern(hs_stats_shm, s, len);
    *e = (name_entry){h, idx, true};
    return idx;
}

/* ---- counting (counters.h) ---- */

static hs_abort_phase abort_phase(const hs_req *r)
{
    if (r->ending == HS_END_CLIENT_ABORT)
        return r->upstream ? HS_ABORT_WAITING_UPSTREAM : HS_ABORT_WAITING_RESPONSE;
    return r->resp.started ? HS_ABORT_SENDING_BODY : HS_ABORT_READING_BODY;
}

int hs_stats_log_request(hs_req *r)
{
    if (r->bare)
        return HS_OK; /* a connection without a request: counted as its ending */
    hs_stats_counts *s = hs_stats_cur;
    const hs_srv_conf *srv = r->srv ? r->srv : r->conn->group->default_srv;
    uint32_t si = server_index(srv);
    HS_STATS_ADD(s->requests[si][status_index(r->resp.status)], 1);
    hs_hist_observe(&s->req_time[si], hs_now.mono_usec - r->start_usec);
    if (r->ending == HS_END_DROP && r->drop_rule)
        hs_stats_drop(r->drop_rule);
    if (r->ending == HS_END_CLIENT_ABORT || r->ending == HS_END_CLIENT_ABORT_BODY || r->resp.status == 499) {
        uint32_t li = loc_index(r->loc, srv);
        if (r->ending == HS_END_CLIENT_ABORT || r->ending == HS_END_CLIENT_ABORT_BODY)
            HS_STATS_ADD(s->aborts[li][abort_phase(r)], 1);
        if (r->resp.status == 499)
            HS_STATS_ADD(s->status_499[li], 1);
    }
    return HS_OK;
}

void hs_stats_upstream_tries(const hs_req *r, int proto, const int64_t *us, size_t n)
{
    const hs_srv_conf *srv = r->srv ? r->srv : r->conn->group->default_srv;
    uint32_t si = server_index(srv);
    hs_stats_hist *h = proto == 1 ? &hs_stats_cur->fcgi_time[si] : &hs_stats_cur->up_time[si];
    for (size_t i = 0; i < n; i++)
        if (us[i] >= 0)
            hs_hist_observe(h, (uint64_t)us[i]);
}

void hs_stats_upstream_after_abort(const hs_req *r)
{
    const hs_srv_conf *srv = r->srv ? r->srv : r->conn->group->default_srv;
    HS_STATS_ADD(hs_stats_cur->after_abort[loc_index(r->loc, srv)], 1);
}

void hs_stats_drop(const char *rule)
{
    HS_STATS_ADD(hs_stats_cur->drops[name_index(rule_cache, hs_stats_shm ? hs_stats_shm->rules : NULL,
                                                hs_stats_intern_rule, rule)], 1);
}

void hs_stats_tls_handshake(hs_tls_result result, uint64_t usec)
{
    HS_STATS_ADD(hs_stats_cur->tls_handshakes[result], 1);
    if (result == HS_TLS_OK || result == HS_TLS_RESUMED)
        hs_hist_observe(&hs_stats_cur->tls_handshake_time, usec);
}

void hs_stats_h2(hs_h2_event ev) { HS_STATS_ADD(hs_stats_cur->http2[ev], 1); }

void hs_stats_ban_added(const char *zone)
{
    uint32_t z = name_index(zone_cache, hs_stats_shm ? hs_stats_shm->zones : NULL, hs_stats_intern_zone, zone);
    HS_STATS_ADD(hs_stats_cur->bans[z], 1);
    HS_STATS_ADD(hs_stats_cur->bans_active[z], 1);
}

void hs_stats_ban_removed(const char *zone)
{
    uint32_t z = name_index(zone_cache, hs_stats_shm ? hs_stats_shm->zones : NULL, hs_stats_intern_zone, zone);
    HS_STATS_ADD(hs_stats_cur->bans_active[z], -1);
}

void hs_stats_sync_error(void) { HS_STATS_ADD(hs_stats_cur->sync_errors, 1); }
void hs_stats_sync_dropped(uint64_t n) { HS_STATS_ADD(hs_stats_cur->sync_dropped, n); }

void hs_stats_log_lost(const char *path, uint64_t lines)
{
    uint32_t f = name_index(logfile_cache, hs_stats_shm ? hs_stats_shm->logfiles : NULL, hs_stats_intern_logfile, path);
    HS_STATS_ADD(hs_stats_cur->log_lost[f], lines);
}

#endif
