/* log_format compiled into a list of literal and variable operations, and
 * rendered with nginx's escaping (default: ", \ and non-printables as \xHH;
 * json; none).
 *
 * What the log analyzer (tools/logstat) shares with this is the tokenizer,
 * log/tokenize.h: both split a format's text into literals and $variables
 * with it, so they agree on where every name ends.  Nothing declared below
 * is shared: resolving names through conf/vars and rendering are the
 * server's; the analyzer, which may not include conf/ (nor this header),
 * maps names to its own fields and matches lines in tools/logstat/format.c,
 * and keeps its own copy of the combined format (LS_FORMAT_COMBINED). */
#ifndef HS_LOG_FORMAT_H
#define HS_LOG_FORMAT_H

#include "conf/vars.h"

typedef enum { HS_ESCAPE_DEFAULT, HS_ESCAPE_JSON, HS_ESCAPE_NONE } hs_log_escape;

typedef struct {
    bool is_var;    /* variable or literal */
    hs_str lit;     /* literal text */
    hs_str name;    /* variable name (without '$') */
    hs_var_ref var; /* resolved variable */
} hs_log_op;

typedef struct hs_log_format {
    hs_str name;      /* log_format NAME */
    hs_str text;      /* the format string (parts joined) */
    hs_log_op *ops;
    size_t nops;
    int escape;       /* hs_log_escape */
} hs_log_format;

/* Compiles text (the parts of a log_format directive already joined). */
int hs_log_format_compile(hs_cf *cf, const hs_conf_node *node, hs_str name, hs_str text,
                          int escape, hs_log_format *out);
/* Renders one line (without the newline) for ctx into out[0..cap). Returns
 * the length the full line needs: if it exceeds cap, out holds a prefix and
 * the caller retries with a bigger buffer. */
size_t hs_log_format_render(const hs_log_format *f, void *ctx, char *out, size_t cap);
/* Escapes one value as the format would; returns the needed length. */
size_t hs_log_escape_value(int escape, hs_str v, char *out, size_t cap);

/* nginx's predefined format. */
#define HS_LOG_FORMAT_COMBINED                                                      \
    "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent " \
    "\"$http_referer\" \"$http_user_agent\""

#endif
