/* The static handler: serving a file — path mapping (root/alias),
 * conditional requests (ETag, Last-Modified), byte ranges (range.c), the
 * directory redirect, and the response. Index files and try_files are in
 * try_files.c. */
#include <errno.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/errlog.h"
#include "parse/path.h"
#include "static/file_cache.h"
#include "static/static_internal.h"

int hs_static_map_path(hs_req *r, hs_str uri, hs_str *out)
{
    hs_loc_conf *lc = r->loc;
    hs_str base;
    if (hs_cv_eval(&lc->root, r, r->pool, &base) != HS_OK)
        return HS_ERROR;
    hs_str rest = uri;
    if (lc->alias) {
        /* an alias replaces the prefix of the location that set it (also in
         * a location nested there, as nginx) */
        const hs_loc_conf *at = lc->alias_at ? lc->alias_at : lc;
        bool is_regex = at->match == HS_LOC_REGEX || at->match == HS_LOC_REGEX_I;
        if (is_regex && !lc->root.literal) {
            *out = base; /* a regex alias with captures is the whole path */
            return HS_OK;
        }
        if (!is_regex && hs_str_has_prefix(uri, at->name))
            rest = (hs_str){uri.p + at->name.n, uri.n - at->name.n};
    }
    char *p = hs_palloc(r->pool, base.n + rest.n + 1);
    if (p == NULL)
        return HS_ERROR;
    memcpy(p, base.p, base.n);
    memcpy(p + base.n, rest.p, rest.n);
    p[base.n + rest.n] = '\0';
    *out = (hs_str){p, base.n + rest.n};
    return HS_OK;
}

static hs_str content_type(hs_req *r, hs_str path)
{
    size_t i = path.n;
    while (i > 0 && path.p[i - 1] != '.' && path.p[i - 1] != '/')
        i--;
    if (i > 0 && path.p[i - 1] == '.' && r->loc->types) {
        hs_str *t = hs_hash_get_lower(r->loc->types, (hs_str){path.p + i, path.n - i});
        if (t)
            return *t;
    }
    return r->loc->default_type;
}

static const hs_header *header(hs_req *r, const char *name) { return hs_http_find_header(&r->h, name); }

/* Does an If-None-Match / If-Match list contain etag? If-None-Match compares
 * weakly (W/"x" matches "x"); If-Match strongly (RFC 9110 13.1.1: a weak tag
 * never matches). Elements are separated by ',' and optional spaces or tabs. */
static bool etag_listed(hs_str list, hs_str etag, bool strong)
{
    if (hs_str_eq_lit(list, "*"))
        return true;
    size_t i = 0;
    while (i < list.n) {
        while (i < list.n && (list.p[i] == ' ' || list.p[i] == '\t' || list.p[i] == ','))
            i++;
        size_t start = i;
        while (i < list.n && list.p[i] != ',')
            i++;
        hs_str t = {list.p + start, i - start};
        while (t.n && (t.p[t.n - 1] == ' ' || t.p[t.n - 1] == '\t'))
            t.n--;
        if (t.n > 2 && t.p[0] == 'W' && t.p[1] == '/') {
            if (strong)
                continue;
            t = (hs_str){t.p + 2, t.n - 2};
        }
        if (hs_str_eq(t, etag))
            return true;
    }
    return false;
}

/* 0: go on; 304 or 412: answer that. */
static int check_conditions(hs_req *r, const hs_file_info *fi)
{
    const hs_header *h;
    if ((h = header(r, "If-Match")) && !etag_listed(h->value, fi->etag, true))
        return 412;
    if (!header(r, "If-Match") && (h = header(r, "If-Unmodified-Since"))) {
        time_t t = hs_parse_http_date(h->value.p, h->value.n);
        if (t >= 0 && fi->mtime > t)
            return 412;
    }
    const hs_static_loc *sl = hs_static_loc_of(r->loc);
    if ((h = header(r, "If-None-Match")))
        return (sl->etag && etag_listed(h->value, fi->etag, false)) ? 304 : 0;
    if ((h = header(r, "If-Modified-Since")) && sl->if_modified_since) {
        time_t t = hs_parse_http_date(h->value.p, h->value.n);
        if (t < 0)
            return 0;
        if (sl->if_modified_since == 1 ? fi->mtime == t : fi->mtime <= t)
            return 304;
    }
    return 0;
}

static bool if_range_allows(hs_req *r, const hs_file_info *fi)
{
    const hs_header *h = header(r, "If-Range");
    if (h == NULL)
        return true;
    if (h->value.n && h->value.p[0] == '"')
        return hs_str_eq(h->value, fi->etag);
    time_t t = hs_parse_http_date(h->value.p, h->value.n);
    return t >= 0 && t == fi->mtime;
}

static void close_fd(void *data) { close((int)(intptr_t)data); }

static void set_body(hs_req *r, hs_file_info *fi, int64_t from, int64_t len)
{
    hs_resp *rs = &r->resp;
    rs->content_length = len;
    if (fi->data) {
        rs->body = (hs_str){fi->data + from, (size_t)len};
        return;
    }
    rs->file_fd = fi->fd;
    rs->file_off = (off_t)from;
    rs->file_end = (off_t)(from + len);
}

/* add_header replaced the validators If-Range is judged against: nginx's
 * range filter runs after it, so the range is decided again with them (one
 * range of a file or in-memory body; a multipart answer stays as made). */
void hs_static_recheck_range(hs_req *r, hs_str etag, time_t mtime)
{
    hs_resp *rs = &r->resp;
    const hs_header *range = header(r, "Range");
    bool ours = (rs->status == 200 && rs->accept_ranges) || (rs->status == 206 && rs->content_range.n);
    if (range == NULL || header(r, "If-Range") == NULL || !ours || r->upstream)
        return;
    hs_static_whole_entity(rs);
    int64_t size = rs->file_fd >= 0 ? (int64_t)rs->file_end : (int64_t)rs->body.n;
    hs_file_info fi = {.fd = rs->file_fd, .data = rs->file_fd >= 0 ? NULL : rs->body.p, .size = size,
                       .mtime = mtime, .etag = etag};
    hs_static_range rg[1];
    size_t nrg = 0;
    const hs_static_loc *sl = hs_static_loc_of(r->loc);
    rs->accept_ranges = sl->max_ranges != 0;
    if (!if_range_allows(r, &fi) || hs_static_parse_ranges(range->value, size, 1, rg, &nrg) <= 0 || nrg != 1)
        return;
    rs->status = 206;
    rs->accept_ranges = false;
    rs->content_range = hs_cstr(hs_psprintf(r->pool, "bytes %lld-%lld/%lld", (long long)rg[0].from,
                                            (long long)rg[0].to - 1, (long long)size));
    set_body(r, &fi, rg[0].from, rg[0].to - rg[0].from);
}

/* The answer to a Range field (or the whole file): 206, multipart, 416. */
static void send_ranges(hs_req *r, hs_file_info *fi)
{
    hs_resp *rs = &r->resp;
    const hs_header *range = header(r, "Range");
    const hs_static_loc *sl = hs_static_loc_of(r->loc);
    hs_static_range rg[256];
    size_t nrg = 0;
    int rr = (range && rs->accept_ranges && if_range_allows(r, fi))
                 ? hs_static_parse_ranges(range->value, fi->size, sl->max_ranges, rg, &nrg) : 0;
    rs->accept_ranges = rs->accept_ranges && sl->max_ranges != 0; /* max_ranges 0: no ranges at all */
    int mp = rr > 0 && nrg > 1 ? hs_static_multipart(r, fi, rg, nrg) : HS_DECLINED;
    if (mp == HS_ERROR || (rr < 0 && hs_http_has_error_page(r, 416))) {
        hs_http_finalize(r, mp == HS_ERROR ? 500 : 416);
        return;
    }
    if (rr < 0) {
        hs_http_error_response(r, 416);
        r->resp.content_range = hs_cstr(hs_psprintf(r->pool, "bytes */%lld", (long long)fi->size));
    } else if (mp == HS_OK) {
        rs->status = 206;
        rs->accept_ranges = false;
    } else if (rr > 0 && nrg == 1) {
        rs->status = 206;
        rs->accept_ranges = false;
        rs->content_range = hs_cstr(hs_psprintf(r->pool, "bytes %lld-%lld/%lld",
                                        (long long)rg[0].from, (long long)rg[0].to - 1, (long long)fi->size));
        set_body(r, fi, rg[0].from, rg[0].to - rg[0].from);
    } else {
        set_body(r, fi, 0, fi->size);
    }
    hs_http_send_response(r);
}

/* ranges: false for a precompressed variant (nginx's gzip_static sends it whole). */
static void serve_file(hs_req *r, hs_file_info *fi, hs_str path, bool ranges)
{
    hs_resp *rs = &r->resp;
    if (fi->fd >= 0)
        hs_pool_cleanup_add(r->pool, close_fd, (void *)(intptr_t)fi->fd);
    if (r->h.method_id != HS_METHOD_GET && r->h.method_id != HS_METHOD_HEAD) {
        hs_http_finalize(r, 405);
        return;
    }
    rs->status = hs_http_response_status(r, 200);
    rs->content_type = content_type(r, path);
    rs->last_modified = fi->mtime;
    rs->last_modified_text = fi->last_modified;
    rs->etag = hs_static_loc_of(r->loc)->etag ? fi->etag : HS_NULL_STR;
    /* as nginx: only a full 200 advertises ranges */
    rs->accept_ranges = ranges && rs->status == 200;
    if (r->error_page_status == 0) {
        int cond = check_conditions(r, fi);
        if (cond == 304) {
            rs->status = 304;
            rs->content_length = -1;
            rs->content_type = HS_NULL_STR; /* as nginx: a 304 names no type */
            rs->accept_ranges = false;
            hs_http_send_response(r);
            return;
        }
        if (cond == 412) {
            hs_http_finalize(r, 412);
            return;
        }
    }
    send_ranges(r, fi);
}

/* The path of a Location, escaped as nginx escapes URIs. */
static hs_str escape_path(hs_pool *pool, hs_str in)
{
    char *out = hs_palloc(pool, in.n * 3 + 1);
    return out ? (hs_str){out, hs_uri_escape(in, out)} : in;
}

static void redirect_to_dir(hs_req *r)
{
    hs_str uri = escape_path(r->pool, r->uri);
    hs_str path = hs_cstr(hs_psprintf(r->pool, "%.*s/%s%.*s", (int)uri.n, uri.p, r->args.n ? "?" : "",
                                      (int)r->args.n, r->args.p));
    hs_http_error_response(r, 301);
    r->resp.location = hs_http_absolute_url(r, path);
    hs_http_send_response(r);
}

static int errno_status(int err)
{
    switch (err) {
    case ENOENT:
    case ENOTDIR:
    case ENAMETOOLONG:
    case ELOOP:
        return 404;
    case EACCES:
    case EPERM:
        return 403;
    default:
        return 500;
    }
}

static const hs_static_variant *variant; /* gzip_static, when configured */

void hs_static_set_variant(const hs_static_variant *v) { variant = v; }

/* FILE + suffix served in the place of FILE, when the variant's module wants it. */
static bool serve_variant(hs_req *r, hs_str path, const hs_static_loc *sl)
{
    hs_file_info fi;
    char *alt = hs_psprintf(r->pool, "%s%s", path.p, variant->suffix);
    if (alt == NULL || hs_file_open(r->pool, sl->open_file_cache ? &sl->cache : NULL, alt, &fi) != 0)
        return false;
    if (fi.is_dir || r->h.method_id == HS_METHOD_POST || !variant->found(r)) {
        if (fi.fd >= 0)
            close(fi.fd);
        return false;
    }
    serve_file(r, &fi, path, false);
    return true;
}

static void serve(hs_req *r)
{
    hs_str path;
    if (r->h.method_id != HS_METHOD_GET && r->h.method_id != HS_METHOD_HEAD &&
        r->h.method_id != HS_METHOD_POST) {
        hs_http_finalize(r, 405);
        return;
    }
    if (hs_static_map_path(r, r->uri, &path) != HS_OK) {
        hs_http_finalize(r, 500);
        return;
    }
    if (r->uri.n && r->uri.p[r->uri.n - 1] == '/') {
        hs_static_index(r, path);
        return;
    }
    hs_file_info fi;
    const hs_static_loc *sl = hs_static_loc_of(r->loc);
    if (variant && variant->wanted(r) && serve_variant(r, path, sl))
        return;
    int err = hs_file_open(r->pool, sl->open_file_cache ? &sl->cache : NULL, path.p, &fi);
    if (err) {
        int status = errno_status(err);
        if (status != 404 || sl->log_not_found) /* as nginx: 403 at error, others at crit */
            hs_log_ctx(status == 500 ? HS_LOG_CRIT : HS_LOG_ERR, r, err, "open() \"%s\" failed", path.p);
        hs_http_finalize(r, status);
        return;
    }
    if (fi.is_dir) {
        redirect_to_dir(r);
        return;
    }
    if (r->h.method_id == HS_METHOD_POST) {
        if (fi.fd >= 0)
            close(fi.fd);
        hs_http_finalize(r, 405);
        return;
    }
    serve_file(r, &fi, path, true);
}

/* Files are served after the request body is discarded (the core does it
 * for a handler that does not read the body). */
static const hs_handler serve_handler = {.name = "static", .run = serve};

/* try_files comes first, with the body still unread: an internal redirect
 * (WordPress's /index.php?$args) takes it to the location that answers. */
static void static_run(hs_req *r)
{
    if (hs_static_try_files_before(r))
        return;
    hs_http_run_handler(r, &serve_handler);
}

const hs_handler hs_static_handler = {.name = "static", .run = static_run, .reads_body = true};

bool hs_static_try_files_before(hs_req *r)
{
    const hs_static_loc *sl = hs_static_loc_of(r->loc);
    return sl && sl->try_files && hs_static_try_files(r) == HS_OK;
}
