/* A small DNS client inside the event loop: `resolver ADDR … [valid=T]
 * [ipv6=on|off]` names the servers; a worker asks them over UDP (A, and
 * AAAA with ipv6=on), never blocking, retrying every second on the next
 * server, and keeps the answers for their TTL (or valid=). Requests for a
 * name already asked wait on the same query. */
#ifndef HS_RESOLVER_RESOLVER_H
#define HS_RESOLVER_RESOLVER_H

#include <sys/socket.h>

#include "conf/directive.h"
#include "core/str.h"
#include "event/loop.h"
#include "resolver/dns.h"

struct hs_rquery;
struct hs_rcache;

typedef struct hs_resolver {
    struct sockaddr_storage *addrs;   /* the name servers (port 53 unless given) */
    socklen_t *lens;
    size_t naddrs;
    int64_t valid;                    /* valid=: ms answers are kept; -1: their TTL */
    bool ipv6;                        /* ipv6=on (default): AAAA too */
    /* this worker's state, made on first use */
    struct hs_rsock *socks;
    struct hs_rquery *queries;
    struct hs_rcache *cache;
    size_t turn;                      /* the server a new query asks first, in turn */
} hs_resolver;

typedef struct hs_resolve_ctx hs_resolve_ctx;
struct hs_resolve_ctx {
    const char *name;                 /* in: the name, NUL-terminated */
    int64_t timeout;                  /* in: ms (resolver_timeout) */
    void (*done)(hs_resolve_ctx *ctx);/* in: called when hs_resolve said HS_AGAIN */
    void *data;                       /* in: the caller's */
    int err;                          /* out: 0, a DNS RCODE, or 110 (timed out) */
    const char *err_text;             /* out: nginx's words for err */
    hs_dns_addr addrs[HS_DNS_MAX_ADDRS];
    size_t naddrs;                    /* out: addresses, rotated per use as nginx */
    /* the resolver's */
    hs_timer timer;
    struct hs_rquery *q;
    hs_resolve_ctx *next;
};

/* The `resolver` directive's arguments (n->args[1..]): into *out. */
int hs_resolver_conf(hs_cf *cf, const hs_conf_node *n, hs_resolver **out);
/* Resolves ctx->name: HS_OK when the result is in ctx already (cached, or
 * an address literal), HS_AGAIN when ctx->done will be called. */
int hs_resolve(hs_resolver *res, hs_resolve_ctx *ctx);
/* Forgets a pending ctx (its owner is going): done is not called. */
void hs_resolve_cancel(hs_resolve_ctx *ctx);

#endif
