/* Per-line format detection: hush's JSON lines (a line starting with '{'),
 * the user's --log-format, nginx's combined with or without main's
 * trailing "$http_x_forwarded_for", and hush's default connection log,
 * tried in that order. */
#ifndef LS_PARSER_H
#define LS_PARSER_H

#include "format.h"
#include "parse_json.h"

/* Which format a line was read with (counted in the report). */
typedef enum {
    LS_FMT_COMBINED = 0,
    LS_FMT_MAIN,
    LS_FMT_CUSTOM,
    LS_FMT_JSON,
    LS_FMT_CONN,   /* hush's connection log, default format */
    LS_FMT_COUNT
} ls_fmt_id;

typedef struct {
    ls_format combined; /* nginx's combined, always tried */
    ls_format xff_tail; /* the part main adds to combined */
    ls_format custom;   /* --log-format, when given */
    ls_format conn;     /* hush's default connection log after "addr:port " */
    bool has_custom;
    ls_json_scratch json;
} ls_parser;

/* log_format may be NULL.  Returns HS_ERROR with a message in err when the
 * format does not compile. */
int ls_parser_init(ls_parser *ps, const char *log_format, char *err, size_t errlen);
void ls_parser_free(ls_parser *ps);

/* Parses one line (without its newline) into r.  Returns the ls_fmt_id it
 * matched, or HS_DECLINED for a malformed line. */
int ls_parser_line(ls_parser *ps, hs_str line, ls_rec *r);

extern const char *const ls_fmt_names[LS_FMT_COUNT];

#endif
