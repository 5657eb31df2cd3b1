#include "conf/tree.h"

#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#define MAX_INCLUDE_DEPTH 16
#define MAX_ARGS 64

/* Lexer state over one file's text. */
typedef struct {
    hs_pool *pool;
    const char *file; /* name for messages */
    const char *p;    /* next byte */
    const char *end;  /* end of text */
    int line;         /* current line */
    const char *conf_dir;
    char *err;
    size_t errlen;
    int depth; /* include depth */
    char *scratch; /* token being unescaped; as long as the file */
} lexer;

enum tok { TOK_WORD, TOK_SEMI, TOK_OPEN, TOK_CLOSE, TOK_EOF, TOK_ERR };

/* Growable array of nodes while a block is being read. */
typedef struct {
    hs_conf_node *v;
    size_t n, cap;
} node_vec;

static int lex_error(lexer *lx, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int lex_error(lexer *lx, int line, const char *fmt, ...)
{
    int n = snprintf(lx->err, lx->errlen, "%s:%d: ", lx->file, line);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < lx->errlen)
        vsnprintf(lx->err + n, lx->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return TOK_ERR;
}

static void skip_space_and_comments(lexer *lx)
{
    while (lx->p < lx->end) {
        char c = *lx->p;
        if (c == '\n') {
            lx->line++;
            lx->p++;
        } else if (c == ' ' || c == '\t' || c == '\r') {
            lx->p++;
        } else if (c == '#') {
            while (lx->p < lx->end && *lx->p != '\n')
                lx->p++;
        } else {
            return;
        }
    }
}

static char unescape(char c)
{
    switch (c) {
    case 'n': return '\n';
    case 't': return '\t';
    case 'r': return '\r';
    default: return c;
    }
}

/* A quoted string: backslash escapes \" \' \\ \n \t \r; other \x kept as is
 * (regexes keep their backslashes). */
static int lex_quoted(lexer *lx, hs_str *out)
{
    char q = *lx->p++;
    int start_line = lx->line;
    char *buf = lx->scratch;
    size_t n = 0;
    while (lx->p < lx->end && *lx->p != q) {
        char c = *lx->p++;
        if (c == '\n')
            lx->line++;
        if (c == '\\' && lx->p < lx->end) {
            char e = *lx->p;
            if (e == q || e == '\\' || e == 'n' || e == 't' || e == 'r') {
                c = unescape(e);
                lx->p++;
            }
        }
        buf[n++] = c;
    }
    if (lx->p >= lx->end)
        return lex_error(lx, start_line, "unexpected end of file, expecting closing %c", q);
    lx->p++;
    /* as nginx: ')' may follow a quoted string (if ($ua ~* "bot")) */
    if (lx->p < lx->end && !strchr(" \t\r\n;{})", *lx->p))
        return lex_error(lx, lx->line, "unexpected \"%c\" after a quoted string", *lx->p);
    *out = (hs_str){hs_pstrndup(lx->pool, buf, n), n};
    return TOK_WORD;
}

/* A bare word ends at whitespace, ';', '{' or '}' — except "${" which starts
 * a braced variable name. */
static int lex_word(lexer *lx, hs_str *out)
{
    const char *start = lx->p;
    char *buf = lx->scratch;
    size_t n = 0;
    while (lx->p < lx->end) {
        char c = *lx->p;
        if (strchr(" \t\r\n;", c))
            break;
        if (c == '{' && !(lx->p > start && lx->p[-1] == '$'))
            break;
        if (c == '}' && !memchr(buf, '{', n))
            break;
        if (c == '\\' && lx->p + 1 < lx->end && strchr("\"'\\ ;{}", lx->p[1])) {
            lx->p++;
            c = *lx->p;
        }
        buf[n++] = c;
        lx->p++;
    }
    *out = (hs_str){hs_pstrndup(lx->pool, buf, n), n};
    return TOK_WORD;
}

static int lex_next(lexer *lx, hs_str *word)
{
    skip_space_and_comments(lx);
    if (lx->p >= lx->end)
        return TOK_EOF;
    switch (*lx->p) {
    case ';': lx->p++; return TOK_SEMI;
    case '{': lx->p++; return TOK_OPEN;
    case '}': lx->p++; return TOK_CLOSE;
    case '"':
    case '\'': return lex_quoted(lx, word);
    default: return lex_word(lx, word);
    }
}

static int vec_push(node_vec *v, const hs_conf_node *n)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 8;
        hs_conf_node *nv = realloc(v->v, cap * sizeof(*nv));
        if (nv == NULL)
            return HS_ERROR;
        v->v = nv;
        v->cap = cap;
    }
    v->v[v->n++] = *n;
    return HS_OK;
}

static int parse_block(lexer *lx, node_vec *out, bool nested, int open_line);
static int include_files(lexer *lx, const hs_conf_node *inc, node_vec *out);

/* Reads one directive's words up to ';' or '{'. */
static int parse_directive(lexer *lx, hs_str first, node_vec *out)
{
    hs_str args[MAX_ARGS];
    size_t nargs = 0;
    args[nargs++] = first;
    int line = lx->line;
    for (;;) {
        hs_str w;
        int t = lex_next(lx, &w);
        if (t == TOK_ERR)
            return HS_ERROR;
        if (t == TOK_EOF) {
            lex_error(lx, lx->line, "unexpected end of file, expecting \";\" or \"}\"");
            return HS_ERROR;
        }
        if (t == TOK_CLOSE) {
            lex_error(lx, lx->line, "unexpected \"}\"");
            return HS_ERROR;
        }
        if (t == TOK_WORD) {
            if (nargs == MAX_ARGS) {
                lex_error(lx, line, "too many arguments in \"%s\"", first.p);
                return HS_ERROR;
            }
            args[nargs++] = w;
            continue;
        }
        hs_conf_node node = {0};
        node.file = lx->file;
        node.line = line;
        node.nargs = nargs;
        node.args = hs_palloc(lx->pool, nargs * sizeof(hs_str));
        memcpy(node.args, args, nargs * sizeof(hs_str));
        if (t == TOK_OPEN) {
            node_vec kids = {0};
            if (parse_block(lx, &kids, true, line) != HS_OK) {
                free(kids.v);
                return HS_ERROR;
            }
            node.block = true;
            node.nchildren = kids.n;
            node.children = hs_palloc(lx->pool, (kids.n ? kids.n : 1) * sizeof(hs_conf_node));
            if (kids.n)
                memcpy(node.children, kids.v, kids.n * sizeof(hs_conf_node));
            free(kids.v);
        } else if (hs_str_eq_lit(first, "include")) {
            return include_files(lx, &node, out);
        }
        return vec_push(out, &node);
    }
}

static int parse_block(lexer *lx, node_vec *out, bool nested, int open_line)
{
    for (;;) {
        hs_str w;
        int t = lex_next(lx, &w);
        switch (t) {
        case TOK_ERR:
            return HS_ERROR;
        case TOK_EOF:
            if (nested) {
                lex_error(lx, open_line, "unexpected end of file, expecting \"}\"");
                return HS_ERROR;
            }
            return HS_OK;
        case TOK_CLOSE:
            if (!nested) {
                lex_error(lx, lx->line, "unexpected \"}\"");
                return HS_ERROR;
            }
            return HS_OK;
        case TOK_SEMI:
            lex_error(lx, lx->line, "unexpected \";\"");
            return HS_ERROR;
        case TOK_OPEN:
            lex_error(lx, lx->line, "unexpected \"{\"");
            return HS_ERROR;
        default:
            if (parse_directive(lx, w, out) != HS_OK)
                return HS_ERROR;
        }
    }
}

/* hush -T: told of every file read, main and included, in order. */
static hs_conf_file_fn on_file;

void hs_conf_tree_on_file(hs_conf_file_fn fn) { on_file = fn; }

static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "cannot open \"%s\": %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t r;
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            char *nb = realloc(buf, cap * 2);
            if (nb == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf == NULL)
        snprintf(err, errlen, "out of memory reading \"%s\"", path);
    else if (on_file)
        on_file(path, buf, n);
    *len = n;
    return buf;
}

/* Parses one file's text (kept in the pool) and appends its directives to out. */
static int parse_text(hs_pool *pool, const char *text, size_t len, const char *file,
                      const char *conf_dir, int depth, char *err, size_t errlen, node_vec *out)
{
    lexer lx = {.pool = pool, .file = hs_pstrndup(pool, file, strlen(file)), .p = text,
                .end = text + len, .line = 1, .conf_dir = conf_dir, .err = err,
                .errlen = errlen, .depth = depth, .scratch = malloc(len + 1)};
    if (lx.scratch == NULL) {
        snprintf(err, errlen, "%s: out of memory", file);
        return HS_ERROR;
    }
    int rc = parse_block(&lx, out, false, 1);
    free(lx.scratch);
    return rc;
}

static int include_files(lexer *lx, const hs_conf_node *inc, node_vec *out)
{
    if (inc->nargs != 2) {
        lex_error(lx, inc->line, "invalid number of arguments in \"include\" directive");
        return HS_ERROR;
    }
    if (lx->depth >= MAX_INCLUDE_DEPTH) {
        lex_error(lx, inc->line, "include nested too deeply (a loop?)");
        return HS_ERROR;
    }
    const char *pat = inc->args[1].p;
    char full[4096];
    if (pat[0] == '/')
        snprintf(full, sizeof(full), "%s", pat);
    else
        snprintf(full, sizeof(full), "%s/%s", lx->conf_dir, pat);
    glob_t g;
    int rc = glob(full, 0, NULL, &g);
    if (rc == GLOB_NOMATCH) {
        globfree(&g);
        /* nginx: a pattern with wildcards may match nothing; a plain path must exist. */
        if (strpbrk(pat, "*?["))
            return HS_OK;
        lex_error(lx, inc->line, "cannot open \"%s\": %s", full, strerror(ENOENT));
        return HS_ERROR;
    }
    if (rc != 0) {
        globfree(&g);
        lex_error(lx, inc->line, "glob \"%s\" failed", full);
        return HS_ERROR;
    }
    int result = HS_OK;
    for (size_t i = 0; i < g.gl_pathc && result == HS_OK; i++) {
        struct stat st;
        bool known = stat(g.gl_pathv[i], &st) == 0;
        if (known && S_ISDIR(st.st_mode))
            continue;
        if (known && !S_ISREG(st.st_mode)) {
            /* a device or a FIFO would be read forever, or block the start */
            lex_error(lx, inc->line, "cannot include \"%s\": not a regular file", g.gl_pathv[i]);
            result = HS_ERROR;
            break;
        }
        size_t len;
        char sub[512];
        char *text = read_file(g.gl_pathv[i], &len, sub, sizeof(sub));
        if (text == NULL) {
            lex_error(lx, inc->line, "%s", sub);
            result = HS_ERROR;
            break;
        }
        result = parse_text(lx->pool, text, len, g.gl_pathv[i], lx->conf_dir, lx->depth + 1,
                            lx->err, lx->errlen, out);
        free(text);
    }
    globfree(&g);
    return result;
}

static hs_conf_node *make_root(hs_pool *pool, node_vec *v, const char *file)
{
    hs_conf_node *root = hs_pcalloc(pool, sizeof(*root));
    root->file = hs_pstrndup(pool, file, strlen(file));
    root->block = true;
    root->nchildren = v->n;
    root->children = hs_palloc(pool, (v->n ? v->n : 1) * sizeof(hs_conf_node));
    if (v->n)
        memcpy(root->children, v->v, v->n * sizeof(hs_conf_node));
    free(v->v);
    return root;
}

hs_conf_node *hs_conf_tree_parse_string(hs_pool *pool, const char *text, const char *name,
                                        const char *conf_dir, char *err, size_t errlen)
{
    node_vec v = {0};
    if (parse_text(pool, text, strlen(text), name, conf_dir, 0, err, errlen, &v) != HS_OK) {
        free(v.v);
        return NULL;
    }
    return make_root(pool, &v, name);
}

hs_conf_node *hs_conf_tree_load(hs_pool *pool, const char *path, const char *conf_dir, char *err,
                                size_t errlen)
{
    size_t len;
    char *text = read_file(path, &len, err, errlen);
    if (text == NULL)
        return NULL;
    node_vec v = {0};
    int rc = parse_text(pool, text, len, path, conf_dir, 0, err, errlen, &v);
    free(text);
    if (rc != HS_OK) {
        free(v.v);
        return NULL;
    }
    return make_root(pool, &v, path);
}
