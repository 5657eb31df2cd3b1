/* The connection log (hush's): one line per connection when it ends,
 * including connections dropped at accept (deny_addr, bans) that never had
 * a request. Formats are ordinary log_format definitions rendered with the
 * HTTP core's variables on a bare record of the connection
 * (hs_http_bare_request); only variables that mean something without a
 * request may appear in them. */
#include <errno.h>
#include <stdio.h>

#include "log/log_internal.h"

#define CONN_LOG_DEFAULT                                                                       \
    "$remote_addr:$remote_port [$time_local] $connection $connection_requests $connection_time " \
    "$bytes_received $bytes_sent $close_reason $drop_rule"

/* Only variables that have a value without a request (hs_var_def.conn). */
static bool is_conn_var(hs_str name) { return hs_var_is_conn(name); }

static int check_format(hs_cf *cf, const hs_conf_node *n, const hs_log_format *f)
{
    for (size_t i = 0; i < f->nops; i++)
        if (f->ops[i].is_var && !is_conn_var(f->ops[i].name))
            return hs_cf_error(cf, n, "\"$%.*s\" in log format \"%.*s\" is not a connection variable "
                                      "(connection_log knows only connection variables)",
                               (int)f->ops[i].name.n, f->ops[i].name.p, (int)f->name.n, f->name.p);
    return HS_OK;
}

static hs_log_format *default_format(hs_cf *cf, const hs_conf_node *n)
{
    hs_log_format *f = hs_pcalloc(cf->pool, sizeof(*f));
    if (f == NULL || hs_log_format_compile(cf, n, HS_STR("connection"), HS_STR(CONN_LOG_DEFAULT),
                                           HS_ESCAPE_DEFAULT, f) != HS_OK)
        return NULL;
    return f;
}

/* if=$var: the variable must be a connection variable too. */
static int conn_option(hs_cf *cf, const hs_conf_node *n, hs_str opt, hs_log_target *t)
{
    if (hs_str_has_prefix(opt, HS_STR("if="))) {
        hs_str name, v = {opt.p + 3, opt.n - 3};
        if (hs_var_scan(v, &name) != v.n)
            return hs_cf_error(cf, n, "invalid condition \"%s\"", opt.p);
        if (!is_conn_var(name))
            return hs_cf_error(cf, n, "\"$%.*s\" is not a connection variable", (int)name.n, name.p);
    }
    int rc = hs_log_target_option(cf, n, opt, t);
    return rc == HS_DECLINED ? hs_cf_error(cf, n, "invalid parameter \"%s\"", opt.p) : rc;
}

static int connection_log(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    hs_log_http *lh = hs_log_http_get(cf);
    if (hs_str_eq_lit(n->args[1], "off"))
        return n->nargs == 2 ? HS_OK : hs_cf_error(cf, n, "invalid parameter \"%s\"", n->args[2].p);
    hs_log_target *t = hs_pvec_push(cf->pool, (void **)&lh->conn_logs, &lh->nconn_logs, sizeof(*t));
    if (t == NULL)
        return HS_ERROR;
    if (hs_log_target_open(cf, n, n->args[1], t) != HS_OK)
        return HS_ERROR;
    size_t opt = 2;
    if (n->nargs > 2 && !memchr(n->args[2].p, '=', n->args[2].n)) {
        t->format = hs_log_find_format(lh, n->args[2]);
        if (t->format == NULL)
            return hs_cf_error(cf, n, "unknown log format \"%s\"", n->args[2].p);
        opt = 3;
    } else if ((t->format = default_format(cf, n)) == NULL) {
        return HS_ERROR;
    }
    if (check_format(cf, n, t->format) != HS_OK)
        return HS_ERROR;
    for (size_t i = opt; i < n->nargs; i++)
        if (conn_option(cf, n, n->args[i], t) != HS_OK)
            return HS_ERROR;
    return HS_OK;
}

/* ---- writing ---- */

static hs_log_http *http_of(hs_conn *c)
{
    hs_log_loc *ll = HS_MOD_SLOT(c->group->default_srv->loc->mod, &hs_log_module);
    return ll ? ll->http : NULL;
}

static void conn_closed(hs_conn *c)
{
    hs_log_http *lh = http_of(c);
    hs_req *r = hs_http_bare_request(c);
    if (lh == NULL || r == NULL)
        return;
    for (size_t i = 0; i < lh->nconn_logs; i++)
        hs_log_target_write(&lh->conn_logs[i], r);
    hs_http_bare_free(r);
}

int hs_log_conn_finish(hs_cf *cf, hs_http_conf *http, hs_log_http *lh)
{
    if (lh->nconn_logs == 0)
        return HS_OK;
    return hs_http_add_closed(cf, http, conn_closed);
}

const hs_directive hs_log_conn_directives[] = {
    {"connection_log", HS_CTX_HTTP, HS_ARGS_1MORE, connection_log, HS_LEVEL_NONE, 0, NULL},
    {NULL, 0, 0, NULL, 0, 0, NULL},
};
