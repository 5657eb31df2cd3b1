#include "log/format.h"

#include "log/tokenize.h"

static const char hex[] = "0123456789ABCDEF";

typedef struct {
    hs_cf *cf;
    const hs_conf_node *node;
    hs_log_format *out;
    size_t cap; /* room in out->ops */
} compile_ctx;

/* One token becomes one operation; a variable is resolved now (a name not
 * defined yet becomes a forward reference, checked once the file is read). */
static int add_op(void *arg, const hs_log_tok *tok)
{
    compile_ctx *c = arg;
    hs_log_format *f = c->out;
    if (f->nops == c->cap) {
        hs_log_op *n = hs_palloc(c->cf->pool, c->cap * 2 * sizeof(hs_log_op));
        if (n == NULL)
            return hs_cf_error(c->cf, c->node, "out of memory");
        memcpy(n, f->ops, f->nops * sizeof(hs_log_op));
        f->ops = n;
        c->cap *= 2;
    }
    if (tok->kind == HS_LOG_TOK_LIT) {
        f->ops[f->nops++] = (hs_log_op){.lit = tok->text};
        return HS_OK;
    }
    hs_log_op op = {.is_var = true, .name = tok->text};
    if (hs_var_resolve(c->cf, c->node, tok->text, &op.var) != HS_OK)
        return hs_cf_error(c->cf, c->node, "out of memory");
    f->ops[f->nops++] = op;
    return HS_OK;
}

int hs_log_format_compile(hs_cf *cf, const hs_conf_node *node, hs_str name, hs_str text,
                          int escape, hs_log_format *out)
{
    memset(out, 0, sizeof(*out));
    out->name = name;
    out->text = text;
    out->escape = escape;
    compile_ctx c = {cf, node, out, 16};
    /* allocated even for an empty format: ops != NULL means compiled */
    out->ops = hs_palloc(cf->pool, c.cap * sizeof(hs_log_op));
    if (out->ops == NULL)
        return hs_cf_error(cf, node, "out of memory");
    return hs_log_tokenize(text, add_op, &c);
}

static bool needs_default_escape(unsigned char c) { return c < 0x20 || c >= 0x7f || c == '"' || c == '\\'; }

#define BYTES(b) (0x0101010101010101ULL * (uint64_t)(b))

/* Any byte of w zero / below n (n <= 128): exact for "any" (the classic
 * word-at-a-time tests). */
static inline uint64_t any_zero(uint64_t w) { return (w - BYTES(1)) & ~w & BYTES(0x80); }
static inline uint64_t any_below(uint64_t w, unsigned n) { return (w - BYTES(n)) & ~w & BYTES(0x80); }

/* Does any of the 8 bytes of w need the default escape? */
static inline bool word_needs_escape(uint64_t w)
{
    return (any_below(w, 0x20) | (w & BYTES(0x80)) | any_zero(w ^ BYTES(0x7f)) | any_zero(w ^ BYTES('"')) |
            any_zero(w ^ BYTES('\\'))) != 0;
}

/* The length of v's start that needs no escape, 8 bytes at a time. */
static size_t clean_prefix(hs_str v)
{
    size_t n = 0;
    for (uint64_t w; n + 8 <= v.n; n += 8) {
        memcpy(&w, v.p + n, 8);
        if (word_needs_escape(w))
            break;
    }
    while (n < v.n && !needs_default_escape((unsigned char)v.p[n]))
        n++;
    return n;
}

static size_t escape_default(hs_str v, char *out, size_t cap)
{
    size_t n = clean_prefix(v); /* most values need no escape: the clean start is copied at once */
    if (n && cap)
        memcpy(out, v.p, n < cap ? n : cap);
    for (size_t i = n; i < v.n; i++) {
        unsigned char c = (unsigned char)v.p[i];
        if (!needs_default_escape(c)) {
            if (n < cap)
                out[n] = (char)c;
            n++;
            continue;
        }
        if (n + 4 <= cap) {
            out[n] = '\\';
            out[n + 1] = 'x';
            out[n + 2] = hex[c >> 4];
            out[n + 3] = hex[c & 15];
        }
        n += 4;
    }
    return n;
}

static size_t escape_json(hs_str v, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < v.n; i++) {
        unsigned char c = (unsigned char)v.p[i];
        char e = 0;
        switch (c) {
        case '"': e = '"'; break;
        case '\\': e = '\\'; break;
        case '\n': e = 'n'; break;
        case '\r': e = 'r'; break;
        case '\t': e = 't'; break;
        case '\b': e = 'b'; break;
        case '\f': e = 'f'; break;
        }
        if (e) {
            if (n + 2 <= cap) {
                out[n] = '\\';
                out[n + 1] = e;
            }
            n += 2;
        } else if (c < 0x20) {
            if (n + 6 <= cap)
                memcpy(out + n, (char[]){'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]}, 6);
            n += 6;
        } else {
            if (n < cap)
                out[n] = (char)c;
            n++;
        }
    }
    return n;
}

size_t hs_log_escape_value(int escape, hs_str v, char *out, size_t cap)
{
    switch (escape) {
    case HS_ESCAPE_JSON:
        return escape_json(v, out, cap);
    case HS_ESCAPE_NONE:
        if (v.n <= cap)
            memcpy(out, v.p, v.n);
        return v.n;
    default:
        return escape_default(v, out, cap);
    }
}

size_t hs_log_format_render(const hs_log_format *f, void *ctx, char *out, size_t cap)
{
    char scratch[HS_VAR_SCRATCH];
    size_t n = 0;
    for (size_t i = 0; i < f->nops; i++) {
        const hs_log_op *op = &f->ops[i];
        hs_str v;
        size_t room = n < cap ? cap - n : 0;
        if (!op->is_var) {
            v = op->lit;
            if (v.n <= room)
                memcpy(out + n, v.p, v.n);
            n += v.n;
            continue;
        }
        if (hs_var_get_value(&op->var, ctx, &v, scratch) != HS_OK) {
            /* a variable without a value is "-" (json, none: empty), as nginx */
            if (f->escape != HS_ESCAPE_DEFAULT)
                continue;
            if (room)
                out[n] = '-';
            n++;
            continue;
        }
        n += hs_log_escape_value(f->escape, v, room ? out + n : out, room);
    }
    return n;
}
