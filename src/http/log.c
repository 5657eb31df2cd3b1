/* log_format and access_log, and writing one access-log line per request. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/units.h"
#include "http/conf_internal.h"
#include "http/request_internal.h"
#include "log/format.h"
#include "log/writer.h"

struct hs_access_log {
    hs_log_file *file;      /* where lines go */
    hs_log_format *format;  /* how they look */
    bool has_cond;          /* if=$var given */
    hs_var_ref cond;        /* skip the line when empty or "0" */
};

static hs_log_format *find_format(hs_http_conf *http, hs_str name)
{
    for (size_t i = 0; i < http->nformats; i++)
        if (hs_str_eq(http->formats[i]->name, name))
            return http->formats[i];
    return NULL;
}

static int add_format(hs_cf *cf, hs_http_conf *http, hs_log_format *f)
{
    hs_log_format **v = hs_palloc(cf->pool, (http->nformats + 1) * sizeof(*v));
    if (v == NULL)
        return HS_ERROR;
    if (http->nformats)
        memcpy(v, http->formats, http->nformats * sizeof(*v));
    v[http->nformats++] = f;
    http->formats = v;
    return HS_OK;
}

int hs_http_log_conf_init(hs_cf *cf, hs_http_conf *http)
{
    hs_log_format *f = hs_palloc(cf->pool, sizeof(*f));
    if (f == NULL || hs_log_format_compile(cf, NULL, HS_STR("combined"), HS_STR(HS_LOG_FORMAT_COMBINED),
                                           HS_ESCAPE_DEFAULT, f) != HS_OK)
        return HS_ERROR;
    return add_format(cf, http, f);
}

static int log_format_directive(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    hs_http_conf *http = cf->level[HS_LEVEL_HTTP];
    hs_str name = n->args[1];
    if (find_format(http, name))
        return hs_cf_error(cf, n, "duplicate \"log_format\" name \"%s\"", name.p);
    size_t first = 2;
    int escape = HS_ESCAPE_DEFAULT;
    if (hs_str_has_prefix(n->args[2], HS_STR("escape="))) {
        hs_str e = {n->args[2].p + 7, n->args[2].n - 7};
        if (hs_str_eq_lit(e, "json"))
            escape = HS_ESCAPE_JSON;
        else if (hs_str_eq_lit(e, "none"))
            escape = HS_ESCAPE_NONE;
        else if (!hs_str_eq_lit(e, "default"))
            return hs_cf_error(cf, n, "unknown log format escaping \"%s\"", e.p);
        first = 3;
    }
    if (first >= n->nargs)
        return hs_cf_error(cf, n, "invalid number of arguments in \"log_format\" directive");
    size_t total = 0;
    for (size_t i = first; i < n->nargs; i++)
        total += n->args[i].n;
    char *text = hs_palloc(cf->pool, total + 1), *p = text;
    for (size_t i = first; i < n->nargs; i++) {
        memcpy(p, n->args[i].p, n->args[i].n);
        p += n->args[i].n;
    }
    *p = '\0';
    hs_log_format *f = hs_palloc(cf->pool, sizeof(*f));
    if (hs_log_format_compile(cf, n, name, (hs_str){text, total}, escape, f) != HS_OK)
        return HS_ERROR;
    return add_format(cf, http, f);
}

static int access_log_option(hs_cf *cf, const hs_conf_node *n, hs_str opt, hs_access_log *al)
{
    if (hs_str_has_prefix(opt, HS_STR("buffer="))) {
        int64_t size = hs_parse_size((hs_str){opt.p + 7, opt.n - 7});
        if (size < 1 || size > 16 * 1024 * 1024)
            return hs_cf_error(cf, n, "invalid buffer size \"%s\"", opt.p);
        hs_log_file_set_buffer(al->file, (size_t)size, -1);
    } else if (hs_str_has_prefix(opt, HS_STR("flush="))) {
        int64_t ms = hs_parse_msec((hs_str){opt.p + 6, opt.n - 6});
        if (ms < 1)
            return hs_cf_error(cf, n, "invalid flush time \"%s\"", opt.p);
        al->file->flush_msec = ms;
    } else if (hs_str_has_prefix(opt, HS_STR("if="))) {
        hs_str name;
        hs_str v = {opt.p + 3, opt.n - 3};
        if (hs_var_scan(v, &name) != v.n || hs_var_resolve(cf, n, name, &al->cond) != HS_OK)
            return hs_cf_error(cf, n, "invalid condition \"%s\"", opt.p);
        al->has_cond = true;
    } else if (hs_str_has_prefix(opt, HS_STR("gzip"))) {
        return hs_cf_error(cf, n, "\"gzip\" in \"access_log\" is not supported");
    } else {
        return hs_cf_error(cf, n, "invalid parameter \"%s\"", opt.p);
    }
    return HS_OK;
}

static int add_log(hs_cf *cf, hs_loc_conf *lc, hs_access_log *al)
{
    size_t old = lc->logs ? lc->nlogs : 0;
    hs_access_log **v = hs_palloc(cf->pool, (old + 1) * sizeof(*v));
    if (v == NULL)
        return HS_ERROR;
    if (old)
        memcpy(v, lc->logs, old * sizeof(*v));
    v[old] = al;
    lc->logs = v;
    lc->nlogs = old + 1;
    return HS_OK;
}

static int access_log_directive(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    hs_http_conf *http = cf->level[HS_LEVEL_HTTP];
    hs_loc_conf *lc = cf->level[HS_LEVEL_LOC];
    if (hs_str_eq_lit(n->args[1], "off")) {
        if (n->nargs != 2)
            return hs_cf_error(cf, n, "invalid parameter \"%s\"", n->args[2].p);
        lc->logs_off = 1;
        return HS_OK;
    }
    hs_access_log *al = hs_pcalloc(cf->pool, sizeof(*al));
    const char *path = hs_str_eq_lit(n->args[1], "stderr") ? "stderr" : hs_cf_path(cf, n->args[1]);
    al->file = hs_log_file_open(cf->pool, path);
    if (al->file == NULL)
        return hs_cf_error(cf, n, "open() \"%s\" failed (%d: %s)", path, errno, strerror(errno));
    hs_str fmt = n->nargs > 2 ? n->args[2] : HS_STR("combined");
    size_t opts = 3;
    if (n->nargs > 2 && memchr(fmt.p, '=', fmt.n)) {
        fmt = HS_STR("combined"); /* access_log path buffer=... */
        opts = 2;
    }
    al->format = find_format(http, fmt);
    if (al->format == NULL)
        return hs_cf_error(cf, n, "unknown log format \"%s\"", fmt.p);
    for (size_t i = opts; i < n->nargs; i++)
        if (access_log_option(cf, n, n->args[i], al) != HS_OK)
            return HS_ERROR;
    lc->logs_off = 0;
    return add_log(cf, lc, al);
}

int hs_http_log_conf_default(hs_cf *cf, hs_http_conf *http)
{
    hs_loc_conf *lc = http->loc;
    if (lc->logs || lc->logs_off == 1)
        return HS_OK;
    hs_access_log *al = hs_pcalloc(cf->pool, sizeof(*al));
    const char *path = hs_cf_path(cf, HS_STR("logs/access.log"));
    al->file = hs_log_file_open(cf->pool, path);
    if (al->file == NULL) {
        hs_conf_node at = {.file = cf->err ? "" : "", .line = 0};
        (void)at;
        snprintf(cf->err, cf->errlen, "open() \"%s\" failed (%d: %s) for the default access_log; "
                 "create the directory or set access_log", path, errno, strerror(errno));
        cf->errored = true;
        return HS_ERROR;
    }
    al->format = http->formats[0];
    return add_log(cf, lc, al);
}

/* ---- writing ---- */

static void write_line(hs_req *r, hs_access_log *al)
{
    if (al->has_cond) {
        char scratch[HS_VAR_SCRATCH];
        hs_str v;
        if (hs_var_get_value(&al->cond, r, &v, scratch) != HS_OK || v.n == 0 || hs_str_eq_lit(v, "0"))
            return;
    }
    char *p = hs_log_file_reserve(al->file, 1024);
    if (p == NULL) {
        char tmp[8192];
        size_t n = hs_log_format_render(al->format, r, tmp, sizeof(tmp));
        hs_log_file_write(al->file, tmp, n < sizeof(tmp) ? n : sizeof(tmp));
        return;
    }
    size_t room = al->file->cap - al->file->len;
    size_t n = hs_log_format_render(al->format, r, p, room);
    if (n + 1 > room) {
        p = hs_log_file_reserve(al->file, n + 1);
        if (p == NULL) {
            char *tmp = malloc(n + 1);
            if (tmp == NULL)
                return;
            hs_log_format_render(al->format, r, tmp, n + 1);
            hs_log_file_write(al->file, tmp, n);
            free(tmp);
            return;
        }
        hs_log_format_render(al->format, r, p, n + 1);
    }
    p[n] = '\n';
    hs_log_file_commit(al->file, n + 1);
}

void hs_http_log_request(hs_req *r)
{
    hs_loc_conf *lc = r->loc ? r->loc : (r->srv ? r->srv->loc : NULL);
    if (lc == NULL || lc->logs_off)
        return;
    for (size_t i = 0; i < lc->nlogs; i++)
        write_line(r, lc->logs[i]);
}

const hs_directive hs_http_log_directives[] = {
    {"log_format", HS_CTX_HTTP, HS_ARGS_2MORE, log_format_directive, HS_LEVEL_NONE, 0, NULL},
    {"access_log", HS_CTX_HSL, HS_ARGS_1MORE, access_log_directive, HS_LEVEL_NONE, 0, NULL},
    {NULL, 0, 0, NULL, 0, 0, NULL},
};
