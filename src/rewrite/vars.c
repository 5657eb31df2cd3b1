/* The variables `set` makes: defined by the configuration (one index per
 * name, shared by every level that sets it), valued per request. A value
 * lasts for the request, across internal redirects, as in nginx; a
 * variable never set has no value ("-" in logs, empty elsewhere). */
#include "rewrite/rewrite_internal.h"


rw_req *rw_req_get(hs_req *r)
{
    rw_req *rq = hs_http_get_ctx(r, &hs_rewrite_module);
    if (rq == NULL) {
        rq = hs_pcalloc(r->pool, sizeof(*rq));
        if (rq == NULL || hs_http_set_ctx(r, &hs_rewrite_module, rq) != HS_OK)
            return NULL;
    }
    return rq;
}

static int v_user(void *ctx, uintptr_t index, hs_str *out, char *scratch)
{
    (void)scratch;
    hs_req *r = ctx;
    rw_req *rv = r->bare ? NULL : hs_http_get_ctx(r, &hs_rewrite_module);
    if (rv == NULL || index >= rv->cap || rv->vals[index].p == NULL)
        return HS_DECLINED;
    *out = rv->vals[index];
    return HS_OK;
}

int rw_var_set(hs_req *r, uint32_t index, hs_str value)
{
    rw_req *rv = rw_req_get(r);
    if (rv == NULL)
        return HS_ERROR;
    if (index >= rv->cap) {
        uint32_t cap = rv->cap ? rv->cap : 8;
        while (cap <= index)
            cap *= 2;
        hs_str *v = hs_pcalloc(r->pool, cap * sizeof(*v));
        if (v == NULL)
            return HS_ERROR;
        if (rv->cap)
            memcpy(v, rv->vals, rv->cap * sizeof(*v));
        rv->vals = v;
        rv->cap = cap;
    }
    rv->vals[index] = value.p ? value : HS_STR("");
    return HS_OK;
}

int rw_var_define(hs_cf *cf, const hs_conf_node *n, hs_str name, uint32_t *index)
{
    hs_var_ref ref;
    if (hs_var_lookup(cf->pool, name, &ref) == HS_OK) {
        if (ref.get != v_user) /* a built-in, a map, a named capture: not changeable here */
            return hs_cf_error(cf, n, "the duplicate \"%.*s\" variable", (int)name.n, name.p);
        *index = (uint32_t)ref.data;
        return HS_OK;
    }
    rw_http *rh = rw_http_get(cf);
    *index = rh->nvars++;
    if (hs_vars_define(cf->pool, name, v_user, *index) != HS_OK)
        return hs_cf_error(cf, n, "out of memory");
    return HS_OK;
}
