/* Edge rules: what decides, before any handler runs, that a connection or a
 * request is refused or dropped — accept-phase address rules and bans,
 * map/if, allow/deny, limit_req, limit_conn — and the connection log.
 * The http core calls these hooks at fixed points of a request's life. */
#ifndef HS_EDGE_EDGE_H
#define HS_EDGE_EDGE_H

#include "http/http.h"

struct hs_edge_http; /* per http block: zones, deny_addr, connection_log, bans */
struct hs_edge_loc;  /* per server/location level: rules of that level */

extern const hs_directive hs_edge_directives[];
extern hs_module hs_edge_module;

/* After the http block was read and merged. */
int hs_edge_conf_finish(hs_cf *cf, hs_http_conf *http);
/* Master, after a configuration loaded and before workers start: create the
 * shared zones, or keep those of old (reload) with the same name and size. */
int hs_edge_master_init(hs_config *conf, hs_config *old, char *err, size_t errlen);

/* Accept phase, before a byte is read: HS_OK keeps the connection;
 * HS_DECLINED means it was dropped here (fd closed, logged, counted). */
int hs_edge_accept(hs_listener *l, int fd, const struct sockaddr_storage *peer, socklen_t len);
/* A request head is complete: an address banned since its connection was
 * accepted (a kept-alive connection) is dropped now. HS_OK or HS_DONE. */
int hs_edge_request_start(hs_req *r);
/* After server selection, before location selection: HS_OK goes on,
 * HS_DONE means the request was ended (dropped or answered). */
int hs_edge_server_phase(hs_req *r);
/* After location selection (and after internal redirects), before the
 * request body and the handler: HS_OK or HS_DONE. */
int hs_edge_location_phase(hs_req *r);
/* A request ended (logged): bans count it, limit_conn releases it. */
void hs_edge_request_ended(hs_req *r);
/* A worker starts with this configuration. */
void hs_edge_worker_start(const hs_config *conf);
/* Addresses banned right now, over the ban zones (read at scrape time). */
int64_t hs_edge_bans_active(void);
/* A connection closed; c->ending is its last ending (connection log). */
void hs_edge_conn_closed(hs_conn *c);

/* hush -s bans: prints the active bans of the running master (found through
 * pid_path); returns the exit code. */
int hs_edge_print_bans(const char *pid_path);

#endif
