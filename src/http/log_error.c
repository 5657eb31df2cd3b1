/* Error-log lines about a request in nginx's shape (http.h says which), so
 * that fail2ban's stock filters and operators' greps read them unchanged.
 * The request id ends the line, beyond nginx, so that an error line and its
 * access-log line can be joined. */
#include <stdarg.h>
#include <stdio.h>

#include "core/errlog.h"
#include "http/internal.h"

static hs_var_ref request_id; /* $request_id, when a module defines it */
static bool has_request_id;

void hs_http_log_error_init(hs_cf *cf)
{
    has_request_id = hs_var_lookup(cf->pool, HS_STR("request_id"), &request_id) == HS_OK;
}

typedef struct {
    char buf[3600];
    size_t n;
} line_buf;

static void put(line_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(line_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(b->buf + b->n, sizeof(b->buf) - b->n, fmt, ap);
    va_end(ap);
    if (m > 0)
        b->n = b->n + (size_t)m < sizeof(b->buf) ? b->n + (size_t)m : sizeof(b->buf) - 1;
}

/* The request line: parsed, unparsable, or what came of it so far (a head
 * that timed out: the unparsed bytes start at buf_pos), to its end of line. */
static hs_str request_line(hs_req *r)
{
    if (r->raw_line.n)
        return r->raw_line;
    if (r->head_done || r->h.request_line_done)
        return r->h.request_line;
    hs_conn *c = r->conn;
    size_t i = 0, n = 0, left = c->buf && !r->bare ? c->buf_len - c->buf_pos : 0;
    const char *p = left ? c->buf + c->buf_pos : "";
    while (i < left && (p[i] == '\r' || p[i] == '\n'))
        i++;
    while (i + n < left && n < 2048 && p[i + n] != '\r' && p[i + n] != '\n')
        n++;
    return (hs_str){p + i, n};
}

static void put_context(line_buf *b, hs_req *r, bool with_id)
{
    hs_srv_conf *srv = r->srv ? r->srv : hs_conn_default_srv(r->conn);
    hs_str line = request_line(r), id;
    put(b, ", client: %s, server: %.*s", hs_conn_peer_text(r->conn), (int)srv->name.n, srv->name.p);
    if (line.n)
        put(b, ", request: \"%.*s\"", (int)line.n, line.p);
    if (r->log_upstream.n)
        put(b, ", upstream: \"%.*s\"", (int)r->log_upstream.n, r->log_upstream.p);
    const hs_header *host = r->head_done ? hs_http_find_header(&r->h, "Host") : NULL;
    const hs_header *ref = r->head_done ? hs_http_find_header(&r->h, "Referer") : NULL;
    if (host)
        put(b, ", host: \"%.*s\"", (int)host->value.n, host->value.p);
    if (ref)
        put(b, ", referrer: \"%.*s\"", (int)ref->value.n, ref->value.p);
    char scratch[HS_VAR_SCRATCH];
    if (with_id && has_request_id && !r->bare && hs_var_get_value(&request_id, r, &id, scratch) == HS_OK)
        put(b, ", request_id: \"%.*s\"", (int)id.n, id.p);
}

static void log_error(int level, hs_req *r, int err, bool with_id, const char *fmt, va_list ap)
{
    if (!hs_log_enabled(level))
        return;
    char msg[2048];
    if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
        return;
    /* "MESSAGE (ERR: text) while ACTION": nginx puts the errno before " while " */
    const char *action = err ? strstr(msg, " while ") : NULL;
    line_buf b = {.n = 0};
    put(&b, "*%llu %.*s", (unsigned long long)r->conn->number, action ? (int)(action - msg) : (int)strlen(msg), msg);
    if (err)
        put(&b, " (%d: %s)%s", err, strerror(err), action ? action : "");
    put_context(&b, r, with_id);
    hs_log(level, "%.*s", (int)b.n, b.buf);
}

void hs_http_log_error(int level, hs_req *r, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_error(level, r, err, true, fmt, ap);
    va_end(ap);
}

void hs_http_log_error_noid(int level, hs_req *r, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_error(level, r, err, false, fmt, ap);
    va_end(ap);
}
