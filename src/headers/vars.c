/* The headers module's variables: $request_id (request_id.c),
 * $cookie_NAME (a cookie the request carries) and $sent_trailer_NAME. */
#include "headers/headers_internal.h"
#include "parse/fields.h"

static int v_cookie(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)scratch;
    hs_req *r = ctx;
    return r->head_done ? hs_cookie_var(r->h.headers, r->h.nheaders, false, *(const hs_str *)d, out) : HS_DECLINED;
}

/* $sent_trailer_NAME: add_trailer's fields so far. */
static int v_sent_trailer(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)scratch;
    hs_req *r = ctx;
    hd_req *hr = hs_http_get_ctx(r, &hs_headers_module);
    return hr ? hs_fields_var(r->pool, hr->trailers.v, hr->trailers.n, *(const hs_str *)d, out) : HS_DECLINED;
}

const hs_var_def hd_variables[] = {
    {"request_id", hd_request_id_var, 0, false, false},
    {"cookie_", v_cookie, 0, true, false},
    {"sent_trailer_", v_sent_trailer, 0, true, false},
    {NULL, NULL, 0, false, false},
};
