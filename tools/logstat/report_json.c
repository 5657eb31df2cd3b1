/* The --json report: the same sections as the text report, with stable
 * names, raw counts and shares as fractions, for scripts and dashboards. */
#include "report.h"

#include <math.h>

#include "jsonw.h"
#include "timeparse.h"

#ifndef LS_VERSION
#define LS_VERSION "0.1"
#endif

static void summary(ls_jw *w, const ls_report *rp)
{
    const ls_stats *st = rp->st;
    ls_jw_cstr(w, "tool", "hush-logstat");
    ls_jw_cstr(w, "version", LS_VERSION);
    ls_jw_arr(w, "files");
    for (size_t i = 0; i < rp->nfiles; i++)
        ls_jw_cstr(w, NULL, rp->files[i]);
    ls_jw_end(w, ']');
    ls_jw_obj(w, "lines");
    ls_jw_u64(w, "total", st->lines);
    ls_jw_u64(w, "parsed", st->parsed);
    ls_jw_u64(w, "malformed", st->malformed);
    ls_jw_u64(w, "connection_log", st->conn_lines);
    ls_jw_u64(w, "connection_log_with_requests", st->conn_skipped);
    ls_jw_arr(w, "malformed_examples");
    for (size_t i = 0; i < st->nexamples; i++) {
        ls_jw_obj(w, NULL);
        ls_jw_cstr(w, "file", st->examples[i].file);
        ls_jw_u64(w, "line", st->examples[i].line);
        ls_jw_cstr(w, "text", st->examples[i].text);
        ls_jw_end(w, '}');
    }
    ls_jw_end(w, ']');
    ls_jw_end(w, '}');
    ls_jw_obj(w, "formats");
    for (int f = 0; f < LS_FMT_COUNT; f++)
        ls_jw_u64(w, ls_fmt_names[f], st->formats[f]);
    ls_jw_end(w, '}');
}

static void time_span(ls_jw *w, const ls_report *rp)
{
    const ls_stats *st = rp->st;
    ls_jw_obj(w, "time");
    if (st->t_first != LS_TIME_NONE) {
        char a[32], b[32];
        ls_time_format(st->t_first, st->tz, true, a);
        ls_time_format(st->t_last, st->tz, true, b);
        ls_jw_cstr(w, "first", a);
        ls_jw_cstr(w, "last", b);
        ls_jw_i64(w, "span_seconds", st->t_last - st->t_first);
        ls_jw_i64(w, "bucket_seconds", st->series.width);
    }
    ls_jw_u64(w, "lines_without_time", st->no_time);
    ls_jw_end(w, '}');
}

static void ending(ls_jw *w, const ls_ending_info *in, uint64_t n, uint64_t total)
{
    ls_jw_obj(w, NULL);
    ls_jw_cstr(w, "ending", in->id);
    if (in->status)
        ls_jw_u64(w, "status", (uint64_t)in->status);
    ls_jw_u64(w, "count", n);
    ls_jw_num(w, "share", ls_share(n, total), false);
    ls_jw_cstr(w, "meaning", in->meaning);
    ls_jw_end(w, '}');
}

static void endings(ls_jw *w, const ls_report *rp)
{
    const ls_stats *st = rp->st;
    ls_jw_arr(w, "endings");
    for (int c = 0; c < LS_CLASS_COUNT; c++)
        ending(w, &ls_class_info[c], rp->classes[c], st->parsed);
    for (int k = LS_SPECIAL_FIRST; k <= LS_SPECIAL_LAST; k++)
        ending(w, ls_kind_info((ls_kind)k), st->kinds[k], st->parsed);
    ls_jw_end(w, ']');
    ls_jw_obj(w, "status");
    char code[16];
    for (int s = 1; s < 600; s++)
        if (st->status[s]) {
            snprintf(code, sizeof(code), "%d", s);
            ls_jw_u64(w, code, st->status[s]);
        }
    if (st->status[0])
        ls_jw_u64(w, "other", st->status[0]);
    if (st->no_status)
        ls_jw_u64(w, "none", st->no_status);
    ls_jw_end(w, '}');
    ls_jw_obj(w, "protocols"); /* from $request: how many came over HTTP/2 */
    for (int i = 0; i < LS_PROTO_COUNT; i++)
        if (st->protocols[i])
            ls_jw_u64(w, ls_proto_names[i], st->protocols[i]);
    ls_jw_end(w, '}');
    if (st->protocols[LS_PROTO_20]) /* 499 over HTTP/2: streams the client reset */
        ls_jw_u64(w, "http2_client_resets", st->h2_aborts);
    if (!rp->have_close_reason)
        return;
    ls_jw_obj(w, "close_reasons");
    for (int i = 0; i < LS_CR_COUNT; i++)
        if (st->close_reasons[i])
            ls_jw_u64(w, ls_close_reason_name(i), st->close_reasons[i]);
    ls_jw_end(w, '}');
}

static void key_list(ls_jw *w, const char *name, const ls_tk_entry *const *e, size_t n, int by,
                     uint64_t total)
{
    ls_jw_arr(w, name);
    for (size_t i = 0; i < n; i++) {
        ls_jw_obj(w, NULL);
        ls_jw_str(w, "key", e[i]->key, e[i]->keylen);
        ls_jw_u64(w, "count", e[i]->c[by]);
        ls_jw_num(w, "share", ls_share(e[i]->c[by], total), false);
        ls_jw_end(w, '}');
    }
    ls_jw_end(w, ']');
}

static void dropped(ls_jw *w, const ls_report *rp)
{
    uint64_t n = rp->st->kinds[LS_K_DROP];
    ls_jw_obj(w, "dropped");
    ls_jw_u64(w, "total", n);
    key_list(w, "sources", rp->drop_src, rp->n_drop_src, LS_SRC_444, n);
    key_list(w, "hosts", rp->drop_hosts, rp->n_drop_hosts, 0, n);
    key_list(w, "user_agents", rp->drop_uas, rp->n_drop_uas, 0, n);
    key_list(w, "requests", rp->drop_requests, rp->n_drop_requests, 0, n);
    key_list(w, "rules", rp->drop_rules, rp->n_drop_rules, 0, n);
    ls_jw_end(w, '}');
}

static void loc_list(ls_jw *w, const char *name, const ls_loc_row *rows, size_t n)
{
    ls_jw_arr(w, name);
    for (size_t i = 0; i < n; i++) {
        const ls_loc_row *r = &rows[i];
        ls_jw_obj(w, NULL);
        ls_jw_str(w, "location", r->e->key, r->e->keylen);
        ls_jw_u64(w, "requests", r->e->c[LS_LOC_REQ]);
        ls_jw_u64(w, "aborts", r->e->c[LS_LOC_499]);
        ls_jw_num(w, "rate", r->rate, false);
        ls_jw_num(w, "p50", r->p50, true);
        ls_jw_num(w, "p90", r->p90, true);
        ls_jw_num(w, "p99", r->p99, true);
        ls_jw_num(w, "abort_wait_p50", r->abort_p50, true);
        ls_jw_end(w, '}');
    }
    ls_jw_end(w, ']');
}

static void latency(ls_jw *w, const char *name, const ls_hist *h)
{
    ls_jw_obj(w, name);
    ls_jw_u64(w, "count", h->n);
    ls_jw_num(w, "p50", ls_hist_quantile(h, 0.5), true);
    ls_jw_num(w, "p90", ls_hist_quantile(h, 0.9), true);
    ls_jw_num(w, "p99", ls_hist_quantile(h, 0.99), true);
    ls_jw_num(w, "max", h->n ? h->max : -1, true);
    ls_jw_end(w, '}');
}

static void gives_up(ls_jw *w, const ls_report *rp)
{
    ls_jw_obj(w, "aborts");
    ls_jw_u64(w, "total", rp->st->kinds[LS_K_ABORT]);
    ls_jw_u64(w, "min_requests_for_rate", rp->o.min_requests);
    loc_list(w, "by_count", rp->by_count, rp->n_by_count);
    loc_list(w, "by_rate", rp->by_rate, rp->n_by_rate);
    ls_jw_end(w, '}');
    ls_jw_obj(w, "latency");
    latency(w, "request_time", &rp->st->lat_all);
    latency(w, "abort_wait", &rp->st->lat_abort);
    latency(w, "upstream_response_time", &rp->st->lat_upstream);
    ls_jw_end(w, '}');
}

static void spikes(ls_jw *w, const ls_report *rp)
{
    ls_jw_arr(w, "spikes");
    for (size_t i = 0; i < rp->n_spikes; i++) {
        const ls_spike *s = &rp->spikes[i];
        char ts[32];
        ls_time_format(s->start, rp->st->tz, true, ts);
        ls_jw_obj(w, NULL);
        ls_jw_cstr(w, "start", ts);
        ls_jw_i64(w, "seconds", s->seconds);
        ls_jw_cstr(w, "ending", s->kind == LS_K_DROP ? "drop" : "client_abort");
        ls_jw_u64(w, "requests", s->requests);
        ls_jw_u64(w, "count", s->count);
        ls_jw_num(w, "rate", s->rate, false);
        ls_jw_num(w, "baseline", s->baseline, false);
        ls_jw_num(w, "p_value", pow(10, s->log10_p), false);
        ls_jw_num(w, "log10_p", s->log10_p, false);
        ls_jw_num(w, "significance", rp->o.spike_alpha, false);
        ls_jw_u64(w, "tests", s->tested);
        ls_jw_end(w, '}');
    }
    ls_jw_end(w, ']');
}

static void time_or_null(ls_jw *w, const char *key, int64_t t, int tz)
{
    char ts[32];
    if (!t) {
        ls_jw_num(w, key, -1, true);
        return;
    }
    ls_time_format(t, tz, true, ts);
    ls_jw_cstr(w, key, ts);
}

static void offender_sources(ls_jw *w, const ls_report *rp)
{
    ls_jw_arr(w, "sources");
    for (size_t i = 0; i < rp->n_offenders; i++) {
        const ls_offender *o = &rp->offenders[i];
        const ls_tk_entry *e = o->e;
        ls_jw_obj(w, NULL);
        ls_jw_str(w, "source", e->key, e->keylen);
        ls_jw_u64(w, "requests", e->c[LS_SRC_REQ]);
        ls_jw_u64(w, "bad", e->c[LS_SRC_BAD]);
        ls_jw_num(w, "bad_share", o->share, false);
        ls_jw_u64(w, "444", e->c[LS_SRC_444]);
        ls_jw_u64(w, "400", e->c[LS_SRC_400]);
        ls_jw_u64(w, "408", e->c[LS_SRC_408]);
        time_or_null(w, "first_seen", e->t_first, rp->st->tz);
        time_or_null(w, "last_seen", e->t_last, rp->st->tz);
        ls_jw_bool(w, "partial", e->partial);
        ls_jw_bool(w, "suggested", o->suggested);
        ls_jw_cstr(w, "why", o->why);
        ls_jw_end(w, '}');
    }
    ls_jw_end(w, ']');
}

static void offenders(ls_jw *w, const ls_report *rp)
{
    ls_jw_obj(w, "offenders");
    ls_jw_u64(w, "threshold", rp->o.offender_min);
    ls_jw_num(w, "min_share", rp->o.offender_share, false);
    ls_jw_u64(w, "group_min", rp->o.group_min);
    offender_sources(w, rp);
    ls_jw_arr(w, "deny");
    for (size_t i = 0; i < rp->n_deny; i++) {
        const ls_deny *d = &rp->deny[i];
        ls_jw_obj(w, NULL);
        ls_jw_cstr(w, "addr", d->addr);
        ls_jw_u64(w, "addresses", d->addresses);
        ls_jw_u64(w, "requests", d->requests);
        ls_jw_u64(w, "bad", d->bad);
        ls_jw_num(w, "bad_share", d->share, false);
        ls_jw_cstr(w, "why", d->why);
        ls_jw_end(w, '}');
    }
    ls_jw_end(w, ']');
    ls_jw_arr(w, "suggested_config");
    for (size_t i = 0; i < rp->n_suggest; i++)
        ls_jw_cstr(w, NULL, rp->suggest[i]);
    ls_jw_end(w, ']');
    ls_jw_end(w, '}');
}

static void probes(ls_jw *w, const ls_report *rp)
{
    ls_jw_arr(w, "probes");
    for (size_t i = 0; i < rp->n_probes; i++) {
        const ls_tk_entry *e = rp->probes[i].e;
        ls_jw_obj(w, NULL);
        ls_jw_str(w, "location", e->key, e->keylen);
        ls_jw_u64(w, "requests", e->c[LS_LOC_REQ]);
        ls_jw_u64(w, "not_found", e->c[LS_LOC_404]);
        ls_jw_u64(w, "dropped", e->c[LS_LOC_444]);
        ls_jw_num(w, "dropped_share", ls_share(e->c[LS_LOC_444], e->c[LS_LOC_REQ]), false);
        ls_jw_end(w, '}');
    }
    ls_jw_end(w, ']');
}

static void percentiles(ls_jw *w, double p50, double p90, double p99)
{
    ls_jw_num(w, "p50", p50, true);
    ls_jw_num(w, "p90", p90, true);
    ls_jw_num(w, "p99", p99, true);
}

static void errors(ls_jw *w, const ls_report *rp)
{
    ls_jw_arr(w, "server_errors");
    for (size_t i = 0; i < rp->n_errors; i++) {
        const ls_loc_row *r = &rp->errors[i];
        ls_jw_obj(w, NULL);
        ls_jw_str(w, "location", r->e->key, r->e->keylen);
        ls_jw_u64(w, "requests", r->e->c[LS_LOC_REQ]);
        ls_jw_u64(w, "5xx", r->e->c[LS_LOC_5XX]);
        ls_jw_u64(w, "499", r->e->c[LS_LOC_499]);
        ls_jw_num(w, "rate", ls_share(r->e->c[LS_LOC_5XX] + r->e->c[LS_LOC_499], r->e->c[LS_LOC_REQ]), false);
        percentiles(w, r->p50, r->p90, r->p99);
        ls_jw_end(w, '}');
    }
    ls_jw_end(w, ']');
    ls_jw_arr(w, "upstreams");
    for (size_t i = 0; i < rp->n_upstreams; i++) {
        const ls_up_row *u = &rp->upstreams[i];
        ls_jw_obj(w, NULL);
        ls_jw_str(w, "upstream", u->e->key, u->e->keylen);
        ls_jw_u64(w, "requests", u->e->c[LS_UP_REQ]);
        ls_jw_u64(w, "5xx", u->e->c[LS_UP_5XX]);
        ls_jw_u64(w, "499", u->e->c[LS_UP_499]);
        ls_jw_num(w, "rate", ls_share(u->e->c[LS_UP_5XX] + u->e->c[LS_UP_499], u->e->c[LS_UP_REQ]), false);
        percentiles(w, u->p50, u->p90, u->p99);
        ls_jw_end(w, '}');
    }
    ls_jw_end(w, ']');
}

static const char *const kind_ids[LS_K_COUNT] = {"ok", "4xx", "5xx", "drop", "client_abort", "timeout",
                                                 "bad_request", "bare_connection", "none"};

/* Endings by hour of the day (the hours with lines). */
static void hours(ls_jw *w, const ls_report *rp)
{
    ls_jw_arr(w, "hours");
    for (int h = 0; h < 24; h++) {
        const uint64_t *c = rp->st->hours[h];
        uint64_t total = 0;
        for (int k = 0; k < LS_K_COUNT; k++)
            total += c[k];
        if (!total)
            continue;
        ls_jw_obj(w, NULL);
        ls_jw_i64(w, "hour", h);
        ls_jw_u64(w, "total", total);
        for (int k = 0; k < LS_K_COUNT; k++)
            ls_jw_u64(w, kind_ids[k], c[k]);
        ls_jw_end(w, '}');
    }
    ls_jw_end(w, ']');
}

/* What the caps folded away, so a reader knows which counts are exact. */
static void limits(ls_jw *w, const ls_report *rp)
{
    const ls_stats *st = rp->st;
    const struct {
        const char *name;
        const ls_topk *t;
    } tables[] = {{"sources", &st->sources},         {"drop_hosts", &st->drop_hosts},
                  {"drop_user_agents", &st->drop_uas}, {"drop_requests", &st->drop_requests},
                  {"drop_rules", &st->drop_rules},   {"locations", &st->locations},
                  {"upstreams", &st->upstreams}};
    ls_jw_obj(w, "others");
    for (size_t i = 0; i < HS_ARRAY_LEN(tables); i++) {
        ls_jw_obj(w, tables[i].name);
        ls_jw_u64(w, "keys_kept", tables[i].t->n);
        ls_jw_u64(w, "keys_folded", tables[i].t->others_keys);
        ls_jw_u64(w, "count_folded", tables[i].t->others[tables[i].t == &st->sources ? LS_SRC_REQ : 0]);
        ls_jw_end(w, '}');
    }
    ls_jw_end(w, '}');
}

void ls_report_json(const ls_report *rp, FILE *out)
{
    ls_jw w;
    ls_jw_init(&w, out);
    ls_jw_obj(&w, NULL);
    summary(&w, rp);
    time_span(&w, rp);
    endings(&w, rp);
    dropped(&w, rp);
    gives_up(&w, rp);
    spikes(&w, rp);
    offenders(&w, rp);
    probes(&w, rp);
    errors(&w, rp);
    hours(&w, rp);
    limits(&w, rp);
    ls_jw_end(&w, '}');
}
