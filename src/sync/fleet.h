/* What the files of src/sync share: one "fleet" per distinct Redis
 * (address, port, database) and prefix, with the zones that use it. */
#ifndef HS_SYNC_FLEET_H
#define HS_SYNC_FLEET_H

#include <netinet/in.h>

#include "edge/edge_conf.h"
#include "sync/link.h"
#include "sync/url.h"

#define HS_SYNC_PREFIX_MAX 64
#define HS_SYNC_DEFAULT_INTERVAL 100 /* ms between limit reconciliations */

typedef struct hs_fleet {
    hs_redis_url url;
    char ip[INET6_ADDRSTRLEN];     /* resolved when the configuration loaded */
    char label[300];               /* HOST:PORT[/DB] for the log */
    char prefix[HS_SYNC_PREFIX_MAX + 1];
    char channel[HS_SYNC_PREFIX_MAX + 8]; /* PREFIX:events */
    int64_t interval_msec;         /* the shortest sync_interval of its limit_req zones */
    bool has_limits;
    bool has_bans;
    hs_sync_link cmd;              /* this worker's commands (every worker) */
    hs_sync_link sub;              /* the subscriber (the instance's leader only) */
    hs_timer timer;                /* heartbeats and reconciliation */
    uint64_t next_heartbeat;       /* mono ms */
    void *counts;                  /* this worker's limit_req counts of the interval (counts.c) */
    int logged;                    /* the fleet's state last logged: -1 none, 0 down, 1 up */
    uint32_t lag_ms;               /* the last own heartbeat's trip through Redis */
    struct hs_fleet *next;
} hs_fleet;

/* This instance's name in messages and in `hush -s bans` (HOSTNAME/PID). */
extern char hs_sync_origin[48];
/* The instance's leader (worker 0) subscribes and applies what others say. */
extern bool hs_sync_leader;

/* The fleets of the running configuration (sync.c). */
extern hs_fleet *hs_fleets;

/* A zone of a fleet by kind and name, NULL if none. */
hs_edge_zone *hs_sync_zone(hs_fleet *f, int kind, const char *name, size_t n);

/* counts.c: limit_req reconciliation. */
void hs_sync_limit_counted(hs_edge_zone *z, hs_str key);
void hs_sync_limit_flush(hs_fleet *f);
void hs_sync_limit_apply(hs_fleet *f, char *msg, size_t len);

/* bans.c: bans over the fleet. */
void hs_sync_ban_started(hs_edge_zone *z, hs_str key, uint64_t until_ms);
void hs_sync_ban_message(hs_fleet *f, char *msg, size_t len, bool loading);
void hs_sync_bans_load(hs_fleet *f);

#endif
