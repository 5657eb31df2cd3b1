/* log_format text split into tokens: runs of literal bytes and $variable
 * names.  One tokenizer for every reader of a format: the server's compiler
 * (log/format.c, which then resolves each name through conf/vars) and
 * hush-logstat's (tools/logstat/format.c, which then matches lines with the
 * tokens).  It depends on core/ only, and names are scanned by core's
 * hs_varname_scan, the scanner conf/vars uses too, so a format is split
 * the same way everywhere:
 *
 *   $name, ${name}   a variable (see core/varname.h for what a name is;
 *                    "$12" is $1 then the literal "2", "${12}" is "12")
 *   any other byte   literal, including a '$' that starts no name: "$ ",
 *                    "$-", a trailing "$", "${}", "${x" and "${a-b}" stay
 *                    in the literal text as written (hush writes them out
 *                    as they are; nginx rejects such a format)
 *
 * The text is the format proper: for a log_format directive, its format
 * arguments already joined (nginx concatenates them without a separator);
 * no quoting or escape= is handled here. */
#ifndef HS_LOG_TOKENIZE_H
#define HS_LOG_TOKENIZE_H

#include "core/str.h"

typedef enum { HS_LOG_TOK_LIT, HS_LOG_TOK_VAR } hs_log_tok_kind;

typedef struct {
    hs_log_tok_kind kind;
    hs_str text; /* LIT: the literal bytes (never empty); VAR: the name,
                    without '$' and braces (never empty) */
} hs_log_tok;

/* Called once per token, in order.  Returns HS_OK to go on; any other
 * value stops the tokenizer, which returns it. */
typedef int (*hs_log_tok_fn)(void *arg, const hs_log_tok *tok);

/* Calls fn(arg, tok) for each token of text, left to right.  A literal
 * token is a maximal run, so two literal tokens never follow each other;
 * variables may ("$a$b" is two VAR tokens).  The tokens, laid end to end in
 * their source form, cover text exactly; an empty text has no tokens.
 *
 * Returns HS_OK once every token was passed, or the first value other than
 * HS_OK that fn returned.  Nothing is allocated: each token's text is a
 * slice of the caller's text, valid as long as text is, and the token
 * struct itself only during the call (copy what you keep). */
int hs_log_tokenize(hs_str text, hs_log_tok_fn fn, void *arg);

#endif
