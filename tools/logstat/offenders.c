/* Repeat offenders: every source's requests and bad endings (444, 400,
 * 408), and the deny_addr line suggested for those whose bad endings pass
 * both thresholds (a count and a share of their requests), so that a heavy
 * client served normally is never suggested.  Addresses of one IPv4 /24 or
 * IPv6 /64 are suggested as that range when enough of them qualify and none
 * of the range's addresses seen in the log is mostly served normally. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdlib.h>

#include "mem.h"
#include "report.h"

#define MAX_DENY 1000 /* items on the suggested deny_addr line */

/* A source's address and the prefix of its range. */
typedef struct {
    const ls_tk_entry *e;
    int family;              /* AF_INET or AF_INET6 */
    size_t plen;             /* bytes of its range: 3 (/24), 8 (/64), 16 (alone) */
    unsigned char a[16];     /* the address */
} addr_key;

/* An IPv4 address mapped into IPv6 (::ffff:a.b.c.d, as a dual-stack
 * listener logs IPv4 clients) is never grouped: its /64 holds every IPv4
 * client. */
static bool v4_mapped(const unsigned char *a)
{
    static const unsigned char pre[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return !memcmp(a, pre, 12);
}

static bool parse_addr(const ls_tk_entry *e, addr_key *k)
{
    k->e = e;
    if (e->keylen > 45)
        return false;
    if (inet_pton(AF_INET, e->key, k->a) == 1)
        k->family = AF_INET, k->plen = 3;
    else if (inet_pton(AF_INET6, e->key, k->a) == 1)
        k->family = AF_INET6, k->plen = v4_mapped(k->a) ? 16 : 8;
    else
        return false;
    return true;
}

static int by_range(const void *x, const void *y)
{
    const addr_key *a = x, *b = y;
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    if (a->plen != b->plen)
        return a->plen < b->plen ? -1 : 1;
    int c = memcmp(a->a, b->a, a->plen);
    if (c)
        return c;
    return memcmp(a->a, b->a, 16);
}

static bool same_range(const addr_key *a, const addr_key *b)
{
    return a->family == b->family && a->plen == b->plen && !memcmp(a->a, b->a, a->plen);
}

static double share_of(const ls_tk_entry *e) { return ls_share(e->c[LS_SRC_BAD], e->c[LS_SRC_REQ]); }

static bool qualifies(const ls_report *rp, const ls_tk_entry *e)
{
    return !e->partial && e->c[LS_SRC_BAD] >= rp->o.offender_min &&
           share_of(e) >= rp->o.offender_share;
}

static void add_single(ls_report *rp, const addr_key *k)
{
    if (rp->n_deny >= MAX_DENY)
        return;
    const ls_tk_entry *e = k->e;
    ls_deny *d = &rp->deny[rp->n_deny++];
    *d = (ls_deny){.addresses = 1, .requests = e->c[LS_SRC_REQ], .bad = e->c[LS_SRC_BAD], .share = share_of(e)};
    inet_ntop(k->family, k->a, d->addr, sizeof(d->addr));
    snprintf(d->why, sizeof(d->why),
             "%" PRIu64 " of its %" PRIu64 " requests were 444/400/408 (%.0f%%): at least %" PRIu64
             " and at least %.0f%%",
             d->bad, d->requests, 100 * d->share, rp->o.offender_min, 100 * rp->o.offender_share);
}

/* The range of run[0..n) as one deny item. */
static void add_range(ls_report *rp, const addr_key *run, size_t n, size_t qual)
{
    if (rp->n_deny >= MAX_DENY)
        return;
    ls_deny *d = &rp->deny[rp->n_deny++];
    *d = (ls_deny){.addresses = n};
    for (size_t i = 0; i < n; i++) {
        d->requests += run[i].e->c[LS_SRC_REQ];
        d->bad += run[i].e->c[LS_SRC_BAD];
    }
    d->share = ls_share(d->bad, d->requests);
    unsigned char net[16] = {0};
    memcpy(net, run[0].a, run[0].plen);
    char text[INET6_ADDRSTRLEN];
    inet_ntop(run[0].family, net, text, sizeof(text));
    int bits = run[0].family == AF_INET ? 24 : 64;
    snprintf(d->addr, sizeof(d->addr), "%s/%d", text, bits);
    snprintf(d->why, sizeof(d->why),
             "%zu of its %zu addresses qualify one by one (at least %zu needed), none is mostly "
             "served normally; %" PRIu64 " of their %" PRIu64 " requests were 444/400/408 (%.0f%%)",
             qual, n, rp->o.group_min, d->bad, d->requests, 100 * d->share);
}

/* One range of addresses: as a whole, or its qualifying addresses. */
static void judge_run(ls_report *rp, const addr_key *run, size_t n)
{
    size_t qual = 0, good = 0;
    for (size_t i = 0; i < n; i++) {
        qual += qualifies(rp, run[i].e);
        good += share_of(run[i].e) < rp->o.offender_share;
    }
    if (run[0].plen < 16 && qual >= rp->o.group_min && !good) {
        add_range(rp, run, n, qual);
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (qualifies(rp, run[i].e))
            add_single(rp, &run[i]);
}

static int by_bad_desc(const void *x, const void *y)
{
    const ls_deny *a = x, *b = y;
    if (a->bad != b->bad)
        return a->bad < b->bad ? 1 : -1;
    return strcmp(a->addr, b->addr);
}

/* The deny items, from every address in the sources table. */
static void find_deny(ls_report *rp)
{
    const ls_topk *t = &rp->st->sources;
    addr_key *keys = ls_xmalloc((t->n + 1) * sizeof(addr_key));
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++)
        if (t->entries[i].c[LS_SRC_REQ] && parse_addr(&t->entries[i], &keys[n]))
            n++;
    qsort(keys, n, sizeof(addr_key), by_range);
    rp->deny = ls_xcalloc(MAX_DENY, sizeof(ls_deny));
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && same_range(&keys[i], &keys[j]); j++)
            ;
        judge_run(rp, keys + i, j - i);
    }
    qsort(rp->deny, rp->n_deny, sizeof(ls_deny), by_bad_desc);
    free(keys);
}

/* Whether a deny item covers the source at key. */
static bool denied(const ls_report *rp, const ls_tk_entry *e)
{
    addr_key k;
    if (!parse_addr(e, &k))
        return false;
    for (size_t i = 0; i < rp->n_deny; i++) {
        const char *slash = strchr(rp->deny[i].addr, '/');
        if (!slash) {
            char text[INET6_ADDRSTRLEN];
            inet_ntop(k.family, k.a, text, sizeof(text));
            if (!strcmp(text, rp->deny[i].addr))
                return true;
            continue;
        }
        addr_key r;
        char net[64];
        snprintf(net, sizeof(net), "%.*s", (int)(slash - rp->deny[i].addr), rp->deny[i].addr);
        int fam = strchr(net, ':') ? AF_INET6 : AF_INET;
        r.family = fam;
        r.plen = fam == AF_INET ? 3 : 8;
        if (inet_pton(fam, net, r.a) == 1 && same_range(&r, &k))
            return true;
    }
    return false;
}

/* Why a source of the table is, or is not, suggested. */
static void verdict(const ls_report *rp, ls_offender *o)
{
    const ls_tk_entry *e = o->e;
    addr_key k;
    o->suggested = denied(rp, e);
    uint64_t bad = e->c[LS_SRC_BAD], req = e->c[LS_SRC_REQ];
    if (o->suggested)
        snprintf(o->why, sizeof(o->why), "suggested: %s", qualifies(rp, e) ? "bad count and share pass"
                                                                            : "in a range that is");
    else if (e->partial)
        snprintf(o->why, sizeof(o->why), "not suggested: counts partial (table was full; raise --max-keys)");
    else if (!parse_addr(e, &k))
        snprintf(o->why, sizeof(o->why), "not suggested: not an IP address");
    else if (o->share < rp->o.offender_share)
        snprintf(o->why, sizeof(o->why), "not suggested: mostly served normally (%.1f%% bad < %.0f%%)",
                 100 * o->share, 100 * rp->o.offender_share);
    else if (bad < rp->o.offender_min)
        snprintf(o->why, sizeof(o->why), "not suggested: %" PRIu64 " bad < %" PRIu64, bad, rp->o.offender_min);
    else
        snprintf(o->why, sizeof(o->why), "not suggested: %" PRIu64 " of %" PRIu64 " (over the cap of %d)",
                 bad, req, MAX_DENY);
}

static void add_suggestion(ls_report *rp, const char *line)
{
    rp->suggest = ls_xrealloc(rp->suggest, (rp->n_suggest + 1) * sizeof(char *));
    rp->suggest[rp->n_suggest++] = ls_xstrndup(line, strlen(line));
}

static void suggest_config(ls_report *rp)
{
    size_t cap = 16 + rp->n_deny * 66, len = 0;
    char *line = ls_xmalloc(cap);
    len += (size_t)snprintf(line, cap, "deny_addr");
    for (size_t i = 0; i < rp->n_deny; i++)
        len += (size_t)snprintf(line + len, cap - len, " %s", rp->deny[i].addr);
    snprintf(line + len, cap - len, ";");
    add_suggestion(rp, line);
    free(line);
    char ban[256];
    snprintf(ban, sizeof(ban),
             "ban_zone zone=offenders:10m key=$binary_remote_addr threshold=%" PRIu64 " window=10m "
             "duration=1h;",
             rp->o.offender_min);
    add_suggestion(rp, ban);
    add_suggestion(rp, "ban zone=offenders on=444,400,408;");
}

void ls_find_offenders(ls_report *rp)
{
    const ls_topk *t = &rp->st->sources;
    const ls_tk_entry **top = ls_xmalloc((rp->o.top + 1) * sizeof(*top));
    size_t n = ls_topk_top(t, LS_SRC_BAD, top, rp->o.top);
    while (n && top[n - 1]->c[LS_SRC_BAD] < rp->o.offender_min)
        n--;
    find_deny(rp);
    rp->offenders = ls_xcalloc(n + 1, sizeof(ls_offender));
    for (size_t i = 0; i < n; i++) {
        ls_offender *o = &rp->offenders[rp->n_offenders++];
        o->e = top[i];
        o->share = share_of(top[i]);
        verdict(rp, o);
    }
    free(top);
    if (rp->n_deny)
        suggest_config(rp);
}
