/* The cache module's records: the module, the hooks the upstream
 * machinery calls (proxy/upstream.h's hs_up_cache), the checks after the
 * http block, and $upstream_cache_status. */
#include <string.h>

#include "cache/cache_internal.h"
#include "stats/expo.h"

const hs_up_cache hs_cache_hooks = {
    .lookup = hs_cache_lookup,
    .fields = hs_cache_fields,
    .head = hs_cache_head,
    .body = hs_cache_body,
    .end = hs_cache_end,
    .stale = hs_cache_stale,
    .serve = hs_cache_serve_stale,
};

static cache_zone *zone_named(cache_http *ch, hs_str name)
{
    for (cache_zone *z = ch ? ch->zones : NULL; z; z = z->next)
        if (hs_str_eq(z->name, name))
            return z;
    return NULL;
}

static const char *const prefixes[CACHE_PROTOS] = {"proxy", "fastcgi"};

/* A level's cache settings: the zone exists, the key compiles. */
static int finish_loc(hs_cf *cf, cache_http *ch, cache_loc *cl, size_t proto, bool *used)
{
    if (cl == NULL || !cl->on || cl->zone)
        return HS_OK;
    hs_conf_node at = {.file = cl->file, .line = cl->line};
    cl->zone = zone_named(ch, cl->zone_name);
    if (cl->zone == NULL)
        return hs_cf_error(cf, &at, "\"%s_cache\" zone \"%s\" is unknown", prefixes[proto], cl->zone_name.p);
    if (!cl->key_set && proto == 1)
        return hs_cf_error(cf, &at, "no \"fastcgi_cache_key\" for \"fastcgi_cache\"");
    if (!cl->key_set && hs_cv_compile(cf, &at, HS_STR("$scheme$proxy_host$request_uri"), &cl->key) != HS_OK)
        return HS_ERROR;
    cl->key_set = true;
    *used = true;
    return HS_OK;
}

static int finish_tree(hs_cf *cf, cache_http *ch, hs_loc_conf *lc, bool *used)
{
    cache_conf *cc = cache_conf_of(lc);
    for (size_t i = 0; cc && i < CACHE_PROTOS; i++)
        if (finish_loc(cf, ch, cc->by_proto[i], i, used) != HS_OK)
            return HS_ERROR;
    for (size_t i = 0; i < lc->nchildren; i++)
        if (finish_tree(cf, ch, lc->children[i], used) != HS_OK)
            return HS_ERROR;
    return HS_OK;
}

int hs_cache_http_finish(hs_cf *cf, hs_http_conf *http)
{
    bool used = false;
    cache_http *ch = hs_cache_http_of(http);
    if (finish_tree(cf, ch, http->loc, &used) != HS_OK)
        return HS_ERROR;
    for (size_t i = 0; i < http->nservers; i++)
        if (finish_tree(cf, ch, http->servers[i]->loc, &used) != HS_OK)
            return HS_ERROR;
    if (ch)
        ch->used = used; /* hs_cache_master_init sets the hooks: not a configuration that may fail */
    return used ? hs_http_add_phase(cf, http, HS_PHASE_LOG, hs_cache_log) : HS_OK;
}

/* ---- $upstream_cache_status ---- */

static int v_status(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    (void)scratch;
    hs_req *r = ctx;
    static const hs_str names[] = {HS_STR(""), HS_STR("MISS"), HS_STR("BYPASS"), HS_STR("EXPIRED"),
                                   HS_STR("STALE"), HS_STR("UPDATING"), HS_STR("REVALIDATED"), HS_STR("HIT")};
    cache_req *cr = r->bare ? NULL : CR(r);
    if (cr == NULL || cr->status == CS_NONE)
        return HS_DECLINED;
    *out = names[cr->status];
    return HS_OK;
}

const hs_var_def hs_cache_variables[] = {
    {"upstream_cache_status", v_status, 0, false, false},
    {NULL, NULL, 0, false, false},
};

hs_module hs_cache_module = {
    .name = "cache",
    .directives = {hs_cache_directives},
    .variables = hs_cache_variables,
    .merge_loc = hs_cache_merge_loc,
    .http_finish = hs_cache_http_finish,
    .master_init = hs_cache_master_init,
    .worker_exited = hs_cache_worker_exited,
};

/* ---- metrics: by zone, from its totals in shared memory ---- */

void hs_cache_metrics(hs_expo *e)
{
    static const char *const names[] = {"hit", "miss", "expired", "stale", "updating", "bypass", "revalidated"};
    cache_zone *zones = hs_cache_running ? hs_cache_running->zones : NULL;
    hs_expo_head(e, "hush_cache_requests_total", "counter", "Requests a cache zone answered or passed on, by outcome");
    for (cache_zone *z = zones; z; z = z->next) {
        hs_shm_lock(z->shm);
        cache_totals t = *hs_cache_totals(z);
        hs_shm_unlock(z->shm);
        uint64_t v[] = {t.hits, t.misses, t.expired, t.stale, t.updating, t.bypass, t.revalidated};
        for (size_t i = 0; i < HS_ARRAY_LEN(v); i++) {
            const char *labels[] = {"zone", z->name.p, "status", names[i], NULL};
            hs_expo_u64(e, "hush_cache_requests_total", labels, v[i]);
        }
    }
    struct { const char *name, *type, *help; } fam[] = {
        {"hush_cache_served_bytes_total", "counter", "Body bytes served from a cache zone's files"},
        {"hush_cache_stored_bytes_total", "counter", "Body bytes written to a cache zone's files"},
        {"hush_cache_size_bytes", "gauge", "Bytes of a cache zone's files on disk (the manager's sum)"},
        {"hush_cache_evictions_total", "counter", "Entries the cache manager removed (inactive, max_size)"},
    };
    for (size_t f = 0; f < HS_ARRAY_LEN(fam); f++) {
        hs_expo_head(e, fam[f].name, fam[f].type, fam[f].help);
        for (cache_zone *z = zones; z; z = z->next) {
            hs_shm_lock(z->shm);
            cache_totals t = *hs_cache_totals(z);
            hs_shm_unlock(z->shm);
            const char *labels[] = {"zone", z->name.p, NULL};
            int64_t v[] = {(int64_t)t.bytes_hit, (int64_t)t.bytes_stored, t.total_size, (int64_t)t.evicted};
            hs_expo_i64(e, fam[f].name, labels, v[f]);
        }
    }
}
