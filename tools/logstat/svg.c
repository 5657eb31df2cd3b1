/* SVG chart drawing. */
#include "svg.h"

#include <inttypes.h>
#include <math.h>

#include "out.h"
#include "timeparse.h"

#define W 1000        /* viewBox width */
#define H 260         /* viewBox height */
#define PAD_L 80      /* room for the y axis labels and title */
#define PAD_R 20
#define PAD_T 16
#define PAD_B 40      /* room for the time labels */
#define MAX_COLS 240  /* bars drawn at most; buckets are grouped beyond */

static const char *const kind_colors[LS_K_COUNT] = {
    [LS_K_OK] = "#43a047",     [LS_K_4XX] = "#9e9e9e",   [LS_K_5XX] = "#e53935",
    [LS_K_DROP] = "#8e24aa",   [LS_K_ABORT] = "#fb8c00", [LS_K_TIMEOUT] = "#fdd835",
    [LS_K_BADREQ] = "#6d4c41", [LS_K_BARE] = "#90a4ae",  [LS_K_NONE] = "#cfd8dc",
};

static const char *const kind_names[LS_K_COUNT] = {
    [LS_K_OK] = "1xx-3xx",      [LS_K_4XX] = "other 4xx",   [LS_K_5XX] = "5xx",
    [LS_K_DROP] = "444 drop",   [LS_K_ABORT] = "499 abort", [LS_K_TIMEOUT] = "408 timeout",
    [LS_K_BADREQ] = "400 malformed", [LS_K_BARE] = "400 no request", [LS_K_NONE] = "no status",
};

const char *ls_kind_color(ls_kind k) { return kind_colors[k]; }

static void open_svg(FILE *out, const char *label)
{
    fprintf(out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"100%%\" "
            "role=\"img\" aria-label=\"%s\" font-family=\"sans-serif\" font-size=\"12\">\n",
            W, H, label);
}

static void message(FILE *out, const char *label, const char *text)
{
    open_svg(out, label);
    fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"#777\">%s</text></svg>\n",
            W / 2, H / 2, text);
}

/* Buckets grouped into at most MAX_COLS columns. */
typedef struct {
    size_t cols, group;
} layout;

static layout columns(const ls_series *s)
{
    layout l = {s->n, 1};
    if (s->n > MAX_COLS) {
        l.group = (s->n + MAX_COLS - 1) / MAX_COLS;
        l.cols = (s->n + l.group - 1) / l.group;
    }
    return l;
}

static ls_bucket column_sum(const ls_series *s, layout l, size_t c)
{
    ls_bucket b = {{0}};
    for (size_t i = c * l.group; i < (c + 1) * l.group && i < s->n; i++)
        for (int k = 0; k < LS_K_COUNT; k++)
            b.k[k] += s->b[i].k[k];
    return b;
}

static void time_axis(FILE *out, const ls_report *rp, layout l, double colw)
{
    const ls_series *s = &rp->st->series;
    int64_t span = (int64_t)l.group * s->width;
    for (int i = 0; i <= 4; i++) {
        size_t c = (size_t)((double)(l.cols - 1) * i / 4);
        char ts[32];
        ls_time_format(s->base + (int64_t)c * span, rp->st->tz, false, ts);
        ts[16] = '\0';
        double x = PAD_L + ((double)c + 0.5) * colw;
        fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\" fill=\"#555\">%s</text>\n", x,
                H - PAD_B + 16, i == 0 ? "start" : i == 4 ? "end" : "middle", ts);
    }
    fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>\n", PAD_L, H - PAD_B,
            W - PAD_R, H - PAD_B);
}

static void y_label(FILE *out, double y, const char *text)
{
    fprintf(out,
            "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#555\">%s</text>"
            "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>\n",
            PAD_L - 6, y + 4, text, PAD_L, y, W - PAD_R, y);
}

static void legend(FILE *out, const ls_kind *kinds, size_t n)
{
    double x = PAD_L;
    for (size_t i = 0; i < n; i++) {
        fprintf(out,
                "<rect x=\"%.0f\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                "<text x=\"%.0f\" y=\"%d\" fill=\"#333\">%s</text>\n",
                x, H - 14, kind_colors[kinds[i]], x + 14, H - 5, kind_names[kinds[i]]);
        x += 24 + 7.0 * (double)strlen(kind_names[kinds[i]]);
    }
}

/* One column of stacked rects, with a tooltip of its counts. */
static void stacked_column(FILE *out, const ls_report *rp, const ls_bucket *b, int64_t start,
                           double x, double colw, double scale)
{
    char ts[32];
    ls_time_format(start, rp->st->tz, false, ts);
    fprintf(out, "<g><title>%s: %" PRIu64 " lines", ts, ls_bucket_total(b));
    for (int k = 0; k < LS_K_COUNT; k++)
        if (b->k[k])
            fprintf(out, ", %s %u", kind_names[k], b->k[k]);
    fputs("</title>", out);
    double y = H - PAD_B;
    for (int k = 0; k < LS_K_COUNT; k++) {
        if (!b->k[k])
            continue;
        double h = b->k[k] * scale;
        y -= h;
        fprintf(out, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"/>", x, y,
                colw > 1.5 ? colw - 0.5 : colw, h, kind_colors[k]);
    }
    fputs("</g>\n", out);
}

void ls_svg_endings_over_time(FILE *out, const ls_report *rp)
{
    const ls_series *s = &rp->st->series;
    if (!s->n) {
        message(out, "endings over time", "no timestamps in this log");
        return;
    }
    layout l = columns(s);
    uint64_t peak = 1;
    for (size_t c = 0; c < l.cols; c++) {
        ls_bucket b = column_sum(s, l, c);
        uint64_t t = ls_bucket_total(&b);
        if (t > peak)
            peak = t;
    }
    open_svg(out, "endings over time");
    double plot_h = H - PAD_T - PAD_B - 14, colw = (double)(W - PAD_L - PAD_R) / (double)l.cols;
    double scale = plot_h / (double)peak;
    char a[32];
    y_label(out, H - PAD_B - plot_h, ls_fmt_count(peak, a));
    y_label(out, H - PAD_B - plot_h / 2, ls_fmt_count(peak / 2, a));
    for (size_t c = 0; c < l.cols; c++) {
        ls_bucket b = column_sum(s, l, c);
        int64_t start = s->base + (int64_t)(c * l.group) * s->width;
        stacked_column(out, rp, &b, start, PAD_L + (double)c * colw, colw, scale);
    }
    time_axis(out, rp, l, colw);
    static const ls_kind shown[] = {LS_K_OK, LS_K_4XX, LS_K_5XX, LS_K_DROP, LS_K_ABORT,
                                    LS_K_TIMEOUT, LS_K_BADREQ, LS_K_BARE};
    legend(out, shown, HS_ARRAY_LEN(shown));
    fputs("</svg>\n", out);
}

static double column_rate(const ls_series *s, layout l, size_t c, ls_kind k)
{
    ls_bucket b = column_sum(s, l, c);
    return ls_share(b.k[k], ls_bucket_total(&b));
}

static void rate_line(FILE *out, const ls_series *s, layout l, ls_kind k, double colw, double ymax,
                      double plot_h)
{
    fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", kind_colors[k]);
    for (size_t c = 0; c < l.cols; c++)
        fprintf(out, "%.1f,%.1f ", PAD_L + ((double)c + 0.5) * colw,
                H - PAD_B - column_rate(s, l, c, k) / ymax * plot_h);
    fputs("\"/>\n", out);
}

void ls_svg_rates_over_time(FILE *out, const ls_report *rp)
{
    const ls_series *s = &rp->st->series;
    if (!s->n) {
        message(out, "444 and 499 rates over time", "no timestamps in this log");
        return;
    }
    layout l = columns(s);
    double ymax = 0.01;
    for (size_t c = 0; c < l.cols; c++) {
        double d = column_rate(s, l, c, LS_K_DROP), a = column_rate(s, l, c, LS_K_ABORT);
        ymax = fmax(ymax, fmax(d, a));
    }
    ymax = fmin(1, ymax * 1.1);
    open_svg(out, "444 and 499 rates over time");
    double plot_h = H - PAD_T - PAD_B - 14, colw = (double)(W - PAD_L - PAD_R) / (double)l.cols;
    char p[16];
    y_label(out, H - PAD_B - plot_h, ls_fmt_pct(ymax, p));
    y_label(out, H - PAD_B - plot_h / 2, ls_fmt_pct(ymax / 2, p));
    rate_line(out, s, l, LS_K_DROP, colw, ymax, plot_h);
    rate_line(out, s, l, LS_K_ABORT, colw, ymax, plot_h);
    for (size_t i = 0; i < rp->n_spikes; i++) {
        const ls_spike *sp = &rp->spikes[i];
        size_t c = (size_t)((sp->start - s->base) / s->width) / l.group;
        fprintf(out,
                "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"6\" fill=\"none\" stroke=\"#d50000\" "
                "stroke-width=\"2\"><title>spike: %s %.1f%% (baseline %.1f%%)</title></circle>\n",
                PAD_L + ((double)c + 0.5) * colw, H - PAD_B - fmin(sp->rate, ymax) / ymax * plot_h,
                sp->kind == LS_K_DROP ? "444" : "499", sp->rate * 100, sp->baseline * 100);
    }
    time_axis(out, rp, l, colw);
    static const ls_kind shown[] = {LS_K_DROP, LS_K_ABORT};
    legend(out, shown, HS_ARRAY_LEN(shown));
    fputs("</svg>\n", out);
}

/* x position of a latency on a log scale from 1 ms to lmax. */
static double lat_x(double s, double lmax)
{
    double lo = log10(0.001), hi = log10(lmax);
    double v = log10(fmax(s, 0.001));
    return PAD_L + (v - lo) / (hi - lo) * (W - PAD_L - PAD_R);
}

static const char *tick_label(double t)
{
    static const char *const names[] = {"1ms", "10ms", "100ms", "1s", "10s", "100s", "1000s", "10000s"};
    int i = (int)lround(log10(t)) + 3;
    return i >= 0 && i < (int)HS_ARRAY_LEN(names) ? names[i] : "";
}

/* The plot area of the scatter, inset so circles on an edge stay inside. */
#define SC_INSET 14

static double rate_y(double rate, double ymax)
{
    double plot_h = H - PAD_T - PAD_B - 2 * SC_INSET;
    return H - PAD_B - SC_INSET - rate / ymax * plot_h;
}

static void scatter_axes(FILE *out, double lmax, double ymax)
{
    char p[16];
    for (double t = 0.001; t <= lmax * 1.0001; t *= 10) {
        double x = lat_x(t, lmax);
        fprintf(out,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eee\"/>"
                "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">%s</text>\n",
                x, PAD_T, x, H - PAD_B, x, H - PAD_B + 16, tick_label(t));
    }
    y_label(out, rate_y(ymax, ymax), ls_fmt_pct(ymax, p));
    y_label(out, rate_y(ymax / 2, ymax), ls_fmt_pct(ymax / 2, p));
    y_label(out, rate_y(0, ymax), "0%");
    fprintf(out,
            "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" fill=\"#333\">p90 request time "
            "(log scale) &#8594;</text>\n"
            "<text x=\"%d\" y=\"%d\" fill=\"#333\" transform=\"rotate(-90 %d %d)\" "
            "text-anchor=\"middle\">499 rate &#8594;</text>\n",
            W - PAD_R, H - 4, 14, H / 2, 14, H / 2);
}

/* Names the locations that lose the most clients beside their circles. */
static void scatter_labels(FILE *out, const ls_report *rp, double lmax, double ymax)
{
    for (size_t i = 0; i < rp->n_by_count && i < 6; i++) {
        const ls_loc_row *r = &rp->by_count[i];
        if (r->p90 < 0)
            continue;
        double x = lat_x(r->p90, lmax), y = rate_y(r->rate, ymax);
        bool left = x > W * 0.7;
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" fill=\"#333\">",
                left ? x - 22 : x + 22, y + 4, left ? "end" : "start");
        ls_html_str(out, r->e->key, r->e->keylen > 40 ? 40 : r->e->keylen);
        fputs("</text>\n", out);
    }
}

void ls_svg_latency_vs_aborts(FILE *out, const ls_report *rp)
{
    if (!rp->have_request_time || !rp->n_scatter) {
        message(out, "latency versus aborts",
                "no $request_time in this log: add it to the log_format to see latency");
        return;
    }
    double lmax = 1, ymax = 0.01;
    uint64_t rmax = 1;
    for (size_t i = 0; i < rp->n_scatter; i++) {
        const ls_loc_row *r = &rp->scatter[i];
        while (r->p90 > lmax)
            lmax *= 10;
        ymax = fmax(ymax, r->rate);
        if (r->e->c[LS_LOC_REQ] > rmax)
            rmax = r->e->c[LS_LOC_REQ];
    }
    ymax = fmin(1, ymax * 1.15);
    open_svg(out, "latency versus aborts");
    scatter_axes(out, lmax, ymax);
    for (size_t i = 0; i < rp->n_scatter; i++) {
        const ls_loc_row *r = &rp->scatter[i];
        double x = lat_x(r->p90, lmax), y = rate_y(r->rate, ymax);
        double rad = 3 + 11 * sqrt((double)r->e->c[LS_LOC_REQ] / (double)rmax);
        char s1[16], p[16];
        fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\" fill-opacity=\"0.5\" "
                     "stroke=\"%s\"><title>",
                x, y, rad, kind_colors[LS_K_ABORT], kind_colors[LS_K_ABORT]);
        ls_html_str(out, r->e->key, r->e->keylen);
        fprintf(out, ": %" PRIu64 " requests, p90 %s, 499 rate %s</title></circle>\n",
                r->e->c[LS_LOC_REQ], ls_fmt_secs(r->p90, s1), ls_fmt_pct(r->rate, p));
    }
    scatter_labels(out, rp, lmax, ymax);
    fputs("</svg>\n", out);
}
