/* The connection log: one line per connection when it ends, including those
 * dropped at accept (deny_addr, bans) that never had a request. Formats are
 * ordinary log_format definitions; their variables are re-resolved against
 * the connection variables below, which read an hs_conn_info instead of a
 * request, and rendered by the same log-format code. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "core/clock.h"
#include "edge/edge_conf.h"
#include "log/format.h"
#include "log/writer.h"

#define CI(ctx) ((const hs_conn_info *)(ctx))
#define SET(v) (*out = (v), HS_OK)

static int local_of(const hs_conn_info *ci, struct sockaddr_storage *ss)
{
    socklen_t len = sizeof(*ss);
    if (ci->fd < 0 || getsockname(ci->fd, (struct sockaddr *)ss, &len) != 0)
        return HS_DECLINED;
    return HS_OK;
}

static int c_remote_addr(void *ctx, uintptr_t d, hs_str *out, char *s)
{
    (void)d;
    return hs_var_addr(out, s, CI(ctx)->peer);
}

static int c_binary_remote_addr(void *ctx, uintptr_t d, hs_str *out, char *s)
{
    (void)d;
    *out = hs_edge_addr_key(CI(ctx)->peer, s);
    return HS_OK;
}

static int c_remote_port(void *ctx, uintptr_t d, hs_str *out, char *s)
{
    (void)d;
    return hs_var_port(out, s, CI(ctx)->peer);
}

static int c_server_addr(void *ctx, uintptr_t d, hs_str *out, char *s)
{
    (void)d;
    struct sockaddr_storage ss;
    if (local_of(CI(ctx), &ss) != HS_OK)
        return HS_DECLINED;
    return hs_var_addr(out, s, (struct sockaddr *)&ss);
}

static int c_server_port(void *ctx, uintptr_t d, hs_str *out, char *s)
{
    (void)d;
    struct sockaddr_storage ss;
    if (local_of(CI(ctx), &ss) != HS_OK)
        return HS_DECLINED;
    return hs_var_port(out, s, (struct sockaddr *)&ss);
}

static int c_connection(void *ctx, uintptr_t d, hs_str *out, char *s)
{
    (void)d;
    return hs_var_u64(out, s, CI(ctx)->number);
}

static int c_connection_requests(void *ctx, uintptr_t d, hs_str *out, char *s)
{
    (void)d;
    return hs_var_u64(out, s, CI(ctx)->requests);
}

static int c_connection_time(void *ctx, uintptr_t d, hs_str *out, char *s)
{
    (void)d;
    uint64_t start = CI(ctx)->start_msec;
    return hs_var_msec(out, s, hs_now.mono_msec > start ? hs_now.mono_msec - start : 0);
}

static int c_bytes_received(void *ctx, uintptr_t d, hs_str *out, char *s)
{
    (void)d;
    return hs_var_u64(out, s, CI(ctx)->bytes_in);
}

static int c_bytes_sent(void *ctx, uintptr_t d, hs_str *out, char *s)
{
    (void)d;
    return hs_var_u64(out, s, CI(ctx)->bytes_out);
}

static int c_close_reason(void *ctx, uintptr_t d, hs_str *out, char *s)
{
    (void)d;
    (void)s;
    return SET(hs_cstr(hs_ending_name((hs_ending)CI(ctx)->ending)));
}

static int c_drop_rule(void *ctx, uintptr_t d, hs_str *out, char *s)
{
    (void)d;
    (void)s;
    const char *rule = CI(ctx)->drop_rule;
    return rule ? SET(hs_cstr(rule)) : HS_DECLINED;
}

static int c_bare_connection(void *ctx, uintptr_t d, hs_str *out, char *s)
{
    (void)d;
    (void)s;
    return SET(CI(ctx)->requests == 0 ? HS_STR("1") : HS_STR("0"));
}

static int c_time_local(void *ctx, uintptr_t d, hs_str *out, char *s)
{
    (void)ctx;
    (void)d;
    (void)s;
    return SET(((hs_str){hs_now.log_local, hs_now.log_local_len}));
}

static int c_time_iso8601(void *ctx, uintptr_t d, hs_str *out, char *s)
{
    (void)ctx;
    (void)d;
    (void)s;
    return SET(((hs_str){hs_now.iso8601, hs_now.iso8601_len}));
}

static int c_msec(void *ctx, uintptr_t d, hs_str *out, char *s)
{
    (void)ctx;
    (void)d;
    return hs_var_msec(out, s, hs_now.msec);
}

static const hs_var_def conn_vars[] = {
    {"remote_addr", c_remote_addr, 0, false},
    {"binary_remote_addr", c_binary_remote_addr, 0, false},
    {"remote_port", c_remote_port, 0, false},
    {"server_addr", c_server_addr, 0, false},
    {"server_port", c_server_port, 0, false},
    {"connection", c_connection, 0, false},
    {"connection_requests", c_connection_requests, 0, false},
    {"connection_time", c_connection_time, 0, false},
    {"bytes_received", c_bytes_received, 0, false},
    {"bytes_sent", c_bytes_sent, 0, false},
    {"close_reason", c_close_reason, 0, false},
    {"drop_rule", c_drop_rule, 0, false},
    {"bare_connection", c_bare_connection, 0, false},
    {"time_local", c_time_local, 0, false},
    {"time_iso8601", c_time_iso8601, 0, false},
    {"msec", c_msec, 0, false},
    {NULL, NULL, 0, false},
};

/* ---- the same names for requests ---- */

/* Connection variables that requests lack get a request version too, so a
 * log_format meant for the connection log compiles when it is defined (and
 * can be used in access logs as well). */
static int r_connection_time(void *ctx, uintptr_t d, hs_str *out, char *s)
{
    (void)d;
    hs_conn *c = ((hs_req *)ctx)->conn;
    return hs_var_msec(out, s, hs_now.mono_msec > c->start_msec ? hs_now.mono_msec - c->start_msec : 0);
}

static int r_bytes_received(void *ctx, uintptr_t d, hs_str *out, char *s)
{
    (void)d;
    return hs_var_u64(out, s, ((hs_req *)ctx)->conn->bytes_in);
}

static int r_bare_connection(void *ctx, uintptr_t d, hs_str *out, char *s)
{
    (void)ctx;
    (void)d;
    (void)s;
    return SET(HS_STR("0"));
}

static const hs_var_def request_side_vars[] = {
    {"connection_time", r_connection_time, 0, false},
    {"bytes_received", r_bytes_received, 0, false},
    {"bare_connection", r_bare_connection, 0, false},
    {NULL, NULL, 0, false},
};

/* Registered before main() so that log_format sees these names whatever the
 * order of the configuration (the table of each module is registered once). */
__attribute__((constructor)) static void register_request_side(void) { hs_vars_register(request_side_vars); }

static const hs_var_def *conn_var(hs_str name)
{
    for (const hs_var_def *v = conn_vars; v->name; v++)
        if (hs_str_eq_lit(name, v->name))
            return v;
    return NULL;
}

int hs_conn_log_cond(hs_cf *cf, const hs_conf_node *n, hs_str name, hs_var_ref *out)
{
    const hs_var_def *v = conn_var(name);
    if (v == NULL)
        return hs_cf_error(cf, n, "\"$%.*s\" is not a connection variable", (int)name.n, name.p);
    *out = (hs_var_ref){v->get, v->data};
    return HS_OK;
}

int hs_conn_log_compile(hs_cf *cf, const hs_conf_node *n, hs_log_format *src, hs_log_format *out)
{
    if (src->ops == NULL) {
        /* the built-in format: compile it (its names exist on the request side too) */
        if (hs_log_format_compile(cf, n, src->name, src->text, HS_ESCAPE_DEFAULT, src) != HS_OK)
            return HS_ERROR;
    }
    *out = *src;
    out->ops = hs_palloc(cf->pool, src->nops * sizeof(hs_log_op));
    for (size_t i = 0; i < src->nops; i++) {
        out->ops[i] = src->ops[i];
        if (!src->ops[i].is_var)
            continue;
        const hs_var_def *v = conn_var(src->ops[i].name);
        if (v == NULL)
            return hs_cf_error(cf, n, "\"$%.*s\" in log format \"%.*s\" is not a connection variable "
                                      "(connection_log knows only connection variables)",
                               (int)src->ops[i].name.n, src->ops[i].name.p, (int)src->name.n, src->name.p);
        out->ops[i].var = (hs_var_ref){v->get, v->data};
    }
    return HS_OK;
}

static void write_one(hs_conn_log *cl, const hs_conn_info *ci)
{
    if (cl->has_cond) {
        char scratch[HS_VAR_SCRATCH];
        hs_str v;
        if (hs_var_get_value(&cl->cond, (void *)ci, &v, scratch) != HS_OK || v.n == 0 ||
            hs_str_eq_lit(v, "0"))
            return;
    }
    char tmp[2048];
    size_t n = hs_log_format_render(cl->format, (void *)ci, tmp, sizeof(tmp));
    if (n <= sizeof(tmp)) {
        hs_log_file_write(cl->file, tmp, n);
        return;
    }
    char *big = malloc(n);
    if (big == NULL)
        return;
    hs_log_format_render(cl->format, (void *)ci, big, n);
    hs_log_file_write(cl->file, big, n);
    free(big);
}

void hs_conn_log_write(struct hs_edge_http *e, const hs_conn_info *ci)
{
    for (size_t i = 0; i < e->nconn_logs; i++)
        write_one(&e->conn_logs[i], ci);
}
