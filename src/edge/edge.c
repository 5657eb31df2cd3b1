/* The edge rules at work: the hooks the edge module registers with the HTTP
 * core, in nginx's phase order — accept (deny_addr, bans), post-read (a ban
 * that started while a kept-alive connection waited), preaccess (limit_req,
 * limit_conn), access (allow/deny), log (bans count endings, limit_conn
 * gives back) — and the shared zones' life in the master. */
#include "edge/edge.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/errlog.h"
#include "edge/drop.h"
#include "edge/edge_conf.h"
#include "stats/counters.h"

typedef hs_edge_req edge_req;

static struct hs_edge_http *http_of(hs_listen_group *g)
{
    struct hs_edge_loc *e = hs_edge_loc_of(g->default_srv->loc);
    return e ? e->http : NULL;
}

hs_edge_req *hs_edge_req_of(hs_req *r)
{
    edge_req *st = hs_http_get_ctx(r, &hs_edge_module);
    if (st == NULL) {
        st = hs_pcalloc(r->pool, sizeof(edge_req));
        if (st == NULL || hs_http_set_ctx(r, &hs_edge_module, st) != HS_OK)
            return NULL;
        st->r = r;
    }
    return st;
}

/* ---- master: shared zones ---- */

#define MAX_ZONES 64

static struct {
    hs_shm_zone *shm;
    char name[HS_SHM_NAME_MAX];
    int kind;
    size_t size;
} zones[MAX_ZONES]; /* every zone the master holds, over configurations */
static size_t nzones;

static size_t val_size(int kind)
{
    return kind == HS_ZONE_LIMIT_REQ ? hs_limit_req_val_size()
           : kind == HS_ZONE_LIMIT_CONN ? hs_limit_conn_val_size()
                                        : hs_ban_val_size();
}

static bool conf_uses(const hs_config *c, const hs_shm_zone *shm)
{
    if (c == NULL || hs_edge_http_of(c->http) == NULL)
        return false;
    for (hs_edge_zone *z = hs_edge_http_of(c->http)->zones; z; z = z->next)
        if (z->shm == shm)
            return true;
    return false;
}

/* The zone of the same name, kind and size that an older configuration
 * made: its state is kept over a reload. */
static hs_shm_zone *kept_zone(const hs_edge_zone *z)
{
    for (size_t i = 0; i < nzones; i++)
        if (zones[i].kind == z->kind && zones[i].size == z->size && strcmp(zones[i].name, z->name.p) == 0)
            return zones[i].shm;
    return NULL;
}

static int zone_create(hs_edge_zone *z, char *err, size_t errlen)
{
    if (nzones == MAX_ZONES) {
        snprintf(err, errlen, "too many shared zones (at most %d)", MAX_ZONES);
        return HS_ERROR;
    }
    z->shm = hs_shm_create(z->name.p, z->size, (uint32_t)z->kind, val_size(z->kind), err, errlen);
    if (z->shm == NULL)
        return HS_ERROR;
    zones[nzones].shm = z->shm;
    snprintf(zones[nzones].name, sizeof(zones[nzones].name), "%s", z->name.p);
    zones[nzones].kind = z->kind;
    zones[nzones].size = z->size;
    nzones++;
    return HS_OK;
}

int hs_edge_master_init(hs_config *conf, hs_config *old, char *err, size_t errlen)
{
    if (hs_edge_http_of(conf->http) == NULL)
        return HS_OK;
    for (hs_edge_zone *z = hs_edge_http_of(conf->http)->zones; z; z = z->next) {
        z->shm = kept_zone(z);
        if (z->shm == NULL && zone_create(z, err, errlen) != HS_OK)
            return HS_ERROR;
    }
    /* zones neither configuration uses: the workers that used them keep their own mapping */
    for (size_t i = 0; i < nzones;) {
        if (conf_uses(conf, zones[i].shm) || conf_uses(old, zones[i].shm)) {
            i++;
            continue;
        }
        hs_shm_destroy(zones[i].shm);
        zones[i] = zones[--nzones];
    }
    return HS_OK;
}

/* ---- accept and post-read: deny_addr and bans ---- */

static void count_ending(hs_loc_conf *lc, int status, const struct sockaddr *peer);

/* The rule of a ban zone that bans this address now, or NULL. */
static const char *banned_by(struct hs_edge_http *e, const struct sockaddr *sa)
{
    for (size_t i = 0; i < e->naccept_bans; i++)
        if (e->accept_bans[i]->shm && hs_ban_check(e->accept_bans[i], sa))
            return e->accept_bans[i]->rule;
    return NULL;
}

/* The accept-phase rule that drops an address: deny_addr, a ban; or NULL. */
static const char *accept_rule(struct hs_edge_http *e, const struct sockaddr *sa)
{
    for (size_t i = 0; i < e->ndeny_addr; i++)
        if (hs_cidr_match(&e->deny_addr[i], sa))
            return "deny_addr";
    return banned_by(e, sa);
}

static int accept_hook(hs_listener *l, int fd, const struct sockaddr_storage *peer)
{
    struct hs_edge_http *e = http_of(l->groups[0]);
    const struct sockaddr *sa = (const struct sockaddr *)peer;
    const char *rule = accept_rule(e, sa);
    if (rule == NULL)
        return HS_OK;
    if (rule[0] == 'd') /* deny_addr counts toward the bans, as every drop; a ban's own drops do not */
        count_ending(l->groups[0]->default_srv->loc, 444, sa);
    hs_stats_drop(rule);
    hs_http_accept_dropped(l, fd, peer, rule);
    hs_edge_drop_fd(fd, e->top->drop_mode, e->top->tarpit_msec, e->tarpit_max);
    return HS_DECLINED;
}

/* The client's address became known after accept (a PROXY header's
 * source): deny_addr and the bans judge it at once, as at accept; the drop
 * ends the way the address's default server says (drop_mode). */
static int addressed_hook(hs_conn *c, const struct sockaddr *sa)
{
    hs_loc_conf *lc = c->group->default_srv->loc;
    const char *rule = accept_rule(http_of(c->group), sa);
    if (rule == NULL)
        return HS_OK;
    if (rule[0] == 'd')
        count_ending(lc, 444, sa);
    hs_stats_drop(rule);
    hs_conn_drop(c, HS_END_DROP, rule, lc);
    return HS_DONE;
}

/* A ban that started while a kept-alive connection waited: its next request
 * is dropped. */
static int post_read_hook(hs_req *r)
{
    const char *ban = banned_by(http_of(r->conn->group), hs_req_addr(r));
    if (ban == NULL)
        return HS_OK;
    hs_http_drop(r, ban);
    return HS_DONE;
}

/* ---- preaccess: limit_req, limit_conn ---- */

static int reject(hs_req *r, int status, const char *rule)
{
    hs_http_finalize_rule(r, status, rule);
    return HS_DONE;
}

static bool eval_key(hs_req *r, hs_edge_zone *z, hs_str *key)
{
    if (hs_cv_eval(&z->key, r, r->pool, key) != HS_OK || key->n == 0)
        return false; /* an empty key is not limited, as nginx */
    if (key->n > 65535) {
        hs_log(HS_LOG_ERR, "*%llu the value of the \"%s\" key is more than 65535 bytes",
               (unsigned long long)r->conn->number, z->key.raw.p);
        return false;
    }
    return true;
}

static void release_held(edge_req *st)
{
    for (size_t i = 0; i < st->nheld; i++)
        hs_limit_conn_release(st->held[i].zone, st->held[i].key);
    st->nheld = 0;
}

static void on_delay_over(hs_timer *t)
{
    edge_req *st = (edge_req *)t;
    hs_http_phases_resume(st->r);
}

/* limit_req_log_level / limit_conn_log_level: refusals at the level, a
 * delay one level lower (info stays info), in nginx's words (fail2ban's
 * nginx-limit-req filter reads the first). excess is in thousandths. */
static void log_limit_req(hs_req *r, int level, bool delaying, bool dry_run, int64_t excess,
                          const hs_edge_zone *z)
{
    hs_log_ctx(level, r, 0, delaying ? "delaying request%s, excess: %lld.%03lld, by zone \"%s\""
                                     : "limiting requests%s, excess: %lld.%03lld by zone \"%s\"",
               dry_run ? ", dry run" : "", (long long)(excess / 1000), (long long)(excess % 1000),
               z->name.p);
}

static int lower_level(int level) { return level < HS_LOG_INFO ? level + 1 : level; }

/* Every zone is checked before any is charged, as nginx does: a request
 * one zone rejects costs the others nothing. In dry run nothing is
 * rejected or delayed, but the zones count as usual. */
static int limit_reqs(hs_req *r, struct hs_edge_loc *e, edge_req *st, uint64_t *max_delay)
{
    hs_str keys[HS_MAX_LIMIT_REQ];
    size_t n = e->nlimit_req < HS_MAX_LIMIT_REQ ? e->nlimit_req : HS_MAX_LIMIT_REQ;
    for (size_t i = 0; i < n; i++) /* no key (or no zone yet): not limited */
        if (e->limit_req[i].zone->shm == NULL || !eval_key(r, e->limit_req[i].zone, &keys[i]))
            keys[i] = HS_NULL_STR;
    for (int commit = 0; commit <= 1; commit++) {
        for (size_t i = 0; i < n; i++) {
            hs_limit_req *lr = &e->limit_req[i];
            uint64_t d = 0;
            int64_t excess = 0;
            if (keys[i].p == NULL)
                continue;
            st->req_status = HS_LIMIT_PASSED;
            if (hs_limit_req_account(lr->zone, keys[i], lr, hs_now.mono_msec, &d, &excess, commit) != HS_OK) {
                log_limit_req(r, e->limit_req_log_level, false, e->limit_req_dry_run, excess, lr->zone);
                st->req_status = e->limit_req_dry_run ? HS_LIMIT_REJECTED_DRY_RUN : HS_LIMIT_REJECTED;
                if (!e->limit_req_dry_run)
                    return reject(r, e->limit_req_status, lr->zone->rule);
                keys[i] = HS_NULL_STR; /* not charged, as nginx */
            }
            if (commit && d > *max_delay) {
                *max_delay = d;
                st->delay_excess = excess;
                st->delay_zone = lr->zone;
            }
        }
    }
    return HS_OK;
}

static int limit_conns(hs_req *r, struct hs_edge_loc *e, edge_req *st)
{
    for (size_t i = 0; i < e->nlimit_conn && st->nheld < HS_EDGE_MAX_HELD; i++) {
        hs_limit_conn *lc = &e->limit_conn[i];
        hs_str key;
        if (lc->zone->shm == NULL || !eval_key(r, lc->zone, &key))
            continue;
        st->conn_status = HS_LIMIT_PASSED;
        if (hs_limit_conn_acquire(lc->zone, key, lc->max) != HS_OK) {
            hs_log_ctx(e->limit_conn_log_level, r, 0, "limiting connections%s by zone \"%s\"",
                       e->limit_conn_dry_run ? ", dry run," : "", lc->zone->name.p);
            st->conn_status = e->limit_conn_dry_run ? HS_LIMIT_REJECTED_DRY_RUN : HS_LIMIT_REJECTED;
            if (e->limit_conn_dry_run)
                continue;
            release_held(st);
            return reject(r, e->limit_conn_status, lc->zone->rule);
        }
        st->held[st->nheld].zone = lc->zone;
        st->held[st->nheld].key = hs_pstr(r->pool, key);
        st->nheld++;
    }
    return HS_OK;
}

/* A limit_req delay: the request waits (in dry run it only says so). */
static int hold_for(hs_req *r, struct hs_edge_loc *e, edge_req *st, uint64_t delay)
{
    log_limit_req(r, lower_level(e->limit_req_log_level), true, e->limit_req_dry_run, st->delay_excess,
                  st->delay_zone);
    if (e->limit_req_dry_run) {
        st->req_status = HS_LIMIT_DELAYED_DRY_RUN;
        return HS_OK;
    }
    st->req_status = HS_LIMIT_DELAYED;
    /* hold the request: its client's events wait until the timer resumes it */
    st->delay.on_timer = on_delay_over;
    hs_timer_set(&st->delay, delay);
    return HS_DONE;
}

/* HS_OK: go on; HS_DONE: rejected, or held until a limit_req delay ends. */
static int preaccess_hook(hs_req *r)
{
    struct hs_edge_loc *e = hs_edge_loc_of(r->loc);
    if (e->nlimit_req == 0 && e->nlimit_conn == 0)
        return HS_OK;
    edge_req *st = hs_edge_req_of(r);
    if (st == NULL || st->limits_done)
        return HS_OK;
    st->limits_done = true;
    uint64_t delay = 0;
    if (limit_reqs(r, e, st, &delay) != HS_OK || limit_conns(r, e, st) != HS_OK)
        return HS_DONE;
    return delay ? hold_for(r, e, st, delay) : HS_OK;
}

/* ---- access: allow / deny ---- */

/* The first rule that matches decides (HS_OK or 403); no match: no opinion,
 * for `satisfy` (http/phase.h). A refusal is logged only under `satisfy
 * all`, as nginx: under `any` another hook may still let the request in. */
static int access_hook(hs_req *r)
{
    struct hs_edge_loc *e = hs_edge_loc_of(r->loc);
    for (size_t i = 0; i < e->naccess; i++) {
        if (!hs_cidr_match(&e->access[i], hs_req_addr(r)))
            continue;
        if (e->access_allow[i])
            return HS_OK;
        if (!r->loc->satisfy_any)
            hs_log_ctx(HS_LOG_ERR, r, 0, "access forbidden by rule");
        return 403;
    }
    return HS_DECLINED;
}

/* ---- log: endings ---- */

/* An ending with status counts toward the bans of level lc whose on=
 * list has the status. */
static void count_ending(hs_loc_conf *lc, int status, const struct sockaddr *peer)
{
    struct hs_edge_loc *e = hs_edge_loc_of(lc);
    for (size_t i = 0; e && i < e->nbans; i++) {
        hs_ban_rule *b = &e->bans[i];
        if (b->zone->shm == NULL)
            continue;
        for (size_t k = 0; k < b->non; k++) {
            if (b->on[k] == status) {
                hs_ban_count(b->zone, peer);
                break;
            }
        }
    }
}

static bool is_ban_drop(const char *rule) { return rule && strncmp(rule, "ban:", 4) == 0; }

static void count_for_bans(hs_req *r)
{
    hs_loc_conf *lc = r->loc ? r->loc : (r->srv ? r->srv->loc : r->conn->group->default_srv->loc);
    if (!r->bare && !is_ban_drop(r->drop_rule))
        count_ending(lc, r->resp.status, hs_req_addr(r));
}

/* A connection dropped or rejected before any request by a rule that
 * judged it (a ClientHello rule, ssl_reject_handshake) counts as a 444; an
 * accept-phase drop was counted at accept (deny_addr) or not at all (a ban:
 * its own drops would keep it alive forever). */
static void closed_hook(hs_conn *c)
{
    if (c->requests || (c->ending != HS_END_DROP && c->ending != HS_END_TLS_REJECTED) || c->drop_rule == NULL ||
        is_ban_drop(c->drop_rule) || strcmp(c->drop_rule, "deny_addr") == 0)
        return;
    count_ending(c->group->default_srv->loc, 444, &c->peer.sa);
}

static int log_hook(hs_req *r)
{
    edge_req *st = hs_http_get_ctx(r, &hs_edge_module);
    if (st) {
        hs_timer_cancel(&st->delay);
        release_held(st);
    }
    count_for_bans(r);
    return HS_OK;
}

/* ---- registration ---- */

/* Hooks only for what the configuration uses: a rule kind nobody wrote
 * costs nothing. */
int hs_edge_register(hs_cf *cf, hs_http_conf *http, struct hs_edge_http *eh)
{
    int rc = HS_OK;
    if (eh->ndeny_addr || eh->naccept_bans) {
        rc |= hs_http_add_accept(cf, http, accept_hook);
        rc |= hs_http_add_addressed(cf, http, addressed_hook);
    }
    if (eh->naccept_bans)
        rc |= hs_http_add_phase(cf, http, HS_PHASE_POST_READ, post_read_hook);
    if (eh->uses_limits)
        rc |= hs_http_add_phase(cf, http, HS_PHASE_PREACCESS, preaccess_hook);
    if (eh->uses_access)
        rc |= hs_http_add_phase(cf, http, HS_PHASE_ACCESS, access_hook);
    if (eh->uses_limits || eh->uses_bans)
        rc |= hs_http_add_phase(cf, http, HS_PHASE_LOG, log_hook);
    if (eh->uses_bans)
        rc |= hs_http_add_closed(cf, http, closed_hook);
    hs_http_set_dropper(http, hs_edge_drop_conn);
    return rc == HS_OK ? HS_OK : hs_cf_error(cf, NULL, "too many hooks");
}

hs_module hs_edge_module = {
    .name = "edge",
    .directives = {hs_edge_directives},
    .variables = hs_edge_variables,
    .http_finish = hs_edge_conf_finish,
    .master_init = hs_edge_master_init,
    .worker_start = hs_edge_worker_start,
};
