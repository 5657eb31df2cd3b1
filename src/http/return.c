/* Absolute redirect URLs: the host and port a Location header names. */
#include <arpa/inet.h>
#include <stdio.h>
#include <sys/socket.h>

#include "http/phase.h"

/* The host for an absolute redirect, as nginx: the server's first name
 * (server_name_in_redirect), else the request's Host, else the local
 * address the client connected to. */
hs_str hs_http_redirect_host(hs_req *r)
{
    if (r->loc->server_name_in_redirect && r->srv->name.n)
        return r->srv->name;
    if (r->host.n)
        return r->host;
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char *buf = hs_palloc(r->pool, INET6_ADDRSTRLEN + 2);
    if (buf == NULL || getsockname(r->conn->io.fd, (struct sockaddr *)&ss, &len) != 0)
        return HS_STR("localhost");
    if (ss.ss_family == AF_INET6) {
        buf[0] = '[';
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, buf + 1, INET6_ADDRSTRLEN);
        strcat(buf, "]");
    } else {
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, buf, INET6_ADDRSTRLEN);
    }
    return hs_cstr(buf);
}

/* path as it goes in a Location: relative with absolute_redirect off; the
 * port only when it is not the scheme's and port_in_redirect is on. */
hs_str hs_http_absolute_url(hs_req *r, hs_str path)
{
    if (!r->loc->absolute_redirect)
        return path;
    hs_str host = hs_http_redirect_host(r);
    int port = r->conn->group->listen->port;
    bool tls = r->conn->io.t->secure;
    char portbuf[16] = "";
    if (port && port != (tls ? 443 : 80) && r->loc->port_in_redirect) /* 0: a unix socket */
        snprintf(portbuf, sizeof(portbuf), ":%d", port);
    return hs_cstr(hs_psprintf(r->pool, "%s://%.*s%s%.*s", tls ? "https" : "http", (int)host.n, host.p, portbuf,
                               (int)path.n, path.p));
}
