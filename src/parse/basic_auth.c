/* Basic credentials: the scheme (any case), spaces, base64 of user:password. */
#include "parse/basic_auth.h"

#include "core/base64.h"

int hs_parse_basic_auth(hs_str value, unsigned char *out, hs_str *user, hs_str *pass)
{
    if (value.n < 6 || strncasecmp(value.p, "Basic ", 6) != 0)
        return HS_DECLINED;
    hs_str enc = {value.p + 6, value.n - 6};
    while (enc.n && enc.p[0] == ' ')
        enc = (hs_str){enc.p + 1, enc.n - 1};
    size_t n;
    if (enc.n == 0 || hs_base64_decode(enc, out, &n) != HS_OK)
        return HS_DECLINED;
    const char *dec = (const char *)out, *colon = memchr(dec, ':', n);
    if (colon == NULL || colon == dec)
        return HS_DECLINED; /* no password, or no user name: nothing, as nginx */
    *user = (hs_str){dec, (size_t)(colon - dec)};
    *pass = (hs_str){colon + 1, n - user->n - 1};
    return HS_OK;
}
