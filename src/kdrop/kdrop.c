/* deny_addr_mode: the kdrop module's directive, its life in the master
 * (load once, fill the deny_addr tries per configuration, attach the filter
 * to the listening sockets) and in the workers (bans into the kernel's map,
 * hush_kernel_drops_total). The accept phase keeps judging every accepted
 * connection: what the kernel let through (a ban not yet in the map, a full
 * map, a PROXY listener's real client) is still dropped there. */
#include "kdrop/kdrop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "core/clock.h"
#include "core/errlog.h"
#include "edge/edge_conf.h"
#include "http/conf.h"
#include "kdrop/kdrop_maps.h"
#include "kdrop/loader.h"
#include "stats/expo.h"

#ifndef SO_ATTACH_BPF
#define SO_ATTACH_BPF 50
#endif
#ifndef SO_DETACH_BPF
#define SO_DETACH_BPF 27 /* SO_DETACH_FILTER */
#endif

enum { MODE_UNSET = 0, MODE_ACCEPT, MODE_KERNEL };

/* The http block's setting, and what the master made of it. */
typedef struct {
    int mode;
    bool active; /* the filter judges this generation's sockets */
} kd_conf;

static kd_conf *conf_of(const hs_config *conf)
{
    return conf && conf->http ? HS_MOD_SLOT(conf->http->mod, &hs_kdrop_module) : NULL;
}

/* Rule slots of the counters, kept over reloads (0 is deny_addr); the
 * workers inherit the names with the master's memory. */
static const char *slots[HS_KDROP_RULES] = {"deny_addr"};
static char slot_text[HS_KDROP_RULES][HS_SHM_NAME_MAX + 8];
static uint32_t nslots = 1;

static int slot_of(const char *rule, bool add)
{
    for (uint32_t i = 0; i < nslots; i++)
        if (strcmp(slots[i], rule) == 0)
            return (int)i;
    if (!add || nslots == HS_KDROP_RULES)
        return -1;
    snprintf(slot_text[nslots], sizeof(slot_text[nslots]), "%s", rule);
    slots[nslots] = slot_text[nslots];
    return (int)nslots++;
}

/* Does the configuration drop anything at accept? */
static bool has_accept_rules(const hs_config *conf)
{
    struct hs_edge_http *eh = conf ? hs_edge_http_of(conf->http) : NULL;
    return eh && (eh->ndeny_addr || eh->naccept_bans);
}

/* ---- configuration ---- */

static int deny_addr_mode(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    hs_http_conf *http = cf->level[HS_LEVEL_HTTP];
    kd_conf **slot = (kd_conf **)&HS_MOD_SLOT(http->mod, &hs_kdrop_module);
    if (*slot)
        return hs_cf_error(cf, n, "\"deny_addr_mode\" directive is duplicate");
    *slot = hs_pcalloc(cf->pool, sizeof(**slot));
    if (hs_str_eq_lit(n->args[1], "kernel"))
        (*slot)->mode = MODE_KERNEL;
    else if (hs_str_eq_lit(n->args[1], "accept"))
        (*slot)->mode = MODE_ACCEPT;
    else
        return hs_cf_error(cf, n, "invalid value \"%s\" in \"deny_addr_mode\": kernel or accept", n->args[1].p);
    return HS_OK;
}

static const hs_directive kdrop_directives[] = {
    {"deny_addr_mode", HS_CTX_HTTP, HS_ARGS_1, deny_addr_mode, HS_LEVEL_NONE, 0, NULL},
    {NULL, 0, 0, NULL, HS_LEVEL_NONE, 0, NULL},
};

/* Kernel bans need the workers to write the map (see process.c). */
static int kdrop_http_finish(hs_cf *cf, hs_http_conf *http)
{
    kd_conf *k = HS_MOD_SLOT(http->mod, &hs_kdrop_module);
    struct hs_edge_http *eh = hs_edge_http_of(http);
    if (k && k->mode == MODE_KERNEL && eh && eh->naccept_bans)
        ((hs_config *)cf->level[HS_LEVEL_MAIN])->keep_bpf = true;
    return HS_OK;
}

void hs_kdrop_describe(const hs_config *conf, FILE *out)
{
    kd_conf *k = conf_of(conf);
    char why[256] = "";
    if (!has_accept_rules(conf))
        return;
    if (k == NULL || k->mode != MODE_KERNEL)
        fprintf(out, "hush: deny_addr and bans drop at accept (deny_addr_mode accept)\n");
    else if (hs_kdrop_probe(why, sizeof(why)))
        fprintf(out, "hush: deny_addr and bans drop in the kernel (deny_addr_mode kernel: eBPF socket filter)\n");
    else
        fprintf(out, "hush: deny_addr_mode kernel cannot be used here (%s): deny_addr and bans will drop at accept\n",
                why);
}

/* ---- master ---- */

static void on_ban_changed(hs_edge_zone *z, hs_str key, uint64_t until_ms);

/* The generation's sockets exist (a reload that fails before cannot leave
 * the kernel's maps with its configuration): load once, fill the maps. */
static void prepare(hs_config *conf)
{
    static bool warned;
    kd_conf *k = conf_of(conf);
    hs_edge_ban_changed = NULL; /* the workers forked next inherit it */
    if (k == NULL || k->mode != MODE_KERNEL || !has_accept_rules(conf))
        return;
    char why[256];
    if (!hs_kdrop_load(why, sizeof(why))) {
        if (!warned)
            hs_log(HS_LOG_WARN, "deny_addr_mode kernel: %s; deny_addr and bans drop at accept", why);
        warned = true;
        return;
    }
    struct hs_edge_http *eh = hs_edge_http_of(conf->http);
    for (size_t i = 0; i < eh->naccept_bans; i++)
        if (slot_of(eh->accept_bans[i]->rule, true) < 0)
            hs_log(HS_LOG_WARN, "deny_addr_mode kernel: more than %d ban zones; \"%s\" drops at accept",
                   HS_KDROP_RULES - 1, eh->accept_bans[i]->rule);
    int rc = hs_kdrop_set_denied(eh->deny_addr, eh->ndeny_addr);
    if (rc != 0)
        hs_log_errno(HS_LOG_WARN, -rc, "deny_addr_mode kernel: some deny_addr blocks are not in the kernel's map "
                                       "(they drop at accept)");
    k->active = true;
    if (eh->naccept_bans)
        hs_edge_ban_changed = on_ban_changed;
}

/* A listener whose clients' addresses come in a PROXY header: the TCP peer
 * is the proxy, not the client; the kernel must not judge it. */
static bool judged_in_kernel(const hs_config *conf, int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0 || (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
        return false;
    int port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                             : ((struct sockaddr_in6 *)&ss)->sin6_port);
    for (size_t i = 0; i < conf->http->ngroups; i++) {
        const hs_listen_conf *lc = conf->http->groups[i].listen;
        if (lc->proxy_protocol && lc->port == port && lc->addr.ss_family == ss.ss_family)
            return false;
    }
    return true;
}

static void kdrop_master_sockets(hs_config *conf, const int *fds, size_t n)
{
    prepare(conf);
    kd_conf *k = conf_of(conf);
    int prog = hs_kdrop_prog_fd();
    for (size_t i = 0; conf->http && i < n; i++) {
        if (k && k->active && judged_in_kernel(conf, fds[i])) {
            if (setsockopt(fds[i], SOL_SOCKET, SO_ATTACH_BPF, &prog, sizeof(prog)) != 0)
                hs_log_errno(HS_LOG_WARN, errno, "deny_addr_mode kernel: setsockopt(SO_ATTACH_BPF) failed");
        } else { /* a socket kept from a generation (or a binary) that filtered */
            int zero = 0;
            setsockopt(fds[i], SOL_SOCKET, SO_DETACH_BPF, &zero, sizeof(zero)); /* ENOENT: had none */
        }
    }
}

/* ---- workers ---- */

/* A ban started, was applied from the fleet, or was lifted (until_ms 0). */
static void on_ban_changed(hs_edge_zone *z, hs_str key, uint64_t until_ms)
{
    static bool warned;
    int slot = slot_of(z->rule, false);
    if (slot < 0 || (key.n != 4 && key.n != 16))
        return;
    int rc;
    if (until_ms == 0)
        rc = hs_kdrop_unban((const uint8_t *)key.p, key.n);
    else if (until_ms > hs_now.msec)
        rc = hs_kdrop_ban((const uint8_t *)key.p, key.n, until_ms - hs_now.msec, (uint32_t)slot);
    else
        return;
    if (rc != 0 && rc != -ENOENT && !warned) {
        warned = true;
        hs_log_errno(HS_LOG_WARN, -rc, "deny_addr_mode kernel: a ban cannot go into the kernel's map; "
                                       "banned addresses drop at accept");
    }
}

static void render_kernel_drops(hs_expo *e)
{
    hs_expo_head(e, "hush_kernel_drops_total", "counter",
                 "Connection attempts (SYNs) dropped in the kernel (deny_addr_mode kernel), by rule.");
    for (uint32_t i = 0; i < nslots; i++) {
        const char *labels[] = {"rule", slots[i], NULL};
        hs_expo_u64(e, "hush_kernel_drops_total", labels, hs_kdrop_drops(i));
    }
}

/* The metrics page's other families (the cache's), then ours. */
static void (*render_before)(hs_expo *e);

static void render_all(hs_expo *e)
{
    if (render_before)
        render_before(e);
    render_kernel_drops(e);
}

static void kdrop_worker_start(const hs_config *conf)
{
    kd_conf *k = conf_of(conf);
    if (k && k->active && hs_stats_more_fn != render_all) {
        render_before = hs_stats_more_fn;
        hs_stats_more_fn = render_all;
    }
}

hs_module hs_kdrop_module = {
    .name = "kdrop",
    .directives = {kdrop_directives},
    .http_finish = kdrop_http_finish,
    .master_sockets = kdrop_master_sockets,
    .worker_start = kdrop_worker_start,
};
