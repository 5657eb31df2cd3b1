/* The edge's variables: $limit_req_status and $limit_conn_status, what the
 * limits did to the request (nginx's values), empty when no limit of the
 * kind applied. */
#include "edge/edge_conf.h"

static const hs_str status_names[] = {
    [HS_LIMIT_PASSED] = HS_STR("PASSED"),
    [HS_LIMIT_DELAYED] = HS_STR("DELAYED"),
    [HS_LIMIT_REJECTED] = HS_STR("REJECTED"),
    [HS_LIMIT_DELAYED_DRY_RUN] = HS_STR("DELAYED_DRY_RUN"),
    [HS_LIMIT_REJECTED_DRY_RUN] = HS_STR("REJECTED_DRY_RUN"),
};

/* data: 0 for limit_req, 1 for limit_conn */
static int v_limit_status(void *ctx, uintptr_t data, hs_str *out, char *scratch)
{
    (void)scratch;
    hs_req *r = ctx;
    const hs_edge_req *st = hs_http_get_ctx(r, &hs_edge_module);
    uint8_t s = st ? (data ? st->conn_status : st->req_status) : HS_LIMIT_NONE;
    if (s == HS_LIMIT_NONE)
        return HS_DECLINED;
    *out = status_names[s];
    return HS_OK;
}

const hs_var_def hs_edge_variables[] = {
    {"limit_req_status", v_limit_status, 0, false, false},
    {"limit_conn_status", v_limit_status, 1, false, false},
    {NULL, NULL, 0, false, false},
};
