/* The JSON writer. */
#include "jsonw.h"

#include <inttypes.h>

#include "out.h"

void ls_jw_init(ls_jw *w, FILE *out)
{
    w->out = out;
    w->depth = 0;
    w->first[0] = true;
}

/* Comma, newline and indentation before a value, then its key. */
static void lead(ls_jw *w, const char *key)
{
    if (!w->first[w->depth])
        fputc(',', w->out);
    w->first[w->depth] = false;
    if (w->depth) {
        fputc('\n', w->out);
        for (int i = 0; i < w->depth; i++)
            fputs("  ", w->out);
    }
    if (key) {
        ls_json_str(w->out, key, strlen(key));
        fputs(": ", w->out);
    }
}

static void open(ls_jw *w, const char *key, char c)
{
    lead(w, key);
    fputc(c, w->out);
    if (w->depth + 1 < LS_JW_DEPTH)
        w->depth++;
    w->first[w->depth] = true;
}

void ls_jw_obj(ls_jw *w, const char *key) { open(w, key, '{'); }
void ls_jw_arr(ls_jw *w, const char *key) { open(w, key, '['); }

void ls_jw_end(ls_jw *w, char close)
{
    bool empty = w->first[w->depth];
    w->depth--;
    if (!empty) {
        fputc('\n', w->out);
        for (int i = 0; i < w->depth; i++)
            fputs("  ", w->out);
    }
    fputc(close, w->out);
    if (w->depth == 0)
        fputc('\n', w->out);
}

void ls_jw_u64(ls_jw *w, const char *key, uint64_t v)
{
    lead(w, key);
    fprintf(w->out, "%" PRIu64, v);
}

void ls_jw_i64(ls_jw *w, const char *key, int64_t v)
{
    lead(w, key);
    fprintf(w->out, "%" PRId64, v);
}

void ls_jw_num(ls_jw *w, const char *key, double v, bool neg_null)
{
    lead(w, key);
    if (neg_null && v < 0)
        fputs("null", w->out);
    else
        fprintf(w->out, "%.10g", v);
}

void ls_jw_str(ls_jw *w, const char *key, const char *s, size_t n)
{
    lead(w, key);
    ls_json_str(w->out, s, n);
}

void ls_jw_cstr(ls_jw *w, const char *key, const char *s) { ls_jw_str(w, key, s, strlen(s)); }

void ls_jw_bool(ls_jw *w, const char *key, bool v)
{
    lead(w, key);
    fputs(v ? "true" : "false", w->out);
}
