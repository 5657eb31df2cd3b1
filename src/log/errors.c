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

static void log_error(int level, void *ctx_request, int err, const char *fmt, va_list ap)
{
    hs_req *r = ctx_request;
    bool nginx_end = level & HS_LOG_NGINX_END;
    level &= ~HS_LOG_NGINX_END;
    if (!hs_log_enabled(level))
        return;
    hs_srv_conf *srv = r->srv ? r->srv : r->conn->group->default_srv;
    hs_str line = request_line(r), up = r->log_upstream, id = {"", 0};
    char ctx[3000], scratch[HS_VAR_SCRATCH];
    int n = snprintf(ctx, 2000, ", client: %s, server: %.*s%s%.*s%s%s%.*s%s", hs_conn_peer_text(r->conn),
                     (int)srv->name.n, srv->name.p, line.n ? ", request: \"" : "", (int)line.n, line.p,
                     line.n ? "\"" : "", up.n ? ", upstream: \"" : "", (int)up.n, up.p, up.n ? "\"" : "");
    n = n > 0 && n < 2000 ? n : 0;
    n += field(ctx + n, sizeof(ctx) - (size_t)n, r, "Host", "host");
    n += field(ctx + n, sizeof(ctx) - (size_t)n, r, "Referer", "referrer");
    if (has_request_id && !r->bare && !nginx_end && hs_var_get_value(&request_id, r, &id, scratch) == HS_OK)
        snprintf(ctx + n, sizeof(ctx) - (size_t)n, ", request_id: \"%.*s\"", (int)id.n, id.p);
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
