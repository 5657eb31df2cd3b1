/* Formatting helpers shared by the renderers: numbers for people, and
 * escaping of log text for JSON, HTML and terminals (a log line is
 * attacker-controlled text: it must never become markup or a terminal
 * control sequence). */
#ifndef LS_OUT_H
#define LS_OUT_H

#include <stdint.h>
#include <stdio.h>

#include "core/str.h"

/* 1234567 -> "1,234,567" */
const char *ls_fmt_count(uint64_t n, char buf[32]);
/* 0.1234 -> "12.3%" */
const char *ls_fmt_pct(double share, char buf[16]);
/* seconds -> "0.123s", "12.3s", "2m05s"; "-" when negative (unknown) */
/* A p-value from its log10: "3.2e-12", or "<1e-300". */
const char *ls_fmt_p(double log10_p, char buf[24]);

const char *ls_fmt_secs(double s, char buf[16]);
/* a span in seconds -> "1h 6m 39s" */
const char *ls_fmt_span(int64_t s, char buf[32]);

/* Writes s as a JSON string, quotes included. */
void ls_json_str(FILE *out, const char *s, size_t n);
/* Writes s with HTML's special characters escaped. */
void ls_html_str(FILE *out, const char *s, size_t n);

/* Writes s for a terminal: control bytes as \xHH, at most width columns
 * (cut with "..."), padded with spaces to width when pad is true.  UTF-8
 * sequences count as one column. */
void ls_term_str(FILE *out, const char *s, size_t n, size_t width, bool pad);

#endif
