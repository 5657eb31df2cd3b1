/* zone NAME [SIZE] in upstream: the servers' health and active connections
 * in shared memory made by the master (core/shm.h), so that every worker's
 * max_fails, least_conn and max_conns see all workers. Private to src/proxy. */
#ifndef HS_PROXY_ZONE_INTERNAL_H
#define HS_PROXY_ZONE_INTERNAL_H

#include "proxy/proxy_internal.h"

struct hs_shm_zone;

typedef struct px_zone {
    hs_str name;
    int64_t size;              /* 0: given by another upstream of the same zone */
    struct hs_shm_zone *shm;   /* made by the master (NULL under hush -t) */
    const char *file;
    int line;
} px_zone;

/* zone NAME [SIZE] of upstream up: the zone of that name, made on first use. */
int hs_proxy_zone_conf(hs_cf *cf, const hs_conf_node *n, hs_upstream *up);
/* After the http block: every zone named has a size. */
int hs_proxy_zones_check(hs_cf *cf, hs_upstream *list);
/* The master: makes the zones of conf and points their servers' state at them. */
int hs_proxy_master_init(hs_config *conf, hs_config *old, char *err, size_t errlen);

#endif
