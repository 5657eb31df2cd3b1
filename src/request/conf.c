/* The request module's record: its directives, their inheritance, and the
 * hooks it registers (only those the configuration needs). */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "core/errlog.h"
#include "core/units.h"
#include "request/request_internal.h"

/* The temp paths of the http block being read, made when it is finished;
 * and the default client_body_temp_path, made when a body first needs it. */
static hs_temp_path *temp_paths;
static hs_temp_path *default_body_temp;
static bool keepalive_headers; /* a keepalive_timeout has its second value */
static bool limit_rates;       /* a limit_rate is set somewhere */

static hs_reqconf *reqconf_new(hs_pool *pool)
{
    hs_reqconf *q = hs_pcalloc(pool, sizeof(*q));
    if (q == NULL)
        return NULL;
    q->merge_slashes = q->ignore_invalid_headers = q->underscores_in_headers = HS_UNSET;
    q->max_headers = HS_UNSET;
    q->keepalive_disable = HS_UNSET;
    q->keepalive_time = HS_UNSET_MSEC;
    q->keepalive_header = HS_UNSET_MSEC;
    q->limit_rate = q->limit_rate_after = HS_UNSET_SIZE;
    q->body_buffer_size = HS_UNSET_SIZE;
    q->body_in_file_only = q->body_in_single_buffer = HS_UNSET;
    return q;
}

/* The settings of the level being read, created by its first directive. */
static hs_reqconf *here(hs_cf *cf)
{
    hs_loc_conf *lc = cf->level[HS_LEVEL_LOC];
    hs_reqconf **slot = (hs_reqconf **)&HS_MOD_SLOT(lc->mod, &hs_request_module);
    if (*slot == NULL)
        *slot = reqconf_new(cf->pool);
    return *slot;
}

/* ---- directives ---- */

static int flag_field(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    return hs_set_flag(cf, n, (char *)here(cf) + d->offset, d);
}

/* A count of 1 or more. */
static int count_field(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    int64_t *v = (int64_t *)((char *)here(cf) + d->offset);
    if (hs_set_num(cf, n, v, d) != HS_OK)
        return HS_ERROR;
    return *v < 1 ? hs_cf_error(cf, n, "invalid value \"%s\" in \"%s\" directive", n->args[1].p, d->name) : HS_OK;
}

static int size_field(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    return hs_set_size(cf, n, (char *)here(cf) + d->offset, d);
}

/* limit_rate / limit_rate_after SIZE (nginx 1.17 takes variables too:
 * not yet). */
static int rate_field(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    if (memchr(n->args[1].p, '$', n->args[1].n))
        return hs_cf_error(cf, n, "variables in \"%s\" are not supported yet", d->name);
    limit_rates = true;
    return size_field(cf, n, conf, d);
}

static int msec_field(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    return hs_set_msec(cf, n, (char *)here(cf) + d->offset, d);
}

static int enum_field(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    return hs_set_enum(cf, n, (char *)here(cf) + d->offset, d);
}

static int keepalive_disable(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    hs_reqconf *q = here(cf);
    if (q->keepalive_disable != HS_UNSET)
        return hs_cf_error(cf, n, "\"%s\" directive is duplicate", d->name);
    q->keepalive_disable = 0;
    for (size_t i = 1; i < n->nargs; i++) {
        if (hs_str_eq_lit(n->args[i], "msie6"))
            q->keepalive_disable |= KA_DISABLE_MSIE6;
        else if (hs_str_eq_lit(n->args[i], "safari"))
            q->keepalive_disable |= KA_DISABLE_SAFARI;
        else if (!hs_str_eq_lit(n->args[i], "none"))
            return hs_cf_error(cf, n, "invalid value \"%s\"", n->args[i].p);
    }
    return HS_OK;
}

/* keepalive_timeout T [HEADER_T]: the core's keep-alive timer, and the
 * Keep-Alive: timeout= field nginx sends when the second value is given. */
static int keepalive_timeout(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    hs_loc_conf *lc = cf->level[HS_LEVEL_LOC];
    if (lc->keepalive_timeout != HS_UNSET_MSEC)
        return hs_cf_error(cf, n, "\"%s\" directive is duplicate", d->name);
    lc->keepalive_timeout = hs_parse_msec(n->args[1]);
    if (lc->keepalive_timeout < 0)
        return hs_cf_error(cf, n, "invalid value \"%s\"", n->args[1].p);
    if (n->nargs == 2)
        return HS_OK; /* the header's value is inherited, as nginx */
    hs_reqconf *q = here(cf);
    if ((q->keepalive_header = hs_parse_msec(n->args[2])) < 0)
        return hs_cf_error(cf, n, "invalid value \"%s\"", n->args[2].p);
    keepalive_headers = true;
    return HS_OK;
}

/* Sizes nginx tunes its own structures with (hash tables, memory pools):
 * checked as nginx checks them; hush sizes its own. post: the pool sizes
 * (at least 112, a multiple of 16). */
static int tuning_size(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    int64_t v = hs_parse_size(n->args[1]);
    if (v <= 0)
        return hs_cf_error(cf, n, "invalid value \"%s\" in \"%s\" directive", n->args[1].p, d->name);
    if (d->post && v < 112)
        return hs_cf_error(cf, n, "the pool size must be no less than 112");
    if (d->post && v % 16)
        return hs_cf_error(cf, n, "the pool size must be a multiple of 16");
    return HS_OK;
}

/* limit_except METHOD ... { allow/deny ... }: a level of the location that
 * requests with other methods get from the preaccess phase on (GET brings
 * HEAD with it). */
static int limit_except_block(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    hs_loc_conf *parent = cf->level[HS_LEVEL_LOC], *lc;
    if (parent->limit_except)
        return hs_cf_error(cf, n, "\"limit_except\" directive is duplicate");
    uint32_t mask = 0;
    for (size_t i = 1; i < n->nargs; i++) {
        hs_method m = hs_http_method_id(n->args[i]);
        if (m == HS_METHOD_UNKNOWN && !hs_str_eq_lit(n->args[i], "PROPPATCH"))
            return hs_cf_error(cf, n, "invalid method \"%s\"", n->args[i].p);
        mask |= m == HS_METHOD_GET ? 1u << HS_METHOD_GET | 1u << HS_METHOD_HEAD : 1u << m;
    }
    if ((lc = hs_loc_conf_create(cf->pool)) == NULL)
        return HS_ERROR;
    lc->name = parent->name;
    lc->match = parent->match;
    lc->parent = parent;
    lc->server = parent->server;
    lc->file = n->file;
    lc->line = n->line;
    parent->limit_except = lc;
    /* PROPPATCH, unknown to the parser, is never let through */
    here(cf)->limit_except = (mask & ~1u) | 1u << 31;
    cf->level[HS_LEVEL_LOC] = lc;
    int rc = hs_cf_block(cf, n, HS_CTX_LIMIT_EXCEPT);
    cf->level[HS_LEVEL_LOC] = parent;
    return rc;
}

/* client_body_temp_path PATH [L1 [L2 [L3]]], and the other *_temp_path:
 * a directory made when the configuration is loaded, as nginx does. */
static int temp_path(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    hs_temp_path *tp = hs_pcalloc(cf->pool, sizeof(*tp));
    if (tp == NULL)
        return HS_ERROR;
    tp->path = hs_cstr(hs_cf_path(cf, n->args[1]));
    while (tp->path.n > 1 && tp->path.p[tp->path.n - 1] == '/')
        tp->path.n--;
    for (size_t i = 2; i < n->nargs; i++) {
        int64_t l = hs_parse_int(n->args[i]);
        if (l < 1 || l > 2)
            return hs_cf_error(cf, n, "invalid value \"%s\"", n->args[i].p);
        tp->levels[i - 2] = (int)l;
    }
    tp->file = n->file;
    tp->line = n->line;
    tp->next = temp_paths;
    temp_paths = tp;
    if (d->post) { /* client_body_temp_path: the one this module writes to */
        hs_reqconf *q = here(cf);
        if (q->body_temp)
            return hs_cf_error(cf, n, "\"%s\" directive is duplicate", d->name);
        q->body_temp = tp;
    }
    return HS_OK;
}

static const hs_conf_enum in_file[] = {{"off", IN_FILE_OFF}, {"on", IN_FILE_ON}, {"clean", IN_FILE_CLEAN}, {NULL, 0}};

#define Q(field) HS_LEVEL_NONE, offsetof(hs_reqconf, field)
#define NONE HS_LEVEL_NONE, 0

static const hs_directive request_directives[] = {
    {"merge_slashes", HS_CTX_HS, HS_ARGS_1, flag_field, Q(merge_slashes), NULL},
    {"ignore_invalid_headers", HS_CTX_HS, HS_ARGS_1, flag_field, Q(ignore_invalid_headers), NULL},
    {"underscores_in_headers", HS_CTX_HS, HS_ARGS_1, flag_field, Q(underscores_in_headers), NULL},
    {"max_headers", HS_CTX_HS, HS_ARGS_1, count_field, Q(max_headers), NULL},
    {"keepalive_disable", HS_CTX_HSL, HS_ARGS_1MORE, keepalive_disable, NONE, NULL},
    {"keepalive_time", HS_CTX_HSL, HS_ARGS_1, msec_field, Q(keepalive_time), NULL},
    {"keepalive_timeout", HS_CTX_HSL, HS_ARGS_12, keepalive_timeout, NONE, NULL},
    {"limit_rate", HS_CTX_HSL | HS_CTX_IF, HS_ARGS_1, rate_field, Q(limit_rate), NULL},
    {"limit_rate_after", HS_CTX_HSL | HS_CTX_IF, HS_ARGS_1, rate_field, Q(limit_rate_after), NULL},
    {"limit_except", HS_CTX_LOCATION, HS_ARGS_1MORE | HS_ARGS_BLOCK, limit_except_block, NONE, NULL},
    {"client_body_buffer_size", HS_CTX_HSL, HS_ARGS_1, size_field, Q(body_buffer_size), NULL},
    {"client_body_in_file_only", HS_CTX_HSL, HS_ARGS_1, enum_field, Q(body_in_file_only), in_file},
    {"client_body_in_single_buffer", HS_CTX_HSL, HS_ARGS_1, flag_field, Q(body_in_single_buffer), NULL},
    {"client_body_temp_path", HS_CTX_HSL, HS_ARGS_1 | HS_ARGS(2) | HS_ARGS(3) | HS_ARGS(4), temp_path, NONE, "body"},
    {"proxy_temp_path", HS_CTX_HSL, HS_ARGS_1 | HS_ARGS(2) | HS_ARGS(3) | HS_ARGS(4), temp_path, NONE, NULL},
    {"fastcgi_temp_path", HS_CTX_HSL, HS_ARGS_1 | HS_ARGS(2) | HS_ARGS(3) | HS_ARGS(4), temp_path, NONE, NULL},
    {"uwsgi_temp_path", HS_CTX_HSL, HS_ARGS_1 | HS_ARGS(2) | HS_ARGS(3) | HS_ARGS(4), temp_path, NONE, NULL},
    {"scgi_temp_path", HS_CTX_HSL, HS_ARGS_1 | HS_ARGS(2) | HS_ARGS(3) | HS_ARGS(4), temp_path, NONE, NULL},
    {"connection_pool_size", HS_CTX_HS, HS_ARGS_1, tuning_size, NONE, "pool"},
    {"request_pool_size", HS_CTX_HS, HS_ARGS_1, tuning_size, NONE, "pool"},
    {"server_names_hash_bucket_size", HS_CTX_HTTP, HS_ARGS_1, tuning_size, NONE, NULL},
    {"server_names_hash_max_size", HS_CTX_HTTP, HS_ARGS_1, tuning_size, NONE, NULL},
    {"variables_hash_bucket_size", HS_CTX_HTTP, HS_ARGS_1, tuning_size, NONE, NULL},
    {"variables_hash_max_size", HS_CTX_HTTP, HS_ARGS_1, tuning_size, NONE, NULL},
    {"types_hash_bucket_size", HS_CTX_HSL, HS_ARGS_1, tuning_size, NONE, NULL},
    {"types_hash_max_size", HS_CTX_HSL, HS_ARGS_1, tuning_size, NONE, NULL},
    {NULL, 0, 0, NULL, 0, 0, NULL},
};

/* ---- the configuration's life ---- */

static int http_init(hs_cf *cf, hs_http_conf *http)
{
    (void)http;
    temp_paths = NULL;
    keepalive_headers = false;
    limit_rates = false;
    hs_vars_register_setter("limit_rate", hs_request_limit_rate_set);
    default_body_temp = hs_pcalloc(cf->pool, sizeof(*default_body_temp));
    if (default_body_temp == NULL)
        return HS_ERROR;
    default_body_temp->path = hs_cstr(hs_cf_path(cf, HS_STR("client_body_temp")));
    return HS_OK;
}

static void merge_loc(hs_cf *cf, hs_loc_conf *child, const hs_loc_conf *parent)
{
    hs_reqconf **slot = (hs_reqconf **)&HS_MOD_SLOT(child->mod, &hs_request_module);
    if (*slot == NULL)
        *slot = reqconf_new(cf->pool);
    hs_reqconf *c = *slot, *p = HS_MOD_SLOT(parent->mod, &hs_request_module);
    if (p == NULL) /* the http level: its parent is empty, the defaults apply */
        p = reqconf_new(cf->pool);
    HS_MERGE(c->merge_slashes, p->merge_slashes, 1);
    HS_MERGE(c->ignore_invalid_headers, p->ignore_invalid_headers, 1);
    HS_MERGE(c->underscores_in_headers, p->underscores_in_headers, 0);
    HS_MERGE(c->max_headers, p->max_headers, 1000);
    HS_MERGE(c->keepalive_disable, p->keepalive_disable, KA_DISABLE_MSIE6);
    HS_MERGE(c->keepalive_time, p->keepalive_time, 3600 * 1000);
    HS_MERGE(c->keepalive_header, p->keepalive_header, -2);
    HS_MERGE(c->limit_rate, p->limit_rate, 0);
    HS_MERGE(c->limit_rate_after, p->limit_rate_after, 0);
    HS_MERGE(c->body_buffer_size, p->body_buffer_size, 8192);
    HS_MERGE(c->body_in_file_only, p->body_in_file_only, IN_FILE_OFF);
    HS_MERGE(c->body_in_single_buffer, p->body_in_single_buffer, 0);
    HS_MERGE_PTR(c->body_temp, p->body_temp, default_body_temp);
}

/* A limit_except level answers with its location's handler. Returns
 * whether the tree under lc has one. */
static bool finish_limit_except(hs_loc_conf *lc)
{
    bool any = false;
    if (lc->limit_except) {
        if (lc->limit_except->handler == NULL)
            lc->limit_except->handler = lc->handler;
        any = true;
    }
    for (size_t i = 0; i < lc->nchildren; i++)
        any |= finish_limit_except(lc->children[i]);
    return any;
}

static int http_finish(hs_cf *cf, hs_http_conf *http)
{
    for (hs_temp_path *tp = temp_paths; tp; tp = tp->next) {
        char err[512];
        hs_conf_node at = {.file = tp->file, .line = tp->line};
        if (hs_temp_path_make(tp, err, sizeof(err)) != HS_OK)
            return hs_cf_error(cf, &at, "%s", err);
    }
    bool limit_except = false;
    for (size_t i = 0; i < http->nservers; i++)
        limit_except |= finish_limit_except(http->servers[i]->loc);
    if (hs_http_add_phase(cf, http, HS_PHASE_POST_READ, hs_request_post_read) != HS_OK ||
        hs_http_add_phase(cf, http, HS_PHASE_REWRITE, hs_request_keepalive) != HS_OK)
        return HS_ERROR;
    if (limit_rates && hs_http_add_header_filter(cf, http, hs_request_limit_rate) != HS_OK)
        return HS_ERROR;
    if (keepalive_headers && hs_http_add_header_filter(cf, http, hs_request_keepalive_header) != HS_OK)
        return HS_ERROR;
    if (limit_except && hs_http_add_phase(cf, http, HS_PHASE_PREACCESS, hs_request_limit_except) != HS_OK)
        return HS_ERROR;
    return HS_OK;
}

/* Started as root with the workers under `user`: the master makes every
 * temp path (the default one too: a worker could not make it in the prefix)
 * and gives it to that user, as nginx does at start. */
static int give_temp_path(hs_temp_path *tp, uid_t user, char *err, size_t errlen)
{
    if (hs_temp_path_make(tp, err, errlen) != HS_OK)
        return HS_ERROR;
    if (chown(tp->path.p, user, (gid_t)-1) != 0) {
        snprintf(err, errlen, "chown(\"%s\", %d) failed (%d: %s)", tp->path.p, (int)user, errno, strerror(errno));
        return HS_ERROR;
    }
    return HS_OK;
}

static int master_init(hs_config *conf, hs_config *old, char *err, size_t errlen)
{
    (void)old;
    if (conf->user == (uid_t)-1 || geteuid() != 0)
        return HS_OK;
    for (hs_temp_path *tp = temp_paths; tp; tp = tp->next)
        if (give_temp_path(tp, conf->user, err, errlen) != HS_OK)
            return HS_ERROR;
    /* the default one only when it can be made: a prefix that does not exist
     * must not stop a server that may never spill a body (it is made when
     * first needed then, and its failure is that request's 500) */
    if (default_body_temp && give_temp_path(default_body_temp, conf->user, err, errlen) != HS_OK)
        hs_log(HS_LOG_WARN, "%s", err);
    return HS_OK;
}

hs_module hs_request_module = {
    .name = "request",
    .directives = {request_directives},
    .variables = hs_request_variables,
    .http_init = http_init,
    .merge_loc = merge_loc,
    .http_finish = http_finish,
    .master_init = master_init,
};
