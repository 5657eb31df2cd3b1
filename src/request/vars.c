/* The request module's variables: $request_body and $request_body_file
 * (body.c), and the address variables of a request's connection: $remote_addr,
 * $binary_remote_addr, $remote_port, $server_addr, $server_port — for
 * TCP/IP and, as nginx, for unix sockets ("unix:", no port). They have a
 * value without a request: connection-log lines use them too. */
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "request/request_internal.h"

#define CONN(ctx) (((hs_req *)(ctx))->conn)

static int v_remote_addr(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    return hs_var_addr(out, scratch, &CONN(ctx)->peer.sa);
}

static int v_binary_remote_addr(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    (void)scratch;
    hs_conn *c = CONN(ctx);
    if (c->peer.sa.sa_family == AF_INET6)
        *out = (hs_str){(const char *)&c->peer.in6.sin6_addr, 16};
    else if (c->peer.sa.sa_family == AF_INET)
        *out = (hs_str){(const char *)&c->peer.in4.sin_addr, 4};
    else
        *out = HS_STR("unix:"); /* every unix-socket client is the same key, as nginx */
    return HS_OK;
}

static int v_remote_port(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    if (CONN(ctx)->peer.sa.sa_family == AF_UNIX)
        return HS_DECLINED;
    return hs_var_port(out, scratch, &CONN(ctx)->peer.sa);
}

static int v_server_addr(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    hs_listen_conf *l = CONN(ctx)->group->listen;
    if (l->addr.ss_family == AF_UNIX) {
        *out = hs_cstr(l->text); /* "unix:/path" */
        return HS_OK;
    }
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(CONN(ctx)->io.fd, (struct sockaddr *)&ss, &len) != 0)
        return HS_DECLINED;
    return hs_var_addr(out, scratch, (struct sockaddr *)&ss);
}

static int v_server_port(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    int port = CONN(ctx)->group->listen->port;
    return port ? hs_var_u64(out, scratch, (uint64_t)port) : HS_DECLINED;
}

const hs_var_def hs_request_variables[] = {
    {"request_body", hs_request_body_var, 0, false, false},
    {"request_body_file", hs_request_body_var, 1, false, false},
    {"limit_rate", hs_request_limit_rate_var, 0, false, false},
    {"remote_addr", v_remote_addr, 0, false, true},
    {"binary_remote_addr", v_binary_remote_addr, 0, false, true},
    {"remote_port", v_remote_port, 0, false, true},
    {"server_addr", v_server_addr, 0, false, true},
    {"server_port", v_server_port, 0, false, true},
    {NULL, NULL, 0, false, false},
};
