/* The metrics module's life in the processes, its handlers and directives.
 *
 *   master:  hs_stats_master_init() before the first fork and after each
 *            successful reload; hs_stats_worker_exited() for every reaped
 *            worker (its slot is folded into the accumulator).
 *   worker:  hs_stats_worker_start() once its loop exists: claims a slot and
 *            arms the once-a-second timer (connection-state gauges, spike
 *            detector).
 *   handlers: `stub_status;` and `metrics;` in a location. */
#ifndef HS_STATS_STATS_H
#define HS_STATS_STATS_H

#include <sys/types.h>

#include "http/phase.h"
#include "stats/counters.h"

/* http-level settings of the spike detector (hs_http_conf.stats). */
typedef struct hs_stats_conf {
    double abort_ratio;       /* abort_alert_ratio; 0 = off */
    int64_t abort_min;        /* 499s in the last minute before it can fire */
    double drop_ratio;        /* drop_alert_ratio; 0 = off */
    int64_t drop_min;         /* 444s of one rule in the last minute before it can fire */
} hs_stats_conf;

#define HS_STATS_DEFAULT_RATIO 3.0
#define HS_STATS_DEFAULT_ABORT_MIN 10
#define HS_STATS_DEFAULT_DROP_MIN 100

extern const hs_directive hs_stats_directives[];
extern hs_module hs_stats_module;
void hs_stats_conf_defaults(hs_stats_conf *sc);

/* Master: maps the shared region the first time (old == NULL); counts a
 * reload otherwise. HS_OK or HS_ERROR with err set. */
int hs_stats_master_init(hs_config *conf, hs_config *old, char *err, size_t errlen);
/* Master: a worker was reaped; fold its counters into the accumulator. */
void hs_stats_worker_exited(pid_t pid);
/* Worker: claim a slot and start the periodic work. */
void hs_stats_worker_start(const hs_config *conf);

/* The log-phase hook: counts a request that ended. */
int hs_stats_log_request(hs_req *r);

/* Content handlers: `stub_status;` and `metrics;`. */
extern const hs_handler hs_stats_stub_status_handler;
extern const hs_handler hs_stats_metrics_handler;

/* $connections_active, _reading, _writing, _waiting (vars.c). */
extern const hs_var_def hs_stats_variables[];

#endif
