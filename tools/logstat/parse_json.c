/* A small JSON-object reader for access-log lines: flat objects of strings
 * and numbers, which is what nginx's escape=json formats produce. */
#include "parse_json.h"

#include <stdlib.h>

#include "mem.h"

typedef struct {
    const char *p, *e; /* unread input */
    char *out;         /* next free byte of the scratch buffer */
} cursor;

static void skip_ws(cursor *c)
{
    while (c->p < c->e && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n'))
        c->p++;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch = hs_lower(ch);
    return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

static int read_u16(const char *p, const char *e)
{
    if (e - p < 4)
        return -1;
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

static char *put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xC0 | cp >> 6);
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | cp >> 12);
        *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | cp >> 18);
        *o++ = (char)(0x80 | (cp >> 12 & 0x3F));
        *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    return o;
}

/* Decodes one escape at c->p (just after the backslash) into c->out. */
static int unescape_one(cursor *c)
{
    char ch = *c->p++;
    switch (ch) {
    case 'n': *c->out++ = '\n'; return HS_OK;
    case 't': *c->out++ = '\t'; return HS_OK;
    case 'r': *c->out++ = '\r'; return HS_OK;
    case 'b': *c->out++ = '\b'; return HS_OK;
    case 'f': *c->out++ = '\f'; return HS_OK;
    case '"': case '\\': case '/': *c->out++ = ch; return HS_OK;
    case 'u': break;
    default: return HS_ERROR;
    }
    int cp = read_u16(c->p, c->e);
    if (cp < 0)
        return HS_ERROR;
    c->p += 4;
    if (cp >= 0xD800 && cp < 0xDC00 && c->e - c->p >= 6 && c->p[0] == '\\' && c->p[1] == 'u') {
        int lo = read_u16(c->p + 2, c->e);
        if (lo >= 0xDC00 && lo < 0xE000) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            c->p += 6;
        }
    }
    c->out = put_utf8(c->out, (unsigned)cp);
    return HS_OK;
}

/* Reads a string (c->p just after the opening quote).  Without escapes the
 * value is a slice of the line; with them it is decoded into the scratch. */
static int read_string(cursor *c, hs_str *v)
{
    const char *s = c->p;
    const char *q = memchr(s, '"', (size_t)(c->e - s));
    const char *bs = memchr(s, '\\', (size_t)(c->e - s));
    if (!q)
        return HS_ERROR;
    if (!bs || bs > q) {
        *v = hs_str_from(s, (size_t)(q - s));
        c->p = q + 1;
        return HS_OK;
    }
    char *start = c->out;
    while (c->p < c->e && *c->p != '"') {
        if (*c->p == '\\') {
            c->p++;
            if (c->p >= c->e || unescape_one(c) != HS_OK)
                return HS_ERROR;
        } else {
            *c->out++ = *c->p++;
        }
    }
    if (c->p >= c->e)
        return HS_ERROR;
    c->p++;
    *v = hs_str_from(start, (size_t)(c->out - start));
    return HS_OK;
}

/* Skips a nested object or array, minding strings. */
static int skip_nested(cursor *c)
{
    int depth = 0;
    while (c->p < c->e) {
        char ch = *c->p++;
        if (ch == '"') {
            while (c->p < c->e && *c->p != '"')
                c->p += *c->p == '\\' ? 2 : 1;
            if (c->p >= c->e)
                return HS_ERROR;
            c->p++;
        } else if (ch == '{' || ch == '[') {
            depth++;
        } else if (ch == '}' || ch == ']') {
            if (--depth == 0)
                return HS_OK;
        }
    }
    return HS_ERROR;
}

/* Reads any value; *v is set for strings and scalars, *nested for the rest. */
static int read_value(cursor *c, hs_str *v, bool *nested)
{
    *nested = false;
    if (c->p >= c->e)
        return HS_ERROR;
    if (*c->p == '"') {
        c->p++;
        return read_string(c, v);
    }
    if (*c->p == '{' || *c->p == '[') {
        *nested = true;
        return skip_nested(c);
    }
    const char *s = c->p;
    while (c->p < c->e && *c->p != ',' && *c->p != '}' && *c->p != ' ' && *c->p != '\t')
        c->p++;
    if (c->p == s)
        return HS_ERROR;
    *v = hs_str_from(s, (size_t)(c->p - s));
    if (hs_str_eq_lit(*v, "null"))
        *v = HS_STR("-");
    return HS_OK;
}

static int read_member(cursor *c, ls_rec *r)
{
    hs_str key, val;
    bool nested;
    skip_ws(c);
    if (c->p >= c->e || *c->p != '"')
        return HS_ERROR;
    c->p++;
    if (read_string(c, &key) != HS_OK)
        return HS_ERROR;
    skip_ws(c);
    if (c->p >= c->e || *c->p++ != ':')
        return HS_ERROR;
    skip_ws(c);
    if (read_value(c, &val, &nested) != HS_OK)
        return HS_ERROR;
    ls_field f = ls_field_by_name(key);
    if (f != LS_F_SKIP && !nested && ls_rec_set(r, f, val) != HS_OK)
        return HS_ERROR;
    skip_ws(c);
    return HS_OK;
}

int ls_json_parse(hs_str line, ls_rec *r, ls_json_scratch *sc)
{
    if (sc->cap < line.n) {
        sc->cap = line.n < 4096 ? 4096 : line.n;
        sc->buf = ls_xrealloc(sc->buf, sc->cap);
    }
    cursor c = {line.p, line.p + line.n, sc->buf};
    skip_ws(&c);
    if (c.p >= c.e || *c.p++ != '{')
        return HS_DECLINED;
    skip_ws(&c);
    if (c.p < c.e && *c.p == '}') {
        c.p++;
    } else {
        for (;;) {
            if (read_member(&c, r) != HS_OK)
                return HS_DECLINED;
            if (c.p < c.e && *c.p == ',') {
                c.p++;
                continue;
            }
            if (c.p < c.e && *c.p == '}') {
                c.p++;
                break;
            }
            return HS_DECLINED;
        }
    }
    skip_ws(&c);
    return c.p == c.e ? HS_OK : HS_DECLINED;
}

void ls_json_scratch_free(ls_json_scratch *sc)
{
    free(sc->buf);
    sc->buf = NULL;
    sc->cap = 0;
}
