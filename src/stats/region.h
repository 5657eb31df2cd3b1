/* The shared region of the metrics (internal to src/stats): label tables,
 * one slot per live process, the accumulator of exited workers, and the
 * spike detector's state. Created by the master with mmap(MAP_SHARED |
 * MAP_ANONYMOUS) before the first fork, so every worker of every generation
 * maps it at the same address. */
#ifndef HS_STATS_REGION_H
#define HS_STATS_REGION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "stats/counters.h"

#define HS_STATS_LABEL_LEN 96    /* bytes of a label value kept (longer ones are cut) */
#define HS_STATS_MAX_SLOTS 256   /* processes counting at once (workers of all generations) */
#define HS_STATS_SPIKE_WINDOW 60 /* seconds of the "last minute" */
#define HS_STATS_P90_SNAPS 7     /* upstream histogram snapshots, one per 10 s */

/* One spike series (499s of a location, 444s of a rule). */
typedef struct {
    uint64_t last_total;                     /* cumulative count at the last tick */
    uint32_t ring[HS_STATS_SPIKE_WINDOW];    /* per-second increments */
    uint64_t window;                         /* sum of ring: the last minute */
    double baseline;                         /* moving average of window (per minute) */
    uint32_t calm;                           /* seconds below the clearing line */
    bool active;                             /* hush_*_spike 1 */
    bool seen;                               /* the series had at least one event */
} hs_spike;

/* One process's slot. */
typedef struct {
    int32_t pid;              /* owner; 0 = free */
    uint32_t pad;
    hs_stats_gauges gauges;   /* connection states */
    hs_stats_counts counts;
} hs_stats_slot;

typedef struct {
    uint64_t magic;
    uint32_t lock;            /* spinlock: label interning */
    uint32_t seq;             /* seqlock: odd while the master folds a slot */
    int32_t detector_lock;    /* pid of the worker running the detector, 0 = free */
    int32_t master_pid;
    uint64_t start_sec;       /* wall clock at the master's start */
    uint64_t reloads;         /* successful reloads */
    /* label tables; [0] is "_overflow"; entries are written before n grows */
    uint32_t nservers, nlocs, nrules, nzones, nstatus, nlogfiles;
    char servers[HS_STATS_MAX_SERVERS][HS_STATS_LABEL_LEN];
    struct {
        uint16_t server;      /* index into servers */
        char name[HS_STATS_LABEL_LEN];
    } locs[HS_STATS_MAX_LOCS];
    char rules[HS_STATS_MAX_RULES][HS_STATS_LABEL_LEN];
    char zones[HS_STATS_MAX_ZONES][HS_STATS_LABEL_LEN];
    char logfiles[HS_STATS_MAX_LOGFILES][HS_STATS_LABEL_LEN];
    uint16_t status_codes[HS_STATS_MAX_STATUS];
    /* spike detector (written under detector_lock only) */
    uint64_t detector_sec;    /* monotonic second of the last tick */
    hs_spike abort_spikes[HS_STATS_MAX_LOCS];
    hs_spike drop_spikes[HS_STATS_MAX_RULES];
    hs_stats_hist up_snaps[HS_STATS_P90_SNAPS][HS_STATS_MAX_SERVERS];
    uint64_t up_snap_sec[HS_STATS_P90_SNAPS];
    /* totals of exited workers, then the slots */
    hs_stats_counts accum;
    uint32_t nslots;
    uint32_t slots_high;   /* one past the highest slot ever claimed: sums stop there */
    hs_stats_slot slots[HS_STATS_MAX_SLOTS];
} hs_stats_region;

extern hs_stats_region *hs_stats_shm; /* NULL until mapped */

/* Maps a fresh region (master, or a unit test). */
hs_stats_region *hs_stats_region_create(void);
/* Claims a slot for pid; NULL when all are taken. */
hs_stats_slot *hs_stats_slot_claim(hs_stats_region *g, pid_t pid);
/* Folds pid's slot into the accumulator and frees it; false if pid had none. */
bool hs_stats_slot_release(hs_stats_region *g, pid_t pid);
/* Sums the accumulator and every live slot (consistent against folds).
 * nprocs gets the number of live slots, pids (up to maxpids) their owners. */
void hs_stats_snapshot(hs_stats_region *g, hs_stats_counts *out, hs_stats_gauges *gauges,
                       uint32_t *nprocs, pid_t *pids, size_t maxpids);

/* Label interning: index of the value (0 = overflow). len may exceed
 * HS_STATS_LABEL_LEN (cut). */
uint32_t hs_stats_intern_server(hs_stats_region *g, const char *s, size_t len);
uint32_t hs_stats_intern_loc(hs_stats_region *g, uint32_t server, const char *s, size_t len);
uint32_t hs_stats_intern_rule(hs_stats_region *g, const char *s, size_t len);
uint32_t hs_stats_intern_zone(hs_stats_region *g, const char *s, size_t len);
uint32_t hs_stats_intern_logfile(hs_stats_region *g, const char *s, size_t len);
uint32_t hs_stats_intern_status(hs_stats_region *g, int code);

/* Worker side, for the periodic work and the handlers (stats/slots.c). */
void hs_stats_refresh_gauges(void);
struct hs_stats_conf;
void hs_stats_spike_tick(const struct hs_stats_conf *conf);

/* Folding helper (also for tests): dst += src, field by field. */
void hs_stats_counts_add(hs_stats_counts *dst, const hs_stats_counts *src);

#endif
