/* The edge directives: map, allow/deny, limit_req_zone,
 * limit_req, limit_conn_zone, limit_conn, their statuses, deny_addr,
 * drop_mode, ban_zone, ban, tarpit_max — and the inheritance of their
 * settings (http -> server -> location), done once the http core merged. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/errlog.h"
#include "core/units.h"
#include "edge/drop.h"
#include "edge/edge_conf.h"

/* ---- levels ---- */

struct hs_edge_http *hs_edge_http_get(hs_cf *cf)
{
    hs_http_conf *http = cf->level[HS_LEVEL_HTTP];
    struct hs_edge_http **slot = (struct hs_edge_http **)&HS_MOD_SLOT(http->mod, &hs_edge_module);
    if (*slot == NULL) {
        *slot = hs_pcalloc(cf->pool, sizeof(**slot));
        (*slot)->tarpit_max = HS_UNSET;
    }
    return *slot;
}

struct hs_edge_loc *hs_edge_loc_get(hs_cf *cf, hs_loc_conf *lc)
{
    struct hs_edge_loc **slot = (struct hs_edge_loc **)&HS_MOD_SLOT(lc->mod, &hs_edge_module);
    if (*slot == NULL) {
        *slot = hs_pcalloc(cf->pool, sizeof(**slot));
        (*slot)->limit_req_status = HS_UNSET;
        (*slot)->limit_conn_status = HS_UNSET;
        (*slot)->limit_req_log_level = HS_UNSET;
        (*slot)->limit_conn_log_level = HS_UNSET;
        (*slot)->limit_req_dry_run = HS_UNSET;
        (*slot)->limit_conn_dry_run = HS_UNSET;
        (*slot)->drop_mode = HS_DROP_UNSET;
    }
    return *slot;
}

static struct hs_edge_loc *here(hs_cf *cf) { return hs_edge_loc_get(cf, cf->level[HS_LEVEL_LOC]); }

static hs_str param(hs_str a, const char *name)
{
    size_t n = strlen(name);
    if (a.n >= n && memcmp(a.p, name, n) == 0)
        return (hs_str){a.p + n, a.n - n};
    return HS_NULL_STR;
}

static int drop_mode_directive(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    struct hs_edge_loc *e = here(cf);
    hs_str a = n->args[1];
    if (e->drop_mode != HS_DROP_UNSET)
        return hs_cf_error(cf, n, "\"drop_mode\" directive is duplicate");
    if (hs_str_eq_lit(a, "close")) {
        e->drop_mode = HS_DROP_CLOSE;
    } else if (hs_str_eq_lit(a, "reset")) {
        e->drop_mode = HS_DROP_RESET;
    } else if (hs_str_eq_lit(a, "silent")) {
        e->drop_mode = HS_DROP_SILENT;
        ((hs_config *)cf->level[HS_LEVEL_MAIN])->keep_net_admin = true; /* TCP_REPAIR, in the workers */
        hs_drop_note_silent();
    } else if (hs_str_eq_lit(a, "tarpit") || hs_str_has_prefix(a, HS_STR("tarpit="))) {
        e->drop_mode = HS_DROP_TARPIT;
        e->tarpit_msec = a.n > 7 ? hs_parse_msec((hs_str){a.p + 7, a.n - 7}) : 30000;
        if (e->tarpit_msec <= 0)
            return hs_cf_error(cf, n, "invalid tarpit time in \"%s\"", a.p);
    } else {
        return hs_cf_error(cf, n, "invalid value \"%s\" in \"drop_mode\": close, reset, silent or tarpit=TIME", a.p);
    }
    return HS_OK;
}

/* ---- allow / deny ---- */

static int access_rule(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    struct hs_edge_loc *e = here(cf);
    hs_cidr c;
    if (hs_cidr_parse(n->args[1], &c) != HS_OK)
        return hs_cf_error(cf, n, "invalid parameter \"%s\"", n->args[1].p);
    size_t k = e->naccess;
    hs_cidr *slot = hs_pvec_push(cf->pool, (void **)&e->access, &e->naccess, sizeof(*slot));
    *slot = c;
    bool *allow = hs_pvec_push(cf->pool, (void **)&e->access_allow, &k, sizeof(*allow));
    *allow = d->name[0] == 'a';
    return HS_OK;
}

/* ---- zones ---- */

static hs_edge_zone *zone_find(struct hs_edge_http *eh, hs_str name, int kind)
{
    for (hs_edge_zone *z = eh->zones; z; z = z->next)
        if (z->kind == kind && hs_str_eq(z->name, name))
            return z;
    return NULL;
}

/* The zone named name of kind, declared or only referenced so far. */
static hs_edge_zone *zone_ref(hs_cf *cf, hs_str name, int kind)
{
    struct hs_edge_http *eh = hs_edge_http_get(cf);
    hs_edge_zone *z = zone_find(eh, name, kind);
    if (z)
        return z;
    z = hs_pcalloc(cf->pool, sizeof(*z));
    z->name = hs_pstr(cf->pool, name);
    z->kind = kind;
    const char *what = kind == HS_ZONE_LIMIT_REQ ? "limit_req" : kind == HS_ZONE_LIMIT_CONN ? "limit_conn" : "ban";
    z->rule = hs_psprintf(cf->pool, "%s:%s", what, z->name.p);
    z->next = eh->zones;
    eh->zones = z;
    return z;
}

/* zone=NAME:SIZE for a declaration. */
static hs_edge_zone *zone_declare(hs_cf *cf, const hs_conf_node *n, hs_str spec, int kind)
{
    const char *colon = memchr(spec.p, ':', spec.n);
    if (colon == NULL || colon == spec.p) {
        hs_cf_error(cf, n, "invalid zone size \"%s\"", spec.p);
        return NULL;
    }
    hs_str name = {spec.p, (size_t)(colon - spec.p)};
    int64_t size = hs_parse_size((hs_str){colon + 1, spec.n - name.n - 1});
    if (size < HS_SHM_MIN_SIZE) {
        hs_cf_error(cf, n, "zone \"%.*s\" is too small (at least %dk)", (int)name.n, name.p, HS_SHM_MIN_SIZE / 1024);
        return NULL;
    }
    hs_edge_zone *z = zone_ref(cf, name, kind);
    if (z->size) {
        hs_cf_error(cf, n, "duplicate zone \"%.*s\"", (int)name.n, name.p);
        return NULL;
    }
    z->size = (size_t)size;
    z->file = n->file;
    z->line = n->line;
    return z;
}

/* sync=redis://..., sync_prefix=NAME, sync_interval=TIME: the zone is
 * shared with a fleet. Only kept here; src/sync checks and uses them.
 * Returns 1 when a was one of them, 0 when not, HS_ERROR on a bad value. */
typedef struct {
    hs_str url, prefix;
    int64_t interval;
} sync_args;

static int sync_param(hs_cf *cf, const hs_conf_node *n, hs_str a, sync_args *sa, bool interval_ok)
{
    hs_str v;
    if ((v = param(a, "sync=")).p) {
        sa->url = v;
    } else if ((v = param(a, "sync_prefix=")).p) {
        sa->prefix = v;
    } else if (interval_ok && (v = param(a, "sync_interval=")).p) {
        sa->interval = hs_parse_msec(v);
        if (sa->interval <= 0 || sa->interval > 60000)
            return hs_cf_error(cf, n, "invalid \"sync_interval\" \"%s\" (1ms to 60s)", v.p);
    } else {
        return 0;
    }
    return 1;
}

static int sync_apply(hs_cf *cf, const hs_conf_node *n, const sync_args *sa, hs_edge_zone *z)
{
    if (sa->url.p == NULL && (sa->prefix.p || sa->interval))
        return hs_cf_error(cf, n, "\"sync_prefix\" and \"sync_interval\" need \"sync=redis://...\"");
    z->sync_url = sa->url;
    z->sync_prefix = sa->prefix;
    z->sync_interval_msec = sa->interval;
    return HS_OK;
}

static int zone_key(hs_cf *cf, const hs_conf_node *n, hs_str text, hs_edge_zone *z)
{
    if (hs_cv_compile(cf, n, text, &z->key) != HS_OK)
        return HS_ERROR;
    z->key_is_addr = hs_str_eq_lit(text, "$binary_remote_addr") || hs_str_eq_lit(text, "$remote_addr");
    return HS_OK;
}

static int limit_req_zone(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    hs_edge_zone *z = NULL;
    hs_str key = HS_NULL_STR, rate = HS_NULL_STR;
    sync_args sa = {0};
    for (size_t i = 1; i < n->nargs; i++) {
        hs_str a = n->args[i], v;
        int is_sync = sync_param(cf, n, a, &sa, true);
        if (is_sync < 0)
            return HS_ERROR;
        if (is_sync)
            continue;
        if ((v = param(a, "zone=")).p) {
            if ((z = zone_declare(cf, n, v, HS_ZONE_LIMIT_REQ)) == NULL)
                return HS_ERROR;
        } else if ((v = param(a, "rate=")).p) {
            rate = v;
        } else if (hs_str_eq_lit(a, "sync")) {
            return hs_cf_error(cf, n, "\"sync\" is nginx plus's zone_sync: hush shares zones through "
                                      "Redis with \"sync=redis://HOST:PORT\"");
        } else if (key.p == NULL) {
            key = a;
        } else {
            return hs_cf_error(cf, n, "invalid parameter \"%s\"", a.p);
        }
    }
    if (z == NULL || key.p == NULL)
        return hs_cf_error(cf, n, "\"%s\" must have \"zone\" parameter and a key", n->args[0].p);
    int64_t scale;
    if (rate.n > 3 && memcmp(rate.p + rate.n - 3, "r/s", 3) == 0)
        scale = 1;
    else if (rate.n > 3 && memcmp(rate.p + rate.n - 3, "r/m", 3) == 0)
        scale = 60;
    else
        return hs_cf_error(cf, n, "invalid rate \"%s\"", rate.p ? rate.p : "");
    int64_t r = hs_parse_int((hs_str){rate.p, rate.n - 3});
    if (r <= 0)
        return hs_cf_error(cf, n, "invalid rate \"%s\"", rate.p);
    z->rate = (uint64_t)(r * 1000 / scale);
    if (z->rate == 0)
        z->rate = 1;
    if (sync_apply(cf, n, &sa, z) != HS_OK)
        return HS_ERROR;
    return zone_key(cf, n, key, z);
}

static int limit_req(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    struct hs_edge_loc *e = here(cf);
    hs_limit_req lr = {0};
    bool nodelay = false;
    int64_t delay = 0;
    for (size_t i = 1; i < n->nargs; i++) {
        hs_str a = n->args[i], v;
        if ((v = param(a, "zone=")).p) {
            lr.zone = zone_ref(cf, v, HS_ZONE_LIMIT_REQ);
        } else if ((v = param(a, "burst=")).p) {
            int64_t b = hs_parse_int(v);
            if (b <= 0)
                return hs_cf_error(cf, n, "invalid burst value \"%s\"", a.p);
            lr.burst = (uint64_t)b * 1000;
        } else if ((v = param(a, "delay=")).p) {
            delay = hs_parse_int(v);
            if (delay <= 0)
                return hs_cf_error(cf, n, "invalid delay value \"%s\"", a.p);
        } else if (hs_str_eq_lit(a, "nodelay")) {
            nodelay = true;
        } else {
            return hs_cf_error(cf, n, "invalid parameter \"%s\"", a.p);
        }
    }
    if (lr.zone == NULL)
        return hs_cf_error(cf, n, "\"limit_req\" must have \"zone\" parameter");
    lr.delay = nodelay ? UINT64_MAX : (uint64_t)delay * 1000;
    for (size_t i = 0; i < e->nlimit_req; i++)
        if (e->limit_req[i].zone == lr.zone)
            return hs_cf_error(cf, n, "\"limit_req\" zone \"%s\" is duplicate", lr.zone->name.p);
    if (e->nlimit_req >= HS_MAX_LIMIT_REQ)
        return hs_cf_error(cf, n, "more than %d \"limit_req\" in one place", HS_MAX_LIMIT_REQ);
    hs_limit_req *slot = hs_pvec_push(cf->pool, (void **)&e->limit_req, &e->nlimit_req, sizeof(*slot));
    *slot = lr;
    return HS_OK;
}

static int limit_conn_zone(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    hs_str spec = param(n->args[2], "zone=");
    if (spec.p == NULL)
        return hs_cf_error(cf, n, "invalid parameter \"%s\"", n->args[2].p);
    hs_edge_zone *z = zone_declare(cf, n, spec, HS_ZONE_LIMIT_CONN);
    if (z == NULL)
        return HS_ERROR;
    return zone_key(cf, n, n->args[1], z);
}

static int limit_conn(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    struct hs_edge_loc *e = here(cf);
    int64_t max = hs_parse_int(n->args[2]);
    if (max <= 0 || max > 65535)
        return hs_cf_error(cf, n, "invalid number of connections \"%s\"", n->args[2].p);
    hs_limit_conn lc = {zone_ref(cf, n->args[1], HS_ZONE_LIMIT_CONN), (uint32_t)max};
    for (size_t i = 0; i < e->nlimit_conn; i++)
        if (e->limit_conn[i].zone == lc.zone)
            return hs_cf_error(cf, n, "\"limit_conn\" zone \"%s\" is duplicate", n->args[1].p);
    hs_limit_conn *slot = hs_pvec_push(cf->pool, (void **)&e->limit_conn, &e->nlimit_conn, sizeof(*slot));
    *slot = lc;
    return HS_OK;
}

static int limit_status(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    struct hs_edge_loc *e = here(cf);
    int *slot = strstr(d->name, "req") ? &e->limit_req_status : &e->limit_conn_status;
    int64_t v = hs_parse_int(n->args[1]);
    if (v != 444 && (v < 400 || v > 599))
        return hs_cf_error(cf, n, "value must be between 400 and 599 (or 444)");
    if (*slot != HS_UNSET)
        return hs_cf_error(cf, n, "\"%s\" directive is duplicate", d->name);
    *slot = (int)v;
    return HS_OK;
}

/* limit_req_log_level / limit_conn_log_level info | notice | warn | error */
static int limit_log_level(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    static const hs_conf_enum levels[] = {
        {"info", HS_LOG_INFO}, {"notice", HS_LOG_NOTICE}, {"warn", HS_LOG_WARN}, {"error", HS_LOG_ERR}, {NULL, 0}};
    struct hs_edge_loc *e = here(cf);
    int *slot = strstr(d->name, "req") ? &e->limit_req_log_level : &e->limit_conn_log_level;
    if (*slot != HS_UNSET)
        return hs_cf_error(cf, n, "\"%s\" directive is duplicate", d->name);
    for (const hs_conf_enum *l = levels; l->name; l++) {
        if (hs_str_eq_lit(n->args[1], l->name)) {
            *slot = l->value;
            return HS_OK;
        }
    }
    return hs_cf_error(cf, n, "invalid value \"%s\" in \"%s\" directive", n->args[1].p, d->name);
}

/* limit_req_dry_run / limit_conn_dry_run on | off */
static int limit_dry_run(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    struct hs_edge_loc *e = here(cf);
    return hs_set_flag(cf, n, strstr(d->name, "req") ? &e->limit_req_dry_run : &e->limit_conn_dry_run, d);
}

/* ---- accept phase: deny_addr, tarpit_max ---- */

static int deny_addr(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    struct hs_edge_http *eh = hs_edge_http_get(cf);
    for (size_t i = 1; i < n->nargs; i++) {
        hs_cidr c;
        if (hs_cidr_parse(n->args[i], &c) != HS_OK)
            return hs_cf_error(cf, n, "invalid address \"%s\" in \"deny_addr\"", n->args[i].p);
        hs_cidr *slot = hs_pvec_push(cf->pool, (void **)&eh->deny_addr, &eh->ndeny_addr, sizeof(*slot));
        *slot = c;
    }
    return HS_OK;
}

static int tarpit_max(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    struct hs_edge_http *eh = hs_edge_http_get(cf);
    int64_t v = hs_parse_int(n->args[1]);
    if (v < 0)
        return hs_cf_error(cf, n, "invalid value \"%s\"", n->args[1].p);
    eh->tarpit_max = v;
    return HS_OK;
}

/* ---- bans ---- */

static int ban_zone(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    hs_edge_zone *z = NULL;
    hs_str key = HS_NULL_STR;
    int64_t threshold = 0, window = 0, duration = 0;
    sync_args sa = {0};
    for (size_t i = 1; i < n->nargs; i++) {
        hs_str a = n->args[i], v;
        if (sync_param(cf, n, a, &sa, false))
            continue;
        if ((v = param(a, "zone=")).p) {
            if ((z = zone_declare(cf, n, v, HS_ZONE_BAN)) == NULL)
                return HS_ERROR;
        } else if ((v = param(a, "key=")).p) {
            key = v;
        } else if ((v = param(a, "threshold=")).p) {
            threshold = hs_parse_int(v);
        } else if ((v = param(a, "window=")).p) {
            window = hs_parse_msec(v);
        } else if ((v = param(a, "duration=")).p) {
            duration = hs_parse_msec(v);
        } else {
            return hs_cf_error(cf, n, "invalid parameter \"%s\"", a.p);
        }
    }
    if (z == NULL)
        return hs_cf_error(cf, n, "\"ban_zone\" must have \"zone\" parameter");
    if (key.p == NULL)
        key = HS_STR("$binary_remote_addr");
    if (threshold <= 0 || window <= 0 || duration <= 0)
        return hs_cf_error(cf, n, "\"ban_zone\" needs threshold=N window=TIME duration=TIME");
    z->threshold = threshold;
    z->window_msec = window;
    z->duration_msec = duration;
    if (sync_apply(cf, n, &sa, z) != HS_OK || zone_key(cf, n, key, z) != HS_OK)
        return HS_ERROR;
    if (!z->key_is_addr)
        return hs_cf_error(cf, n, "\"ban_zone\" key must be $binary_remote_addr or $remote_addr: "
                                  "bans are checked at accept, before any request exists");
    struct hs_edge_http *eh = hs_edge_http_get(cf);
    hs_edge_zone **slot = hs_pvec_push(cf->pool, (void **)&eh->accept_bans, &eh->naccept_bans, sizeof(*slot));
    *slot = z;
    return HS_OK;
}

static int ban(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    struct hs_edge_loc *e = here(cf);
    hs_ban_rule b = {0};
    for (size_t i = 1; i < n->nargs; i++) {
        hs_str a = n->args[i], v;
        if ((v = param(a, "zone=")).p) {
            b.zone = zone_ref(cf, v, HS_ZONE_BAN);
        } else if ((v = param(a, "on=")).p) {
            while (v.n) {
                const char *comma = memchr(v.p, ',', v.n);
                hs_str item = {v.p, comma ? (size_t)(comma - v.p) : v.n};
                int64_t s = hs_parse_int(item);
                if (s < 100 || s > 999 || b.non == HS_ARRAY_LEN(b.on))
                    return hs_cf_error(cf, n, "invalid status \"%.*s\" in \"on=\"", (int)item.n, item.p);
                b.on[b.non++] = (uint16_t)s;
                v = comma ? (hs_str){comma + 1, v.n - item.n - 1} : HS_NULL_STR;
            }
        } else {
            return hs_cf_error(cf, n, "invalid parameter \"%s\"", a.p);
        }
    }
    if (b.zone == NULL)
        return hs_cf_error(cf, n, "\"ban\" must have \"zone\" parameter");
    if (b.non == 0) {
        static const uint16_t dflt[] = {444, 400, 408, 429};
        memcpy(b.on, dflt, sizeof(dflt));
        b.non = HS_ARRAY_LEN(dflt);
    }
    hs_ban_rule *slot = hs_pvec_push(cf->pool, (void **)&e->bans, &e->nbans, sizeof(*slot));
    *slot = b;
    return HS_OK;
}

/* ---- finishing: zones checked, settings inherited, if blocks completed ---- */

static void merge_level(hs_cf *cf, hs_loc_conf *lc, const struct hs_edge_loc *p, struct hs_edge_http *eh)
{
    struct hs_edge_loc *e = hs_edge_loc_get(cf, lc);
    if (e->access == NULL) {
        e->access = p->access;
        e->access_allow = p->access_allow;
        e->naccess = p->naccess;
    }
    if (e->limit_req == NULL) {
        e->limit_req = p->limit_req;
        e->nlimit_req = p->nlimit_req;
    }
    if (e->limit_conn == NULL) {
        e->limit_conn = p->limit_conn;
        e->nlimit_conn = p->nlimit_conn;
    }
    if (e->bans == NULL) {
        e->bans = p->bans;
        e->nbans = p->nbans;
    }
    HS_MERGE(e->limit_req_status, p->limit_req_status, 503);
    HS_MERGE(e->limit_conn_status, p->limit_conn_status, 503);
    HS_MERGE(e->limit_req_log_level, p->limit_req_log_level, HS_LOG_ERR);
    HS_MERGE(e->limit_conn_log_level, p->limit_conn_log_level, HS_LOG_ERR);
    HS_MERGE(e->limit_req_dry_run, p->limit_req_dry_run, 0);
    HS_MERGE(e->limit_conn_dry_run, p->limit_conn_dry_run, 0);
    if (e->drop_mode == HS_DROP_UNSET) {
        e->drop_mode = p->drop_mode; /* unset all the way up: see hs_edge_drop_conn */
        e->tarpit_msec = p->tarpit_msec;
    }
    eh->uses_limits |= e->nlimit_req > 0 || e->nlimit_conn > 0;
    eh->uses_access |= e->naccess > 0;
    eh->uses_bans |= e->nbans > 0;
    e->http = eh;
    e->merged = true;
    if (lc->limit_except)
        merge_level(cf, lc->limit_except, e, eh);
    for (size_t i = 0; i < lc->nchildren; i++)
        merge_level(cf, lc->children[i], e, eh);
}

int hs_edge_conf_finish(hs_cf *cf, hs_http_conf *http)
{
    struct hs_edge_http *eh = hs_edge_http_get(cf);
    for (hs_edge_zone *z = eh->zones; z; z = z->next) {
        if (z->size == 0) {
            const char *what = z->kind == HS_ZONE_LIMIT_REQ ? "limit_req" : z->kind == HS_ZONE_LIMIT_CONN ? "limit_conn" : "ban";
            snprintf(cf->err, cf->errlen, "%s: zero size shared memory zone \"%s\" (no %s_zone for it)",
                     cf->user ? ((hs_config *)cf->user)->file : "", z->name.p, what);
            cf->errored = true;
            return HS_ERROR;
        }
    }
    if (eh->tarpit_max == HS_UNSET)
        eh->tarpit_max = 1024;
    struct hs_edge_loc root = {.limit_req_status = HS_UNSET, .limit_conn_status = HS_UNSET,
                               .limit_req_log_level = HS_UNSET, .limit_conn_log_level = HS_UNSET,
                               .limit_req_dry_run = HS_UNSET, .limit_conn_dry_run = HS_UNSET,
                               .drop_mode = HS_DROP_UNSET};
    merge_level(cf, http->loc, &root, eh);
    eh->top = hs_edge_loc_of(http->loc);
    for (size_t i = 0; i < http->nservers; i++)
        merge_level(cf, http->servers[i]->loc, eh->top, eh);
    return hs_edge_register(cf, http, eh);
}

const hs_directive hs_edge_directives[] = {
    {"map", HS_CTX_HTTP, HS_ARGS_2 | HS_ARGS_BLOCK, hs_edge_map_block, HS_LEVEL_NONE, 0, NULL},
    {"drop_mode", HS_CTX_HSL, HS_ARGS_1, drop_mode_directive, HS_LEVEL_NONE, 0, NULL},
    {"allow", HS_CTX_HSL | HS_CTX_LIMIT_EXCEPT, HS_ARGS_1, access_rule, HS_LEVEL_NONE, 0, NULL},
    {"deny", HS_CTX_HSL | HS_CTX_LIMIT_EXCEPT, HS_ARGS_1, access_rule, HS_LEVEL_NONE, 0, NULL},
    {"limit_req_zone", HS_CTX_HTTP, HS_ARGS_2MORE, limit_req_zone, HS_LEVEL_NONE, 0, NULL},
    {"limit_req", HS_CTX_HSL, HS_ARGS_123, limit_req, HS_LEVEL_NONE, 0, NULL},
    {"limit_req_status", HS_CTX_HSL, HS_ARGS_1, limit_status, HS_LEVEL_NONE, 0, NULL},
    {"limit_req_log_level", HS_CTX_HSL, HS_ARGS_1, limit_log_level, HS_LEVEL_NONE, 0, NULL},
    {"limit_req_dry_run", HS_CTX_HSL, HS_ARGS_1, limit_dry_run, HS_LEVEL_NONE, 0, NULL},
    {"limit_conn_zone", HS_CTX_HTTP, HS_ARGS_2, limit_conn_zone, HS_LEVEL_NONE, 0, NULL},
    {"limit_conn", HS_CTX_HSL, HS_ARGS_2, limit_conn, HS_LEVEL_NONE, 0, NULL},
    {"limit_conn_status", HS_CTX_HSL, HS_ARGS_1, limit_status, HS_LEVEL_NONE, 0, NULL},
    {"limit_conn_log_level", HS_CTX_HSL, HS_ARGS_1, limit_log_level, HS_LEVEL_NONE, 0, NULL},
    {"limit_conn_dry_run", HS_CTX_HSL, HS_ARGS_1, limit_dry_run, HS_LEVEL_NONE, 0, NULL},
    {"deny_addr", HS_CTX_HTTP, HS_ARGS_1MORE, deny_addr, HS_LEVEL_NONE, 0, NULL},
    {"tarpit_max", HS_CTX_HTTP, HS_ARGS_1, tarpit_max, HS_LEVEL_NONE, 0, NULL},
    {"ban_zone", HS_CTX_HTTP, HS_ARGS_1MORE, ban_zone, HS_LEVEL_NONE, 0, NULL},
    {"ban", HS_CTX_HSL, HS_ARGS_12, ban, HS_LEVEL_NONE, 0, NULL},
    {NULL, 0, 0, NULL, 0, 0, NULL},
};
