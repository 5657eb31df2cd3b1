/* Shared by the files of src/realip. Private to src/realip. */
#ifndef HS_REALIP_REALIP_INTERNAL_H
#define HS_REALIP_REALIP_INTERNAL_H

#include "core/cidr.h"
#include "http/phase.h"
#include "parse/proxy_protocol.h"
#include "realip/realip.h"

/* real_ip_header: which address replaces the client's. */
enum { RIP_X_REAL_IP, RIP_X_FORWARDED_FOR, RIP_PROXY_PROTOCOL, RIP_HEADER };

/* The settings of one level (HS_MOD_SLOT(lc->mod, &hs_realip_module)). */
typedef struct {
    hs_cidr *from;      /* set_real_ip_from of this level; NULL: the parent's */
    size_t nfrom;
    int type;           /* RIP_*; HS_UNSET: the parent's (default X-Real-IP) */
    hs_str header;      /* RIP_HEADER: its name */
    int recursive;      /* real_ip_recursive; HS_UNSET: the parent's (off) */
} rip_loc;

static inline const rip_loc *rip_loc_of(const hs_loc_conf *lc) { return HS_MOD_SLOT(lc->mod, &hs_realip_module); }

/* An address with room for IPv4 and IPv6. */
typedef union {
    struct sockaddr sa;
    struct sockaddr_in in4;
    struct sockaddr_in6 in6;
} rip_addr;

/* What a connection's PROXY header said (c->origin, from its first byte;
 * the core frees it with the connection). */
typedef struct {
    hs_proxy_header h;  /* complete when done */
    rip_addr socket;    /* the socket's peer: the balancer */
    bool done;          /* the header was read */
    bool replaced;      /* c->peer is h.src (real_ip_header proxy_protocol at the address's default server) */
} rip_origin;

/* proxy_protocol.c: `listen ... proxy_protocol` addresses read the header
 * before their transport (TCP, or TLS's ClientHello) starts. */
int hs_realip_proxy_protocol_setup(hs_cf *cf, hs_http_conf *http);

/* forwarded.c: the request hooks (POST_READ with the server's settings,
 * PREACCESS with the location's; the first that finds a trusted address
 * decides, as nginx). */
int hs_realip_post_read(hs_req *r);
int hs_realip_preaccess(hs_req *r);
/* Is sa one of rl's trusted addresses? */
bool hs_realip_trusted(const rip_loc *rl, const struct sockaddr *sa);
/* "1.2.3.4", "1.2.3.4:80", "::1", "[::1]:80" (nginx's ngx_parse_addr_port):
 * HS_OK or HS_DECLINED. Port 0 when none is given. */
int hs_realip_parse_addr(hs_str text, rip_addr *out);
/* The connection's own peer, before any PROXY header replaced it. */
const struct sockaddr *hs_realip_socket_peer(const hs_conn *c);
/* The source address of the connection's PROXY header; NULL: none (no
 * header, LOCAL, UNKNOWN). */
const struct sockaddr *hs_realip_proxy_src(const hs_conn *c);

extern const hs_directive hs_realip_directives[];
extern const hs_var_def hs_realip_variables[];

#endif
