/* hush's JSON access-log lines: one object per line whose keys are nginx
 * variable names without '$'.  Unknown keys and nested values are skipped. */
#ifndef LS_PARSE_JSON_H
#define LS_PARSE_JSON_H

#include "record.h"

typedef struct {
    char *buf;  /* unescaped string values of the current line */
    size_t cap; /* bytes allocated in buf */
} ls_json_scratch;

/* Parses line (which starts with '{') into r.  String values with escapes
 * are decoded into sc, so r's slices are valid until the next call.
 * Returns HS_OK, or HS_DECLINED when the line is not a valid object or a
 * field that must parse (status, time) does not. */
int ls_json_parse(hs_str line, ls_rec *r, ls_json_scratch *sc);
void ls_json_scratch_free(ls_json_scratch *sc);

#endif
