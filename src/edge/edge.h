/* Edge rules: what decides that a connection or a request is refused or
 * dropped, at the earliest phase that has the information — accept-phase
 * address rules and bans, map/if, return 444, allow/deny, limit_req,
 * limit_conn — and how a drop ends the connection (edge/drop.h). The edge
 * module registers its hooks with the HTTP core (http/phase.h); the core
 * never names it. */
#ifndef HS_EDGE_EDGE_H
#define HS_EDGE_EDGE_H

#include "http/phase.h"

struct hs_edge_http; /* per http block: zones, deny_addr, bans */
struct hs_edge_loc;  /* per server/location level: rules of that level */

extern const hs_directive hs_edge_directives[];
extern hs_module hs_edge_module;

/* After the http block was read and merged: checks, inheritance, the if
 * blocks, and the hooks (hs_edge_register). */
int hs_edge_conf_finish(hs_cf *cf, hs_http_conf *http);
/* Master, after a configuration loaded and before workers start: create the
 * shared zones, or keep those of old (reload) with the same name and size. */
int hs_edge_master_init(hs_config *conf, hs_config *old, char *err, size_t errlen);
/* A worker starts with this configuration. */
void hs_edge_worker_start(const hs_config *conf);
/* Addresses banned right now, over the ban zones (read at scrape time). */
int64_t hs_edge_bans_active(void);

/* hush -s bans: prints the active bans of the running master (found through
 * pid_path); returns the exit code. */
int hs_edge_print_bans(const char *pid_path);

#endif
