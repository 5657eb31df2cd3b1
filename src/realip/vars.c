/* $realip_remote_addr and $realip_remote_port: the address and port the
 * connection came from, before realip (or a PROXY header) replaced them;
 * $proxy_protocol_addr, _port, _server_addr, _server_port: what its PROXY
 * header said. All of them are connection variables (connection_log). */
#include "realip/realip_internal.h"

const struct sockaddr *hs_realip_socket_peer(const hs_conn *c)
{
    const rip_origin *o = c->origin;
    return o && o->replaced ? &o->socket.sa : &c->peer.sa;
}

const struct sockaddr *hs_realip_proxy_src(const hs_conn *c)
{
    const rip_origin *o = c->origin;
    return o && o->done && o->h.has_addr ? &o->h.src.sa : NULL;
}

/* $proxy_protocol_addr / _port (data 0) and _server_addr / _server_port
 * (data 1): no value without a header that gave addresses, as nginx. */
static const struct sockaddr *pp_addr(hs_req *r, uintptr_t server)
{
    const rip_origin *o = r->conn->origin;
    if (o == NULL || !o->done || !o->h.has_addr)
        return NULL;
    return server ? &o->h.dst.sa : &o->h.src.sa;
}

static int v_pp_addr(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    const struct sockaddr *sa = pp_addr(ctx, d);
    return sa ? hs_var_addr(out, scratch, sa) : HS_DECLINED;
}

static int v_pp_port(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    const struct sockaddr *sa = pp_addr(ctx, d);
    return sa ? hs_var_port(out, scratch, sa) : HS_DECLINED;
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
    {"realip_remote_addr", v_realip_remote_addr, 0, false, true},
    {"realip_remote_port", v_realip_remote_port, 0, false, true},
    {"proxy_protocol_addr", v_pp_addr, 0, false, true},
    {"proxy_protocol_port", v_pp_port, 0, false, true},
    {"proxy_protocol_server_addr", v_pp_addr, 1, false, true},
    {"proxy_protocol_server_port", v_pp_port, 1, false, true},
    {NULL, NULL, 0, false, false},
};
