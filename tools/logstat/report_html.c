/* The --html report: one self-contained page (inline CSS and SVG, no
 * scripts, no fonts or images fetched), readable offline and safe to open:
 * every piece of log text is escaped. */
#include "report.h"

#include <inttypes.h>

#include "out.h"
#include "svg.h"
#include "timeparse.h"

static const char css[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;"
    "max-width:1100px;color:#222;background:#fff;padding:0 16px}"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;"
    "border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:14px;margin:14px 0 4px;color:#444}"
    ".meta{color:#555;font-size:13px}table{border-collapse:collapse;font-size:13px;width:100%}"
    "th,td{padding:3px 8px;text-align:left;vertical-align:top}th{color:#555;font-weight:600}"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
    "tr:nth-child(even) td{background:#f7f7f7}td.k{word-break:break-all;font-family:monospace}"
    ".bar{display:inline-block;height:10px;background:#8e24aa;vertical-align:middle}"
    ".sw{display:inline-block;width:10px;height:10px;margin-right:6px;vertical-align:middle}"
    ".mean{color:#666}pre{background:#f4f4f4;padding:10px;overflow-x:auto}"
    ".note{color:#777;font-size:13px}.grid{display:grid;grid-template-columns:1fr 1fr;gap:0 24px}"
    "figure{margin:8px 0 16px}figcaption{font-size:13px;color:#555}";

static void esc(FILE *out, const char *s) { ls_html_str(out, s, strlen(s)); }

static void head(FILE *out, const ls_report *rp)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
          out);
    if (rp->o.refresh)
        fprintf(out, "<meta http-equiv=\"refresh\" content=\"%d\">\n", rp->o.refresh);
    fprintf(out, "<title>hush-logstat report</title>\n<style>%s</style></head><body>\n", css);
}

static void summary(FILE *out, const ls_report *rp)
{
    const ls_stats *st = rp->st;
    char a[32], b[32], c[32], p[16];
    fputs("<h1>How the requests ended</h1>\n<p class=\"meta\">", out);
    for (size_t i = 0; i < rp->nfiles; i++) {
        esc(out, strcmp(rp->files[i], "-") ? rp->files[i] : "(stdin)");
        fputs(i + 1 < rp->nfiles ? ", " : "", out);
    }
    fprintf(out, "<br><span id=\"lines\">%s lines</span>, %s parsed, %s malformed (%s)",
            ls_fmt_count(st->lines, a), ls_fmt_count(st->parsed, b), ls_fmt_count(st->malformed, c),
            ls_fmt_pct(ls_share(st->malformed, st->lines), p));
    if (st->conn_lines)
        fprintf(out, "<br>connection log: %s lines, %s of connections with requests left to the access log",
                ls_fmt_count(st->conn_lines, a), ls_fmt_count(st->conn_skipped, b));
    if (st->t_first != LS_TIME_NONE) {
        char t0[32], t1[32], span[32];
        ls_time_format(st->t_first, st->tz, true, t0);
        ls_time_format(st->t_last, st->tz, true, t1);
        fprintf(out, "<br>%s to %s (%s)", t0, t1, ls_fmt_span(st->t_last - st->t_first, span));
    }
    fputs("</p>\n", out);
}

static void ending_row(FILE *out, const ls_ending_info *in, uint64_t n, uint64_t total, const char *color)
{
    char a[32], p[16];
    double share = ls_share(n, total);
    fprintf(out, "<tr><td><span class=\"sw\" style=\"background:%s\"></span>%s</td>", color ? color : "#fff",
            in->label);
    fprintf(out, "<td class=\"n\">%s</td><td class=\"n\">%s</td>", ls_fmt_count(n, a), ls_fmt_pct(share, p));
    fprintf(out, "<td><span class=\"bar\" style=\"width:%.0fpx;background:%s\"></span></td>",
            share * 200 + (n ? 1 : 0), color ? color : "#43a047");
    fprintf(out, "<td class=\"mean\">%s</td></tr>\n", in->meaning);
}

static void endings(FILE *out, const ls_report *rp)
{
    const ls_stats *st = rp->st;
    fputs("<h2 id=\"endings\">Endings</h2>\n<table><tr><th>ending</th><th class=\"n\">count</th>"
          "<th class=\"n\">share</th><th></th><th>meaning</th></tr>\n",
          out);
    static const char *const class_colors[LS_CLASS_COUNT] = {"#43a047", "#43a047", "#43a047",
                                                             "#9e9e9e", "#e53935"};
    for (int c = 0; c < LS_CLASS_COUNT; c++)
        if (c != LS_CLASS_1XX || rp->classes[c])
            ending_row(out, &ls_class_info[c], rp->classes[c], st->parsed, class_colors[c]);
    for (int k = LS_SPECIAL_FIRST; k <= LS_SPECIAL_LAST; k++)
        ending_row(out, ls_kind_info((ls_kind)k), st->kinds[k], st->parsed, ls_kind_color((ls_kind)k));
    fputs("</table>\n<figure>", out);
    ls_svg_endings_over_time(out, rp);
    fputs("<figcaption>Endings over time</figcaption></figure>\n<figure>", out);
    ls_svg_rates_over_time(out, rp);
    fputs("<figcaption>444 and 499 rates over time; circles mark spikes</figcaption></figure>\n", out);
}

static void close_reasons(FILE *out, const ls_report *rp)
{
    if (!rp->have_close_reason)
        return;
    const ls_stats *st = rp->st;
    uint64_t total = 0;
    for (int i = 0; i < LS_CR_COUNT; i++)
        total += st->close_reasons[i];
    fputs("<h2>Close reasons ($close_reason)</h2>\n<table><tr><th>reason</th><th class=\"n\">count</th>"
          "<th class=\"n\">share</th><th>meaning</th></tr>\n",
          out);
    for (int i = 0; i < LS_CR_COUNT; i++) {
        if (!st->close_reasons[i])
            continue;
        char a[32], p[16];
        fprintf(out, "<tr><td>%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"mean\">%s</td></tr>\n",
                ls_close_reason_name(i), ls_fmt_count(st->close_reasons[i], a),
                ls_fmt_pct(ls_share(st->close_reasons[i], total), p), ls_close_reason_meaning(i));
    }
    fputs("</table>\n", out);
}

static void key_table(FILE *out, const char *title, const ls_tk_entry *const *e, size_t n, int by,
                      uint64_t total)
{
    if (!n)
        return;
    fprintf(out, "<div><h3>%s</h3><table>\n", title);
    for (size_t i = 0; i < n; i++) {
        char a[32], p[16];
        fputs("<tr><td class=\"k\">", out);
        ls_html_str(out, e[i]->key, e[i]->keylen);
        fprintf(out, "</td><td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n", ls_fmt_count(e[i]->c[by], a),
                ls_fmt_pct(ls_share(e[i]->c[by], total), p));
    }
    fputs("</table></div>\n", out);
}

static void dropped(FILE *out, const ls_report *rp)
{
    uint64_t n = rp->st->kinds[LS_K_DROP];
    char a[32];
    fprintf(out, "<h2 id=\"dropped\">Who is dropped (444): %s</h2>\n", ls_fmt_count(n, a));
    if (!n) {
        fputs("<p class=\"note\">No 444s in this log.</p>\n", out);
        return;
    }
    fputs("<div class=\"grid\">\n", out);
    key_table(out, "Sources", rp->drop_src, rp->n_drop_src, LS_SRC_444, n);
    key_table(out, "Hosts", rp->drop_hosts, rp->n_drop_hosts, 0, n);
    key_table(out, "User agents", rp->drop_uas, rp->n_drop_uas, 0, n);
    key_table(out, "Requests", rp->drop_requests, rp->n_drop_requests, 0, n);
    key_table(out, "Rules ($drop_rule)", rp->drop_rules, rp->n_drop_rules, 0, n);
    fputs("</div>\n", out);
}

static void loc_table(FILE *out, const char *title, const ls_loc_row *rows, size_t n)
{
    if (!n)
        return;
    fprintf(out, "<h3>%s</h3><table><tr><th>location</th><th class=\"n\">requests</th><th class=\"n\">499</th>"
                 "<th class=\"n\">rate</th><th class=\"n\">p50</th><th class=\"n\">p90</th><th class=\"n\">p99</th>"
                 "<th class=\"n\">499 waited (p50)</th></tr>\n",
            title);
    for (size_t i = 0; i < n; i++) {
        const ls_loc_row *r = &rows[i];
        char a[32], b[32], p[16], s1[16], s2[16], s3[16], s4[16];
        fputs("<tr><td class=\"k\">", out);
        ls_html_str(out, r->e->key, r->e->keylen);
        fprintf(out, "</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                     "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n",
                ls_fmt_count(r->e->c[LS_LOC_REQ], a), ls_fmt_count(r->e->c[LS_LOC_499], b), ls_fmt_pct(r->rate, p),
                ls_fmt_secs(r->p50, s1), ls_fmt_secs(r->p90, s2), ls_fmt_secs(r->p99, s3),
                ls_fmt_secs(r->abort_p50, s4));
    }
    fputs("</table>\n", out);
}

static void gives_up(FILE *out, const ls_report *rp)
{
    uint64_t n = rp->st->kinds[LS_K_ABORT];
    char a[32], title[64];
    fprintf(out, "<h2 id=\"aborts\">Who gives up (499): %s</h2>\n", ls_fmt_count(n, a));
    if (n) {
        loc_table(out, "By count", rp->by_count, rp->n_by_count);
        snprintf(title, sizeof(title), "By rate (locations with at least %" PRIu64 " requests)", rp->o.min_requests);
        loc_table(out, title, rp->by_rate, rp->n_by_rate);
    } else {
        fputs("<p class=\"note\">No 499s in this log.</p>\n", out);
    }
    fputs("<figure>", out);
    ls_svg_latency_vs_aborts(out, rp);
    fputs("<figcaption>Latency versus aborts: one circle per busy location, its area by requests; "
          "slow locations that lose clients sit top right</figcaption></figure>\n",
          out);
}

static void spikes(FILE *out, const ls_report *rp)
{
    fprintf(out, "<h2 id=\"spikes\">Spikes</h2>\n<p class=\"note\">%" PRId64 "-minute buckets whose 444 or 499 "
                 "count is significantly above the rate of the 30 before (one-sided exact test, p &lt; %g "
                 "divided by the %zu tests, at least %" PRIu64 " endings); consecutive buckets make one spike.</p>\n",
            rp->st->series.width / 60, rp->o.spike_alpha, rp->spike_tests,
            rp->o.spike_min);
    if (!rp->n_spikes) {
        fputs("<p class=\"note\">No significant spikes.</p>\n", out);
        return;
    }
    fputs("<table><tr><th>start</th><th class=\"n\">minutes</th><th>ending</th><th class=\"n\">count</th>"
          "<th class=\"n\">of requests</th><th class=\"n\">rate</th><th class=\"n\">baseline</th>"
          "<th class=\"n\">p-value</th></tr>\n",
          out);
    for (size_t i = 0; i < rp->n_spikes; i++) {
        const ls_spike *s = &rp->spikes[i];
        char ts[32], a[32], b[32], p[16], q[16], pv[24];
        ls_time_format(s->start, rp->st->tz, false, ts);
        fprintf(out, "<tr><td>%.16s</td><td class=\"n\">%" PRId64 "</td><td>%s</td><td class=\"n\">%s</td>"
                     "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n",
                ts, s->seconds / 60, s->kind == LS_K_DROP ? "444 drop" : "499 client abort",
                ls_fmt_count(s->count, a), ls_fmt_count(s->requests, b), ls_fmt_pct(s->rate, p),
                ls_fmt_pct(s->baseline, q), ls_fmt_p(s->log10_p, pv));
    }
    fputs("</table>\n", out);
}

static void offender_row(FILE *out, const ls_report *rp, const ls_offender *o)
{
    const ls_tk_entry *e = o->e;
    char a[32], b[32], c[32], d[32], r[32], p[16], f[32] = "-", l[32] = "-";
    if (e->t_first) {
        ls_time_format(e->t_first, rp->st->tz, false, f);
        ls_time_format(e->t_last, rp->st->tz, false, l);
    }
    fputs("<tr><td class=\"k\">", out);
    ls_html_str(out, e->key, e->keylen);
    fprintf(out, "</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                 "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td>%s</td><td>%s</td><td>",
            ls_fmt_count(e->c[LS_SRC_REQ], r), ls_fmt_count(e->c[LS_SRC_BAD], a), ls_fmt_pct(o->share, p),
            ls_fmt_count(e->c[LS_SRC_444], b), ls_fmt_count(e->c[LS_SRC_400], c),
            ls_fmt_count(e->c[LS_SRC_408], d), f, l);
    esc(out, o->why);
    fputs("</td></tr>\n", out);
}

static void offenders(FILE *out, const ls_report *rp)
{
    fprintf(out, "<h2 id=\"offenders\">Repeat offenders</h2>\n<p class=\"note\">Sources with at least %" PRIu64
                 " endings of 444, 400 or 408; suggested only when those are also at least %.0f%% of their "
                 "requests.</p>\n",
            rp->o.offender_min, 100 * rp->o.offender_share);
    if (!rp->n_offenders) {
        fputs("<p class=\"note\">None.</p>\n", out);
        return;
    }
    fputs("<table><tr><th>source</th><th class=\"n\">requests</th><th class=\"n\">bad</th><th class=\"n\">bad "
          "share</th><th class=\"n\">444</th><th class=\"n\">400</th><th class=\"n\">408</th><th>first seen</th>"
          "<th>last seen</th><th>verdict</th></tr>\n",
          out);
    for (size_t i = 0; i < rp->n_offenders; i++)
        offender_row(out, rp, &rp->offenders[i]);
    fputs("</table>\n", out);
    if (!rp->n_suggest) {
        fputs("<p class=\"note\">No suggestion: no source passes both thresholds.</p>\n", out);
        return;
    }
    fputs("<h3>Suggested hush config (http level)</h3><pre>", out);
    for (size_t i = 0; i < rp->n_suggest; i++) {
        esc(out, rp->suggest[i]);
        fputc('\n', out);
    }
    fputs("</pre>\n<h3>Why</h3><table><tr><th>deny</th><th>why</th></tr>\n", out);
    for (size_t i = 0; i < rp->n_deny; i++) {
        fputs("<tr><td class=\"k\">", out);
        esc(out, rp->deny[i].addr);
        fputs("</td><td>", out);
        esc(out, rp->deny[i].why);
        fputs("</td></tr>\n", out);
    }
    fputs("</table>\n", out);
}

static void probes(FILE *out, const ls_report *rp)
{
    char a[32];
    fprintf(out, "<h2 id=\"probes\">Probes (404 by location): %s</h2>\n", ls_fmt_count(rp->st->status[404], a));
    if (!rp->n_probes) {
        fputs("<p class=\"note\">No 404s.</p>\n", out);
        return;
    }
    fputs("<table><tr><th>location</th><th class=\"n\">requests</th><th class=\"n\">404</th>"
          "<th class=\"n\">444</th><th class=\"n\">dropped</th></tr>\n", out);
    for (size_t i = 0; i < rp->n_probes; i++) {
        const ls_tk_entry *e = rp->probes[i].e;
        char b[32], c[32], d[32], p[16];
        fputs("<tr><td class=\"k\">", out);
        ls_html_str(out, e->key, e->keylen);
        fprintf(out, "</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                     "<td class=\"n\">%s</td></tr>\n",
                ls_fmt_count(e->c[LS_LOC_REQ], b), ls_fmt_count(e->c[LS_LOC_404], c),
                ls_fmt_count(e->c[LS_LOC_444], d), ls_fmt_pct(ls_share(e->c[LS_LOC_444], e->c[LS_LOC_REQ]), p));
    }
    fputs("</table>\n", out);
}

static void error_row(FILE *out, const ls_tk_entry *e, const uint64_t *n, const double *pc)
{
    char a[32], b[32], c[32], p[16], s1[16], s2[16], s3[16];
    fputs("<tr><td class=\"k\">", out);
    ls_html_str(out, e->key, e->keylen);
    fprintf(out, "</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                 "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n",
            ls_fmt_count(n[0], a), ls_fmt_count(n[1], b), ls_fmt_count(n[2], c), ls_fmt_pct(ls_share(n[1] + n[2], n[0]), p),
            ls_fmt_secs(pc[0], s1), ls_fmt_secs(pc[1], s2), ls_fmt_secs(pc[2], s3));
}

static void error_head(FILE *out, const char *what)
{
    fprintf(out, "<table><tr><th>%s</th><th class=\"n\">requests</th><th class=\"n\">5xx</th><th class=\"n\">499</th>"
                 "<th class=\"n\">rate</th><th class=\"n\">p50</th><th class=\"n\">p90</th><th class=\"n\">p99</th></tr>\n",
            what);
}

static void errors(FILE *out, const ls_report *rp)
{
    char a[32];
    fprintf(out, "<h2 id=\"errors\">5xx and 499: %s server errors</h2>\n", ls_fmt_count(rp->st->kinds[LS_K_5XX], a));
    error_head(out, "location");
    for (size_t i = 0; i < rp->n_errors; i++) {
        const ls_loc_row *r = &rp->errors[i];
        uint64_t n[3] = {r->e->c[LS_LOC_REQ], r->e->c[LS_LOC_5XX], r->e->c[LS_LOC_499]};
        error_row(out, r->e, n, (double[3]){r->p50, r->p90, r->p99});
    }
    fputs("</table>\n", out);
    if (!rp->have_upstream) {
        fputs("<p class=\"note\">No <code>$upstream_addr</code> in this log.</p>\n", out);
        return;
    }
    error_head(out, "upstream");
    for (size_t i = 0; i < rp->n_upstreams; i++) {
        const ls_up_row *u = &rp->upstreams[i];
        uint64_t n[3] = {u->e->c[LS_UP_REQ], u->e->c[LS_UP_5XX], u->e->c[LS_UP_499]};
        error_row(out, u->e, n, (double[3]){u->p50, u->p90, u->p99});
    }
    fputs("</table>\n", out);
}

static void hours(FILE *out, const ls_report *rp)
{
    static const ls_kind cols[] = {LS_K_OK, LS_K_4XX, LS_K_5XX, LS_K_DROP, LS_K_ABORT, LS_K_TIMEOUT,
                                   LS_K_BADREQ, LS_K_BARE};
    fputs("<h2 id=\"hours\">Endings by hour</h2>\n<table><tr><th>hour</th><th class=\"n\">lines</th>"
          "<th class=\"n\">1-3xx</th><th class=\"n\">4xx</th><th class=\"n\">5xx</th><th class=\"n\">444</th>"
          "<th class=\"n\">499</th><th class=\"n\">408</th><th class=\"n\">400</th><th class=\"n\">bare</th></tr>\n",
          out);
    for (int h = 0; h < 24; h++) {
        const uint64_t *c = rp->st->hours[h];
        uint64_t total = 0;
        for (int k = 0; k < LS_K_COUNT; k++)
            total += c[k];
        if (!total)
            continue;
        char a[32];
        fprintf(out, "<tr><td>%02d</td><td class=\"n\">%s</td>", h, ls_fmt_count(total, a));
        for (size_t k = 0; k < HS_ARRAY_LEN(cols); k++)
            fprintf(out, "<td class=\"n\">%s</td>", ls_fmt_count(c[cols[k]], a));
        fputs("</tr>\n", out);
    }
    fputs("</table>\n", out);
}

static void malformed(FILE *out, const ls_report *rp)
{
    const ls_stats *st = rp->st;
    if (!st->malformed)
        return;
    char a[32];
    fprintf(out, "<h2>Malformed lines: %s</h2>\n<pre>", ls_fmt_count(st->malformed, a));
    for (size_t i = 0; i < st->nexamples; i++) {
        esc(out, strcmp(st->examples[i].file, "-") ? st->examples[i].file : "(stdin)");
        fprintf(out, ":%" PRIu64 ": ", st->examples[i].line);
        ls_html_str(out, st->examples[i].text, strlen(st->examples[i].text));
        fputc('\n', out);
    }
    fputs("</pre>\n", out);
}

void ls_report_html(const ls_report *rp, FILE *out)
{
    head(out, rp);
    summary(out, rp);
    endings(out, rp);
    close_reasons(out, rp);
    dropped(out, rp);
    gives_up(out, rp);
    spikes(out, rp);
    offenders(out, rp);
    probes(out, rp);
    errors(out, rp);
    hours(out, rp);
    malformed(out, rp);
    fputs("<p class=\"note\">Generated by hush-logstat.</p>\n</body></html>\n", out);
}
