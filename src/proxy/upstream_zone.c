/* zone NAME [SIZE] in upstream blocks: the servers' shared state (px_peer:
 * failures, down-until, active connections) in a shared-memory zone the
 * master makes before the workers fork, one entry per server keyed by its
 * upstream's name and index. Several upstreams may name one zone (the size
 * given once). Each configuration gets fresh zones; those neither the new
 * nor the old configuration uses go. */
#include <stdio.h>
#include <string.h>

#include "core/shm.h"
#include "core/units.h"
#include "proxy/zone_internal.h"

#define ZONE_KIND 0x55505354u /* "UPST" */
static hs_shm_set made; /* the zones this master made */

/* The zone of that name among the upstreams before up. */
static px_zone *zone_named(hs_upstream *list, hs_str name)
{
    for (hs_upstream *u = list; u; u = u->next)
        if (u->zone && hs_str_eq(u->zone->name, name))
            return u->zone;
    return NULL;
}

int hs_proxy_zone_conf(hs_cf *cf, const hs_conf_node *n, hs_upstream *up)
{
    if (up->zone)
        return hs_cf_error(cf, n, "\"zone\" directive is duplicate");
    int64_t size = 0;
    if (n->nargs == 3) {
        size = hs_parse_size(n->args[2]);
        if (size < HS_SHM_MIN_SIZE)
            return hs_cf_error(cf, n, "zone \"%s\" is too small", n->args[1].p);
    }
    if (n->args[1].n == 0 || n->args[1].n >= HS_SHM_NAME_MAX)
        return hs_cf_error(cf, n, "invalid zone name \"%s\"", n->args[1].p);
    px_zone *z = zone_named(up->next, n->args[1]);
    if (z && size && z->size && z->size != size)
        return hs_cf_error(cf, n, "zone \"%s\" is already declared with a different size", n->args[1].p);
    if (z == NULL) {
        z = hs_pcalloc(cf->pool, sizeof(*z));
        if (z == NULL)
            return HS_ERROR;
        z->name = hs_pstr(cf->pool, n->args[1]);
        z->file = n->file;
        z->line = n->line;
    }
    if (size)
        z->size = size;
    up->zone = z;
    return HS_OK;
}

int hs_proxy_zones_check(hs_cf *cf, hs_upstream *list)
{
    for (hs_upstream *u = list; u; u = u->next) {
        if (u->zone && u->zone->size == 0) {
            hs_conf_node at = {.file = u->zone->file, .line = u->zone->line};
            return hs_cf_error(cf, &at, "zone \"%s\" has no size", u->zone->name.p);
        }
    }
    return HS_OK;
}

static bool conf_uses(const void *cfg, const hs_shm_zone *shm)
{
    const hs_config *c = cfg;
    if (c == NULL || c->http == NULL)
        return false;
    for (hs_upstream *u = hs_proxy_upstreams(c->http); u; u = u->next)
        if (u->zone && u->zone->shm == shm)
            return true;
    return false;
}

/* Points the servers of u at their entries in u's zone. */
static int place_servers(hs_upstream *u, char *err, size_t errlen)
{
    struct hs_shm_zone *shm = u->zone->shm;
    hs_shm_lock(shm);
    for (size_t i = 0; i < u->nservers; i++) {
        char key[300];
        int kn = snprintf(key, sizeof(key), "%.*s#%zu", (int)u->name.n, u->name.p, i);
        int created = 0;
        px_peer *p = hs_shm_get(shm, (hs_str){key, (size_t)kn}, 1, &created);
        if (p == NULL || hs_shm_evictions(shm) > 0) {
            hs_shm_unlock(shm);
            snprintf(err, errlen, "upstream zone \"%s\" is too small for its servers", u->zone->name.p);
            return HS_ERROR;
        }
        u->servers[i].st = p;
    }
    hs_shm_unlock(shm);
    return HS_OK;
}

static int make_zone(px_zone *z, char *err, size_t errlen)
{
    z->shm = hs_shm_set_create(&made, "upstream", z->name.p, (size_t)z->size, ZONE_KIND, sizeof(px_peer), err, errlen);
    return z->shm ? HS_OK : HS_ERROR;
}

int hs_proxy_master_init(hs_config *conf, hs_config *old, char *err, size_t errlen)
{
    if (conf->http == NULL)
        return HS_OK;
    for (hs_upstream *u = hs_proxy_upstreams(conf->http); u; u = u->next) {
        if (u->zone == NULL)
            continue;
        if (u->zone->shm == NULL && make_zone(u->zone, err, errlen) != HS_OK)
            return HS_ERROR;
        if (place_servers(u, err, errlen) != HS_OK)
            return HS_ERROR;
    }
    hs_shm_set_sweep(&made, conf_uses, conf, old);
    return HS_OK;
}
