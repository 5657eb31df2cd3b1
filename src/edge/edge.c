/* The edge hooks: where the http core asks the edge rules what to do with a
 * connection or a request, in nginx's phase order — accept (deny_addr,
 * bans), server rewrite (if, return), then per location: rewrite (if,
 * return), preaccess (limit_req, limit_conn), access (allow/deny). Also the
 * shared zones' lifecycle in the master and the connection log. */
#include "edge/edge.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/errlog.h"
#include "edge/drop.h"
#include "edge/edge_conf.h"
#include "http/request_internal.h"
#include "stats/counters.h"

#define MAX_HELD 8 /* limit_conn zones one request may hold */

/* Per-request state, allocated from the request pool when a rule needs it. */
typedef struct hs_edge_req {
    hs_timer delay;         /* limit_req delay; first member (container_of) */
    hs_req *r;
    bool limits_done;       /* limits ran (they run once per request, as nginx) */
    bool resuming;          /* the delay is over: the next location phase goes straight on */
    struct {
        hs_edge_zone *zone;
        hs_str key;         /* copy in the request pool */
    } held[MAX_HELD];       /* limit_conn counts to give back */
    size_t nheld;
} hs_edge_req;

static struct hs_edge_http *http_of(hs_listen_group *g)
{
    struct hs_edge_loc *e = hs_edge_loc_of(g->default_srv->loc);
    return e ? e->http : NULL;
}

static hs_edge_req *req_state(hs_req *r)
{
    if (r->edge == NULL) {
        r->edge = hs_pcalloc(r->pool, sizeof(hs_edge_req));
        if (r->edge)
            r->edge->r = r;
    }
    return r->edge;
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

int hs_edge_master_init(hs_config *conf, hs_config *old, char *err, size_t errlen)
{
    if (hs_edge_http_of(conf->http) == NULL)
        return HS_OK;
    for (hs_edge_zone *z = hs_edge_http_of(conf->http)->zones; z; z = z->next) {
        for (size_t i = 0; i < nzones && z->shm == NULL; i++)
            if (zones[i].kind == z->kind && zones[i].size == z->size && strcmp(zones[i].name, z->name.p) == 0)
                z->shm = zones[i].shm; /* reload: same zone, state kept */
        if (z->shm)
            continue;
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

/* ---- accept phase ---- */

static void accept_drop(struct hs_edge_http *e, int fd, const struct sockaddr_storage *peer, const char *rule)
{
    hs_stats_drop(rule);
    hs_stats_ending(HS_END_DROP);
    if (e->nconn_logs) {
        hs_conn_info ci = {.peer = (const struct sockaddr *)peer, .fd = fd, .start_msec = hs_now.mono_msec,
                           .ending = HS_END_DROP, .drop_rule = rule};
        hs_conn_log_write(e, &ci);
    }
    hs_loc_conf *hl = e->http_loc;
    hs_drop_fd_mode(fd, hl->drop_mode, hl->tarpit_msec, e->tarpit_max);
}

/* The rule of a ban zone that bans this address now, or NULL. */
static const char *banned_by(struct hs_edge_http *e, const struct sockaddr *sa)
{
    for (size_t i = 0; i < e->naccept_bans; i++)
        if (e->accept_bans[i]->shm && hs_ban_check(e->accept_bans[i], sa))
            return e->accept_bans[i]->rule;
    return NULL;
}

int hs_edge_accept(hs_listener *l, int fd, const struct sockaddr_storage *peer, socklen_t len)
{
    (void)len;
    struct hs_edge_http *e = http_of(l->groups[0]);
    if (e == NULL)
        return HS_OK;
    const struct sockaddr *sa = (const struct sockaddr *)peer;
    for (size_t i = 0; i < e->ndeny_addr; i++) {
        if (hs_cidr_match(&e->deny_addr[i], sa)) {
            accept_drop(e, fd, peer, "deny_addr");
            return HS_DECLINED;
        }
    }
    const char *ban = banned_by(e, sa);
    if (ban) {
        accept_drop(e, fd, peer, ban);
        return HS_DECLINED;
    }
    return HS_OK;
}

int hs_edge_request_start(hs_req *r)
{
    struct hs_edge_http *e = http_of(r->conn->group);
    if (e == NULL || e->naccept_bans == 0)
        return HS_OK;
    const char *ban = banned_by(e, (const struct sockaddr *)&r->conn->peer);
    if (ban == NULL)
        return HS_OK;
    hs_http_drop(r, ban);
    return HS_DONE;
}

/* ---- rewrite phases: if and return ---- */

/* A true if: its return answers or drops. Without a return nothing happens. */
static int run_if(hs_req *r, hs_edge_if *it)
{
    hs_loc_conf *ic = it->conf;
    if (!ic->return_set)
        return HS_OK;
    r->loc = ic;
    if (ic->return_code == 444) {
        hs_http_drop(r, it->rule);
        return HS_DONE;
    }
    hs_http_return_handler(r);
    return HS_DONE;
}

/* The ifs of a level, then a named "return 444" of the level. */
static int rewrite_phase(hs_req *r, hs_loc_conf *lc, struct hs_edge_loc *e)
{
    for (size_t i = 0; i < e->nifs; i++)
        if (hs_cond_eval(&e->ifs[i]->cond, r))
            return run_if(r, e->ifs[i]);
    if (lc->return_set && lc->return_code == 444 && e->drop_rule_name) {
        hs_http_drop(r, e->drop_rule_name);
        return HS_DONE;
    }
    return HS_OK;
}

int hs_edge_server_phase(hs_req *r)
{
    struct hs_edge_loc *e = hs_edge_loc_of(r->srv->loc);
    if (e == NULL || (e->nifs == 0 && !e->drop_rule_name))
        return HS_OK;
    return rewrite_phase(r, r->srv->loc, e);
}

/* ---- preaccess: limit_req, limit_conn ---- */

static int reject(hs_req *r, int status, const char *rule)
{
    if (status == 444)
        hs_http_drop(r, rule);
    else
        hs_http_finalize(r, status);
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

static void release_held(hs_edge_req *st)
{
    for (size_t i = 0; i < st->nheld; i++)
        hs_limit_conn_release(st->held[i].zone, st->held[i].key);
    st->nheld = 0;
}

static void on_delay_over(hs_timer *t)
{
    hs_edge_req *st = (hs_edge_req *)t;
    hs_req *r = st->r;
    r->conn->state = HS_CONN_READ_HEAD;
    st->resuming = true;
    hs_http_run_location(r);
}

/* Every zone is checked before any is charged, as nginx does: a request
 * one zone rejects costs the others nothing. */
static int limit_reqs(hs_req *r, struct hs_edge_loc *e, uint64_t *max_delay)
{
    hs_str keys[HS_MAX_LIMIT_REQ];
    size_t n = e->nlimit_req < HS_MAX_LIMIT_REQ ? e->nlimit_req : HS_MAX_LIMIT_REQ;
    for (size_t i = 0; i < n; i++) /* no key (or no zone yet): not limited */
        if (e->limit_req[i].zone->shm == NULL || !eval_key(r, e->limit_req[i].zone, &keys[i]))
            keys[i] = HS_NULL_STR;
    for (int commit = 0; commit <= 1; commit++) {
        for (size_t i = 0; i < n; i++) {
            hs_limit_req *lr = &e->limit_req[i];
            uint64_t d;
            if (keys[i].p == NULL)
                continue;
            if (hs_limit_req_account(lr->zone, keys[i], lr, hs_now.mono_msec, &d, commit) != HS_OK) {
                hs_log(HS_LOG_ERR, "*%llu limiting requests by zone \"%s\", client: %s",
                       (unsigned long long)r->conn->number, lr->zone->name.p, hs_conn_peer_text(r->conn));
                return reject(r, e->limit_req_status, lr->zone->rule);
            }
            if (commit && d > *max_delay)
                *max_delay = d;
        }
    }
    return HS_OK;
}

static int limit_conns(hs_req *r, struct hs_edge_loc *e, hs_edge_req *st)
{
    for (size_t i = 0; i < e->nlimit_conn && st->nheld < MAX_HELD; i++) {
        hs_limit_conn *lc = &e->limit_conn[i];
        hs_str key;
        if (lc->zone->shm == NULL || !eval_key(r, lc->zone, &key))
            continue;
        if (hs_limit_conn_acquire(lc->zone, key, lc->max) != HS_OK) {
            release_held(st);
            hs_log(HS_LOG_ERR, "*%llu limiting connections by zone \"%s\", client: %s",
                   (unsigned long long)r->conn->number, lc->zone->name.p, hs_conn_peer_text(r->conn));
            return reject(r, e->limit_conn_status, lc->zone->rule);
        }
        st->held[st->nheld].zone = lc->zone;
        st->held[st->nheld].key = hs_pstr(r->pool, key);
        st->nheld++;
    }
    return HS_OK;
}

/* HS_OK: go on; HS_DONE: rejected, or parked until a limit_req delay ends. */
static int preaccess_phase(hs_req *r, struct hs_edge_loc *e)
{
    hs_edge_req *st = req_state(r);
    if (st == NULL || st->limits_done)
        return HS_OK;
    st->limits_done = true;
    uint64_t delay = 0;
    if (limit_reqs(r, e, &delay) != HS_OK || limit_conns(r, e, st) != HS_OK)
        return HS_DONE;
    if (delay == 0)
        return HS_OK;
    /* park the request: its events are ignored until the timer resumes it */
    st->delay.on_timer = on_delay_over;
    hs_timer_set(&st->delay, delay);
    r->conn->state = HS_CONN_PROXY;
    return HS_DONE;
}

/* ---- access: allow / deny ---- */

static bool access_denied(hs_req *r, struct hs_edge_loc *e)
{
    for (size_t i = 0; i < e->naccess; i++)
        if (hs_cidr_match(&e->access[i], &r->conn->peer.sa))
            return !e->access_allow[i];
    return false;
}

int hs_edge_location_phase(hs_req *r)
{
    hs_loc_conf *lc = r->loc;
    struct hs_edge_loc *e = hs_edge_loc_of(lc);
    if (e == NULL)
        return HS_OK;
    if (r->edge && r->edge->resuming) {
        r->edge->resuming = false;
        return HS_OK;
    }
    if (rewrite_phase(r, lc, e) != HS_OK)
        return HS_DONE;
    if (lc->return_set)
        return HS_OK; /* a return ends the rewrite phase: no limits or access rules, as nginx */
    if ((e->nlimit_req || e->nlimit_conn) && preaccess_phase(r, e) != HS_OK)
        return HS_DONE;
    if (e->naccess && access_denied(r, e)) {
        hs_log(HS_LOG_ERR, "*%llu access forbidden by rule, client: %s", (unsigned long long)r->conn->number,
               hs_conn_peer_text(r->conn));
        hs_http_finalize(r, 403);
        return HS_DONE;
    }
    return HS_OK;
}

/* ---- endings ---- */

static void count_for_bans(hs_req *r)
{
    hs_loc_conf *lc = r->loc ? r->loc : (r->srv ? r->srv->loc : r->conn->group->default_srv->loc);
    struct hs_edge_loc *e = hs_edge_loc_of(lc);
    if (e == NULL || e->nbans == 0)
        return;
    if (r->drop_rule && strncmp(r->drop_rule, "ban:", 4) == 0)
        return;
    for (size_t i = 0; i < e->nbans; i++) {
        hs_ban_rule *b = &e->bans[i];
        if (b->zone->shm == NULL)
            continue;
        for (size_t k = 0; k < b->non; k++) {
            if (b->on[k] == r->resp.status) {
                hs_ban_count(b->zone, &r->conn->peer.sa);
                break;
            }
        }
    }
}

void hs_edge_request_ended(hs_req *r)
{
    hs_edge_req *st = r->edge;
    if (st) {
        hs_timer_cancel(&st->delay);
        release_held(st);
    }
    r->conn->drop_rule = r->drop_rule;
    count_for_bans(r);
}

void hs_edge_conn_closed(hs_conn *c)
{
    struct hs_edge_http *e = http_of(c->group);
    if (e == NULL || e->nconn_logs == 0)
        return;
    hs_conn_info ci = {
        .peer = &c->peer.sa,
        .fd = c->fd,
        .number = c->number,
        .requests = c->requests,
        .start_msec = c->start_msec,
        .bytes_in = c->bytes_in,
        .bytes_out = c->bytes_out,
        .ending = c->ending,
        .drop_rule = c->ending == HS_END_DROP ? c->drop_rule : NULL,
    };
    hs_conn_log_write(e, &ci);
}

hs_module hs_edge_module = {
    .name = "edge",
    .directives = {hs_edge_directives},
    .http_finish = hs_edge_conf_finish,
    .master_init = hs_edge_master_init,
    .worker_start = hs_edge_worker_start,
};
