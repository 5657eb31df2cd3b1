/* The ACCESS hook of auth_basic: the realm (off: no opinion), the
 * credentials of the Authorization header, the user file, the password.
 * Refusals are 401 with the realm's challenge; the core combines the
 * answer with the other access rules as `satisfy` says. Error-log lines
 * are nginx's (hs_log_ctx adds the request's context); the two that
 * fail2ban's nginx-http-auth filter reads end as nginx's, without hush's
 * request id. */
#include <errno.h>
#include <stdio.h>

#include "auth/auth_internal.h"
#include "core/errlog.h"
#include "http/phase.h"

static int challenge(hs_req *r, hs_str realm)
{
    r->resp.www_authenticate = hs_cstr(hs_psprintf(r->pool, "Basic realm=\"%.*s\"", (int)realm.n, realm.p));
    return 401;
}

/* The user file's path: variables evaluated, a relative path under the
 * configuration's directory, as nginx (an empty value names that
 * directory, which then fails to be read). NULL if a variable failed. */
static const char *file_path(hs_req *r, const hs_auth_loc *al)
{
    hs_str v;
    if (hs_cv_eval(&al->user_file, r, r->pool, &v) != HS_OK)
        return NULL;
    if (v.n && v.p[0] == '/')
        return hs_psprintf(r->pool, "%.*s", (int)v.n, v.p);
    return hs_psprintf(r->pool, "%s/%.*s", al->conf_dir, (int)v.n, v.p);
}

/* A user name for the error log: control bytes as \xHH, so that a name
 * cannot forge a line. */
static const char *printable(hs_req *r, hs_str s)
{
    char *out = hs_palloc(r->pool, s.n * 4 + 1), *p = out;
    if (out == NULL)
        return "";
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c < 0x20 || c == 0x7f)
            p += sprintf(p, "\\x%02X", c);
        else
            *p++ = (char)c;
    }
    *p = '\0';
    return out;
}

/* The file cannot be read: a missing file is a 403, anything else a 500. */
static int file_error(hs_req *r, const char *path, int err)
{
    int level = err == ENOENT ? HS_LOG_ERR : HS_LOG_CRIT;
    hs_log_ctx(level, r, err, "open() \"%s\" failed", path);
    return err == ENOENT ? 403 : 500;
}

static int check(hs_req *r)
{
    const hs_auth_loc *al = hs_auth_loc_of(r->loc);
    hs_str realm, user, pass, text, hash;
    if (al == NULL || al->off || al->realm.raw.p == NULL || al->user_file.raw.p == NULL)
        return HS_DECLINED;
    if (hs_cv_eval(&al->realm, r, r->pool, &realm) != HS_OK)
        return 500;
    if (hs_str_eq_lit(realm, "off"))
        return HS_DECLINED;
    if (hs_auth_basic_credentials(r, &user, &pass) != HS_OK) {
        hs_log_ctx(HS_LOG_INFO, r, 0, "no user/password was provided for basic authentication");
        return challenge(r, realm);
    }
    const char *path = file_path(r, al);
    if (path == NULL)
        return 500;
    if (hs_auth_file_get(path, &text) != HS_OK)
        return file_error(r, path, errno);
    if (hs_auth_find_user(text, user, &hash) != HS_OK) {
        hs_log_ctx(HS_LOG_ERR | HS_LOG_NGINX_END, r, 0, "user \"%s\" was not found in \"%s\"", printable(r, user),
                   path);
        return challenge(r, realm);
    }
    if (hs_auth_verify(pass, hash))
        return HS_OK;
    hs_log_ctx(HS_LOG_ERR | HS_LOG_NGINX_END, r, 0, "user \"%s\": password mismatch", printable(r, user));
    return challenge(r, realm);
}

/* ---- auth_delay ---- */

typedef struct {
    hs_timer t; /* first: the timer is the state */
    hs_req *r;
} delay_state;

/* The wait is over: the refusal answers (satisfy all), or stands as the
 * phase's answer unless a later access hook lets the request in (any). */
static void delay_over(hs_timer *t)
{
    hs_req *r = ((delay_state *)t)->r;
    if (!r->loc->satisfy_any) {
        hs_http_finalize(r, 401);
        return;
    }
    r->access_code = 401;
    hs_http_phases_resume(r);
}

/* As nginx's auth_delay: a 401 waits, so that a wrong password cannot be
 * told from a right one by the time the answer takes. */
int hs_auth_access(hs_req *r)
{
    int rc = check(r);
    const hs_auth_loc *al = hs_auth_loc_of(r->loc);
    if (rc != 401 || al->delay_msec <= 0)
        return rc;
    delay_state *st = hs_pcalloc(r->pool, sizeof(*st));
    if (st == NULL || hs_http_set_ctx(r, &hs_auth_module, st) != HS_OK)
        return rc;
    st->r = r;
    st->t.on_timer = delay_over;
    hs_timer_set(&st->t, (uint64_t)al->delay_msec);
    return HS_DONE;
}

int hs_auth_log(hs_req *r)
{
    delay_state *st = hs_http_get_ctx(r, &hs_auth_module);
    if (st)
        hs_timer_cancel(&st->t);
    return HS_OK;
}
