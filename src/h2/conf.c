/* The HTTP/2 module's record: `listen ... http2` (parsed by the core) and
 * nginx 1.25's `http2 on`, nginx's http2_* limits (1.22's names accepted),
 * hush's http2_flood_limit thresholds, the $http2 and $http2_stream_id
 * variables, and the protocol given to every address that speaks HTTP/2. */
#include <stdlib.h>

#include "core/units.h"
#include "h2/h2_internal.h"

const char *const h2_rule_names[H2_NRULES] = {
    [H2_RAPID_RESET] = "h2:rapid_reset", [H2_CONTINUATION] = "h2:continuation", [H2_HPACK] = "h2:hpack",
    [H2_SETTINGS] = "h2:settings_flood", [H2_PING] = "h2:ping_flood",      [H2_EMPTY] = "h2:empty_frames",
};

/* Safe defaults: far above what browsers and h2load do, far below a flood. */
static const h2_limit default_limits[H2_NRULES] = {
    [H2_RAPID_RESET] = {200, 10000}, [H2_CONTINUATION] = {8, 0}, [H2_HPACK] = {2, 0},
    [H2_SETTINGS] = {100, 10000},    [H2_PING] = {100, 10000},   [H2_EMPTY] = {100, 10000},
};

static h2_conf *conf_new(hs_pool *pool)
{
    h2_conf *hc = hs_palloc(pool, sizeof(*hc));
    if (hc == NULL)
        return NULL;
    hc->enable = HS_UNSET;
    int64_t *v = &hc->max_concurrent_streams;
    for (int64_t *end = &hc->max_requests; v <= end; v++)
        *v = HS_UNSET;
    for (int i = 0; i < H2_NRULES; i++)
        hc->limits[i] = (h2_limit){HS_UNSET, HS_UNSET};
    return hc;
}

static h2_conf *here(hs_cf *cf)
{
    hs_loc_conf *lc = cf->level[HS_LEVEL_LOC];
    h2_conf **slot = (h2_conf **)&HS_MOD_SLOT(lc->mod, &hs_h2_module);
    if (*slot == NULL)
        *slot = conf_new(cf->pool);
    return *slot;
}

const h2_conf *h2_conf_of(const hs_loc_conf *lc) { return HS_MOD_SLOT(lc->mod, &hs_h2_module); }

/* A generic setter (d->post) applied to this module's slot at d->offset. */
static int set_field(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    h2_conf *hc = here(cf);
    if (hc == NULL)
        return hs_cf_error(cf, n, "out of memory");
    hs_directive_set set = (hs_directive_set)d->post;
    int64_t *field = (int64_t *)((char *)hc + d->offset);
    if (d->offset != offsetof(h2_conf, enable) && *field != HS_UNSET)
        return hs_cf_error(cf, n, "\"%s\" directive is duplicate", d->name);
    int rc = set((hs_cf *)cf, n, field, d);
    if (rc == HS_OK && set != hs_set_flag && set != hs_set_msec && *field <= 0)
        return hs_cf_error(cf, n, "invalid value \"%s\" in \"%s\" directive", n->args[1].p, d->name);
    return rc;
}

static int rule_of(hs_str name)
{
    for (int i = 0; i < H2_NRULES; i++)
        if (hs_str_eq(name, hs_cstr(h2_rule_names[i] + 3)))
            return i;
    return -1;
}

/* http2_flood_limit NAME COUNT [WINDOW] */
static int flood_limit(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    h2_conf *hc = here(cf);
    int rule = rule_of(n->args[1]);
    if (hc == NULL || rule < 0)
        return hs_cf_error(cf, n, "unknown HTTP/2 flood rule \"%s\" in \"%s\" directive", n->args[1].p, d->name);
    int64_t count = hs_parse_int(n->args[2]);
    int64_t window = n->nargs > 3 ? hs_parse_msec(n->args[3]) : 0;
    if (count <= 0 || window < 0)
        return hs_cf_error(cf, n, "invalid value in \"%s\" directive", d->name);
    if (rule != H2_CONTINUATION && rule != H2_HPACK && window == 0)
        return hs_cf_error(cf, n, "\"%s %s\" needs a time window", d->name, n->args[1].p);
    hc->limits[rule] = (h2_limit){count, window};
    return HS_OK;
}

#define F(name, ctx, setter, field)                                                                    \
    {name, ctx, HS_ARGS_1, set_field, HS_LEVEL_NONE, offsetof(h2_conf, field), (const void *)setter}

static const hs_directive h2_directives[] = {
    F("http2", HS_CTX_HS, hs_set_flag, enable),
    F("http2_max_concurrent_streams", HS_CTX_HS, hs_set_num, max_concurrent_streams),
    F("http2_recv_buffer_size", HS_CTX_HTTP, hs_set_size, recv_buffer_size),
    F("http2_chunk_size", HS_CTX_HSL, hs_set_size, chunk_size),
    F("http2_body_preread_size", HS_CTX_HS, hs_set_size, body_preread_size),
    F("http2_max_field_size", HS_CTX_HS, hs_set_size, max_field_size),
    F("http2_max_header_size", HS_CTX_HS, hs_set_size, max_header_size),
    F("http2_idle_timeout", HS_CTX_HS, hs_set_msec, idle_timeout),
    F("http2_recv_timeout", HS_CTX_HS, hs_set_msec, recv_timeout),
    F("http2_max_requests", HS_CTX_HS, hs_set_num, max_requests),
    {"http2_flood_limit", HS_CTX_HS, HS_ARGS(2) | HS_ARGS(3), flood_limit, HS_LEVEL_NONE, 0, NULL},
    {NULL, 0, 0, NULL, 0, 0, NULL},
};

static void merge_loc(hs_cf *cf, hs_loc_conf *child, const hs_loc_conf *parent)
{
    h2_conf **slot = (h2_conf **)&HS_MOD_SLOT(child->mod, &hs_h2_module);
    const h2_conf *p = h2_conf_of(parent);
    if (*slot == NULL && p) {
        *slot = (h2_conf *)p; /* nothing set here: the parent's */
        return;
    }
    if (*slot == NULL && (*slot = conf_new(cf->pool)) == NULL)
        return;
    h2_conf *c = *slot, none;
    if (p == NULL) {
        memset(&none, 0xff, sizeof(none)); /* every field HS_UNSET (-1) */
        p = &none;
    }
    HS_MERGE(c->enable, p->enable, 0);
    HS_MERGE(c->max_concurrent_streams, p->max_concurrent_streams, 128);
    HS_MERGE(c->recv_buffer_size, p->recv_buffer_size, 256 * 1024);
    HS_MERGE(c->chunk_size, p->chunk_size, 8 * 1024);
    HS_MERGE(c->body_preread_size, p->body_preread_size, 64 * 1024);
    HS_MERGE(c->max_field_size, p->max_field_size, HS_UNSET);
    HS_MERGE(c->max_header_size, p->max_header_size, HS_UNSET);
    HS_MERGE(c->idle_timeout, p->idle_timeout, HS_UNSET);
    HS_MERGE(c->recv_timeout, p->recv_timeout, 30000);
    HS_MERGE(c->max_requests, p->max_requests, HS_UNSET);
    for (int i = 0; i < H2_NRULES; i++)
        if (c->limits[i].count == HS_UNSET)
            c->limits[i] = p->limits[i].count == HS_UNSET ? default_limits[i] : p->limits[i];
}

/* Whether server srv of address g speaks HTTP/2: a listen of the address
 * says http2, or the server has `http2 on` (nginx 1.25: on TLS the server
 * the SNI chose decides, on a plain address its default server). */
bool h2_serves(const hs_listen_group *g, const hs_srv_conf *srv)
{
    const h2_conf *hc = h2_conf_of(srv->loc);
    return g->http2 || (hc && hc->enable > 0);
}

static bool same_addr(const hs_listen_conf *a, const hs_listen_conf *b)
{
    return a->addrlen == b->addrlen && memcmp(&a->addr, &b->addr, a->addrlen) == 0;
}

/* Some server of address g speaks HTTP/2. */
static bool group_speaks(const hs_http_conf *http, const hs_listen_group *g)
{
    for (size_t i = 0; i < http->nservers; i++) {
        const hs_srv_conf *srv = http->servers[i];
        for (size_t j = 0; j < srv->nlistens; j++)
            if (same_addr(&srv->listens[j], g->listen) && h2_serves(g, srv))
                return true;
    }
    return false;
}

/* The protocol is given to every address where some server speaks HTTP/2;
 * its start and the ALPN callback ask h2_serves for the connection's server. */
static int http_finish(hs_cf *cf, hs_http_conf *http)
{
    (void)cf;
    for (size_t i = 0; i < http->ngroups; i++) {
        hs_listen_group *g = &http->groups[i];
        if (g->http2 || group_speaks(http, g))
            g->proto = &hs_h2_proto;
    }
    return HS_OK;
}

static void worker_start(const hs_config *conf)
{
    (void)conf;
    h2_post_init();
}

/* ---- variables ---- */

static int v_http2(void *ctx, uintptr_t data, hs_str *out, char *scratch)
{
    (void)data;
    (void)scratch;
    hs_req *r = ctx;
    if (r->conn->proto != &hs_h2_proto)
        return HS_DECLINED;
    *out = r->conn->io.t->secure ? HS_STR("h2") : HS_STR("h2c");
    return HS_OK;
}

static int v_stream_id(void *ctx, uintptr_t data, hs_str *out, char *scratch)
{
    (void)data;
    hs_req *r = ctx;
    h2_stream *s = r->stream;
    if (r->conn->proto != &hs_h2_proto || s == NULL)
        return HS_DECLINED;
    *out = (hs_str){scratch, hs_u64_to_str((uint64_t)s->id, scratch)};
    return HS_OK;
}

/* Streams the client reset on this connection (for the connection log). */
static int v_resets(void *ctx, uintptr_t data, hs_str *out, char *scratch)
{
    (void)data;
    hs_req *r = ctx;
    h2_conn *hc = r->conn->proto == &hs_h2_proto ? r->conn->proto_state : NULL;
    if (hc == NULL)
        return HS_DECLINED;
    *out = (hs_str){scratch, hs_u64_to_str(hc->resets, scratch)};
    return HS_OK;
}

/* Why the connection ended with protocol_error (libnghttp2's words). */
static int v_error(void *ctx, uintptr_t data, hs_str *out, char *scratch)
{
    (void)data;
    (void)scratch;
    hs_req *r = ctx;
    h2_conn *hc = r->conn->proto == &hs_h2_proto ? r->conn->proto_state : NULL;
    if (hc == NULL || hc->error == NULL)
        return HS_DECLINED;
    *out = hs_cstr(hc->error);
    return HS_OK;
}

static const hs_var_def h2_variables[] = {
    {"http2_error", v_error, 0, false, true},
    {"http2", v_http2, 0, false, true},
    {"http2_resets", v_resets, 0, false, true},
    {"http2_stream_id", v_stream_id, 0, false, false},
    {NULL, NULL, 0, false, false},
};

hs_module hs_h2_module = {
    .name = "http2",
    .directives = {h2_directives},
    .variables = h2_variables,
    .merge_loc = merge_loc,
    .http_finish = http_finish,
    .worker_start = worker_start,
};
