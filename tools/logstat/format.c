/* The log_format compiler and matcher. */
#include "format.h"

#include <stdio.h>
#include <stdlib.h>

#include "bytes.h"
#include "log/tokenize.h"
#include "mem.h"

/* ---- reading the format string as nginx's config would ---- */

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    return s;
}

/* Concatenates the quoted strings of a config-style value into out, undoing
 * the config's backslash escapes.  Returns HS_ERROR on an unclosed quote. */
static int unquote_config(const char *s, char *out, char *err, size_t errlen)
{
    size_t n = 0;
    for (s = skip_ws(s); *s; s = skip_ws(s)) {
        char q = *s++;
        if (q != '\'' && q != '"') {
            snprintf(err, errlen, "expected a quoted string at \"%.20s\"", s - 1);
            return HS_ERROR;
        }
        for (; *s && *s != q; s++) {
            if (*s == '\\' && s[1]) {
                s++;
                out[n++] = *s == 'n' ? '\n' : *s == 't' ? '\t' : *s == 'r' ? '\r' : *s;
            } else {
                out[n++] = *s;
            }
        }
        if (*s != q) {
            snprintf(err, errlen, "unclosed %c quote in the format", q);
            return HS_ERROR;
        }
        s++;
        if (*s == ';')
            s++;
    }
    out[n] = '\0';
    return HS_OK;
}

/* Accepts what a config has after the format's name: "escape=json" and
 * one or more single-quoted strings, concatenated as nginx does.  Anything
 * else is the bare format text, taken as it is (a bare format may well
 * start with a double quote: "\"$request\" $status").  Returns a malloc'ed
 * plain format string, or NULL with a message in err. */
static char *config_value(const char *src, char *err, size_t errlen)
{
    char *out = ls_xmalloc(strlen(src) + 1);
    const char *s = skip_ws(src);
    bool config = false;
    if (strncmp(s, "escape=", 7) == 0) {
        s += 7;
        while (*s && *s != ' ' && *s != '\t')
            s++;
        s = skip_ws(s);
        config = true;
    }
    if (*s == '\'' || (config && *s == '"')) {
        if (unquote_config(s, out, err, errlen) != HS_OK) {
            free(out);
            return NULL;
        }
    } else {
        strcpy(out, config ? s : src);
    }
    return out;
}

/* ---- compiling ---- */

static ls_op *push_op(ls_format *f, size_t *cap)
{
    if (f->nops == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        f->ops = ls_xrealloc(f->ops, *cap * sizeof(ls_op));
    }
    ls_op *op = &f->ops[f->nops++];
    memset(op, 0, sizeof(*op));
    return op;
}

/* Appends literal bytes, merging with a preceding literal. */
static void add_lit(ls_format *f, size_t *cap, const char *p, size_t n, char **tp)
{
    if (n == 0)
        return;
    memcpy(*tp, p, n);
    ls_op *last = f->nops ? &f->ops[f->nops - 1] : NULL;
    if (last && last->kind == LS_OP_LIT) {
        last->len = (uint16_t)(last->len + n);
    } else {
        ls_op *op = push_op(f, cap);
        op->kind = LS_OP_LIT;
        op->lit = *tp;
        op->len = (uint16_t)n;
    }
    *tp += n;
}

/* Marks variables whose values sit in double quotes, and lists. */
static void annotate(ls_format *f)
{
    for (size_t i = 0; i < f->nops; i++) {
        ls_op *op = &f->ops[i];
        if (op->kind != LS_OP_VAR)
            continue;
        const ls_op *prev = i ? &f->ops[i - 1] : NULL, *next = i + 1 < f->nops ? &f->ops[i + 1] : NULL;
        op->quoted = prev && next && prev->kind == LS_OP_LIT && next->kind == LS_OP_LIT &&
                     prev->lit[prev->len - 1] == '"' && next->lit[0] == '"';
        op->list = op->field == LS_F_UPSTREAM_TIME;
        f->have |= LS_HAVE(op->field);
    }
    f->have &= ~LS_HAVE(LS_F_SKIP);
}

typedef struct {
    ls_format *f;
    size_t cap;   /* room in f->ops */
    char *tp;     /* next free byte of f->text */
    char *err;
    size_t errlen;
} compile_ctx;

/* One token of the shared tokenizer becomes one operation. */
static int add_token(void *arg, const hs_log_tok *tok)
{
    compile_ctx *c = arg;
    if (tok->kind == HS_LOG_TOK_VAR) {
        ls_op *op = push_op(c->f, &c->cap);
        op->kind = LS_OP_VAR;
        op->field = (uint8_t)ls_field_by_name(tok->text);
        return HS_OK;
    }
    /* A "${" the tokenizer left in a literal forms no variable: the server
     * would write it out as is, but nginx rejects it, and it is nearly
     * always a mistyped ${name}: refuse it rather than match it literally. */
    for (size_t i = 0; i + 1 < tok->text.n; i++) {
        if (tok->text.p[i] == '$' && tok->text.p[i + 1] == '{') {
            bool empty = i + 2 < tok->text.n && tok->text.p[i + 2] == '}';
            snprintf(c->err, c->errlen, "%s", empty ? "empty ${} in the format" : "unclosed ${ in the format");
            return HS_ERROR;
        }
    }
    add_lit(c->f, &c->cap, tok->text.p, tok->text.n, &c->tp);
    return HS_OK;
}

int ls_format_compile(ls_format *f, const char *src, char *err, size_t errlen)
{
    memset(f, 0, sizeof(*f));
    char *s = config_value(src, err, errlen);
    if (!s)
        return HS_ERROR;
    size_t n = strlen(s);
    f->text = ls_xmalloc(n + 1);
    compile_ctx c = {f, 0, f->text, err, errlen};
    int rc = hs_log_tokenize(hs_str_from(s, n), add_token, &c);
    free(s);
    if (rc != HS_OK) {
        ls_format_free(f);
        return HS_ERROR;
    }
    if (f->nops == 0) {
        snprintf(err, errlen, "empty log format");
        ls_format_free(f);
        return HS_ERROR;
    }
    annotate(f);
    return HS_OK;
}

void ls_format_free(ls_format *f)
{
    free(f->ops);
    free(f->text);
    memset(f, 0, sizeof(*f));
}

/* ---- matching ---- */

/* An escaped quote (odd number of backslashes before it) is inside a value. */
static bool escaped(const char *start, const char *q)
{
    size_t bs = 0;
    while (q - bs > start && q[-1 - (ptrdiff_t)bs] == '\\')
        bs++;
    return bs & 1;
}

/* In "0.1, 0.2 : 0.3" the spaces belong to the list, not to the format. */
static bool inside_list(const char *start, const char *q, const char *e)
{
    return q > start && (q[-1] == ',' || q[-1] == ':' || (q + 1 < e && q[1] == ':'));
}

/* Where the value of op (starting at p) ends, given the operation after it. */
static const char *value_end(const ls_op *op, const ls_op *next, const char *p, const char *e)
{
    if (!next)
        return e;
    if (next->kind == LS_OP_VAR) {
        const char *sp = ls_find_byte(p, e, ' ');
        return sp ? sp : e;
    }
    for (const char *q = p; q < e; q++) {
        q = ls_find_byte(q, e, next->lit[0]);
        if (!q || (size_t)(e - q) < next->len)
            return NULL;
        if (!ls_bytes_eq(q + 1, next->lit + 1, next->len - 1u))
            continue;
        if (op->quoted && escaped(p, q))
            continue;
        if (op->list && next->lit[0] == ' ' && inside_list(p, q, e))
            continue;
        return q;
    }
    return NULL;
}

int ls_format_match(const ls_format *f, hs_str line, ls_rec *r, size_t *used)
{
    const char *p = line.p, *e = line.p + line.n;
    const ls_op *ops = f->ops, *end = f->ops + f->nops;
    for (const ls_op *op = ops; op < end; op++) {
        if (op->kind == LS_OP_LIT) {
            if ((size_t)(e - p) < op->len || !ls_bytes_eq(p, op->lit, op->len))
                return HS_DECLINED;
            p += op->len;
            continue;
        }
        const char *v = value_end(op, op + 1 < end ? op + 1 : NULL, p, e);
        if (!v)
            return HS_DECLINED;
        if (op->field != LS_F_SKIP &&
            ls_rec_set(r, (ls_field)op->field, hs_str_from(p, (size_t)(v - p))) != HS_OK)
            return HS_DECLINED;
        p = v;
        /* value_end() already verified the literal that follows */
        if (op + 1 < end && op[1].kind == LS_OP_LIT) {
            op++;
            p += op->len;
        }
    }
    *used = (size_t)(p - line.p);
    return HS_OK;
}
