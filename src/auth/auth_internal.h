/* Shared by the files of src/auth: the settings of a level, the user file
 * cache and the password schemes. Private to src/auth. */
#ifndef HS_AUTH_AUTH_INTERNAL_H
#define HS_AUTH_AUTH_INTERNAL_H

#include "auth/auth.h"
#include "http/http.h"

/* The module's settings of one level (HS_MOD_SLOT(lc->mod, &hs_auth_module)),
 * complete after merging. */
typedef struct {
    hs_cv realm;          /* auth_basic's text; raw.p NULL: not set here */
    bool off;             /* auth_basic off */
    bool realm_set;       /* auth_basic was written at this level (text or off) */
    hs_cv user_file;      /* auth_basic_user_file; raw.p NULL: not set */
    const char *conf_dir; /* a relative file (after variables) is under it */
    int64_t delay_msec;   /* auth_delay: how long a 401 waits; <= 0 none */
} hs_auth_loc;

static inline hs_auth_loc *hs_auth_loc_of(const hs_loc_conf *lc) { return HS_MOD_SLOT(lc->mod, &hs_auth_module); }

/* ---- auth.c ---- */

/* The ACCESS hook (http/phase.h): HS_OK, HS_DECLINED, 401, 403 or 500;
 * HS_DONE while an auth_delay holds a 401. */
int hs_auth_access(hs_req *r);
/* The LOG hook: a request that ended while its 401 waited lets go of the timer. */
int hs_auth_log(hs_req *r);

/* ---- userfile.c ---- */

/* The contents of the user file at path (NUL-terminated), read once and
 * kept while its size, mtime and inode stay the same. HS_OK with *text;
 * HS_ERROR with errno set (the file cannot be read). */
int hs_auth_file_get(const char *path, hs_str *text);
/* The password field of user in htpasswd text ("user:password[:comment]"
 * lines, '#' comments, blank lines, CRLF): HS_OK, or HS_DECLINED. */
int hs_auth_find_user(hs_str text, hs_str user, hs_str *hash);

/* ---- verify.c ---- */

/* Does password match hash ({PLAIN}, {SHA}, {SSHA}, $apr1$, or crypt(3):
 * $1$ $5$ $6$ $y$ $2b$ DES)? A hash that is broken or of an unknown
 * scheme matches nothing. */
bool hs_auth_verify(hs_str password, hs_str hash);
/* Apache's MD5-crypt ("$apr1$salt$...") of password with the salt of
 * setting, into out (at least 64 bytes); magic is "$apr1$" (or "$1$", the
 * same algorithm). Returns the length. */
size_t hs_auth_md5_crypt(hs_str password, hs_str setting, const char *magic, char *out);

/* remote_user.c: the credentials of "Authorization: Basic
 * base64(user:password)", from the request's pool: HS_OK, or HS_DECLINED
 * (none, not Basic, not base64, no colon, an empty user name), as nginx;
 * and $remote_user, the user name sent. */
int hs_auth_basic_credentials(hs_req *r, hs_str *user, hs_str *pass);
extern const hs_var_def hs_auth_variables[];

#endif
