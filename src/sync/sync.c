/* The sync module: its configuration (the sync= of ban_zone and
 * limit_req_zone, checked here), its links in each worker, the messages of
 * PREFIX:events and the heartbeat. Bans: bans.c; limits: counts.c. */
#include "sync/sync.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/errlog.h"
#include "http/http.h"
#include "stats/counters.h"
#include "sync/fleet.h"

#define HEARTBEAT_MS 1000

char hs_sync_origin[48];
bool hs_sync_leader;
hs_fleet *hs_fleets;
static hs_edge_zone *running_zones;

hs_edge_zone *hs_sync_zone(hs_fleet *f, int kind, const char *name, size_t n)
{
    for (hs_edge_zone *z = running_zones; z; z = z->next)
        if (z->sync == f && z->kind == kind && z->name.n == n && memcmp(z->name.p, name, n) == 0)
            return z;
    return NULL;
}

/* ---- configuration ---- */

static bool prefix_ok(hs_str p)
{
    if (p.n == 0 || p.n > HS_SYNC_PREFIX_MAX)
        return false;
    for (size_t i = 0; i < p.n; i++) {
        char c = p.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '-' || c == '.' || c == ':'))
            return false;
    }
    return true;
}

/* HOST to a numeric address, now (config time), so that no worker ever
 * waits for a name server. */
static int resolve(hs_redis_url *u, char *ip, size_t iplen, char *err, size_t errlen)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    int rc = getaddrinfo(u->host, NULL, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "host \"%.64s\" not found (%s)", u->host, gai_strerror(rc));
        return HS_ERROR;
    }
    rc = getnameinfo(res->ai_addr, res->ai_addrlen, ip, (socklen_t)iplen, NULL, 0, NI_NUMERICHOST);
    freeaddrinfo(res);
    if (rc != 0) {
        snprintf(err, errlen, "host \"%.64s\": %s", u->host, gai_strerror(rc));
        return HS_ERROR;
    }
    return HS_OK;
}

static hs_fleet *fleet_for(hs_cf *cf, hs_fleet **list, const hs_redis_url *u, const char *ip, hs_str prefix)
{
    for (hs_fleet *f = *list; f; f = f->next)
        if (strcmp(f->ip, ip) == 0 && f->url.port == u->port && f->url.db == u->db &&
            strlen(f->prefix) == prefix.n && memcmp(f->prefix, prefix.p, prefix.n) == 0)
            return f;
    hs_fleet *f = hs_pcalloc(cf->pool, sizeof(*f));
    if (f == NULL)
        return NULL;
    f->url = *u;
    snprintf(f->ip, sizeof(f->ip), "%s", ip);
    snprintf(f->label, sizeof(f->label), "%s:%u%s%.0d", u->host, u->port, u->db ? "/" : "", u->db);
    snprintf(f->prefix, sizeof(f->prefix), "%.*s", (int)prefix.n, prefix.p);
    snprintf(f->channel, sizeof(f->channel), "%s:events", f->prefix);
    f->next = *list;
    *list = f;
    return f;
}

static int zone_finish(hs_cf *cf, hs_fleet **list, hs_edge_zone *z)
{
    hs_conf_node at = {.file = z->file, .line = z->line};
    hs_redis_url u;
    char err[160], ip[INET6_ADDRSTRLEN];
    if (hs_redis_url_parse(z->sync_url, &u, err, sizeof(err)) != HS_OK)
        return hs_cf_error(cf, &at, "invalid \"sync\" URL \"%s\": %s", z->sync_url.p, err);
    hs_str prefix = z->sync_prefix.p ? z->sync_prefix : HS_STR("hush");
    if (!prefix_ok(prefix))
        return hs_cf_error(cf, &at, "invalid \"sync_prefix\" \"%s\" (1 to %d of A-Z a-z 0-9 _ - . :)", prefix.p,
                           HS_SYNC_PREFIX_MAX);
    if (z->kind == HS_ZONE_LIMIT_CONN)
        return hs_cf_error(cf, &at, "limit_conn zones are not shared");
    if (resolve(&u, ip, sizeof(ip), err, sizeof(err)) != HS_OK)
        return hs_cf_error(cf, &at, "\"sync\": %s", err);
    hs_fleet *f = fleet_for(cf, list, &u, ip, prefix);
    if (f == NULL)
        return hs_cf_error(cf, &at, "out of memory");
    z->sync = f;
    f->has_bans |= z->kind == HS_ZONE_BAN;
    if (z->kind == HS_ZONE_LIMIT_REQ) {
        int64_t iv = z->sync_interval_msec ? z->sync_interval_msec : HS_SYNC_DEFAULT_INTERVAL;
        f->interval_msec = f->has_limits && f->interval_msec < iv ? f->interval_msec : iv;
        f->has_limits = true;
    }
    return HS_OK;
}

static int sync_http_finish(hs_cf *cf, hs_http_conf *http)
{
    struct hs_edge_http *eh = hs_edge_http_of(http);
    hs_fleet *list = NULL;
    for (hs_edge_zone *z = eh ? eh->zones : NULL; z; z = z->next)
        if (z->sync_url.p && zone_finish(cf, &list, z) != HS_OK)
            return HS_ERROR;
    HS_MOD_SLOT(http->mod, &hs_sync_module) = list;
    return HS_OK;
}

/* ---- messages ---- */

static void on_message(hs_sync_link *l, const char *msg, size_t len)
{
    hs_fleet *f = l->user;
    char buf[65536];
    if (len >= sizeof(buf))
        return; /* larger than any hush sends */
    memcpy(buf, msg, len);
    buf[len] = '\0';
    if (len > 3 && memcmp(buf, "hb ", 3) == 0) {
        size_t on = strlen(hs_sync_origin);
        if (len > 3 + on && memcmp(buf + 3, hs_sync_origin, on) == 0 && buf[3 + on] == ' ') {
            uint64_t sent = strtoull(buf + 4 + on, NULL, 10);
            f->lag_ms = hs_now.msec > sent ? (uint32_t)(hs_now.msec - sent) : 0;
        }
    } else if (len > 3 && memcmp(buf, "lr ", 3) == 0) {
        hs_sync_limit_apply(f, buf, len);
    } else {
        hs_sync_ban_message(f, buf, len, false);
    }
}

static void heartbeat(hs_fleet *f)
{
    char text[96];
    int n = snprintf(text, sizeof(text), "hb %s %llu", hs_sync_origin, (unsigned long long)hs_now.msec);
    const char *argv[] = {"PUBLISH", f->channel, text};
    size_t lens[] = {7, strlen(f->channel), (size_t)n};
    hs_sync_send(&f->cmd, 3, argv, lens, false, NULL, NULL);
}

static void on_timer(hs_timer *t)
{
    hs_fleet *f = (hs_fleet *)((char *)t - offsetof(hs_fleet, timer));
    if (hs_now.mono_msec >= f->next_heartbeat) {
        heartbeat(f);
        f->next_heartbeat = hs_now.mono_msec + HEARTBEAT_MS;
    }
    if (f->has_limits)
        hs_sync_limit_flush(f);
    hs_timer_set(&f->timer, f->has_limits ? (uint64_t)f->interval_msec : HEARTBEAT_MS);
}

/* The leader's command link is up (again): what was banned meanwhile. */
static void on_cmd_up(hs_sync_link *l)
{
    if (hs_sync_leader)
        hs_sync_bans_load(l->user);
}

static void on_sub_up(hs_sync_link *l)
{
    hs_fleet *f = l->user;
    if (f->cmd.up) /* messages were missed while it was down */
        hs_sync_bans_load(f);
}

/* ---- processes ---- */

/* One log line per change of the fleet's state, from worker 0: up when
 * every link of it is (the subscriber too), down when one goes down. */
static void on_link_state(hs_sync_link *l, int up, const char *reason)
{
    hs_fleet *f = l->user;
    if (!hs_sync_leader)
        return;
    int was = f->logged;
    if (up && f->cmd.up && f->sub.up && was != 1) {
        hs_log(HS_LOG_NOTICE, "sync: redis %s is up", f->label);
        f->logged = 1;
    } else if (!up && was != 0) {
        if (was < 0)
            hs_log(HS_LOG_WARN, "sync: redis %s is unreachable at start (%s): bans and limits stay local "
                                "until it answers", f->label, reason);
        else
            hs_log(HS_LOG_WARN, "sync: redis %s is down (%s%s): bans and limits stay local; reconnecting",
                   f->label, l->channel ? "subscriber: " : "", reason);
        f->logged = 0;
    }
}

static void sync_gauges(uint32_t *links, uint32_t *up, uint32_t *lag_ms)
{
    for (hs_fleet *f = hs_fleets; f; f = f->next) {
        *links += 1 + hs_sync_leader;
        *up += f->cmd.up + (hs_sync_leader && f->sub.up);
        *lag_ms = f->lag_ms > *lag_ms ? f->lag_ms : *lag_ms;
    }
}

static void fleet_start(hs_fleet *f)
{
    hs_sync_link_init(&f->cmd, f->ip, f->url.port, f->url.db, f->label);
    f->cmd.user = f;
    f->cmd.on_up = on_cmd_up;
    f->cmd.on_state = on_link_state;
    f->logged = -1;
    hs_sync_link_start(&f->cmd);
    if (hs_sync_leader) {
        hs_sync_link_init(&f->sub, f->ip, f->url.port, 0, f->label);
        f->sub.user = f;
        f->sub.channel = f->channel;
        f->sub.on_up = on_sub_up;
        f->sub.on_message = on_message;
        f->sub.on_state = on_link_state;
        hs_sync_link_start(&f->sub);
    }
    f->timer.on_timer = on_timer;
    hs_timer_set(&f->timer, 1);
}

static void sync_worker_start(const hs_config *conf)
{
    hs_fleets = conf->http ? HS_MOD_SLOT(conf->http->mod, &hs_sync_module) : NULL;
    if (hs_fleets == NULL)
        return;
    struct hs_edge_http *eh = hs_edge_http_of(conf->http);
    running_zones = eh ? eh->zones : NULL;
    char host[32] = "hush";
    gethostname(host, sizeof(host) - 1);
    snprintf(hs_sync_origin, sizeof(hs_sync_origin), "%s/%d", host,
             (int)(conf->master_process ? getppid() : getpid()));
    hs_sync_leader = hs_worker_index == 0;
    hs_edge_ban_started = hs_sync_ban_started;
    hs_edge_limit_counted = hs_sync_limit_counted;
    hs_stats_sync_fn = sync_gauges;
    for (hs_fleet *f = hs_fleets; f; f = f->next)
        fleet_start(f);
}

static void sync_worker_stop(void)
{
    for (hs_fleet *f = hs_fleets; f; f = f->next) {
        hs_timer_cancel(&f->timer);
        hs_sync_link_stop(&f->cmd);
        if (hs_sync_leader)
            hs_sync_link_stop(&f->sub);
    }
    hs_fleets = NULL;
}

hs_module hs_sync_module = {
    .name = "sync",
    .http_finish = sync_http_finish,
    .worker_start = sync_worker_start,
    .worker_stop = sync_worker_stop,
};
