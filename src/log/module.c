/* The log module's record, its configuration slots, and what the log
 * targets share: options, conditions, writing a rendered line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/units.h"
#include "core/errlog.h"
#include "log/log_internal.h"
#include "stats/counters.h"

hs_log_http *hs_log_http_get(hs_cf *cf)
{
    hs_http_conf *http = cf->level[HS_LEVEL_HTTP];
    hs_log_http **slot = (hs_log_http **)&HS_MOD_SLOT(http->mod, &hs_log_module);
    if (*slot == NULL)
        *slot = hs_pcalloc(cf->pool, sizeof(**slot));
    return *slot;
}

hs_log_loc *hs_log_loc_get(hs_cf *cf, hs_loc_conf *lc)
{
    hs_log_loc **slot = (hs_log_loc **)&HS_MOD_SLOT(lc->mod, &hs_log_module);
    if (*slot == NULL) {
        *slot = hs_pcalloc(cf->pool, sizeof(**slot));
        if (*slot)
            (*slot)->off = HS_UNSET;
    }
    return *slot;
}

hs_log_format *hs_log_find_format(hs_log_http *lh, hs_str name)
{
    for (size_t i = 0; i < lh->nformats; i++)
        if (hs_str_eq(lh->formats[i]->name, name))
            return lh->formats[i];
    return NULL;
}

static void close_syslog(void *s) { hs_syslog_close(s); }

int hs_log_target_open(hs_cf *cf, const hs_conf_node *n, hs_str where, hs_log_target *t)
{
    if (hs_syslog_is(where)) {
        char err[256];
        t->syslog = hs_palloc(cf->pool, sizeof(*t->syslog));
        if (t->syslog == NULL || hs_syslog_parse(where, t->syslog, err, sizeof(err)) != HS_OK)
            return hs_cf_error(cf, n, "%s", t->syslog ? err : "out of memory");
        return hs_pool_cleanup_add(cf->pool, close_syslog, t->syslog);
    }
    const char *path = hs_str_eq_lit(where, "stderr") ? "stderr" : hs_cf_path(cf, where);
    t->file = hs_log_file_open(cf->pool, path);
    if (t->file == NULL)
        return hs_cf_error(cf, n, "open() \"%s\" failed (%d: %s)", path, errno, strerror(errno));
    return HS_OK;
}

int hs_log_target_option(hs_cf *cf, const hs_conf_node *n, hs_str opt, hs_log_target *t)
{
    bool buffering = hs_str_has_prefix(opt, HS_STR("buffer=")) || hs_str_has_prefix(opt, HS_STR("flush="));
    bool gzip = hs_str_eq_lit(opt, "gzip") || hs_str_has_prefix(opt, HS_STR("gzip="));
    if ((buffering || gzip) && t->syslog)
        return hs_cf_error(cf, n, "logs to syslog cannot be %s", gzip ? "compressed" : "buffered");
    if ((buffering || gzip) && t->path_cv)
        return hs_cf_error(cf, n, "%s logs cannot have variables in name", gzip ? "compressed" : "buffered");
    if (gzip) { /* gzip[=1..9], as nginx: level 1 when not given; flushes by buffer or flush= */
        int64_t level = opt.n == 4 ? 1 : hs_parse_int((hs_str){opt.p + 5, opt.n - 5});
        if (level < 1 || level > 9)
            return hs_cf_error(cf, n, "invalid compression level \"%s\"", opt.p);
        t->file->gzip_level = (int)level;
        t->file->explicit_buffer = true;
        return HS_OK;
    }
    if (hs_str_has_prefix(opt, HS_STR("buffer="))) {
        int64_t size = hs_parse_size((hs_str){opt.p + 7, opt.n - 7});
        if (size < 1 || size > 16 * 1024 * 1024)
            return hs_cf_error(cf, n, "invalid buffer size \"%s\"", opt.p);
        hs_log_file_set_buffer(t->file, (size_t)size, -1);
    } else if (hs_str_has_prefix(opt, HS_STR("flush="))) {
        int64_t ms = hs_parse_msec((hs_str){opt.p + 6, opt.n - 6});
        if (ms < 1)
            return hs_cf_error(cf, n, "invalid flush time \"%s\"", opt.p);
        t->file->flush_msec = ms;
    } else if (hs_str_has_prefix(opt, HS_STR("if="))) {
        hs_str name;
        hs_str v = {opt.p + 3, opt.n - 3};
        if (v.n && hs_var_scan(v, &name) == v.n) { /* one variable: the quick way */
            if (hs_var_resolve(cf, n, name, &t->cond) != HS_OK)
                return hs_cf_error(cf, n, "invalid condition \"%s\"", opt.p);
            t->has_cond = true;
            return HS_OK;
        }
        /* any value, as nginx: text with variables, false when empty or "0" */
        if (hs_cv_compile(cf, n, v, &t->cond_text) != HS_OK)
            return HS_ERROR;
        t->has_cond_text = true;
    } else {
        return HS_DECLINED;
    }
    return HS_OK;
}

/* A line longer than the file's buffer: rendered on its own. */
static void write_long(hs_log_target *t, hs_req *r, size_t n)
{
    char *tmp = malloc(n + 1);
    if (tmp == NULL)
        return;
    hs_log_format_render(t->format, r, tmp, n + 1);
    hs_log_file_write(t->file, tmp, n);
    free(tmp);
}

/* A syslog target: one datagram per line, at severity info unless it says. */
static void write_syslog(hs_log_target *t, hs_req *r)
{
    char line[4096];
    size_t n = hs_log_format_render(t->format, r, line, sizeof(line));
    hs_syslog_send(t->syslog, 6, line, n < sizeof(line) ? n : sizeof(line)); /* nginx cuts long ones too */
}

/* Renders in place at the end of the file's buffer when the line fits, so
 * the common line costs no copy. */
void hs_log_target_write(hs_log_target *t, hs_req *r)
{
    if (t->has_cond) {
        char scratch[HS_VAR_SCRATCH];
        hs_str v;
        if (hs_var_get_value(&t->cond, r, &v, scratch) != HS_OK || v.n == 0 || hs_str_eq_lit(v, "0"))
            return;
    }
    if (t->has_cond_text) {
        hs_str v;
        if (hs_cv_eval(&t->cond_text, r, r->pool, &v) != HS_OK || v.n == 0 || hs_str_eq_lit(v, "0"))
            return;
    }
    if (t->syslog) {
        write_syslog(t, r);
        return;
    }
    if (t->path_cv) {
        hs_log_varpath_write(t, r);
        return;
    }
    char *p = hs_log_file_reserve(t->file, 1024);
    if (p == NULL) { /* a buffer smaller than 1k */
        char tmp[8192];
        size_t n = hs_log_format_render(t->format, r, tmp, sizeof(tmp));
        if (n <= sizeof(tmp))
            hs_log_file_write(t->file, tmp, n);
        else
            write_long(t, r, n);
        return;
    }
    size_t room = t->file->cap - t->file->len;
    size_t n = hs_log_format_render(t->format, r, p, room);
    if (n + 1 > room) {
        p = hs_log_file_reserve(t->file, n + 1);
        if (p == NULL) {
            write_long(t, r, n);
            return;
        }
        hs_log_format_render(t->format, r, p, n + 1);
    }
    p[n] = '\n';
    hs_log_file_commit(t->file, n + 1);
}

/* ---- the record ---- */

static int http_init(hs_cf *cf, hs_http_conf *http)
{
    (void)http;
    hs_errlog_on_lost(hs_stats_log_lost); /* the main error log's lost lines, in metrics too */
    hs_log_errors_init(cf);
    return hs_log_access_init(cf, hs_log_http_get(cf));
}

static int http_finish(hs_cf *cf, hs_http_conf *http)
{
    hs_log_http *lh = hs_log_http_get(cf);
    if (hs_log_access_finish(cf, http, lh) != HS_OK)
        return HS_ERROR;
    return hs_log_conn_finish(cf, http, lh);
}

static void worker_start(const hs_config *conf)
{
    (void)conf;
    hs_log_files_attach_loop();
}

hs_module hs_log_module = {
    .name = "log",
    .directives = {hs_log_access_directives, hs_log_conn_directives, hs_log_error_directives},
    .http_init = http_init,
    .merge_loc = hs_log_access_merge,
    .http_finish = http_finish,
    .worker_start = worker_start,
    .worker_stop = hs_log_files_flush_all,
    .reopen = hs_log_files_reopen_all,
};
