/* Auto-ban: endings of the listed statuses are counted per key (the client
 * address) in a fixed window; at threshold the key is banned for the
 * duration, and every new connection from it is dropped at accept, in every
 * worker. State lives in a shared zone, kept across reloads; `hush -s bans`
 * reads it from the master's zone memory (memfd) without stopping anything. */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "edge/drop.h"
#include "edge/edge_conf.h"
#include "stats/counters.h"

/* State of one key. */
typedef struct {
    uint64_t window_start; /* wall ms when the current counting window began */
    uint64_t until;        /* wall ms the ban ends; 0 = not banned */
    uint32_t count;        /* endings in the window */
    uint32_t bans;         /* times banned */
    char origin[32];       /* "" when decided here, else the instance that did (src/sync) */
} ban_state;

void (*hs_edge_ban_started)(hs_edge_zone *z, hs_str key, uint64_t until_ms);
void (*hs_edge_ban_changed)(hs_edge_zone *z, hs_str key, uint64_t until_ms);

size_t hs_ban_val_size(void) { return sizeof(ban_state); }

bool hs_ban_check(hs_edge_zone *z, const struct sockaddr *peer)
{
    char buf[16];
    hs_str key = hs_edge_addr_key(peer, buf);
    hs_shm_lock(z->shm);
    ban_state *st = hs_shm_get(z->shm, key, 0, NULL);
    bool banned = st && st->until > hs_now.msec;
    hs_shm_unlock(z->shm);
    return banned;
}

void hs_ban_count(hs_edge_zone *z, const struct sockaddr *peer)
{
    char buf[16];
    hs_str key = hs_edge_addr_key(peer, buf);
    uint64_t now = hs_now.msec;
    hs_shm_lock(z->shm);
    ban_state *st = hs_shm_get(z->shm, key, 1, NULL);
    if (st->until > now) {
        hs_shm_unlock(z->shm); /* already banned: what it still does changes nothing */
        return;
    }
    if (now - st->window_start >= (uint64_t)z->window_msec) {
        st->window_start = now;
        st->count = 0;
    }
    uint64_t until = 0;
    if (++st->count >= (uint64_t)z->threshold) {
        st->until = until = now + (uint64_t)z->duration_msec;
        st->count = 0;
        st->bans++;
        st->origin[0] = '\0';
    }
    hs_shm_unlock(z->shm);
    if (until == 0)
        return;
    hs_stats_ban_added(z->name.p); /* hush_bans_total{zone} */
    if (hs_edge_ban_changed)
        hs_edge_ban_changed(z, key, until);
    if (hs_edge_ban_started && z->sync_url.p)
        hs_edge_ban_started(z, key, until);
}

bool hs_ban_apply(hs_edge_zone *z, hs_str key, uint64_t until_ms, const char *origin)
{
    uint64_t now = hs_now.msec;
    if (z->shm == NULL || (until_ms && until_ms <= now))
        return false;
    hs_shm_lock(z->shm);
    ban_state *st = hs_shm_get(z->shm, key, until_ms != 0, NULL);
    bool was = st && st->until > now, changed = false, longer = false;
    if (st && until_ms == 0 && was) {
        st->until = 0; /* lifted: the key counts afresh */
        st->count = 0;
        changed = true;
    } else if (st && until_ms > st->until) {
        st->until = until_ms;
        if (!was) {
            st->count = 0;
            st->bans++;
        }
        snprintf(st->origin, sizeof(st->origin), "%s", origin);
        changed = !was;
        longer = was; /* a ban already here, made longer: still news for the kernel's map */
    }
    hs_shm_unlock(z->shm);
    if (changed && until_ms)
        hs_stats_ban_added(z->name.p);
    if ((changed || longer) && hs_edge_ban_changed)
        hs_edge_ban_changed(z, key, until_ms);
    return changed;
}

/* ---- active bans, for hush_bans_active ---- */

static const hs_edge_zone *running_zones; /* this worker's configuration */

void hs_edge_worker_start(const hs_config *conf)
{
    running_zones = hs_edge_http_of(conf->http) ? hs_edge_http_of(conf->http)->zones : NULL;
    hs_stats_bans_active_fn = hs_edge_bans_active;
    hs_stats_tarpit_fn = hs_edge_tarpitted;
}

static void count_active(void *arg, const uint8_t *key, size_t klen, void *val)
{
    (void)key;
    (void)klen;
    const ban_state *st = val;
    if (st->until > hs_now.msec)
        (*(int64_t *)arg)++;
}

int64_t hs_edge_bans_active(void)
{
    int64_t n = 0;
    for (const hs_edge_zone *z = running_zones; z; z = z->next) {
        if (z->kind != HS_ZONE_BAN || z->shm == NULL)
            continue;
        hs_shm_lock(z->shm);
        hs_shm_each(z->shm, count_active, &n);
        hs_shm_unlock(z->shm);
    }
    return n;
}

/* ---- hush -s bans ---- */

typedef struct {
    uint64_t now;
    int shown;
} print_ctx;

static void print_one(void *arg, const uint8_t *key, size_t klen, void *val)
{
    print_ctx *pc = arg;
    ban_state *st = val;
    if (st->until <= pc->now)
        return;
    char text[INET6_ADDRSTRLEN] = "?";
    if (klen == 4)
        inet_ntop(AF_INET, key, text, sizeof(text));
    else if (klen == 16)
        inet_ntop(AF_INET6, key, text, sizeof(text));
    time_t until = (time_t)(st->until / 1000);
    struct tm tm;
    char when[32];
    gmtime_r(&until, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    char origin[sizeof(st->origin)];
    memcpy(origin, st->origin, sizeof(origin));
    origin[sizeof(origin) - 1] = '\0'; /* another process's memory: trust no terminator */
    printf("  %-39s until %s (%llus left, banned %u time%s, from %s)\n", text, when,
           (unsigned long long)((st->until - pc->now + 999) / 1000), st->bans, st->bans == 1 ? "" : "s",
           origin[0] ? origin : "here");
    pc->shown++;
}

static pid_t read_pid(const char *pid_path)
{
    FILE *f = fopen(pid_path, "r");
    long pid = 0;
    if (f == NULL || fscanf(f, "%ld", &pid) != 1 || pid <= 0) {
        fprintf(stderr, "hush: [error] cannot read the PID from \"%s\": is hush running?\n", pid_path);
        if (f)
            fclose(f);
        return -1;
    }
    fclose(f);
    return (pid_t)pid;
}

int hs_edge_print_bans(const char *pid_path)
{
    pid_t pid = read_pid(pid_path);
    if (pid < 0)
        return 1;
    char dir[64];
    snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "hush: [error] cannot read %s (not running, or not permitted)\n", dir);
        return 1;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    print_ctx pc = {(uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000, 0};
    int zones = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        char link[384], target[256];
        snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
        ssize_t n = readlink(link, target, sizeof(target) - 1);
        if (n <= 0)
            continue;
        target[n] = '\0';
        if (strncmp(target, "/memfd:hush:", 12) != 0)
            continue;
        int fd = open(link, O_RDONLY | O_CLOEXEC);
        hs_shm_zone *z = fd >= 0 ? hs_shm_map_fd(fd) : NULL;
        if (fd >= 0)
            close(fd);
        if (z == NULL || hs_shm_kind(z) != HS_ZONE_BAN) {
            if (z)
                hs_shm_unmap(z);
            continue;
        }
        zones++;
        int before = pc.shown;
        printf("ban zone %s: %u of %u entries in use\n", hs_shm_name(z), hs_shm_used(z), hs_shm_capacity(z));
        hs_shm_each(z, print_one, &pc);
        if (pc.shown == before)
            printf("  (no active bans)\n");
        hs_shm_unmap(z);
    }
    closedir(d);
    if (zones == 0)
        printf("no ban zones in the running configuration\n");
    return 0;
}

hs_str hs_edge_addr_key(const struct sockaddr *sa, char *buf)
{
    if (sa->sa_family == AF_INET6) {
        memcpy(buf, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
        return (hs_str){buf, 16};
    }
    memcpy(buf, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    return (hs_str){buf, 4};
}
