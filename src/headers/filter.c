/* The header filter: what add_header, expires and charset do to every
 * response (files, return, error pages, proxied), as nginx's headers and
 * charset filters do. */
#include <stdio.h>
#include <time.h>

#include "core/clock.h"
#include "core/errlog.h"
#include "headers/headers_internal.h"
#include "static/static.h"

/* The statuses add_header (without always) and expires apply to. */
static bool success_status(int s)
{
    return s == 200 || s == 201 || s == 204 || s == 206 || s == 301 || s == 302 || s == 303 || s == 304 ||
           s == 307 || s == 308;
}

/* Sets the first field named name to value, or appends it. */
static int set_field(hs_req *r, hs_str name, hs_str value)
{
    hs_header *h = hs_fields_find(&r->resp.headers, name);
    if (h) {
        h->value = value;
        return HS_OK;
    }
    return hs_fields_add(r->pool, &r->resp.headers, name, value);
}

/* add_header of ETag or Last-Modified replaces the response's own where it
 * stands (an empty value removes it), as nginx. */
static int replace_field(hs_req *r, hs_str name, hs_str v)
{
    hs_resp *rs = &r->resp;
    if (name.n == 4 && rs->etag.n) {
        rs->etag = v;
        return HS_OK;
    }
    if (name.n == 13) {
        rs->last_modified = -1;
        rs->last_modified_text = HS_NULL_STR;
    }
    hs_header *h = hs_fields_find(&rs->headers, name);
    if (h && v.n)
        h->value = v;
    else if (h)
        hs_fields_del(&rs->headers, name);
    else if (v.n)
        return hs_fields_add(r->pool, &rs->headers, name, v);
    return HS_OK;
}

static int add_one(hs_req *r, const hd_add *a)
{
    hs_str v;
    if (hs_cv_eval(&a->value, r, r->pool, &v) != HS_OK)
        return HS_ERROR;
    if (hs_str_caseeq(a->name, HS_STR("ETag")) || hs_str_caseeq(a->name, HS_STR("Last-Modified")))
        return replace_field(r, a->name, v);
    return v.n ? hs_fields_add(r->pool, &r->resp.headers, a->name, v) : HS_OK;
}

/* An If-Range is judged against the validators the response now carries. */
static void recheck_range(hs_req *r)
{
    hs_resp *rs = &r->resp;
    const hs_header *lm = hs_fields_find(&rs->headers, HS_STR("Last-Modified"));
    time_t mtime = rs->last_modified >= 0 ? rs->last_modified : lm ? hs_parse_http_date(lm->value.p, lm->value.n) : -1;
    hs_static_recheck_range(r, rs->etag, mtime);
}

/* Tomorrow's or today's next occurrence of a time of day (local time). */
static time_t next_time(time_t now, int64_t when)
{
    struct tm tm;
    localtime_r(&now, &tm);
    tm.tm_hour = (int)(when / 3600);
    tm.tm_min = (int)(when % 3600 / 60);
    tm.tm_sec = (int)(when % 60);
    time_t next = mktime(&tm);
    if (next > now)
        return next;
    tm.tm_mday++;
    return mktime(&tm);
}

/* The response's own modification time, also a proxied one's. */
static time_t last_modified(hs_req *r)
{
    if (r->resp.last_modified >= 0)
        return r->resp.last_modified;
    hs_header *h = hs_fields_find(&r->resp.headers, HS_STR("Last-Modified"));
    return h ? hs_parse_http_date(h->value.p, h->value.n) : -1;
}

/* expires with variables: its value for this response (as nginx, a bad
 * one fails the response). */
static int expires_of(hs_req *r, const hd_loc *c, hd_loc *out)
{
    hs_str v;
    *out = *c;
    if (hs_cv_eval(c->expires_cv, r, r->pool, &v) != HS_OK)
        return HS_ERROR;
    const char *err = hd_parse_expires(v, &out->expires, &out->expires_time);
    if (err) {
        hs_log(HS_LOG_ERR, "*%llu %s \"%.*s\"", (unsigned long long)r->conn->number, err, (int)v.n, v.p);
        return HS_ERROR;
    }
    return HS_OK;
}

static int set_expires(hs_req *r, const hd_loc *conf)
{
    hd_loc each;
    const hd_loc *c = conf;
    if (conf->expires_cv) {
        if (expires_of(r, conf, &each) != HS_OK)
            return HS_ERROR;
        if (each.expires == HD_EXP_OFF)
            return HS_OK;
        c = &each;
    }
    hs_str exp = HS_STR("Thu, 01 Jan 1970 00:00:01 GMT"), cc = HS_STR("no-cache");
    if (c->expires == HD_EXP_MAX) {
        exp = HS_STR("Thu, 31 Dec 2037 23:55:55 GMT");
        cc = HS_STR("max-age=315360000");
    } else if (c->expires != HD_EXP_EPOCH) {
        time_t now = hs_now.sec, lm = c->expires == HD_EXP_MODIFIED ? last_modified(r) : -1, t;
        int64_t max_age;
        if (c->expires == HD_EXP_DAILY) {
            t = next_time(now, c->expires_time);
            max_age = t - now;
        } else if (lm < 0) {
            t = now + c->expires_time;
            max_age = c->expires_time;
        } else {
            t = lm + c->expires_time;
            max_age = t - now;
        }
        char *buf = hs_palloc(r->pool, 64);
        if (buf == NULL)
            return HS_ERROR;
        exp = (hs_str){buf, hs_http_date(t, buf)};
        if (c->expires_time >= 0 && max_age >= 0)
            cc = (hs_str){buf + 32, (size_t)snprintf(buf + 32, 32, "max-age=%lld", (long long)max_age)};
    }
    hs_fields_del(&r->resp.headers, HS_STR("Cache-Control"));
    if (set_field(r, HS_STR("Expires"), exp) != HS_OK)
        return HS_ERROR;
    return hs_fields_add(r->pool, &r->resp.headers, HS_STR("Cache-Control"), cc);
}

/* The body goes through plan on its way (recode.c). */
static int start_recode(hs_req *r, const hd_recode *plan)
{
    hs_resp *rs = &r->resp;
    if (plan->kind != HD_RC_BYTES) { /* its length changes: no length, no range (as nginx) */
        if (rs->status == 206 && rs->content_range.n == 0)
            return HS_OK; /* multipart: nginx never makes one of a recoded body; sent as it is */
        hs_static_whole_entity(rs);
        rs->content_length = -1;
        rs->accept_ranges = false;
    }
    hd_req *hr = hd_req_of(r);
    if (hr == NULL)
        return HS_ERROR;
    hr->recode = plan;
    rs->filtered = true;
    return HS_OK;
}

/* A type's charset parameter, unquoted (empty: none); *base: the type
 * before its parameters. */
static hs_str type_charset(hs_str t, hs_str *base)
{
    const char *semi = memchr(t.p, ';', t.n);
    *base = semi ? (hs_str){t.p, (size_t)(semi - t.p)} : t;
    while (base->n && base->p[base->n - 1] == ' ')
        base->n--;
    const char *end = t.p + t.n;
    for (const char *p = semi; p && p < end; p++) {
        if (strncasecmp(p, "charset=", 8) != 0 || (size_t)(end - p) < 8)
            continue;
        const char *v = p + 8, *e = v;
        while (e < end && *e != ';' && *e != ' ')
            e++;
        if (e - v >= 2 && *v == '"' && e[-1] == '"')
            v++, e--;
        return (hs_str){v, (size_t)(e - v)};
    }
    return HS_NULL_STR;
}

static bool charset_type(const hd_loc *c, hs_str base)
{
    for (size_t i = 0; i < c->ntypes; i++)
        if (hs_str_caseeq(c->types[i], base) || hs_str_eq_lit(c->types[i], "*"))
            return true;
    return false;
}

/* charset: "; charset=X" for the types of charset_types, as nginx (not on
 * 301/302, not when an encoding applies, not when the type has parameters:
 * but with override_charset, an upstream's charset is recoded into ours). */
static int set_charset(hs_req *r, const hd_loc *c)
{
    hs_resp *rs = &r->resp;
    if (rs->content_type.n == 0 || rs->status == 301 || rs->status == 302)
        return HS_OK;
    hs_str base, from = c->source, to = c->charset, has = type_charset(rs->content_type, &base);
    if (!charset_type(c, base) || hs_fields_find(&rs->headers, HS_STR("Content-Encoding")))
        return HS_OK;
    if (base.n != rs->content_type.n && (!c->override || has.n == 0))
        return HS_OK;
    if (c->charset_cv && hs_cv_eval(c->charset_cv, r, r->pool, &to) != HS_OK)
        return HS_ERROR;
    if (to.n == 0 || hs_str_eq_lit(to, "off"))
        return HS_OK;
    const hd_recode *plan = c->recode;
    if (c->charset_cv || has.n) { /* chosen for this response */
        plan = NULL;
        from = has.n ? has : from;
        if (from.n && !hs_str_caseeq(from, to) && hd_recode_plan(c->maps, from, to, &plan) != NULL) {
            hs_log_ctx(HS_LOG_ERR, r, 0, "no \"charset_map\" between the charsets \"%.*s\" and \"%.*s\"",
                       (int)from.n, from.p, (int)to.n, to.p);
            return HS_OK;
        }
    }
    char *s = hs_psprintf(r->pool, "%.*s; charset=%.*s", (int)base.n, base.p, (int)to.n, to.p);
    if (s == NULL)
        return HS_ERROR;
    rs->content_type = hs_cstr(s);
    return plan && !rs->header_only ? start_recode(r, plan) : HS_OK;
}

int hd_filter(hs_req *r)
{
    const hd_loc *c = r->loc ? hd_loc_of(r->loc) : NULL;
    if (c == NULL)
        return HS_OK;
    bool ok = success_status(r->resp.status);
    if (c->expires > HD_EXP_OFF && ok && set_expires(r, c) != HS_OK)
        return HS_ERROR;
    bool validators = false;
    for (size_t i = 0; i < c->nadds; i++) {
        if (!(ok || c->adds[i].always))
            continue;
        if (add_one(r, &c->adds[i]) != HS_OK)
            return HS_ERROR;
        validators |= hs_str_caseeq(c->adds[i].name, HS_STR("ETag")) ||
                      hs_str_caseeq(c->adds[i].name, HS_STR("Last-Modified"));
    }
    if (validators)
        recheck_range(r);
    if (c->charset.n && set_charset(r, c) != HS_OK)
        return HS_ERROR;
    return c->ntrailers ? hd_trailers_header(r, c, ok) : HS_OK;
}
