/* The list of modules. Adding a feature adds one line here; nothing else
 * outside the feature's folder names it. The order is the order in which
 * the hooks of one kind run (for the log phase: metrics, then the access
 * log, then the edge's ban counting). */
#include "modules.h"

#include "auth/auth.h"
#include "cache/cache.h"
#include "config.h"
#include "edge/edge.h"
#include "fastcgi/fastcgi.h"
#include "gzip/gzip.h"
#include "headers/headers.h"
#include "h2/h2.h"
#include "kdrop/kdrop.h"
#include "http/http.h"
#include "proxy/proxy.h"
#include "realip/realip.h"
#include "request/request.h"
#include "rewrite/rewrite.h"
#include "log/log.h"
#include "static/static.h"
#include "stats/stats.h"
#include "sync/sync.h"
#include "tls/tls.h"

hs_module *const hs_modules[] = {
    &hs_main_module, &hs_http_module,  &hs_request_module, &hs_rewrite_module, &hs_static_module,
    &hs_stats_module, &hs_log_module,  &hs_tls_module,     &hs_proxy_module,   &hs_realip_module,
    &hs_fastcgi_module, &hs_cache_module, &hs_edge_module, &hs_kdrop_module, &hs_auth_module, &hs_headers_module, &hs_gzip_module, &hs_h2_module,
    &hs_sync_module, NULL,
};

int hs_worker_index;

void hs_modules_init(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    for (int i = 0; hs_modules[i]; i++) {
        hs_modules[i]->index = i;
        if (hs_modules[i]->variables)
            hs_vars_register(hs_modules[i]->variables);
    }
}

int hs_modules_master_init(hs_config *conf, hs_config *old, char *err, size_t errlen)
{
    for (hs_module *const *m = hs_modules; *m; m++)
        if ((*m)->master_init && (*m)->master_init(conf, old, err, errlen) != HS_OK)
            return HS_ERROR;
    return HS_OK;
}

void hs_modules_master_sockets(hs_config *conf, const int *fds, size_t n)
{
    for (hs_module *const *m = hs_modules; *m; m++)
        if ((*m)->master_sockets)
            (*m)->master_sockets(conf, fds, n);
}

void hs_modules_worker_exited(pid_t pid)
{
    for (hs_module *const *m = hs_modules; *m; m++)
        if ((*m)->worker_exited)
            (*m)->worker_exited(pid);
}

void hs_modules_worker_start(const hs_config *conf)
{
    for (hs_module *const *m = hs_modules; *m; m++)
        if ((*m)->worker_start)
            (*m)->worker_start(conf);
}

void hs_modules_worker_stop(void)
{
    for (hs_module *const *m = hs_modules; *m; m++)
        if ((*m)->worker_stop)
            (*m)->worker_stop();
}

void hs_modules_reopen(void)
{
    for (hs_module *const *m = hs_modules; *m; m++)
        if ((*m)->reopen)
            (*m)->reopen();
}
