/* Directory listings (nginx's autoindex): the entries of a directory whose
 * URI ends with '/' and that has no index file, in nginx's order
 * (directories first, then by name, byte for byte; hidden names skipped)
 * and nginx's formats — html (names escaped and cut at 50 characters,
 * dates dd-Mon-yyyy hh:mm, sizes exact or rounded to K/M/G), json, jsonp
 * (the `callback` argument) and xml. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "core/clock.h"
#include "core/errlog.h"
#include "static/static_internal.h"

#define NAME_LEN 50      /* html: longer names are cut, as nginx */
#define MAX_CALLBACK 128 /* jsonp: the longest callback name nginx accepts */

typedef struct {
    hs_str name;
    char kind; /* 'd' directory, 'f' regular file, 'o' other */
    time_t mtime;
    int64_t size;
} entry;

/* ---- a growing output buffer in the request's pool ---- */

typedef struct {
    hs_pool *pool;
    char *p;
    size_t n, cap;
    bool failed;
} out_buf;

static void put(out_buf *o, const char *s, size_t n)
{
    if (o->failed)
        return;
    if (o->n + n > o->cap) {
        size_t cap = o->cap ? o->cap : 4096;
        while (cap < o->n + n)
            cap *= 2;
        char *np = hs_palloc(o->pool, cap);
        if (np == NULL) {
            o->failed = true;
            return;
        }
        if (o->n)
            memcpy(np, o->p, o->n);
        o->p = np;
        o->cap = cap;
    }
    memcpy(o->p + o->n, s, n);
    o->n += n;
}

static void put_str(out_buf *o, const char *s) { put(o, s, strlen(s)); }

static void putf(out_buf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void putf(out_buf *o, const char *fmt, ...)
{
    char buf[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > 0)
        put(o, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* ---- escaping ---- */

/* html and xml text: & < > " as entities. */
static void put_html(out_buf *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '<': put_str(o, "&lt;"); break;
        case '>': put_str(o, "&gt;"); break;
        case '&': put_str(o, "&amp;"); break;
        case '"': put_str(o, "&quot;"); break;
        default: put(o, s + i, 1);
        }
    }
}

/* An href: every byte but letters, digits and - . _ ~ as %XX. */
static void put_uri(out_buf *o, hs_str s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
            c == '_' || c == '~') {
            put(o, s.p + i, 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            put(o, e, 3);
        }
    }
}

static void put_json(out_buf *o, hs_str s)
{
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            put(o, e, 2);
        } else if (c < 0x20) {
            const char *named = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : c == '\b' ? "\\b"
                              : c == '\f' ? "\\f" : NULL;
            if (named)
                put_str(o, named);
            else
                putf(o, "\\u%04x", c);
        } else {
            put(o, s.p + i, 1);
        }
    }
}

/* ---- the entries ---- */

static int by_kind_then_name(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    if ((x->kind == 'd') != (y->kind == 'd'))
        return x->kind == 'd' ? -1 : 1;
    return strcmp(x->name.p, y->name.p);
}

/* What stat says of one entry; a link that leads nowhere is shown as the
 * link itself, as nginx. HS_DECLINED: it vanished meanwhile. */
static int describe(int dfd, const char *name, entry *e)
{
    struct stat st;
    if (fstatat(dfd, name, &st, 0) != 0 && fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return HS_DECLINED;
    e->kind = S_ISDIR(st.st_mode) ? 'd' : S_ISREG(st.st_mode) ? 'f' : 'o';
    e->mtime = st.st_mtime;
    e->size = st.st_size;
    return HS_OK;
}

/* The visible entries of the open directory d, sorted, into *out and *n:
 * HS_OK, or HS_ERROR with errno (reading failed, out of memory). */
static int read_entries(hs_req *r, DIR *d, entry **out, size_t *n)
{
    entry *v = NULL;
    size_t cap = 0;
    *n = 0;
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (de == NULL)
            break;
        if (de->d_name[0] == '.')
            continue; /* ".", ".." and hidden names, as nginx */
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            entry *nv = hs_palloc(r->pool, cap * sizeof(entry));
            if (nv == NULL) {
                errno = ENOMEM;
                return HS_ERROR;
            }
            if (*n)
                memcpy(nv, v, *n * sizeof(entry));
            v = nv;
        }
        entry *e = &v[*n];
        if (describe(dirfd(d), de->d_name, e) != HS_OK)
            continue;
        e->name = hs_pstr(r->pool, hs_cstr(de->d_name));
        (*n)++;
    }
    if (errno)
        return HS_ERROR;
    if (*n > 1)
        qsort(v, *n, sizeof(entry), by_kind_then_name);
    *out = v;
    return HS_OK;
}

/* ---- html ---- */

static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* A size in 7 columns: the number, or rounded to K, M or G above 9999 bytes
 * (half up), as nginx's autoindex_exact_size off. */
static void put_rounded_size(out_buf *o, int64_t size)
{
    static const struct {
        int64_t unit, above;
        char c;
    } scales[] = {{1 << 30, (1 << 30) - 1, 'G'}, {1 << 20, (1 << 20) - 1, 'M'}, {1 << 10, 9999, 'K'}};
    for (size_t i = 0; i < HS_ARRAY_LEN(scales); i++) {
        if (size > scales[i].above) {
            int64_t q = size / scales[i].unit + (size % scales[i].unit >= scales[i].unit / 2);
            putf(o, "%6lld%c", (long long)q, scales[i].c);
            return;
        }
    }
    putf(o, "%7lld", (long long)size);
}

/* The characters of a name when it is valid UTF-8, else its bytes (nginx
 * counts characters only when the response's charset is utf-8). */
static size_t utf8_length(hs_str s)
{
    size_t chars = 0;
    for (size_t i = 0; i < s.n; chars++) {
        unsigned char c = (unsigned char)s.p[i];
        size_t k = c < 0x80 ? 1 : (c >= 0xc2 && c <= 0xdf) ? 2 : (c >= 0xe0 && c <= 0xef) ? 3
                 : (c >= 0xf0 && c <= 0xf4) ? 4 : 0;
        if (k == 0 || i + k > s.n)
            return s.n;
        for (size_t j = 1; j < k; j++)
            if (((unsigned char)s.p[i + j] & 0xc0) != 0x80)
                return s.n;
        i += k;
    }
    return chars;
}

/* The bytes of the first `chars` characters of valid UTF-8 s. */
static size_t utf8_prefix(hs_str s, size_t chars)
{
    size_t i = 0;
    while (i < s.n && chars--) {
        i++;
        while (i < s.n && ((unsigned char)s.p[i] & 0xc0) == 0x80)
            i++;
    }
    return i;
}

static void html_entry(out_buf *o, const entry *e, bool exact, bool localtime, bool utf8)
{
    bool dir = e->kind == 'd';
    size_t len = utf8 ? utf8_length(e->name) : e->name.n;
    put_str(o, "<a href=\"");
    put_uri(o, e->name);
    put_str(o, dir ? "/\">" : "\">");
    if (len > NAME_LEN) {
        put_html(o, e->name.p, len == e->name.n ? NAME_LEN - 3 : utf8_prefix(e->name, NAME_LEN - 3));
        put_str(o, "..&gt;</a>");
    } else {
        put_html(o, e->name.p, e->name.n);
        if (dir && len < NAME_LEN) { /* as nginx: a directory's '/' only where it fits */
            put(o, "/", 1);
            len++;
        }
        put_str(o, "</a>");
        for (; len < NAME_LEN; len++)
            put(o, " ", 1);
    }
    struct tm tm;
    if (localtime)
        localtime_r(&e->mtime, &tm);
    else
        gmtime_r(&e->mtime, &tm);
    putf(o, " %02d-%s-%d %02d:%02d ", tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min);
    if (dir)
        put_str(o, exact ? "                  -" : "      -");
    else if (exact)
        putf(o, "%19lld", (long long)e->size);
    else
        put_rounded_size(o, e->size);
    put(o, "\r\n", 2);
}

static void html_list(hs_req *r, out_buf *o, const entry *v, size_t n, bool utf8)
{
    const hs_static_loc *sl = hs_static_loc_of(r->loc);
    put_str(o, "<html>\r\n<head><title>Index of ");
    put_html(o, r->uri.p, r->uri.n);
    put_str(o, "</title></head>\r\n<body>\r\n<h1>Index of ");
    put_html(o, r->uri.p, r->uri.n);
    put_str(o, "</h1><hr><pre><a href=\"../\">../</a>\r\n");
    for (size_t i = 0; i < n; i++)
        html_entry(o, &v[i], sl->autoindex_exact_size, sl->autoindex_localtime, utf8);
    put_str(o, "</pre><hr></body>\r\n</html>\r\n");
}

/* ---- json and xml ---- */

static void json_list(out_buf *o, const entry *v, size_t n)
{
    put_str(o, "[\r\n");
    for (size_t i = 0; i < n; i++) {
        char date[40];
        hs_http_date(v[i].mtime, date);
        put_str(o, "{ \"name\":\"");
        put_json(o, v[i].name);
        putf(o, "\", \"type\":\"%s\", \"mtime\":\"%s\"",
             v[i].kind == 'd' ? "directory" : v[i].kind == 'f' ? "file" : "other", date);
        if (v[i].kind == 'f')
            putf(o, ", \"size\":%lld", (long long)v[i].size);
        put_str(o, i + 1 < n ? " },\r\n" : " }\r\n");
    }
    put_str(o, "]");
}

static void xml_list(out_buf *o, const entry *v, size_t n)
{
    put_str(o, "<?xml version=\"1.0\"?>\r\n<list>\r\n");
    for (size_t i = 0; i < n; i++) {
        const char *tag = v[i].kind == 'd' ? "directory" : v[i].kind == 'f' ? "file" : "other";
        struct tm tm;
        gmtime_r(&v[i].mtime, &tm);
        putf(o, "<%s mtime=\"%04d-%02d-%02dT%02d:%02d:%02dZ\"", tag, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec);
        if (v[i].kind == 'f')
            putf(o, " size=\"%lld\"", (long long)v[i].size);
        put(o, ">", 1);
        put_html(o, v[i].name.p, v[i].name.n);
        putf(o, "</%s>\r\n", tag);
    }
    put_str(o, "</list>\r\n");
}

/* ---- the response ---- */

/* The `callback` argument of a jsonp listing, as sent (letters, digits,
 * '_' and '.', at most 128): HS_OK with *cb (empty: plain json), or
 * HS_ERROR for a name nginx refuses. */
static int jsonp_callback(hs_req *r, hs_str *cb)
{
    *cb = HS_NULL_STR;
    const char *p = r->args.p, *end = r->args.p + r->args.n;
    while (p && p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        if ((size_t)(stop - p) >= 9 && memcmp(p, "callback=", 9) == 0) {
            *cb = (hs_str){p + 9, (size_t)(stop - p - 9)};
            break;
        }
        p = amp ? amp + 1 : NULL;
    }
    if (cb->n > MAX_CALLBACK)
        return HS_ERROR;
    for (size_t i = 0; i < cb->n; i++) {
        char c = cb->p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.'))
            return HS_ERROR;
    }
    return HS_OK;
}

/* The listing's type: nginx's for each format (jsonp without a callback
 * is json). */
static hs_str type_of(int format, hs_str cb)
{
    switch (format) {
    case HS_AUTOINDEX_JSON: return HS_STR("application/json");
    case HS_AUTOINDEX_JSONP: return cb.n ? HS_STR("application/javascript") : HS_STR("application/json");
    case HS_AUTOINDEX_XML: return HS_STR("text/xml; charset=utf-8");
    default: return HS_STR("text/html");
    }
}

/* Did the header filters (charset) make the response utf-8? */
static bool says_utf8(hs_str type)
{
    for (size_t i = 0; i + 13 <= type.n; i++)
        if (strncasecmp(type.p + i, "charset=utf-8", 13) == 0)
            return true;
    return false;
}

/* The body of the listing in the location's format. */
static void render(hs_req *r, out_buf *o, const entry *v, size_t n, hs_str cb)
{
    switch (hs_static_loc_of(r->loc)->autoindex_format) {
    case HS_AUTOINDEX_JSON:
        json_list(o, v, n);
        break;
    case HS_AUTOINDEX_JSONP:
        if (cb.n) {
            put_str(o, "/* callback */\r\n");
            put(o, cb.p, cb.n);
            put(o, "(", 1);
        }
        json_list(o, v, n);
        if (cb.n)
            put_str(o, ");");
        break;
    case HS_AUTOINDEX_XML:
        xml_list(o, v, n);
        break;
    default:
        html_list(r, o, v, n, says_utf8(r->resp.content_type));
    }
}

/* opendir's failure as nginx answers it. */
static int open_failed(hs_req *r, const char *path, int err)
{
    int status = (err == ENOENT || err == ENOTDIR || err == ENAMETOOLONG) ? 404 : err == EACCES ? 403 : 500;
    hs_log_ctx(status == 500 ? HS_LOG_CRIT : HS_LOG_ERR, r, err, "opendir() \"%s\" failed", path);
    return status;
}

/* The entries of the directory, or the status that answers instead. */
static int list_dir(hs_req *r, hs_str dir_path, entry **v, size_t *n)
{
    DIR *d = opendir(dir_path.p);
    if (d == NULL)
        return open_failed(r, dir_path.p, errno);
    int rc = read_entries(r, d, v, n);
    if (rc != HS_OK)
        hs_log_ctx(HS_LOG_CRIT, r, errno, "readdir() \"%s\" failed", dir_path.p);
    closedir(d);
    return rc == HS_OK ? HS_OK : 500;
}

/* As nginx, the head goes out first (the header filters decide the
 * charset, which decides how names are cut), then the body, chunked. */
void hs_static_autoindex(hs_req *r, hs_str dir_path)
{
    entry *v = NULL;
    size_t n = 0;
    hs_str cb = HS_NULL_STR;
    int format = hs_static_loc_of(r->loc)->autoindex_format;
    int rc = list_dir(r, dir_path, &v, &n);
    if (rc == HS_OK && format == HS_AUTOINDEX_JSONP && jsonp_callback(r, &cb) != HS_OK) {
        hs_log_ctx(HS_LOG_INFO, r, 0, "client sent invalid callback name: \"%.*s\"", (int)cb.n, cb.p);
        rc = 400;
    }
    if (rc != HS_OK) {
        hs_http_finalize(r, rc);
        return;
    }
    hs_resp *rs = &r->resp;
    rs->status = hs_http_response_status(r, 200);
    rs->content_type = type_of(format, cb);
    rs->content_length = -1;
    out_buf o = {.pool = r->pool};
    if (hs_http_stream_start(r) != HS_OK) {
        hs_http_end(r, HS_END_BAD_REQUEST, 500);
        return;
    }
    if (!rs->header_only)
        render(r, &o, v, n, cb);
    if (o.failed || hs_http_stream_body(r, o.p, o.n, true) != HS_OK) {
        hs_http_end(r, HS_END_BAD_REQUEST, 500);
        return;
    }
    hs_http_stream_finish(r);
}
