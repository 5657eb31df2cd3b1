/* The request module's variables: $request_body and $request_body_file
 * (body.c), the address variables of a request's connection: $remote_addr,
 * $binary_remote_addr, $remote_port, $server_addr, $server_port — for
 * TCP/IP and, as nginx, for unix sockets ("unix:", no port) — and the
 * connection's own ($connection, $connection_requests, $connection_time,
 * $bytes_received, $bare_connection, $close_reason, $drop_rule), $hostname
 * and the version, and the request's sizes and time. They have a value without a request: connection-log
 * lines use them too. */
#include <sys/socket.h>
#include <sys/un.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/version.h"

#include "request/request_internal.h"

#define CONN(ctx) (((hs_req *)(ctx))->conn)
#define SET(v) (*out = (v), HS_OK)

static int v_bytes_received(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    return hs_var_u64(out, scratch, CONN(ctx)->bytes_in);
}

static int v_connection_time(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    uint64_t start = CONN(ctx)->start_msec;
    return hs_var_msec(out, scratch, hs_now.mono_msec > start ? hs_now.mono_msec - start : 0);
}

/* "1" for a connection that ended without any request. */
static int v_bare_connection(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    (void)scratch;
    return SET(CONN(ctx)->requests == 0 ? HS_STR("1") : HS_STR("0"));
}

static int v_connection(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    return hs_var_u64(out, scratch, CONN(ctx)->number);
}

static int v_connection_requests(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    return hs_var_u64(out, scratch, CONN(ctx)->requests);
}

static int v_close_reason(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    (void)scratch;
    hs_req *r = ctx;
    return r->ending ? SET(hs_cstr(hs_ending_name(r->ending))) : HS_DECLINED;
}

static int v_drop_rule(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    (void)scratch;
    hs_req *r = ctx;
    return r->drop_rule ? SET(hs_cstr(r->drop_rule)) : HS_DECLINED;
}

static int v_hostname(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)ctx;
    (void)d;
    (void)scratch;
    static char name[256];
    if (name[0] == '\0' && gethostname(name, sizeof(name) - 1) != 0)
        strcpy(name, "localhost");
    return SET(hs_cstr(name));
}

static int v_version(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)ctx;
    (void)d;
    (void)scratch;
    return SET(HS_STR(HS_VERSION));
}

static int v_remote_addr(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    return hs_var_addr(out, scratch, hs_req_addr(ctx));
}

static int v_binary_remote_addr(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    (void)scratch;
    const struct sockaddr *sa = hs_req_addr(ctx);
    if (sa->sa_family == AF_INET6)
        *out = (hs_str){(const char *)&((const struct sockaddr_in6 *)sa)->sin6_addr, 16};
    else if (sa->sa_family == AF_INET)
        *out = (hs_str){(const char *)&((const struct sockaddr_in *)sa)->sin_addr, 4};
    else
        *out = HS_STR("unix:"); /* every unix-socket client is the same key, as nginx */
    return HS_OK;
}

/* No value for a unix socket; empty for a port 0 (an address a header
 * gave without a port), as nginx. */
static int v_remote_port(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    const struct sockaddr *sa = hs_req_addr(ctx);
    if (sa->sa_family == AF_UNIX)
        return HS_DECLINED;
    if (((const struct sockaddr_in *)sa)->sin_port == 0)
        return (*out = HS_STR(""), HS_OK);
    return hs_var_port(out, scratch, sa);
}

static int v_server_addr(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    hs_listen_conf *l = CONN(ctx)->group->listen;
    if (l->addr.ss_family == AF_UNIX) {
        *out = hs_cstr(l->text); /* "unix:/path" */
        return HS_OK;
    }
    if (!l->wildcard)
        return hs_var_addr(out, scratch, (const struct sockaddr *)&l->addr); /* as nginx: no syscall */
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

/* The request's sizes and time ($body_bytes_sent, $bytes_sent,
 * $request_length, $request_time). */
static int v_body_bytes_sent(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    hs_resp *rs = &((hs_req *)(ctx))->resp;
    uint64_t body = rs->sent > rs->head_sent ? rs->sent - rs->head_sent : 0;
    return hs_var_u64(out, scratch, body);
}

/* A request's response bytes; for a bare record (a connection-log line)
 * what the whole connection sent. */
static int v_bytes_sent(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    hs_req *r = ((hs_req *)(ctx));
    return hs_var_u64(out, scratch, r->bare ? r->conn->bytes_out : r->resp.sent);
}

static int v_request_length(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    return hs_var_u64(out, scratch, ((hs_req *)(ctx))->request_length);
}

static int v_request_time(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d;
    hs_req *r = ((hs_req *)(ctx));
    uint64_t us = hs_now.mono_usec > r->start_usec ? hs_now.mono_usec - r->start_usec : 0;
    return hs_var_msec(out, scratch, us / 1000);
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
    {"bytes_received", v_bytes_received, 0, false, true},
    {"connection_time", v_connection_time, 0, false, true},
    {"bare_connection", v_bare_connection, 0, false, true},
    {"connection", v_connection, 0, false, true},
    {"connection_requests", v_connection_requests, 0, false, true},
    {"close_reason", v_close_reason, 0, false, true},
    {"drop_rule", v_drop_rule, 0, false, true},
    {"body_bytes_sent", v_body_bytes_sent, 0, false, false},
    {"bytes_sent", v_bytes_sent, 0, false, true},
    {"request_length", v_request_length, 0, false, false},
    {"request_time", v_request_time, 0, false, false},
    {"hostname", v_hostname, 0, false, false},
    {"hush_version", v_version, 0, false, false},
    {"nginx_version", v_version, 0, false, false},
    {NULL, NULL, 0, false, false},
};
