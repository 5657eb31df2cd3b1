/* The resolver's queries, answers and cache in a worker (resolver.h). Each
 * name server has a connected UDP socket; a query asks for A (and AAAA)
 * with a random id, is sent again every second to the next server, and
 * ends when every type asked has been answered: its waiters get the
 * addresses (or the error) and the cache keeps them. A waiter that passes
 * its resolver_timeout leaves with "Operation timed out"; a query with no
 * waiter left is dropped. An answer that does not parse as the answer to
 * the query with its id ends it with an error, never a crash. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "resolver/resolver.h"

#define RETRY_MSEC 1000
#define NEGATIVE_MSEC 10000
#define CACHE_MAX 1024 /* names kept per resolver and worker; the oldest goes first */
#define TIMEDOUT 110

typedef struct hs_rsock {
    hs_ev ev;                  /* first: epoll dispatch */
    int fd;
    hs_resolver *res;
} hs_rsock;

typedef struct hs_rquery {
    hs_resolver *res;
    char name[HS_DNS_MAX_NAME + 1];
    char asking[HS_DNS_MAX_NAME + 1]; /* the name asked now: name, or where its CNAMEs led */
    int hops;                  /* CNAMEs followed */
    uint16_t id[2];            /* A, AAAA */
    bool pending[2];
    int rcode;                 /* the A answer's */
    const char *bad;           /* a malformed answer: why */
    hs_dns_addr addrs[HS_DNS_MAX_ADDRS];
    size_t naddrs;
    uint32_t ttl;
    size_t server;             /* the server asked last */
    hs_timer retry;
    hs_resolve_ctx *waiters;
    struct hs_rquery *next;
} hs_rquery;

typedef struct hs_rcache {
    char name[HS_DNS_MAX_NAME + 1];
    uint64_t expires;          /* mono ms */
    int err;
    const char *err_text;
    hs_dns_addr addrs[HS_DNS_MAX_ADDRS];
    size_t naddrs;
    uint32_t turn;             /* rotation of the addresses */
    struct hs_rcache *next;
} hs_rcache;

static uint16_t random_id(void)
{
    static uint64_t x;
    if (x == 0)
        x = (hs_now.mono_usec ^ ((uint64_t)getpid() << 20) ^ (uint64_t)(uintptr_t)&x) | 1;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return (uint16_t)(x >> 24);
}

/* ---- the cache ---- */

static hs_rcache *cached(hs_resolver *res, const char *name)
{
    for (hs_rcache **p = &res->cache; *p;) {
        hs_rcache *c = *p;
        if (c->expires <= hs_now.mono_msec) {
            *p = c->next;
            free(c);
            continue;
        }
        if (strcasecmp(c->name, name) == 0)
            return c;
        p = &c->next;
    }
    return NULL;
}

/* The entry's result into ctx, its addresses rotated. */
static void give(hs_rcache *c, hs_resolve_ctx *ctx)
{
    ctx->err = c->err;
    ctx->err_text = c->err_text;
    ctx->naddrs = c->naddrs;
    for (size_t i = 0; i < c->naddrs; i++)
        ctx->addrs[i] = c->addrs[(i + c->turn) % c->naddrs];
    c->turn++;
}

/* Drops the oldest entries beyond CACHE_MAX - 1 (new ones go first). */
static void trim_cache(hs_resolver *res)
{
    size_t n = 0;
    for (hs_rcache **p = &res->cache; *p; n++) {
        if (n + 1 < CACHE_MAX) {
            p = &(*p)->next;
            continue;
        }
        hs_rcache *c = *p;
        *p = c->next;
        free(c);
    }
}

static hs_rcache *remember(hs_rquery *q, int err, const char *text)
{
    trim_cache(q->res);
    hs_rcache *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    memcpy(c->name, q->name, sizeof(c->name));
    uint64_t keep = err ? NEGATIVE_MSEC : (uint64_t)q->ttl * 1000;
    if (q->res->valid >= 0)
        keep = (uint64_t)q->res->valid;
    c->expires = hs_now.mono_msec + keep;
    c->err = err;
    c->err_text = text;
    c->naddrs = q->naddrs;
    memcpy(c->addrs, q->addrs, sizeof(c->addrs));
    c->next = q->res->cache;
    q->res->cache = c;
    return c;
}

/* ---- queries ---- */

static void unlink_query(hs_rquery *q)
{
    for (hs_rquery **p = &q->res->queries; *p; p = &(*p)->next) {
        if (*p == q) {
            *p = q->next;
            break;
        }
    }
    hs_timer_cancel(&q->retry);
}

/* The query is over: its waiters get the result, then it goes. */
static void finish(hs_rquery *q, int err, const char *text)
{
    unlink_query(q);
    /* kept: addresses, and "no such name"; a server's failure or a bad
     * answer is not (the next request asks again, maybe another server) */
    hs_rcache *c = err == 0 || err == 3 ? remember(q, err, text) : NULL;
    hs_rcache once = {.err = err, .err_text = text, .naddrs = q->naddrs};
    memcpy(once.addrs, q->addrs, sizeof(once.addrs));
    hs_resolve_ctx *w = q->waiters;
    q->waiters = NULL;
    free(q);
    while (w) {
        hs_resolve_ctx *next = w->next;
        hs_timer_cancel(&w->timer);
        w->q = NULL;
        give(c ? c : &once, w);
        w->done(w); /* may free w */
        w = next;
    }
}

static void send_query(hs_rquery *q)
{
    hs_resolver *res = q->res;
    uint8_t buf[HS_DNS_MAX_NAME + 32];
    q->server = (q->server + 1) % res->naddrs;
    static const uint16_t types[2] = {HS_DNS_TYPE_A, HS_DNS_TYPE_AAAA};
    for (int t = 0; t < 2; t++) {
        if (!q->pending[t])
            continue;
        size_t n = hs_dns_query(buf, sizeof(buf), q->id[t], q->asking, types[t]);
        if (n && res->socks[q->server].fd >= 0)
            (void)send(res->socks[q->server].fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
    }
    hs_timer_set(&q->retry, RETRY_MSEC);
}

static void on_retry(hs_timer *t)
{
    hs_rquery *q = (hs_rquery *)((char *)t - offsetof(hs_rquery, retry));
    send_query(q);
}

/* ---- answers ---- */

/* The answer named only a CNAME: ask again for its target (the waiters
 * and the cache keep the first name). */
static void follow(hs_rquery *q, const char *target)
{
    if (++q->hops > 8) {
        finish(q, 2, "Server failure"); /* a CNAME chain too long, or a loop */
        return;
    }
    snprintf(q->asking, sizeof(q->asking), "%s", target);
    q->id[0] = random_id();
    q->id[1] = random_id();
    q->pending[0] = true;
    q->pending[1] = q->res->ipv6;
    hs_timer_cancel(&q->retry);
    send_query(q);
}

/* An answer of type t for q: its addresses taken; the query ends when no
 * type is pending any more. */
static void answered(hs_rquery *q, int t, const hs_dns_answer *a)
{
    if (a->rcode == 0 && a->naddrs == 0 && a->cname[0] && q->naddrs == 0) {
        follow(q, a->cname);
        return;
    }
    q->pending[t] = false;
    if (t == 0)
        q->rcode = a->rcode;
    for (size_t i = 0; i < a->naddrs && q->naddrs < HS_DNS_MAX_ADDRS; i++)
        q->addrs[q->naddrs++] = a->addrs[i];
    if (a->naddrs && (q->ttl == 0 || a->ttl < q->ttl))
        q->ttl = a->ttl;
    if (q->pending[0] || q->pending[1])
        return;
    if (q->naddrs)
        finish(q, 0, NULL);
    else if (q->rcode)
        finish(q, q->rcode, hs_dns_rcode_text(q->rcode));
    else
        finish(q, 3, "Host not found"); /* the name has no address of the types asked */
}

static void datagram(hs_resolver *res, const uint8_t *m, size_t n)
{
    if (n < 2)
        return;
    uint16_t id = (uint16_t)(m[0] << 8 | m[1]);
    for (hs_rquery *q = res->queries; q; q = q->next) {
        for (int t = 0; t < 2; t++) {
            if (!q->pending[t] || q->id[t] != id)
                continue;
            hs_dns_answer a;
            if (hs_dns_parse(m, n, id, q->asking, t ? HS_DNS_TYPE_AAAA : HS_DNS_TYPE_A, &a) != 0) {
                finish(q, 1, a.error); /* a malformed answer: a clear error, at once */
                return;
            }
            answered(q, t, &a);
            return;
        }
    }
    /* an answer nobody waits for (late, or not ours): ignored */
}

static void on_sock(hs_ev *ev, uint32_t events)
{
    hs_rsock *s = (hs_rsock *)ev;
    (void)events;
    uint8_t buf[4096];
    for (;;) {
        ssize_t n = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return; /* EAGAIN, or ICMP's refusal: the retry asks the next server */
        datagram(s->res, buf, (size_t)n);
    }
}

static int open_socks(hs_resolver *res)
{
    res->socks = calloc(res->naddrs, sizeof(*res->socks));
    if (res->socks == NULL)
        return HS_ERROR;
    for (size_t i = 0; i < res->naddrs; i++) {
        hs_rsock *s = &res->socks[i];
        s->ev.on_event = on_sock;
        s->res = res;
        s->fd = socket(res->addrs[i].ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (s->fd < 0)
            continue;
        if (connect(s->fd, (struct sockaddr *)&res->addrs[i], res->lens[i]) != 0 ||
            hs_ev_add(s->fd, &s->ev, EPOLLIN) != 0) {
            close(s->fd);
            s->fd = -1;
        }
    }
    return HS_OK;
}

/* ---- waiters ---- */

static void unlink_waiter(hs_resolve_ctx *ctx)
{
    hs_rquery *q = ctx->q;
    for (hs_resolve_ctx **p = &q->waiters; *p; p = &(*p)->next) {
        if (*p == ctx) {
            *p = ctx->next;
            break;
        }
    }
    ctx->q = NULL;
    hs_timer_cancel(&ctx->timer);
    if (q->waiters == NULL) {
        unlink_query(q);
        free(q);
    }
}

static void on_waiter_timeout(hs_timer *t)
{
    hs_resolve_ctx *ctx = (hs_resolve_ctx *)((char *)t - offsetof(hs_resolve_ctx, timer));
    unlink_waiter(ctx);
    ctx->err = TIMEDOUT;
    ctx->err_text = "Operation timed out";
    ctx->naddrs = 0;
    ctx->done(ctx);
}

void hs_resolve_cancel(hs_resolve_ctx *ctx)
{
    if (ctx->q)
        unlink_waiter(ctx);
}

static hs_rquery *query_for(hs_resolver *res, const char *name)
{
    for (hs_rquery *q = res->queries; q; q = q->next)
        if (strcasecmp(q->name, name) == 0)
            return q;
    hs_rquery *q = calloc(1, sizeof(*q));
    if (q == NULL)
        return NULL;
    q->res = res;
    snprintf(q->name, sizeof(q->name), "%s", name);
    memcpy(q->asking, q->name, sizeof(q->asking));
    q->id[0] = random_id();
    q->id[1] = random_id();
    q->pending[0] = true;
    q->pending[1] = res->ipv6;
    q->server = (res->turn++ + res->naddrs - 1) % res->naddrs; /* send_query moves on first: to the one in turn */
    q->retry.on_timer = on_retry;
    q->next = res->queries;
    res->queries = q;
    send_query(q);
    return q;
}

int hs_resolve(hs_resolver *res, hs_resolve_ctx *ctx)
{
    hs_rcache *c = cached(res, ctx->name);
    if (c) {
        give(c, ctx);
        return HS_OK;
    }
    uint8_t probe[HS_DNS_MAX_NAME + 32];
    if (strlen(ctx->name) > HS_DNS_MAX_NAME ||
        hs_dns_query(probe, sizeof(probe), 0, ctx->name, HS_DNS_TYPE_A) == 0) {
        /* not a name DNS can carry (an empty or over-long label): at once */
        ctx->err = 1;
        ctx->err_text = "Invalid host name";
        ctx->naddrs = 0;
        return HS_OK;
    }
    if (res->socks == NULL && open_socks(res) != HS_OK)
        return HS_ERROR;
    hs_rquery *q = query_for(res, ctx->name);
    if (q == NULL)
        return HS_ERROR;
    ctx->q = q;
    ctx->next = q->waiters;
    q->waiters = ctx;
    ctx->timer.on_timer = on_waiter_timeout;
    hs_timer_set(&ctx->timer, (uint64_t)ctx->timeout);
    return HS_AGAIN;
}
