/* rewrite REGEX REPLACEMENT [flag]: the regex is tried on $uri; on a match
 * its captures become $1..$9 (and named variables), and the replacement
 * becomes the new $uri and $args — or, for a redirect, the Location. As
 * nginx: a '?' in the replacement starts new arguments, to which the
 * request's are appended unless the replacement ends with '?'. */
#include <stdio.h>
#include <string.h>

#include "core/errlog.h"

#include "rewrite/rewrite_internal.h"

/* The request's args after the replacement's own (joined by sep). */
static hs_str join_args(hs_req *r, hs_str own, bool has_own, bool add, char sep)
{
    if (!add || r->args.n == 0)
        return own;
    if (!has_own)
        return r->args;
    return hs_cstr(hs_psprintf(r->pool, "%.*s%c%.*s", (int)own.n, own.p, sep, (int)r->args.n, r->args.p));
}

static int hex_value(char c)
{
    c = (char)(c | 0x20);
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* nginx decodes a rewrite's redirect up to its first '?' (written or
 * decoded): an escape of a byte above '%' and below DEL becomes the byte;
 * lower ones (CR, LF, space) and non-ASCII stay escaped. An invalid escape
 * is dropped as there: "%zz" leaves "zz", "%4z" nothing. */
static size_t unescape_redirect(char *p, size_t n)
{
    size_t in = 0, out = 0;
    while (in < n && p[in] != '?') {
        if (p[in] != '%') {
            p[out++] = p[in++];
            continue;
        }
        int hi = in + 1 < n ? hex_value(p[in + 1]) : -1, lo = in + 2 < n ? hex_value(p[in + 2]) : -1;
        if (hi < 0 || lo < 0) {
            if (hi < 0 && in + 1 < n)
                p[out++] = p[in + 1]; /* the byte after a lone '%' stays, as a plain byte */
            in = hi < 0 ? in + 2 : in + 3;
            continue;
        }
        int c = hi * 16 + lo;
        if (c > '%' && c < 0x7f) {
            p[out++] = (char)c;
        } else {
            memmove(p + out, p + in, 3);
            out += 3;
        }
        in += 3;
        if (c == '?')
            break;
    }
    if (in > n)
        in = n;
    memmove(p + out, p + in, n - in);
    return out + n - in;
}

static int redirect(hs_req *r, const rw_rewrite *op, hs_str uri, hs_str args, bool log)
{
    char *url = hs_psprintf(r->pool, "%.*s%s%.*s", (int)uri.n, uri.p, op->has_args ? "?" : "", (int)args.n, args.p);
    hs_str loc = {url, unescape_redirect(url, strlen(url))};
    if (op->add_args && r->args.n)
        loc = hs_cstr(hs_psprintf(r->pool, "%.*s%c%.*s", (int)loc.n, loc.p, op->has_args ? '&' : '?',
                                  (int)r->args.n, r->args.p));
    if (log)
        rw_log(r, "rewritten redirect: \"%.*s\"", (int)loc.n, loc.p);
    hs_http_error_response(r, op->flag == RW_FLAG_PERMANENT ? 301 : 302);
    r->resp.location = loc.n && loc.p[0] == '/' ? hs_http_absolute_url(r, loc) : loc;
    hs_http_send_response(r);
    return HS_DONE;
}

/* Removes "." and ".." segments of a rewritten path in place, so that a
 * replacement built from request data cannot climb above the root.
 * Returns false for a ".." above it. */
static bool resolve_dots(char *p, size_t *n)
{
    size_t in = 0, out = 0;
    while (in < *n) {
        size_t end = in + 1;
        while (end < *n && p[end] != '/')
            end++;
        size_t len = end - in; /* the segment with its leading '/' */
        if (len == 2 && p[in + 1] == '.') {
            in = end;
            continue;
        }
        if (len == 3 && p[in + 1] == '.' && p[in + 2] == '.') {
            if (out == 0)
                return false;
            while (out > 0 && p[--out] != '/')
                ;
            in = end;
            continue;
        }
        memmove(p + out, p + in, len);
        out += len;
        in = end;
    }
    if (out == 0)
        p[out++] = '/';
    *n = out;
    return true;
}

static int set_uri(hs_req *r, hs_str uri)
{
    if (uri.n == 0) {
        hs_log_ctx(HS_LOG_ERR, r, 0, "the rewritten URI has a zero length");
        hs_http_finalize(r, 500);
        return HS_DONE;
    }
    if (uri.p[0] == '/' && memmem(uri.p, uri.n, "/.", 2)) {
        char *p = hs_pstrndup(r->pool, uri.p, uri.n);
        size_t n = uri.n;
        if (!resolve_dots(p, &n)) {
            hs_http_finalize(r, 400);
            return HS_DONE;
        }
        uri = (hs_str){p, n};
    }
    r->uri = uri;
    r->internal = r->uri_changed = true;
    return HS_OK;
}

int rw_rewrite_run(hs_req *r, const rw_rewrite *op, bool log)
{
    int ov[2 * HS_REGEX_MAX_CAPTURES];
    hs_str subject = r->uri;
    int m = hs_regex_match(op->regex, subject, ov);
    if (log)
        rw_log(r, "\"%s\" %s \"%.*s\"", op->pattern.p, m > 0 ? "matches" : "does not match", (int)subject.n,
               subject.p);
    if (m <= 0)
        return HS_DECLINED;
    hs_http_set_captures(r, op->regex, subject, ov, m);
    hs_str uri, args = HS_NULL_STR;
    bool quoted = memchr(r->h.path.p, '%', r->h.path.n) || memchr(r->h.path.p, '+', r->h.path.n);
    const uint32_t *esc_uri = quoted && op->redirect ? rw_escape_args : NULL;
    if (rw_tpl_eval(&op->uri, r, esc_uri, &uri) != HS_OK ||
        (op->has_args && rw_tpl_eval(&op->args, r, quoted ? rw_escape_args : NULL, &args) != HS_OK)) {
        hs_http_finalize(r, 500);
        return HS_DONE;
    }
    if (op->redirect)
        return redirect(r, op, uri, args, log);
    if (set_uri(r, uri) != HS_OK)
        return HS_DONE;
    if (op->has_args)
        r->args = join_args(r, args, true, op->add_args, '&');
    else if (!op->add_args)
        r->args = HS_NULL_STR;
    if (log)
        rw_log(r, "rewritten data: \"%.*s\", args: \"%.*s\"", (int)r->uri.n, r->uri.p, (int)r->args.n, r->args.p);
    return HS_OK;
}
