/* The metrics in the processes: the master maps the region and folds the
 * slots of exited workers; a worker claims a slot and, once a second,
 * publishes its connection states and (one worker at a time) runs the spike
 * detector, which writes one warning to the error log per spike. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/errlog.h"
#include "event/loop.h"
#include "stats/hist.h"
#include "stats/spike.h"
#include "stats/stats.h"

#define TICK_MSEC 1000

static hs_stats_slot *my_slot;
static const hs_stats_conf *my_conf;  /* this worker's generation's settings */
static const hs_stats_conf *det_conf; /* the settings of the tick being run */
static hs_timer tick_timer;
static hs_stats_counts tick_counts; /* the detector's snapshot */

/* ---- master ---- */

int hs_stats_master_init(hs_config *conf, hs_config *old, char *err, size_t errlen)
{
    (void)conf;
    if (hs_stats_shm) {
        if (old)
            __atomic_add_fetch(&hs_stats_shm->reloads, 1, __ATOMIC_RELAXED);
        return HS_OK;
    }
    hs_stats_shm = hs_stats_region_create();
    if (hs_stats_shm == NULL) {
        snprintf(err, errlen, "cannot map the shared memory of the metrics (%zu bytes)", sizeof(hs_stats_region));
        return HS_ERROR;
    }
    hs_stats_shm->master_pid = (int32_t)getpid();
    hs_stats_shm->start_sec = (uint64_t)time(NULL);
    return HS_OK;
}

void hs_stats_worker_exited(pid_t pid)
{
    if (hs_stats_shm)
        hs_stats_slot_release(hs_stats_shm, pid);
}

/* ---- connection states ---- */

static void count_conn(hs_conn *c, void *arg)
{
    hs_stats_gauges *g = arg;
    if (c->state == HS_CONN_HANDSHAKE)
        g->reading++; /* the TLS handshake: the request is on its way */
    else if (c->req == NULL)
        (c->state == HS_CONN_NEW || c->state == HS_CONN_KEEPALIVE) ? g->waiting++ : g->writing++;
    else if (!c->req->head_done)
        g->reading++;
    else
        g->writing++;
    if (c->req)
        g->requests++;
}

void hs_stats_refresh_gauges(void)
{
    if (my_slot == NULL)
        return;
    hs_stats_gauges g = {0};
    hs_http_conn_each(count_conn, &g);
    g.tarpit = hs_stats_tarpit_fn ? hs_stats_tarpit_fn() : 0;
    __atomic_store_n(&my_slot->gauges.reading, g.reading, __ATOMIC_RELAXED);
    __atomic_store_n(&my_slot->gauges.writing, g.writing, __ATOMIC_RELAXED);
    __atomic_store_n(&my_slot->gauges.waiting, g.waiting, __ATOMIC_RELAXED);
    __atomic_store_n(&my_slot->gauges.tarpit, g.tarpit, __ATOMIC_RELAXED);
    __atomic_store_n(&my_slot->gauges.requests, g.requests, __ATOMIC_RELAXED);
    if (hs_stats_sync_fn) {
        hs_stats_sync_fn(&g.sync_links, &g.sync_links_up, &g.sync_lag_ms);
        __atomic_store_n(&my_slot->gauges.sync_links, g.sync_links, __ATOMIC_RELAXED);
        __atomic_store_n(&my_slot->gauges.sync_links_up, g.sync_links_up, __ATOMIC_RELAXED);
        __atomic_store_n(&my_slot->gauges.sync_lag_ms, g.sync_lag_ms, __ATOMIC_RELAXED);
    }
}

/* ---- spike detector ---- */

/* The upstream histogram of server si over about the last minute: the
 * current totals minus the oldest snapshot not older than 70 s. */
static double upstream_p90(hs_stats_region *g, uint32_t si, uint64_t now)
{
    hs_stats_hist h = tick_counts.up_time[si];
    int best = -1;
    for (int i = 0; i < HS_STATS_P90_SNAPS; i++)
        if (g->up_snap_sec[i] && g->up_snap_sec[i] + 70 >= now &&
            (best < 0 || g->up_snap_sec[i] < g->up_snap_sec[best]))
            best = i;
    if (best >= 0) {
        const hs_stats_hist *old = &g->up_snaps[best][si];
        for (unsigned b = 0; b < HS_STATS_NBUCKETS; b++)
            h.bucket[b] -= old->bucket[b] <= h.bucket[b] ? old->bucket[b] : h.bucket[b];
    }
    return hs_hist_quantile(&h, 0.9);
}

static void snapshot_upstream(hs_stats_region *g, uint64_t now)
{
    int i = (int)((now / 10) % HS_STATS_P90_SNAPS);
    if (g->up_snap_sec[i] / 10 == now / 10)
        return;
    memcpy(g->up_snaps[i], tick_counts.up_time, sizeof(g->up_snaps[i]));
    g->up_snap_sec[i] = now;
}

static void abort_series(hs_stats_region *g, uint64_t prev, uint64_t now)
{
    double ratio = det_conf ? det_conf->abort_ratio : HS_STATS_DEFAULT_RATIO;
    uint64_t min = det_conf ? (uint64_t)det_conf->abort_min : HS_STATS_DEFAULT_ABORT_MIN;
    uint32_t n = __atomic_load_n(&g->nlocs, __ATOMIC_ACQUIRE);
    for (uint32_t i = 0; i < n; i++) {
        hs_spike *s = &g->abort_spikes[i];
        double base = s->baseline;
        int rc = hs_spike_update(s, tick_counts.status_499[i], prev, now, ratio, min);
        if (rc == 0)
            continue;
        uint32_t si = g->locs[i].server;
        if (rc > 0) {
            double p90 = upstream_p90(g, si, now);
            char p90_text[32] = "-";
            if (p90 >= 0)
                snprintf(p90_text, sizeof(p90_text), "%.3fs", p90);
            hs_log(HS_LOG_WARN,
                   "client abort spike: %llu requests ended with 499 in the last minute in server \"%s\" "
                   "location \"%s\", baseline %.1f per minute (abort_alert_ratio %g), upstream p90 %s",
                   (unsigned long long)s->window, g->servers[si], g->locs[i].name, base, ratio, p90_text);
        } else {
            hs_log(HS_LOG_NOTICE, "client abort spike over in server \"%s\" location \"%s\": %llu in the last minute",
                   g->servers[si], g->locs[i].name, (unsigned long long)s->window);
        }
    }
}

static void drop_series(hs_stats_region *g, uint64_t prev, uint64_t now)
{
    double ratio = det_conf ? det_conf->drop_ratio : HS_STATS_DEFAULT_RATIO;
    uint64_t min = det_conf ? (uint64_t)det_conf->drop_min : HS_STATS_DEFAULT_DROP_MIN;
    uint32_t n = __atomic_load_n(&g->nrules, __ATOMIC_ACQUIRE);
    for (uint32_t i = 0; i < n; i++) {
        hs_spike *s = &g->drop_spikes[i];
        double base = s->baseline;
        int rc = hs_spike_update(s, tick_counts.drops[i], prev, now, ratio, min);
        if (rc > 0)
            hs_log(HS_LOG_WARN,
                   "drop spike: %llu connections dropped (444) by rule \"%s\" in the last minute, "
                   "baseline %.1f per minute (drop_alert_ratio %g)",
                   (unsigned long long)s->window, g->rules[i], base, ratio);
        else if (rc < 0)
            hs_log(HS_LOG_NOTICE, "drop spike over for rule \"%s\": %llu in the last minute", g->rules[i],
                   (unsigned long long)s->window);
    }
}

/* The detector's lock holds its owner's pid, so that a worker that died
 * holding it (a crash) does not stop the detector for good. */
static bool detector_trylock(hs_stats_region *g)
{
    int32_t me = (int32_t)getpid(), owner = 0;
    if (__atomic_compare_exchange_n(&g->detector_lock, &owner, me, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return true;
    if (owner == me || kill(owner, 0) == 0 || errno != ESRCH)
        return false;
    return __atomic_compare_exchange_n(&g->detector_lock, &owner, me, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

void hs_stats_spike_tick(const hs_stats_conf *conf)
{
    hs_stats_region *g = hs_stats_shm;
    if (g == NULL || !detector_trylock(g))
        return; /* another worker is at it */
    uint64_t now = hs_now.mono_msec / 1000, prev = g->detector_sec;
    if (now > prev) {
        det_conf = conf;
        hs_stats_gauges gauges;
        uint32_t nprocs;
        hs_stats_snapshot(g, &tick_counts, &gauges, &nprocs, NULL, 0);
        abort_series(g, prev, now);
        drop_series(g, prev, now);
        snapshot_upstream(g, now);
        g->detector_sec = now;
    }
    __atomic_store_n(&g->detector_lock, 0, __ATOMIC_RELEASE);
}

/* ---- worker ---- */

static void on_tick(hs_timer *t)
{
    hs_stats_refresh_gauges();
    hs_stats_spike_tick(my_conf);
    hs_timer_set(t, TICK_MSEC);
}

void hs_stats_worker_start(const hs_config *conf)
{
#ifdef HS_NO_METRICS
    (void)conf;
    (void)on_tick; /* nothing counts: no slot, no timer */
    (void)tick_timer;
#else
    my_conf = conf->http ? HS_MOD_SLOT(conf->http->mod, &hs_stats_module) : NULL;
    if (hs_stats_shm == NULL)
        return;
    my_slot = hs_stats_slot_claim(hs_stats_shm, getpid());
    if (my_slot == NULL) {
        hs_log(HS_LOG_WARN, "no free metrics slot (%d processes count at once): this worker's counts are not shared",
               HS_STATS_MAX_SLOTS);
        return;
    }
    hs_stats_cur = &my_slot->counts;
    hs_http_counts_cur = &my_slot->counts.core;
    /* Touch the slot's pages now: the first request of each kind would
     * otherwise fault them in one by one on the hot path (and they would
     * show up as memory growth under load that has nothing to do with it). */
    volatile const char *p = (const char *)&my_slot->counts;
    for (size_t off = 0; off < sizeof(my_slot->counts); off += 4096)
        (void)p[off];
    tick_timer.on_timer = on_tick;
    hs_timer_set(&tick_timer, TICK_MSEC);
#endif
}
