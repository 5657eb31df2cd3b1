/* Directives of the metrics module:
 *   stub_status;                                   location: nginx's status page
 *   metrics;                                       location: Prometheus text
 *   abort_alert_ratio off | RATIO [min=N];         http: 499 spikes per location
 *   drop_alert_ratio off | RATIO [min=N];          http: 444 spikes per rule */
#include <stdlib.h>

#include "core/units.h"
#include "stats/stats.h"

static int set_handler(hs_cf *cf, const hs_conf_node *n, const hs_handler *h)
{
    hs_loc_conf *lc = cf->level[HS_LEVEL_LOC];
    if (lc->handler != NULL)
        return hs_cf_error(cf, n, "\"%s\" directive is duplicate or conflicts with another handler",
                           n->args[0].p);
    lc->handler = h;
    return HS_OK;
}

static int stub_status_directive(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    /* nginx before 1.7.5 took "stub_status on;": still accepted */
    if (n->nargs == 2 && !hs_str_eq_lit(n->args[1], "on"))
        return hs_cf_error(cf, n, "invalid parameter \"%s\" in \"stub_status\"", n->args[1].p);
    return set_handler(cf, n, &hs_stats_stub_status_handler);
}

static int metrics_directive(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    return set_handler(cf, n, &hs_stats_metrics_handler);
}

static hs_stats_conf *stats_conf(hs_cf *cf)
{
    hs_http_conf *http = cf->level[HS_LEVEL_HTTP];
    hs_stats_conf **slot = (hs_stats_conf **)&HS_MOD_SLOT(http->mod, &hs_stats_module);
    if (*slot == NULL) {
        *slot = hs_pcalloc(cf->pool, sizeof(hs_stats_conf));
        if (*slot == NULL)
            return NULL;
        hs_stats_conf_defaults(*slot);
    }
    return *slot;
}

void hs_stats_conf_defaults(hs_stats_conf *sc)
{
    sc->abort_ratio = HS_STATS_DEFAULT_RATIO;
    sc->abort_min = HS_STATS_DEFAULT_ABORT_MIN;
    sc->drop_ratio = HS_STATS_DEFAULT_RATIO;
    sc->drop_min = HS_STATS_DEFAULT_DROP_MIN;
}

/* "off" or a ratio > 1, then an optional min=N (events per minute). */
static int alert_ratio(hs_cf *cf, const hs_conf_node *n, double *ratio, int64_t *min)
{
    if (n->nargs == 2 && hs_str_eq_lit(n->args[1], "off")) {
        *ratio = 0;
        return HS_OK;
    }
    char *end;
    double r = strtod(n->args[1].p, &end);
    if (end == n->args[1].p || *end != '\0' || !(r > 1.0) || r > 1e6)
        return hs_cf_error(cf, n, "invalid ratio \"%s\" in \"%s\": a number above 1, or off", n->args[1].p,
                           n->args[0].p);
    *ratio = r;
    for (size_t i = 2; i < n->nargs; i++) {
        hs_str a = n->args[i];
        int64_t v = -1;
        if (a.n > 4 && memcmp(a.p, "min=", 4) == 0)
            v = hs_parse_int((hs_str){a.p + 4, a.n - 4});
        if (v < 1)
            return hs_cf_error(cf, n, "invalid parameter \"%s\" in \"%s\"", a.p, n->args[0].p);
        *min = v;
    }
    return HS_OK;
}

static int abort_alert_ratio(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    hs_stats_conf *sc = stats_conf(cf);
    return sc ? alert_ratio(cf, n, &sc->abort_ratio, &sc->abort_min) : HS_ERROR;
}

static int drop_alert_ratio(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    hs_stats_conf *sc = stats_conf(cf);
    return sc ? alert_ratio(cf, n, &sc->drop_ratio, &sc->drop_min) : HS_ERROR;
}

const hs_directive hs_stats_directives[] = {
    {"stub_status", HS_CTX_LOCATION | HS_CTX_SERVER, HS_ARGS_0 | HS_ARGS_1, stub_status_directive, HS_LEVEL_NONE, 0,
     NULL},
    {"metrics", HS_CTX_LOCATION | HS_CTX_SERVER, HS_ARGS_0, metrics_directive, HS_LEVEL_NONE, 0, NULL},
    {"abort_alert_ratio", HS_CTX_HTTP, HS_ARGS_12, abort_alert_ratio, HS_LEVEL_NONE, 0, NULL},
    {"drop_alert_ratio", HS_CTX_HTTP, HS_ARGS_12, drop_alert_ratio, HS_LEVEL_NONE, 0, NULL},
    {NULL, 0, 0, NULL, 0, 0, NULL},
};

/* Every request is counted: the log hook is always there (unless the
 * metrics are compiled out). */
static int http_finish(hs_cf *cf, hs_http_conf *http)
{
#ifndef HS_NO_METRICS
    return hs_http_add_phase(cf, http, HS_PHASE_LOG, hs_stats_log_request);
#else
    (void)cf;
    (void)http;
    return HS_OK;
#endif
}

hs_module hs_stats_module = {
    .name = "stats",
    .directives = {hs_stats_directives},
    .variables = hs_stats_variables,
    .http_finish = http_finish,
    .master_init = hs_stats_master_init,
    .worker_exited = hs_stats_worker_exited,
    .worker_start = hs_stats_worker_start,
};
