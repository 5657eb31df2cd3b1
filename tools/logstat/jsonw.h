/* A small streaming JSON writer with indentation: it tracks commas and
 * nesting so the report code reads as the document it writes. */
#ifndef LS_JSONW_H
#define LS_JSONW_H

#include <stdint.h>
#include <stdio.h>

#include "core/str.h"

#define LS_JW_DEPTH 16

typedef struct {
    FILE *out;
    int depth;                 /* open containers */
    bool first[LS_JW_DEPTH];   /* nothing written yet at that depth */
} ls_jw;

void ls_jw_init(ls_jw *w, FILE *out);
/* key is NULL inside arrays */
void ls_jw_obj(ls_jw *w, const char *key);
void ls_jw_arr(ls_jw *w, const char *key);
void ls_jw_end(ls_jw *w, char close); /* '}' or ']' */
void ls_jw_u64(ls_jw *w, const char *key, uint64_t v);
void ls_jw_i64(ls_jw *w, const char *key, int64_t v);
/* a number (10 significant digits); null when v < 0 and neg_null */
void ls_jw_num(ls_jw *w, const char *key, double v, bool neg_null);
void ls_jw_str(ls_jw *w, const char *key, const char *s, size_t n);
void ls_jw_cstr(ls_jw *w, const char *key, const char *s);
void ls_jw_bool(ls_jw *w, const char *key, bool v);

#endif
