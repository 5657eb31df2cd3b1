/* The `metrics;` and `stub_status;` handlers: a snapshot of every process's
 * counters, written as Prometheus text or as nginx's stub_status page. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http/http.h"
#include "stats/expo.h"
#include "stats/region.h"
#include "stats/stats.h"
#include "core/version.h"

static const char *const phase_names[HS_ABORT__COUNT] = {
    "waiting_upstream", "waiting_response", "sending_body", "reading_body",
};

/* ---- snapshot ---- */

typedef struct {
    hs_stats_counts c;
    hs_stats_gauges g;
    uint32_t nprocs;
    pid_t pids[HS_STATS_MAX_SLOTS];
} snapshot;

static snapshot *take_snapshot(void)
{
    snapshot *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    hs_stats_refresh_gauges(); /* this worker's states are current, not a second old */
    if (hs_stats_shm)
        hs_stats_snapshot(hs_stats_shm, &s->c, &s->g, &s->nprocs, s->pids, HS_STATS_MAX_SLOTS);
    else
        s->c = *hs_stats_cur;
    return s;
}

/* ---- process metrics from /proc ---- */

static uint64_t open_fds(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (d == NULL)
        return 0;
    uint64_t n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n > 0 ? n - 1 : 0; /* not counting the directory's own fd, when it is ours */
}

static uint64_t rss_bytes(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    unsigned long long size = 0, rss = 0;
    if (fscanf(f, "%llu %llu", &size, &rss) != 2)
        rss = 0;
    fclose(f);
    return rss * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* ---- Prometheus ---- */

static void render_requests(hs_expo *e, const snapshot *s, const hs_stats_region *g)
{
    hs_expo_head(e, "hush_requests_total", "counter",
                 "Requests by server and logged status ($status), including 444, 499, 408 and 400, logged or not.");
    uint32_t ns = g ? g->nservers : 1, nst = g ? g->nstatus : 1;
    for (uint32_t si = 0; si < ns; si++) {
        for (uint32_t st = 0; st < nst; st++) {
            if (s->c.requests[si][st] == 0)
                continue;
            char code[16] = "other";
            if (g && st)
                snprintf(code, sizeof(code), "%u", g->status_codes[st]);
            const char *labels[] = {"server", g ? g->servers[si] : "", "status", code, NULL};
            hs_expo_u64(e, "hush_requests_total", labels, s->c.requests[si][st]);
        }
    }
    hs_expo_head(e, "hush_connection_endings_total", "counter",
                 "Every ending ($close_reason): of a request, or of a connection without one (no_request, keepalive_close).");
    for (int r = HS_END_OK; r < HS_END__COUNT; r++) {
        const char *labels[] = {"reason", hs_ending_name((hs_ending)r), NULL};
        hs_expo_u64(e, "hush_connection_endings_total", labels, s->c.endings[r]);
    }
}

/* One histogram series per server (those that have observations). */
static void render_by_server(hs_expo *e, const char *name, const hs_stats_hist *h, const hs_stats_region *g)
{
    uint32_t ns = g ? g->nservers : 1;
    for (uint32_t si = 0; si < ns; si++) {
        if (!memcmp(&h[si], &(hs_stats_hist){0}, sizeof(hs_stats_hist)))
            continue;
        const char *labels[] = {"server", g ? g->servers[si] : "", NULL};
        hs_expo_hist(e, name, labels, &h[si]);
    }
}

static void render_histograms(hs_expo *e, const snapshot *s, const hs_stats_region *g)
{
    uint32_t ns = g ? g->nservers : 1;
    hs_expo_head(e, "hush_request_duration_seconds", "histogram", "Request time ($request_time) by server.");
    for (uint32_t si = 0; si < ns; si++) {
        if (!memcmp(&s->c.req_time[si], &(hs_stats_hist){0}, sizeof(hs_stats_hist)))
            continue;
        const char *labels[] = {"server", g ? g->servers[si] : "", NULL};
        hs_expo_hist(e, "hush_request_duration_seconds", labels, &s->c.req_time[si]);
    }
    hs_expo_head(e, "hush_upstream_response_seconds", "histogram",
                 "Response time of each upstream try ($upstream_response_time) by server.");
    for (uint32_t si = 0; si < ns; si++) {
        if (!memcmp(&s->c.up_time[si], &(hs_stats_hist){0}, sizeof(hs_stats_hist)))
            continue;
        const char *labels[] = {"server", g ? g->servers[si] : "", NULL};
        hs_expo_hist(e, "hush_upstream_response_seconds", labels, &s->c.up_time[si]);
    }
    hs_expo_head(e, "hush_fastcgi_response_seconds", "histogram",
                 "Response time of each FastCGI upstream try ($upstream_response_time) by server.");
    render_by_server(e, "hush_fastcgi_response_seconds", s->c.fcgi_time, g);
}

static void render_aborts(hs_expo *e, const snapshot *s, const hs_stats_region *g)
{
    uint32_t nl = g ? g->nlocs : 1;
    hs_expo_head(e, "hush_client_aborts_total", "counter",
                 "Clients that left before their response was complete, by server, location and phase.");
    for (uint32_t li = 0; li < nl; li++) {
        for (int ph = 0; ph < HS_ABORT__COUNT; ph++) {
            if (s->c.aborts[li][ph] == 0)
                continue;
            const char *labels[] = {"server", g ? g->servers[g->locs[li].server] : "",
                                    "location", g ? g->locs[li].name : "", "phase", phase_names[ph], NULL};
            hs_expo_u64(e, "hush_client_aborts_total", labels, s->c.aborts[li][ph]);
        }
    }
    hs_expo_head(e, "hush_upstream_completed_after_abort_total", "counter",
                 "Upstream responses that completed after the client left (proxy_ignore_client_abort on).");
    for (uint32_t li = 0; li < nl; li++) {
        if (s->c.after_abort[li] == 0)
            continue;
        const char *labels[] = {"server", g ? g->servers[g->locs[li].server] : "",
                                "location", g ? g->locs[li].name : "", NULL};
        hs_expo_u64(e, "hush_upstream_completed_after_abort_total", labels, s->c.after_abort[li]);
    }
    hs_expo_head(e, "hush_abort_spike", "gauge",
                 "1 while the 499 rate of a location exceeds abort_alert_ratio times its baseline.");
    for (uint32_t li = 1; g && li < nl; li++) {
        if (!g->abort_spikes[li].seen)
            continue;
        const char *labels[] = {"server", g->servers[g->locs[li].server], "location", g->locs[li].name, NULL};
        hs_expo_u64(e, "hush_abort_spike", labels, g->abort_spikes[li].active);
    }
}

static void render_log_lost(hs_expo *e, const snapshot *s, const hs_stats_region *g)
{
    hs_expo_head(e, "hush_log_lines_lost_total", "counter",
                 "Log lines lost because a write failed (a full disk), by file.");
    for (uint32_t i = 0; i < (g ? g->nlogfiles : 1); i++) {
        if (s->c.log_lost[i] == 0)
            continue;
        const char *labels[] = {"file", g ? g->logfiles[i] : "", NULL};
        hs_expo_u64(e, "hush_log_lines_lost_total", labels, s->c.log_lost[i]);
    }
}

static void render_drops(hs_expo *e, const snapshot *s, const hs_stats_region *g)
{
    uint32_t nr = g ? g->nrules : 1, nz = g ? g->nzones : 1;
    hs_expo_head(e, "hush_drops_total", "counter", "Requests and connections dropped (444), by rule ($drop_rule).");
    for (uint32_t i = 0; i < nr; i++) {
        if (s->c.drops[i] == 0)
            continue;
        const char *labels[] = {"rule", g ? g->rules[i] : "", NULL};
        hs_expo_u64(e, "hush_drops_total", labels, s->c.drops[i]);
    }
    hs_expo_head(e, "hush_drop_spike", "gauge", "1 while the drops of a rule exceed drop_alert_ratio times their baseline.");
    for (uint32_t i = 1; g && i < nr; i++) {
        if (!g->drop_spikes[i].seen)
            continue;
        const char *labels[] = {"rule", g->rules[i], NULL};
        hs_expo_u64(e, "hush_drop_spike", labels, g->drop_spikes[i].active);
    }
    hs_expo_head(e, "hush_bans_total", "counter", "Bans started, by ban zone.");
    int64_t active = 0;
    for (uint32_t i = 0; i < nz; i++) {
        active += s->c.bans_active[i];
        if (s->c.bans[i] == 0)
            continue;
        const char *labels[] = {"zone", g ? g->zones[i] : "", NULL};
        hs_expo_u64(e, "hush_bans_total", labels, s->c.bans[i]);
    }
    /* bans end by time, not by an event: count them in the zones now */
    (void)active;
    hs_expo_head(e, "hush_bans_active", "gauge", "Addresses banned now.");
    hs_expo_i64(e, "hush_bans_active", NULL, hs_stats_bans_active_fn ? hs_stats_bans_active_fn() : 0);
}

/* Fleet sync (src/sync), when a zone is shared through Redis. */
static void render_sync(hs_expo *e, const snapshot *s)
{
    if (s->g.sync_links == 0 && s->c.sync_errors == 0 && s->c.sync_dropped == 0)
        return;
    hs_expo_head(e, "hush_sync_up", "gauge", "1 while every Redis connection of the fleet sync is up.");
    hs_expo_u64(e, "hush_sync_up", NULL, s->g.sync_links && s->g.sync_links_up == s->g.sync_links);
    hs_expo_head(e, "hush_sync_errors_total", "counter", "Redis errors and lost connections of the fleet sync.");
    hs_expo_u64(e, "hush_sync_errors_total", NULL, s->c.sync_errors);
    hs_expo_head(e, "hush_sync_dropped_total", "counter",
                 "Sync messages dropped: the queue kept while Redis was down was full, or Redis lagged.");
    hs_expo_u64(e, "hush_sync_dropped_total", NULL, s->c.sync_dropped);
    hs_expo_head(e, "hush_sync_lag_seconds", "gauge", "Delay of this instance's last heartbeat through Redis.");
    hs_expo_double(e, "hush_sync_lag_seconds", NULL, s->g.sync_lag_ms / 1000.0);
}

static void render_connections(hs_expo *e, const snapshot *s)
{
    hs_expo_head(e, "hush_connections", "gauge", "Open client connections by state.");
    const char *states[] = {"reading", "writing", "waiting", "tarpit"};
    uint32_t values[] = {s->g.reading, s->g.writing, s->g.waiting, s->g.tarpit};
    for (int i = 0; i < 4; i++) {
        const char *labels[] = {"state", states[i], NULL};
        hs_expo_u64(e, "hush_connections", labels, values[i]);
    }
    hs_expo_head(e, "hush_connections_accepted_total", "counter", "Connections accepted.");
    hs_expo_u64(e, "hush_connections_accepted_total", NULL, s->c.accepted);
    hs_expo_head(e, "hush_connections_handled_total", "counter",
                 "Connections accepted and served (not refused, not dropped at accept).");
    hs_expo_u64(e, "hush_connections_handled_total", NULL, s->c.handled);
    hs_expo_head(e, "hush_connections_refused_total", "counter",
                 "Connections reset at once: worker_connections reached or out of file descriptors.");
    hs_expo_u64(e, "hush_connections_refused_total", NULL, s->c.refused);
    hs_expo_head(e, "hush_connections_dropped_total", "counter", "Connections dropped by a rule, by phase.");
    const char *accept[] = {"phase", "accept", NULL}, *request[] = {"phase", "request", NULL};
    hs_expo_u64(e, "hush_connections_dropped_total", accept, s->c.dropped_accept);
    hs_expo_u64(e, "hush_connections_dropped_total", request, s->c.dropped_request);
}

static void render_tls(hs_expo *e, const snapshot *s)
{
    static const char *const results[HS_TLS__COUNT] = {"ok", "resumed", "rejected", "failed", "timeout"};
    hs_expo_head(e, "hush_tls_handshakes_total", "counter",
                 "TLS handshakes by how they ended (rejected: ssl_reject_handshake or a ClientHello rule).");
    for (int i = 0; i < HS_TLS__COUNT; i++) {
        const char *labels[] = {"result", results[i], NULL};
        hs_expo_u64(e, "hush_tls_handshakes_total", labels, s->c.tls_handshakes[i]);
    }
    hs_expo_head(e, "hush_tls_handshake_seconds", "histogram", "Duration of completed TLS handshakes.");
    hs_expo_hist(e, "hush_tls_handshake_seconds", NULL, &s->c.tls_handshake_time);
    hs_expo_head(e, "hush_http2_connections_total", "counter", "Connections that spoke HTTP/2 (h2 or h2c).");
    hs_expo_u64(e, "hush_http2_connections_total", NULL, s->c.http2[HS_H2_CONNECTIONS]);
    hs_expo_head(e, "hush_http2_streams_total", "counter", "HTTP/2 streams that became requests.");
    hs_expo_u64(e, "hush_http2_streams_total", NULL, s->c.http2[HS_H2_STREAMS]);
    hs_expo_head(e, "hush_http2_client_resets_total", "counter", "HTTP/2 streams the client reset (RST_STREAM).");
    hs_expo_u64(e, "hush_http2_client_resets_total", NULL, s->c.http2[HS_H2_RESETS]);
}

static void render_process(hs_expo *e, const snapshot *s, const hs_stats_region *g)
{
    uint64_t fds = 0, rss = 0;
    pid_t master = g ? g->master_pid : getppid();
    fds += open_fds(master);
    rss += rss_bytes(master);
    for (uint32_t i = 0; i < s->nprocs && i < HS_STATS_MAX_SLOTS; i++) {
        fds += open_fds(s->pids[i]);
        rss += rss_bytes(s->pids[i]);
    }
    const char *version[] = {"version", HS_VERSION, NULL};
    hs_expo_head(e, "hush_build_info", "gauge", "The running version.");
    hs_expo_u64(e, "hush_build_info", version, 1);
    hs_expo_head(e, "hush_process_start_time_seconds", "gauge", "When the master process started (Unix time).");
    hs_expo_u64(e, "hush_process_start_time_seconds", NULL, g ? g->start_sec : 0);
    hs_expo_head(e, "hush_reloads_total", "counter", "Configuration reloads that succeeded.");
    hs_expo_u64(e, "hush_reloads_total", NULL, g ? __atomic_load_n(&g->reloads, __ATOMIC_RELAXED) : 0);
    hs_expo_head(e, "hush_workers", "gauge", "Worker processes alive (old generations still finishing included).");
    hs_expo_u64(e, "hush_workers", NULL, s->nprocs);
    hs_expo_head(e, "hush_process_open_fds", "gauge", "Open file descriptors of the master and its workers.");
    hs_expo_u64(e, "hush_process_open_fds", NULL, fds);
    hs_expo_head(e, "hush_process_resident_memory_bytes", "gauge", "Resident memory of the master and its workers.");
    hs_expo_u64(e, "hush_process_resident_memory_bytes", NULL, rss);
}

/* ---- handlers ---- */

static bool method_ok(hs_req *r)
{
    if (r->h.method_id == HS_METHOD_GET || r->h.method_id == HS_METHOD_HEAD)
        return true;
    hs_http_finalize(r, 405);
    return false;
}

static void send_text(hs_req *r, const char *text, size_t n, const char *type)
{
    char *body = hs_palloc(r->pool, n ? n : 1);
    if (body == NULL) {
        hs_http_finalize(r, 500);
        return;
    }
    memcpy(body, text, n);
    hs_http_error_response(r, 200);
    r->resp.body = (hs_str){body, n};
    r->resp.content_length = (int64_t)n;
    r->resp.content_type = hs_cstr(type);
    if (hs_fields_add(r->pool, &r->resp.headers, HS_STR("Cache-Control"), HS_STR("no-cache")) != HS_OK) {
        hs_http_finalize(r, 500);
        return;
    }
    hs_http_send_response(r);
}

void (*hs_stats_more_fn)(hs_expo *e);

static void metrics_run(hs_req *r)
{
    if (!method_ok(r))
        return;
    snapshot *s = take_snapshot();
    if (s == NULL) {
        hs_http_finalize(r, 500);
        return;
    }
    hs_expo e = {0};
    const hs_stats_region *g = hs_stats_shm;
    render_requests(&e, s, g);
    render_histograms(&e, s, g);
    render_aborts(&e, s, g);
    render_drops(&e, s, g);
    render_sync(&e, s);
    render_connections(&e, s);
    render_tls(&e, s);
    render_log_lost(&e, s, g);
    render_process(&e, s, g);
    if (hs_stats_more_fn)
        hs_stats_more_fn(&e);
    free(s);
    if (e.oom)
        hs_http_finalize(r, 500);
    else
        send_text(r, e.p, e.len, HS_EXPO_CONTENT_TYPE);
    hs_expo_free(&e);
}

/* nginx's page, byte for byte, so that its scrapers read hush's. */
static void stub_status_run(hs_req *r)
{
    if (!method_ok(r))
        return;
    snapshot *s = take_snapshot();
    if (s == NULL) {
        hs_http_finalize(r, 500);
        return;
    }
    const hs_stats_gauges *gg = &s->g;
    char text[512];
    int n = snprintf(text, sizeof(text),
                     "Active connections: %u \nserver accepts handled requests\n %llu %llu %llu \n"
                     "Reading: %u Writing: %u Waiting: %u \n",
                     gg->reading + gg->writing + gg->waiting + gg->tarpit, (unsigned long long)s->c.accepted,
                     (unsigned long long)s->c.handled,
                     (unsigned long long)(s->c.requests_all + gg->requests), gg->reading, gg->writing,
                     gg->waiting);
    free(s);
    send_text(r, text, (size_t)n, "text/plain");
}

const hs_handler hs_stats_metrics_handler = {.name = "metrics", .run = metrics_run};
const hs_handler hs_stats_stub_status_handler = {.name = "stub_status", .run = stub_status_run};
