/* The request's context of error-log lines (hs_log_ctx), in nginx's
 * shape, so that fail2ban's stock filters and operators' greps read them
 * unchanged:
 *   ", client: ADDR, server: NAME, request: "LINE"[, upstream: "URL"]
 *   [, host: "HOST"][, referrer: "REF"]"
 * and, beyond nginx, ", request_id: "ID"" when a module defines
 * $request_id, so that an error line and its access-log line can be joined
 * (not on the lines logged with HS_LOG_NGINX_END). */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "core/errlog.h"
#include "log/log_internal.h"

static hs_var_ref request_id;
static bool has_request_id;

/* The request line: parsed, unparsable, or what came of it so far (a head
 * that timed out: the unparsed bytes start at buf_pos), to its end of line. */
static hs_str request_line(hs_req *r)
{
    if (r->raw_line.n || r->head_done || r->h.request_line_done)
        return r->raw_line.n ? r->raw_line : r->h.request_line;
    hs_conn *c = r->conn;
    size_t i = 0, n = 0, left = c->buf && !r->bare ? c->buf_len - c->buf_pos : 0;
    const char *p = left ? c->buf + c->buf_pos : "";
    while (i < left && (p[i] == '\r' || p[i] == '\n'))
        i++;
    while (i + n < left && n < 2048 && p[i + n] != '\r' && p[i + n] != '\n')
        n++;
    return (hs_str){p + i, n};
}

/* ", NAME: "value"" of a request header, or nothing. */
static int field(char *out, size_t cap, hs_req *r, const char *header, const char *name)
{
    const hs_header *h = r->head_done ? hs_http_find_header(&r->h, header) : NULL;
    hs_str v = h ? h->value : (hs_str){"", 0};
    int n = h ? snprintf(out, cap, ", %s: \"%.*s\"", name, (int)v.n, v.p) : 0;
    return n > 0 && (size_t)n < cap ? n : 0;
}

/* The error_log of the request's level, or NULL for the main one. */
static hs_log_loc *own_error_logs(hs_req *r, hs_srv_conf *srv)
{
    hs_loc_conf *lc = r->loc ? r->loc : srv->loc;
    hs_log_loc *ll = lc ? HS_MOD_SLOT(lc->mod, &hs_log_module) : NULL;
    return ll && ll->nerrlogs ? ll : NULL;
}

static bool wanted(hs_log_loc *ll, int level)
{
    for (size_t i = 0; ll && i < ll->nerrlogs; i++)
        if (level <= ll->errlogs[i].level)
            return true;
    return ll == NULL && hs_log_enabled(level);
}

/* A line for a level's own error_log: to each destination whose level takes it. */
static void write_own(hs_log_loc *ll, int level, hs_req *r, int err, const char *ctx, const char *fmt, va_list ap)
{
    char line[HS_ERRLOG_LINE];
    size_t n = hs_log_conn_line(line, level, r->conn->number, err, ctx, fmt, ap);
    for (size_t i = 0; n && i < ll->nerrlogs; i++) {
        hs_errlog_dest *d = &ll->errlogs[i];
        if (level > d->level)
            continue;
        if (d->syslog) {
            hs_syslog_send(d->syslog, level, line, n);
            continue;
        }
        line[n] = '\n';
        ssize_t w = write(d->file->fd, line, n + 1);
        if (w != (ssize_t)(n + 1)) /* a full disk: counted, said (in the main error log) */
            hs_log_file_lost(d->file, line, n + 1, w < 0 ? errno : ENOSPC);
    }
}

static void log_error(int level, void *ctx_request, int err, const char *fmt, va_list ap)
{
    hs_req *r = ctx_request;
    bool nginx_end = level & HS_LOG_NGINX_END;
    level &= ~HS_LOG_NGINX_END;
    hs_srv_conf *srv = r->srv ? r->srv : r->conn->group->default_srv;
    hs_log_loc *own = own_error_logs(r, srv);
    if (!wanted(own, level))
        return;
    hs_str line = request_line(r), up = r->log_upstream, id = {"", 0};
    char ctx[3000], scratch[HS_VAR_SCRATCH], client_buf[HS_VAR_SCRATCH];
    hs_str client = HS_STR("-");
    hs_var_addr(&client, client_buf, hs_req_addr(r)); /* the request's client (realip) */
    int n = snprintf(ctx, 2000, ", client: %.*s, server: %.*s%s%.*s%s%s%.*s%s", (int)client.n, client.p,
                     (int)srv->name.n, srv->name.p, line.n ? ", request: \"" : "", (int)line.n, line.p,
                     line.n ? "\"" : "", up.n ? ", upstream: \"" : "", (int)up.n, up.p, up.n ? "\"" : "");
    n = n > 0 && n < 2000 ? n : 0;
    n += field(ctx + n, sizeof(ctx) - (size_t)n, r, "Host", "host");
    n += field(ctx + n, sizeof(ctx) - (size_t)n, r, "Referer", "referrer");
    if (has_request_id && !r->bare && !nginx_end && hs_var_get_value(&request_id, r, &id, scratch) == HS_OK)
        snprintf(ctx + n, sizeof(ctx) - (size_t)n, ", request_id: \"%.*s\"", (int)id.n, id.p);
    if (own)
        write_own(own, level, r, err, ctx, fmt, ap);
    else
        hs_log_conn(level, r->conn->number, err, ctx, fmt, ap);
}

void hs_log_errors_init(hs_cf *cf)
{
    has_request_id = hs_var_lookup(cf->pool, HS_STR("request_id"), &request_id) == HS_OK;
    hs_errlog_set_context(log_error);
}

void hs_log_errors_timeout(hs_req *r)
{
    hs_ending why = r->ending;
    if (why != HS_END_HEADER_TIMEOUT && why != HS_END_BODY_TIMEOUT && why != HS_END_SEND_TIMEOUT)
        return;
    hs_log_ctx(HS_LOG_INFO, r, ETIMEDOUT, "client timed out while %s",
               why == HS_END_BODY_TIMEOUT   ? "reading client request body"
               : why == HS_END_SEND_TIMEOUT ? "sending response to client"
               : r->h.request_line_done     ? "reading client request headers"
                                            : "reading client request line");
}

/* error_log FILE | stderr | syslog:... [LEVEL] in http, server, location
 * (the main one is config.c's): the lines about the level's requests go to
 * its error_logs, every one whose level takes them, as nginx. */
static int error_log_directive(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    hs_log_loc *ll = hs_log_loc_get(cf, cf->level[HS_LEVEL_LOC]);
    int level = n->nargs == 3 ? hs_log_level_parse(n->args[2].p) : HS_LOG_ERR;
    if (level < 0)
        return hs_cf_error(cf, n, "invalid log level \"%s\"", n->args[2].p);
    hs_log_target t = {0};
    if (hs_log_target_open(cf, n, n->args[1], &t) != HS_OK)
        return HS_ERROR;
    if (t.syslog)
        t.syslog->severity = -1; /* an error line's severity is its level: severity= is access_log's, as nginx */
    hs_errlog_dest *e = hs_pvec_push(cf->pool, (void **)&ll->errlogs, &ll->nerrlogs, sizeof(*e));
    if (e == NULL)
        return HS_ERROR;
    *e = (hs_errlog_dest){.file = t.file, .syslog = t.syslog, .level = level};
    return HS_OK;
}

const hs_directive hs_log_error_directives[] = {
    {"error_log", HS_CTX_HSL, HS_ARGS_12, error_log_directive, HS_LEVEL_NONE, 0, NULL},
    {NULL, 0, 0, NULL, 0, 0, NULL},
};
