/* The terminal report: aligned columns, sections in the order an operator
 * asks the questions, colours only when writing to a terminal. */
#include "report.h"

#include <inttypes.h>

#include "out.h"
#include "timeparse.h"

typedef struct {
    FILE *out;
    bool color;
} tx;

#define KEY_W 44 /* columns for a key (address, path, user agent...) */

static void sgr(const tx *t, const char *code)
{
    if (t->color)
        fprintf(t->out, "\033[%sm", code);
}

static void heading(const tx *t, const char *title, const char *extra)
{
    fputc('\n', t->out);
    sgr(t, "1");
    fputs(title, t->out);
    sgr(t, "0");
    if (extra && *extra)
        fprintf(t->out, "  %s", extra);
    fputc('\n', t->out);
}

static void summary(const tx *t, const ls_report *rp)
{
    const ls_stats *st = rp->st;
    char a[32], b[32], c[32], p[16];
    fputs("hush-logstat:", t->out);
    for (size_t i = 0; i < rp->nfiles; i++)
        fprintf(t->out, " %s", strcmp(rp->files[i], "-") ? rp->files[i] : "(stdin)");
    fprintf(t->out, "\n  lines     %s   parsed %s   malformed %s (%s)\n", ls_fmt_count(st->lines, a),
            ls_fmt_count(st->parsed, b), ls_fmt_count(st->malformed, c),
            ls_fmt_pct(ls_share(st->malformed, st->lines), p));
    if (st->conn_lines)
        fprintf(t->out, "  connection log %s lines; %s of connections with requests, left to the access log\n",
                ls_fmt_count(st->conn_lines, a), ls_fmt_count(st->conn_skipped, b));
    fputs("  formats  ", t->out);
    for (int f = 0; f < LS_FMT_COUNT; f++)
        if (st->formats[f])
            fprintf(t->out, " %s %s", ls_fmt_names[f], ls_fmt_count(st->formats[f], a));
    fputc('\n', t->out);
    if (st->t_first == LS_TIME_NONE)
        return;
    char t0[32], t1[32], span[32];
    ls_time_format(st->t_first, st->tz, false, t0);
    ls_time_format(st->t_last, st->tz, false, t1);
    fprintf(t->out, "  time      %s .. %s (UTC%+03d:%02d), span %s\n", t0, t1, st->tz / 3600,
            (st->tz < 0 ? -st->tz : st->tz) / 60 % 60, ls_fmt_span(st->t_last - st->t_first, span));
}

static void ending_row(const tx *t, const ls_ending_info *info, uint64_t n, uint64_t total,
                       const char *color)
{
    char a[32], p[16];
    fprintf(t->out, "  %-18s ", info->label);
    if (n && color)
        sgr(t, color);
    fprintf(t->out, "%12s", ls_fmt_count(n, a));
    if (n && color)
        sgr(t, "0");
    fprintf(t->out, " %7s   ", ls_fmt_pct(ls_share(n, total), p));
    sgr(t, "2");
    fputs(info->meaning, t->out);
    sgr(t, "0");
    fputc('\n', t->out);
}

static void endings(const tx *t, const ls_report *rp)
{
    uint64_t total = rp->st->parsed;
    heading(t, "ENDINGS", "");
    fprintf(t->out, "  %-18s %12s %7s   %s\n", "", "count", "share", "meaning");
    for (int c = 0; c < LS_CLASS_COUNT; c++)
        if (c != LS_CLASS_1XX || rp->classes[c])
            ending_row(t, &ls_class_info[c], rp->classes[c], total, c == LS_CLASS_5XX ? "31" : NULL);
    static const char *const colors[LS_K_COUNT] = {[LS_K_DROP] = "35", [LS_K_ABORT] = "33",
                                                   [LS_K_TIMEOUT] = "33", [LS_K_BADREQ] = "31"};
    fputs("  of which\n", t->out);
    for (int k = LS_SPECIAL_FIRST; k <= LS_SPECIAL_LAST; k++)
        ending_row(t, ls_kind_info((ls_kind)k), rp->st->kinds[k], total, colors[k]);
    char a[32];
    if (rp->st->no_status)
        fprintf(t->out, "  %-18s %12s\n", "no $status", ls_fmt_count(rp->st->no_status, a));
    fputs("  protocols:", t->out); /* from $request */
    for (int i = 0; i < LS_PROTO_COUNT; i++)
        if (rp->st->protocols[i])
            fprintf(t->out, " %s %s", ls_proto_names[i], ls_fmt_count(rp->st->protocols[i], a));
    if (rp->st->h2_aborts)
        fprintf(t->out, " (HTTP/2 streams reset by the client: %s)", ls_fmt_count(rp->st->h2_aborts, a));
    fputs("\n", t->out);
}

static void close_reasons(const tx *t, const ls_report *rp)
{
    if (!rp->have_close_reason)
        return;
    const ls_stats *st = rp->st;
    uint64_t total = 0;
    for (int i = 0; i < LS_CR_COUNT; i++)
        total += st->close_reasons[i];
    heading(t, "CLOSE REASONS", "($close_reason)");
    for (int i = 0; i < LS_CR_COUNT; i++) {
        if (!st->close_reasons[i])
            continue;
        char a[32], p[16];
        fprintf(t->out, "  %-18s %12s %7s   ", ls_close_reason_name(i),
                ls_fmt_count(st->close_reasons[i], a), ls_fmt_pct(ls_share(st->close_reasons[i], total), p));
        sgr(t, "2");
        fputs(ls_close_reason_meaning(i), t->out);
        sgr(t, "0");
        fputc('\n', t->out);
    }
}

static void key_list(const tx *t, const char *title, const ls_tk_entry *const *e, size_t n,
                     int by, uint64_t total)
{
    if (!n)
        return;
    fprintf(t->out, "  %s\n", title);
    for (size_t i = 0; i < n; i++) {
        char a[32], p[16];
        fputs("    ", t->out);
        ls_term_str(t->out, e[i]->key, e[i]->keylen, KEY_W, true);
        fprintf(t->out, " %10s %7s\n", ls_fmt_count(e[i]->c[by], a), ls_fmt_pct(ls_share(e[i]->c[by], total), p));
    }
}

static void dropped(const tx *t, const ls_report *rp)
{
    uint64_t n = rp->st->kinds[LS_K_DROP];
    char a[32], extra[64];
    snprintf(extra, sizeof(extra), "%s drops", ls_fmt_count(n, a));
    heading(t, "WHO IS DROPPED (444)", extra);
    if (!n) {
        fputs("  no 444s in this log\n", t->out);
        return;
    }
    key_list(t, "sources", rp->drop_src, rp->n_drop_src, LS_SRC_444, n);
    key_list(t, "hosts", rp->drop_hosts, rp->n_drop_hosts, 0, n);
    key_list(t, "user agents", rp->drop_uas, rp->n_drop_uas, 0, n);
    key_list(t, "requests", rp->drop_requests, rp->n_drop_requests, 0, n);
    key_list(t, "rules ($drop_rule)", rp->drop_rules, rp->n_drop_rules, 0, n);
}

static void loc_rows(const tx *t, const char *title, const ls_loc_row *rows, size_t n)
{
    if (!n)
        return;
    fprintf(t->out, "  %-*s %10s %8s %7s %8s %8s %8s %9s\n", KEY_W + 2, title, "requests", "499",
            "rate", "p50", "p90", "p99", "499 wait");
    for (size_t i = 0; i < n; i++) {
        const ls_loc_row *r = &rows[i];
        char a[32], b[32], p[16], s1[16], s2[16], s3[16], s4[16];
        fputs("    ", t->out);
        ls_term_str(t->out, r->e->key, r->e->keylen, KEY_W, true);
        fprintf(t->out, " %10s %8s %7s %8s %8s %8s %9s\n", ls_fmt_count(r->e->c[LS_LOC_REQ], a),
                ls_fmt_count(r->e->c[LS_LOC_499], b), ls_fmt_pct(r->rate, p), ls_fmt_secs(r->p50, s1),
                ls_fmt_secs(r->p90, s2), ls_fmt_secs(r->p99, s3), ls_fmt_secs(r->abort_p50, s4));
    }
}

static void gives_up(const tx *t, const ls_report *rp)
{
    uint64_t n = rp->st->kinds[LS_K_ABORT];
    char a[32], extra[96], title[64];
    snprintf(extra, sizeof(extra), "%s client aborts", ls_fmt_count(n, a));
    heading(t, "WHO GIVES UP (499)", extra);
    if (!n) {
        fputs("  no 499s in this log\n", t->out);
        return;
    }
    loc_rows(t, "by count", rp->by_count, rp->n_by_count);
    snprintf(title, sizeof(title), "by rate (>= %" PRIu64 " requests)", rp->o.min_requests);
    loc_rows(t, title, rp->by_rate, rp->n_by_rate);
    if (!rp->have_request_time)
        fputs("  (no $request_time in this log: add it to the log_format to see latency)\n", t->out);
    else {
        char s1[16], s2[16];
        fprintf(t->out, "  all requests p50 %s p99 %s; 499s waited p50 %s\n",
                ls_fmt_secs(ls_hist_quantile(&rp->st->lat_all, 0.5), s1),
                ls_fmt_secs(ls_hist_quantile(&rp->st->lat_all, 0.99), s2),
                ls_fmt_secs(ls_hist_quantile(&rp->st->lat_abort, 0.5), a));
    }
}

static void spikes(const tx *t, const ls_report *rp)
{
    char extra[160];
    snprintf(extra, sizeof(extra),
             "(%" PRId64 "-minute buckets above the rate of the 30 before: p < %g / %zu tests, >= %" PRIu64 ")",
             rp->st->series.width / 60, rp->o.spike_alpha, rp->spike_tests,
             rp->o.spike_min);
    heading(t, "SPIKES", extra);
    if (!rp->n_spikes) {
        fputs("  no significant 444 or 499 spikes\n", t->out);
        return;
    }
    for (size_t i = 0; i < rp->n_spikes; i++) {
        const ls_spike *s = &rp->spikes[i];
        char ts[32], a[32], b[32], p[16], q[16], pv[24];
        ls_time_format(s->start, rp->st->tz, false, ts);
        ts[16] = '\0';
        fprintf(t->out, "  %s %4" PRId64 "m  %s %10s of %-10s %7s  baseline %-7s p=%s\n", ts, s->seconds / 60,
                s->kind == LS_K_DROP ? "444" : "499", ls_fmt_count(s->count, a),
                ls_fmt_count(s->requests, b), ls_fmt_pct(s->rate, p), ls_fmt_pct(s->baseline, q),
                ls_fmt_p(s->log10_p, pv));
    }
}

static void offender_row(const tx *t, const ls_report *rp, const ls_offender *o)
{
    const ls_tk_entry *e = o->e;
    char a[32], b[32], p[16], f[32], l[32];
    fputs("    ", t->out);
    ls_term_str(t->out, e->key, e->keylen, 39, true);
    ls_time_format(e->t_first, rp->st->tz, false, f);
    ls_time_format(e->t_last, rp->st->tz, false, l);
    if (!e->t_first)
        snprintf(f, sizeof(f), "-"), snprintf(l, sizeof(l), "-");
    fprintf(t->out, " %9s %8s %6s  %.16s  %.16s\n", ls_fmt_count(e->c[LS_SRC_REQ], a),
            ls_fmt_count(e->c[LS_SRC_BAD], b), ls_fmt_pct(o->share, p), f, l);
    fprintf(t->out, "      444 %" PRIu64 ", 400 %" PRIu64 ", 408 %" PRIu64 "; ", e->c[LS_SRC_444],
            e->c[LS_SRC_400], e->c[LS_SRC_408]);
    sgr(t, o->suggested ? "32" : "2");
    fputs(o->why, t->out);
    sgr(t, "0");
    fputc('\n', t->out);
}

static void offenders(const tx *t, const ls_report *rp)
{
    char extra[128];
    snprintf(extra, sizeof(extra), "(suggested at >= %" PRIu64 " of 444+400+408 and >= %.0f%% of requests)",
             rp->o.offender_min, 100 * rp->o.offender_share);
    heading(t, "REPEAT OFFENDERS", extra);
    if (!rp->n_offenders) {
        fputs("  none\n", t->out);
        return;
    }
    fprintf(t->out, "  %-41s %9s %8s %6s  %-16s  %-16s\n", "source", "requests", "bad", "bad%", "first seen",
            "last seen");
    for (size_t i = 0; i < rp->n_offenders; i++)
        offender_row(t, rp, &rp->offenders[i]);
    if (!rp->n_suggest) {
        fputs("  no suggestion: no source passes both thresholds\n", t->out);
        return;
    }
    fputs("  suggested hush config (http level):\n", t->out);
    for (size_t i = 0; i < rp->n_suggest; i++) {
        fputs("    ", t->out);
        sgr(t, "32");
        fputs(rp->suggest[i], t->out);
        sgr(t, "0");
        fputc('\n', t->out);
    }
    fputs("  why:\n", t->out);
    for (size_t i = 0; i < rp->n_deny; i++)
        fprintf(t->out, "    %-20s %s\n", rp->deny[i].addr, rp->deny[i].why);
}

static void probes(const tx *t, const ls_report *rp)
{
    char a[32], extra[64];
    snprintf(extra, sizeof(extra), "%s not found", ls_fmt_count(rp->st->status[404], a));
    heading(t, "PROBES (404 by location)", extra);
    if (!rp->n_probes) {
        fputs("  no 404s\n", t->out);
        return;
    }
    fprintf(t->out, "  %-*s %10s %8s %8s %8s\n", KEY_W + 2, "location", "requests", "404", "444", "dropped");
    for (size_t i = 0; i < rp->n_probes; i++) {
        const ls_tk_entry *e = rp->probes[i].e;
        char b[32], c[32], d[32], p[16];
        fputs("    ", t->out);
        ls_term_str(t->out, e->key, e->keylen, KEY_W, true);
        fprintf(t->out, " %10s %8s %8s %8s\n", ls_fmt_count(e->c[LS_LOC_REQ], b), ls_fmt_count(e->c[LS_LOC_404], c),
                ls_fmt_count(e->c[LS_LOC_444], d), ls_fmt_pct(ls_share(e->c[LS_LOC_444], e->c[LS_LOC_REQ]), p));
    }
}

static void error_row(const tx *t, const ls_tk_entry *e, uint64_t req, uint64_t x5, uint64_t x499,
                      const double *pc)
{
    char a[32], b[32], c[32], p[16], s1[16], s2[16], s3[16];
    fputs("    ", t->out);
    ls_term_str(t->out, e->key, e->keylen, KEY_W, true);
    fprintf(t->out, " %10s %8s %8s %7s %8s %8s %8s\n", ls_fmt_count(req, a), ls_fmt_count(x5, b),
            ls_fmt_count(x499, c), ls_fmt_pct(ls_share(x5 + x499, req), p), ls_fmt_secs(pc[0], s1),
            ls_fmt_secs(pc[1], s2), ls_fmt_secs(pc[2], s3));
}

static void error_head(const tx *t, const char *title)
{
    fprintf(t->out, "  %-*s %10s %8s %8s %7s %8s %8s %8s\n", KEY_W + 2, title, "requests", "5xx", "499", "rate",
            "p50", "p90", "p99");
}

static void errors(const tx *t, const ls_report *rp)
{
    char a[32], extra[64];
    snprintf(extra, sizeof(extra), "%s server errors", ls_fmt_count(rp->st->kinds[LS_K_5XX], a));
    heading(t, "5XX AND 499", extra);
    if (rp->n_errors) {
        error_head(t, "by location");
    }
    for (size_t i = 0; i < rp->n_errors; i++) {
        const ls_loc_row *r = &rp->errors[i];
        double pc[3] = {r->p50, r->p90, r->p99};
        error_row(t, r->e, r->e->c[LS_LOC_REQ], r->e->c[LS_LOC_5XX], r->e->c[LS_LOC_499], pc);
    }
    if (!rp->have_upstream) {
        fputs("  (no $upstream_addr in this log: add it to the log_format to see upstreams)\n", t->out);
        return;
    }
    error_head(t, "by upstream");
    for (size_t i = 0; i < rp->n_upstreams; i++) {
        const ls_up_row *u = &rp->upstreams[i];
        double pc[3] = {u->p50, u->p90, u->p99};
        error_row(t, u->e, u->e->c[LS_UP_REQ], u->e->c[LS_UP_5XX], u->e->c[LS_UP_499], pc);
    }
}

/* Endings by hour of the day, in each line's own UTC offset. */
static void hours(const tx *t, const ls_report *rp)
{
    static const ls_kind cols[] = {LS_K_OK, LS_K_4XX, LS_K_5XX, LS_K_DROP, LS_K_ABORT, LS_K_TIMEOUT,
                                   LS_K_BADREQ, LS_K_BARE};
    heading(t, "ENDINGS BY HOUR", "(hour of the day as logged)");
    fprintf(t->out, "  hour %10s %10s %9s %9s %9s %9s %9s %9s %9s\n", "lines", "1-3xx", "4xx", "5xx", "444",
            "499", "408", "400", "bare");
    for (int h = 0; h < 24; h++) {
        const uint64_t *c = rp->st->hours[h];
        uint64_t total = 0;
        for (int k = 0; k < LS_K_COUNT; k++)
            total += c[k];
        if (!total)
            continue;
        char a[32];
        fprintf(t->out, "  %02d   %10s", h, ls_fmt_count(total, a));
        for (size_t k = 0; k < HS_ARRAY_LEN(cols); k++)
            fprintf(t->out, k ? " %9s" : " %10s", ls_fmt_count(c[cols[k]], a));
        fputc('\n', t->out);
    }
}

static void malformed(const tx *t, const ls_report *rp)
{
    const ls_stats *st = rp->st;
    if (!st->malformed)
        return;
    char a[32];
    heading(t, "MALFORMED LINES", ls_fmt_count(st->malformed, a));
    for (size_t i = 0; i < st->nexamples; i++) {
        const ls_example *ex = &st->examples[i];
        fprintf(t->out, "  %s:%" PRIu64 ": ", strcmp(ex->file, "-") ? ex->file : "(stdin)", ex->line);
        ls_term_str(t->out, ex->text, strlen(ex->text), 100, false);
        fputc('\n', t->out);
    }
}

void ls_report_text(const ls_report *rp, FILE *out, bool color)
{
    tx t = {out, color};
    summary(&t, rp);
    endings(&t, rp);
    close_reasons(&t, rp);
    dropped(&t, rp);
    gives_up(&t, rp);
    spikes(&t, rp);
    offenders(&t, rp);
    probes(&t, rp);
    errors(&t, rp);
    hours(&t, rp);
    malformed(&t, rp);
}
