/* The Basic credentials a request sent, and $remote_user. */
#include "auth/auth_internal.h"
#include "parse/basic_auth.h"

int hs_auth_basic_credentials(hs_req *r, hs_str *user, hs_str *pass)
{
    const hs_header *h = r->head_done ? hs_http_find_header(&r->h, "Authorization") : NULL;
    unsigned char *out = h ? hs_palloc(r->pool, h->value.n + 1) : NULL;
    return out ? hs_parse_basic_auth(h->value, out, user, pass) : HS_DECLINED;
}

/* $remote_user: the user name of "Authorization: Basic base64(user:pass)". */
static int v_remote_user(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    (void)scratch;
    hs_str pass;
    return hs_auth_basic_credentials(ctx, out, &pass);
}

const hs_var_def hs_auth_variables[] = {
    {"remote_user", v_remote_user, 0, false, false},
    {NULL, NULL, 0, false, false},
};
