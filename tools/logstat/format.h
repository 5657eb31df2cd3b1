/* nginx log_format strings compiled into an array of match operations, and
 * the matcher that walks a line with them, filling an ls_rec in place.
 *
 * A format is a sequence of literals and variables, split by the server's
 * own log_format tokenizer (src/log/tokenize.h; names are scanned by
 * core/varname.h, as in the server's compiler and conf/vars), so "$12",
 * "${name}" or a lone "$" are read exactly as hush writes them.  That split
 * is all that is shared.  The rest is the analyzer's: undoing the config's
 * quoting (escape=, single-quoted pieces: the server's config parser is in
 * conf/, which the analyzer may not use), mapping names to fields (an
 * unknown name is skipped, not an error) and the matching.  A "${" that
 * forms no variable ("${}", "${x") is an error here, where the server
 * writes it literally and nginx rejects it.
 *
 * A variable's value ends where the next literal begins (found with memchr,
 * then verified), or at the next space when two variables touch, or at the
 * end of the line. */
#ifndef LS_FORMAT_H
#define LS_FORMAT_H

#include <stddef.h>

#include "record.h"

typedef enum { LS_OP_LIT, LS_OP_VAR } ls_op_kind;

typedef struct {
    uint8_t kind;    /* ls_op_kind */
    uint8_t field;   /* ls_field fed by a variable; LS_F_SKIP to ignore it */
    bool quoted;     /* variable sits between '"' literals: skip \" inside */
    bool list;       /* value may hold ", " or " : " (upstream time lists) */
    uint16_t len;    /* literal length in bytes */
    const char *lit; /* literal bytes, owned by the format */
} ls_op;

typedef struct {
    ls_op *ops;   /* the compiled operations, in line order */
    size_t nops;
    char *text;   /* storage of every literal, owned */
    uint32_t have; /* LS_HAVE() bits of the fields this format provides */
} ls_format;

/* Compiles src, the log_format string: either the bare format, or as
 * written in nginx's config after the format's name: one or more
 * single-quoted strings, optionally preceded by "escape=...", which are
 * concatenated as nginx does.  Returns HS_OK, or HS_ERROR with a message in
 * err. */
int ls_format_compile(ls_format *f, const char *src, char *err, size_t errlen);
void ls_format_free(ls_format *f);

/* Matches line against f, setting fields of r (which the caller cleared).
 * Returns HS_OK and the number of bytes the format covered in *used (a line
 * may carry more fields after them), or HS_DECLINED if the line does not
 * have this format. */
int ls_format_match(const ls_format *f, hs_str line, ls_rec *r, size_t *used);

/* The formats nginx ships: combined, and the "main" of its sample config. */
#define LS_FORMAT_COMBINED                                                                  \
    "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent "     \
    "\"$http_referer\" \"$http_user_agent\""
#define LS_FORMAT_MAIN LS_FORMAT_COMBINED " \"$http_x_forwarded_for\""

#endif
