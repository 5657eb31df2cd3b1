/* The variables `set` makes: defined by the configuration (one index per
 * name, shared by every level that sets it), valued per request. A value
 * lasts for the request, across internal redirects, as in nginx. One read
 * before any set is empty, as nginx's, and logs "using uninitialized"
 * unless uninitialized_variable_warn is off; the value then stays empty
 * (one warning per variable and request). A map's variable or a named
 * capture may be set too (nginx's changeable variables): unset, it reads
 * as before. */
#include "core/errlog.h"
#include "rewrite/rewrite_internal.h"

/* What the getter of a user variable gets as its data. */
typedef struct {
    uint32_t index;
    hs_str name;
    hs_var_ref before;    /* what the name was before set took it over; get NULL: none */
} rw_var;

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

static int v_user(void *ctx, uintptr_t data, hs_str *out, char *scratch)
{
    hs_req *r = ctx;
    const rw_var *v = (const rw_var *)data;
    if (r->bare)
        return HS_DECLINED;
    rw_req *rv = hs_http_get_ctx(r, &hs_rewrite_module);
    if (rv && v->index < rv->cap && rv->vals[v->index].p) {
        *out = rv->vals[v->index];
        return HS_OK;
    }
    if (v->before.get)
        return v->before.get(ctx, v->before.data, out, scratch);
    const rw_loc *rl = r->loc ? rw_loc_of(r->loc) : NULL;
    if (rl && rl->uninit_warn == 1)
        rw_log_at(r, HS_LOG_WARN, "using uninitialized \"%.*s\" variable%s", (int)v->name.n, v->name.p,
                  r->logged ? " while logging request" : "");
    rw_var_set(r, v->index, HS_STR(""));
    *out = HS_STR("");
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
    hs_var_ref ref, *cell = hs_vars_defined(name);
    if (cell && cell->get == v_user) {
        *index = ((const rw_var *)cell->data)->index;
        return HS_OK;
    }
    if (cell == NULL && hs_var_lookup(cf->pool, name, &ref) == HS_OK) /* a built-in: not changeable */
        return hs_cf_error(cf, n, "the duplicate \"%.*s\" variable", (int)name.n, name.p);
    rw_var *v = hs_pcalloc(cf->pool, sizeof(*v));
    if (v == NULL)
        return hs_cf_error(cf, n, "out of memory");
    v->index = *index = rw_http_get(cf)->nvars++;
    v->name = hs_pstr(cf->pool, name);
    if (cell) { /* a map's variable or a named capture: taken over, read as before while unset */
        v->before = *cell;
        *cell = (hs_var_ref){v_user, (uintptr_t)v};
        return HS_OK;
    }
    if (hs_vars_define(cf->pool, name, v_user, (uintptr_t)v) != HS_OK)
        return hs_cf_error(cf, n, "out of memory");
    return HS_OK;
}
