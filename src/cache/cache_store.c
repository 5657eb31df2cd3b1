/* Storing a response: whether it may be kept and for how long (as nginx:
 * X-Accel-Expires, then Cache-Control's no-cache/no-store/private and
 * s-maxage/max-age, then Expires, else proxy_cache_valid; never with
 * Set-Cookie or "Vary: *"), a temporary file in the zone's directory
 * filled as the body comes, and the entry made at once by a rename when
 * all of it came. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache/cache_internal.h"
#include "core/clock.h"
#include "core/units.h"
#include "core/buf.h"

/* ---- how long ---- */

/* The number after "name=" in a Cache-Control value, or -1. */
static int64_t cc_number(hs_str v, const char *name)
{
    size_t l = strlen(name);
    for (size_t i = 0; i + l < v.n; i++) {
        if (strncasecmp(v.p + i, name, l) != 0 || v.p[i + l] != '=' || (i > 0 && v.p[i - 1] != ' ' && v.p[i - 1] != ','))
            continue;
        int64_t n = 0;
        size_t j = i + l + 1;
        if (j >= v.n || v.p[j] < '0' || v.p[j] > '9')
            return -1;
        for (; j < v.n && v.p[j] >= '0' && v.p[j] <= '9' && n < 1000000000; j++)
            n = n * 10 + (v.p[j] - '0');
        return n;
    }
    return -1;
}

static bool cc_has(hs_str v, const char *token)
{
    size_t l = strlen(token);
    for (size_t i = 0; i + l <= v.n; i++)
        if (strncasecmp(v.p + i, token, l) == 0 && (i == 0 || v.p[i - 1] == ' ' || v.p[i - 1] == ',') &&
            (i + l == v.n || v.p[i + l] == ',' || v.p[i + l] == ' ' || v.p[i + l] == '='))
            return true;
    return false;
}

typedef struct {
    int64_t valid;      /* seconds from the headers; -1 none said; 0 not to be stored */
    bool forbidden;     /* Set-Cookie, Vary: *, no-store ... */
    hs_str vary;
} verdict;


static void read_fields(const hs_http_response *resp, int ignore, verdict *v)
{
    int64_t accel = -1, cc = -1, expires = -1, now = (int64_t)hs_now.sec;
    for (size_t i = 0; i < resp->nheaders; i++) {
        hs_str name = resp->headers[i].name, val = resp->headers[i].value;
        if (hs_str_caseeq(name, HS_STR("Set-Cookie"))) {
            v->forbidden |= !(ignore & IGNORE_SET_COOKIE);
        } else if (hs_str_caseeq(name, HS_STR("Vary"))) {
            if (ignore & IGNORE_VARY)
                continue;
            if (cc_has(val, "*") || v->vary.n || val.n > HS_CACHE_VARY_MAX)
                v->forbidden = true;
            v->vary = val;
        } else if (hs_str_caseeq(name, HS_STR("X-Accel-Expires")) && !(ignore & IGNORE_ACCEL_EXPIRES)) {
            bool at = val.n && val.p[0] == '@';
            hs_str num = at ? (hs_str){val.p + 1, val.n - 1} : val;
            int64_t n = hs_parse_int(num);
            accel = n < 0 ? -1 : at ? (n > now ? n - now : 0) : n;
        } else if (hs_str_caseeq(name, HS_STR("Cache-Control")) && !(ignore & IGNORE_CACHE_CONTROL)) {
            if (cc_has(val, "no-cache") || cc_has(val, "no-store") || cc_has(val, "private"))
                cc = 0;
            else if (cc != 0) {
                int64_t s = cc_number(val, "s-maxage"), m = cc_number(val, "max-age");
                if (s >= 0 || m >= 0)
                    cc = s >= 0 ? s : m;
            }
        } else if (hs_str_caseeq(name, HS_STR("Expires")) && !(ignore & IGNORE_EXPIRES)) {
            time_t t = hs_parse_http_date(val.p, val.n);
            expires = t > now ? t - now : 0;
        }
    }
    v->valid = accel >= 0 ? accel : cc >= 0 ? cc : expires;
}

int64_t hs_cache_valid_for(const cache_loc *cl, int status)
{
    for (size_t i = 0; i < cl->nvalid; i++)
        if (cl->valid[i].status == status)
            return cl->valid[i].sec;
    for (size_t i = 0; i < cl->nvalid; i++)
        if (cl->valid[i].status == 0)
            return cl->valid[i].sec;
    return 0;
}

/* ---- the file ---- */

/* The stored head: "STATUS REASON", Content-Type, the client's fields. */
static hs_str head_text(hs_req *r)
{
    hs_resp *rs = &r->resp;
    size_t n = 8 + rs->reason.n + 16 + rs->content_type.n;
    for (uint32_t i = 0; i < rs->headers.n; i++)
        n += rs->headers.v[i].name.n + rs->headers.v[i].value.n + 4;
    char *p = hs_palloc(r->pool, n), *s = p;
    if (p == NULL)
        return HS_NULL_STR;
    p += hs_u64_to_str((uint64_t)rs->status, p);
    if (rs->reason.n) {
        *p++ = ' ';
        p = HS_PUT_STR(p, rs->reason);
    }
    p = HS_PUT_LIT(p, "\r\n");
    if (rs->content_type.n) {
        p = HS_PUT_LIT(p, "Content-Type: ");
        p = HS_PUT_STR(p, rs->content_type);
        p = HS_PUT_LIT(p, "\r\n");
    }
    for (uint32_t i = 0; i < rs->headers.n; i++) {
        p = HS_PUT_STR(p, rs->headers.v[i].name);
        p = HS_PUT_LIT(p, ": ");
        p = HS_PUT_STR(p, rs->headers.v[i].value);
        p = HS_PUT_LIT(p, "\r\n");
    }
    return (hs_str){s, (size_t)(p - s)};
}

static bool write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static hs_cache_meta meta_of(cache_req *cr, hs_str head)
{
    hs_cache_meta m = {.valid_until = cr->valid_until, .stored = (int64_t)hs_now.sec, .body_len = cr->written,
                       .key = cr->key, .vary = cr->vary, .head = head};
    memcpy(m.vary_hash, cr->vary_hash, 8);
    return m;
}

/* The temporary file with the header (its body length follows at the end). */
static bool open_tmp(hs_req *r, cache_req *cr)
{
    hs_str head = head_text(r);
    if (head.p == NULL || cr->key.n > 65535 || head.n + cr->key.n + cr->vary.n > HS_CACHE_HEAD_MAX)
        return false;
    cr->tmp = hs_psprintf(r->pool, "%s/%s.%d.tmp", cr->cl->zone->path, cr->hex, (int)getpid());
    char *hdr = hs_palloc(r->pool, HS_CACHE_FIXED + cr->key.n + cr->vary.n + head.n);
    if (cr->tmp == NULL || hdr == NULL)
        return false;
    hs_cache_meta m = meta_of(cr, head);
    size_t n = hs_cache_header_write(&m, hdr);
    cr->header_len = (int64_t)n;
    cr->fd = open(cr->tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (cr->fd < 0) {
        hs_log_ctx(HS_LOG_CRIT, r, errno, "open() \"%s\" failed", cr->tmp);
        return false;
    }
    if (!write_all(cr->fd, hdr, n)) {
        hs_log_ctx(HS_LOG_CRIT, r, errno, "write() to \"%s\" failed", cr->tmp);
        close(cr->fd);
        unlink(cr->tmp);
        cr->fd = -1;
        return false;
    }
    cr->written = 0;
    return true;
}

bool hs_cache_head(hs_req *r, const hs_http_response *resp)
{
    cache_req *cr = CR(r);
    if (cr == NULL || !cr->store)
        return false;
    verdict v = {.valid = -1};
    read_fields(resp, cr->cl->ignore, &v);
    int64_t valid = v.valid >= 0 ? v.valid : hs_cache_valid_for(cr->cl, r->resp.status);
    int s = r->resp.status;
    if (v.forbidden || valid <= 0 || s < 200 || s == 206 || s == 304) {
        hs_cache_end(r, false, false);
        return false;
    }
    cr->valid_until = (int64_t)hs_now.sec + valid;
    if (v.vary.n) {
        cr->vary = hs_pstr(r->pool, v.vary);
        hs_cache_vary_hash(r, cr->vary, cr->vary_hash);
    }
    if (!open_tmp(r, cr)) {
        hs_cache_end(r, false, false);
        return false;
    }
    return true;
}

void hs_cache_body(hs_req *r, const char *data, size_t n)
{
    cache_req *cr = CR(r);
    if (cr == NULL || cr->fd < 0 || cr->failed)
        return;
    if (!write_all(cr->fd, data, n)) {
        hs_log_ctx(HS_LOG_CRIT, r, errno, "write() to \"%s\" failed", cr->tmp);
        cr->failed = true;
        return;
    }
    cr->written += (int64_t)n;
}

/* The entry's file in place, its directories made on first use. */
static bool put_in_place(cache_req *cr)
{
    char path[4096];
    hs_cache_file_path(cr->cl->zone, cr->hex, path, sizeof(path));
    if (rename(cr->tmp, path) == 0)
        return true;
    for (char *p = path + strlen(cr->cl->zone->path) + 1; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        (void)mkdir(path, 0700);
        *p = '/';
    }
    return rename(cr->tmp, path) == 0;
}

/* The fixed part of the header again, with the body's length. */
static bool finish_header(cache_req *cr)
{
    char fixed[HS_CACHE_FIXED];
    if (pread(cr->fd, fixed, sizeof(fixed), 0) != (ssize_t)sizeof(fixed))
        return false;
    hs_cache_header_set_body_len(fixed, cr->written);
    return pwrite(cr->fd, fixed, sizeof(fixed), 0) == (ssize_t)sizeof(fixed);
}

/* The zone learns the entry's new state; the fill is over. */
static void update_node(cache_req *cr, bool stored, int64_t size)
{
    cache_zone *z = cr->cl->zone;
    hs_shm_lock(z->shm);
    int created = 0;
    cache_node *nd = hs_shm_get(z->shm, (hs_str){(const char *)cr->md5, 16}, stored, &created);
    if (nd) {
        nd->updating_until = 0;
        if (stored) {
            memcpy(nd->md5, cr->md5, 16);
            nd->valid_until = cr->valid_until;
            nd->vary = cr->vary.n > 0;
            nd->gen = hs_cache_next_gen(z);
            nd->size = size;
            nd->last_used = (int64_t)hs_now.sec;
        }
    }
    cache_totals *t = stored ? hs_cache_totals(z) : NULL;
    if (t)
        t->bytes_stored += (uint64_t)cr->written;
    hs_shm_unlock(z->shm);
}

void hs_cache_end(hs_req *r, bool complete, bool client_gone)
{
    cache_req *cr = CR(r);
    if (cr == NULL || !cr->filling)
        return;
    cr->filling = false;
    bool stored = false;
    if (cr->fd >= 0) {
        stored = complete && !cr->failed && finish_header(cr);
        close(cr->fd);
        cr->fd = -1;
        stored = stored && put_in_place(cr);
        if (!stored)
            unlink(cr->tmp);
        if (client_gone)
            hs_log_ctx(HS_LOG_INFO, r, 0, "cache entry \"%s\" %s after the client left", cr->key.p,
                       stored ? "completed" : "not stored: the upstream's response was incomplete");
    }
    update_node(cr, stored, cr->header_len + cr->written);
}

/* ---- Vary ---- */

void hs_cache_vary_hash(hs_req *r, hs_str names, uint8_t out[8])
{
    hs_buf b = {0};
    for (size_t i = 0; i < names.n;) {
        while (i < names.n && (names.p[i] == ',' || names.p[i] == ' '))
            i++;
        size_t s = i;
        while (i < names.n && names.p[i] != ',' && names.p[i] != ' ')
            i++;
        hs_str name = {names.p + s, i - s};
        if (name.n == 0)
            continue;
        for (size_t j = 0; j < r->h.nheaders; j++)
            if (hs_str_caseeq(r->headers[j].name, name)) {
                hs_buf_add(&b, r->headers[j].value.p, r->headers[j].value.n);
                hs_buf_add(&b, "\n", 1);
            }
        hs_buf_add(&b, "\0", 1);
    }
    uint8_t md5[16];
    hs_cache_md5((hs_str){b.p ? b.p : "", b.len}, md5);
    memcpy(out, md5, 8);
    hs_buf_free(&b);
}
