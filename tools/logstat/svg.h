/* Inline SVG charts for the HTML report: no scripts, no external fonts,
 * so the page renders the same offline, from a file, in any browser. */
#ifndef LS_SVG_H
#define LS_SVG_H

#include <stdio.h>

#include "report.h"

/* The colour of each ending kind, shared by the charts and the tables. */
const char *ls_kind_color(ls_kind k);

/* Stacked bars: lines per ending over time. */
void ls_svg_endings_over_time(FILE *out, const ls_report *rp);

/* Lines: the 444 and 499 rates over time, spikes circled. */
void ls_svg_rates_over_time(FILE *out, const ls_report *rp);

/* Scatter: each busy location at (p90 request time, 499 rate), its area
 * proportional to its requests, so slow locations that lose clients stand
 * out top right. */
void ls_svg_latency_vs_aborts(FILE *out, const ls_report *rp);

#endif
