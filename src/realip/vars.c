/* $realip_remote_addr and $realip_remote_port: the address and port the
 * connection came from, before realip (or a PROXY header) replaced them. */
#include "realip/realip_internal.h"

const struct sockaddr *hs_realip_socket_peer(const hs_conn *c) { return &c->peer.sa; }
const struct sockaddr *hs_realip_proxy_src(const hs_conn *c)
{
    (void)c;
    return NULL;
}

static int v_realip_remote_addr(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    hs_req *r = ctx;
    return hs_var_addr(out, scratch, hs_realip_socket_peer(r->conn));
}

static int v_realip_remote_port(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    hs_req *r = ctx;
    const struct sockaddr *sa = hs_realip_socket_peer(r->conn);
    return sa->sa_family == AF_UNIX ? HS_DECLINED : hs_var_port(out, scratch, sa);
}

const hs_var_def hs_realip_variables[] = {
    {"realip_remote_addr", v_realip_remote_addr, 0, false, false},
    {"realip_remote_port", v_realip_remote_port, 0, false, false},
    {NULL, NULL, 0, false, false},
};
