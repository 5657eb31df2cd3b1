/* Number formatting and escaping. */
#include "out.h"

#include <math.h>

#include <inttypes.h>

const char *ls_fmt_count(uint64_t n, char buf[32])
{
    char tmp[32];
    int len = snprintf(tmp, sizeof(tmp), "%" PRIu64, n);
    int o = 0;
    for (int i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = '\0';
    return buf;
}

const char *ls_fmt_p(double log10_p, char buf[24])
{
    if (log10_p < -300)
        snprintf(buf, 24, "<1e-300");
    else
        snprintf(buf, 24, "%.2g", pow(10, log10_p));
    return buf;
}

const char *ls_fmt_pct(double share, char buf[16])
{
    double p = share * 100;
    if (p > 0 && p < 0.05)
        snprintf(buf, 16, "<0.1%%");
    else
        snprintf(buf, 16, "%.1f%%", p);
    return buf;
}

const char *ls_fmt_secs(double s, char buf[16])
{
    if (s < 0)
        snprintf(buf, 16, "-");
    else if (s < 10)
        snprintf(buf, 16, "%.3fs", s);
    else if (s < 120)
        snprintf(buf, 16, "%.1fs", s);
    else
        snprintf(buf, 16, "%dm%02ds", (int)(s / 60), (int)s % 60);
    return buf;
}

const char *ls_fmt_span(int64_t s, char buf[32])
{
    int64_t d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60, sec = s % 60;
    if (d)
        snprintf(buf, 32, "%" PRId64 "d %" PRId64 "h %" PRId64 "m", d, h, m);
    else if (h)
        snprintf(buf, 32, "%" PRId64 "h %" PRId64 "m %" PRId64 "s", h, m, sec);
    else if (m)
        snprintf(buf, 32, "%" PRId64 "m %" PRId64 "s", m, sec);
    else
        snprintf(buf, 32, "%" PRId64 "s", sec);
    return buf;
}

void ls_json_str(FILE *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    putc('"', out);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            putc('\\', out);
            putc(c, out);
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(out, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
        } else if (c >= 0x80) {
            /* log bytes need not be UTF-8; invalid bytes would make the
             * document unparseable, so they are written as U+00XX */
            size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
            bool ok = len && i + len <= n;
            for (size_t k = 1; ok && k < len; k++)
                ok = ((unsigned char)s[i + k] & 0xC0) == 0x80;
            if (ok) {
                fwrite(s + i, 1, len, out);
                i += len - 1;
            } else {
                fprintf(out, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
            }
        } else {
            putc(c, out);
        }
    }
    putc('"', out);
}

void ls_html_str(FILE *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default:
            if (c < 0x20 || c == 0x7f)
                fprintf(out, "\\x%02X", c);
            else
                putc(c, out);
        }
    }
}

/* Bytes and columns of the next character of s for a terminal: control
 * bytes and bytes that are not valid UTF-8 are shown as \xHH. */
static size_t term_char(const char *s, size_t n, size_t i, size_t *cols, bool *hex)
{
    unsigned char c = (unsigned char)s[i];
    *cols = 1;
    *hex = false;
    if (c >= 0x20 && c < 0x7f)
        return 1;
    size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
    bool ok = len && i + len <= n;
    for (size_t k = 1; ok && k < len; k++)
        ok = ((unsigned char)s[i + k] & 0xC0) == 0x80;
    if (ok)
        return len;
    *cols = 4;
    *hex = true;
    return 1;
}

void ls_term_str(FILE *out, const char *s, size_t n, size_t width, bool pad)
{
    size_t total = 0, cols, len;
    bool hex;
    for (size_t i = 0; i < n; i += len) {
        len = term_char(s, n, i, &cols, &hex);
        total += cols;
    }
    bool cut = total > width;
    size_t budget = cut ? (width > 3 ? width - 3 : 0) : width, used = 0;
    for (size_t i = 0; i < n; i += len) {
        len = term_char(s, n, i, &cols, &hex);
        if (used + cols > budget)
            break;
        if (hex)
            fprintf(out, "\\x%02X", (unsigned char)s[i]);
        else
            fwrite(s + i, 1, len, out);
        used += cols;
    }
    if (cut) {
        fputs("...", out);
        used += 3;
    }
    for (; pad && used < width; used++)
        putc(' ', out);
}
