/* The replacement of a rewrite: literal text, the captures $1..$9 of its
 * regex, and other variables. As nginx: when the request's path came
 * escaped (a '%' or a '+' in it), the captures copied into a redirect or
 * into arguments are escaped again, so that "/old/a%20b" becomes
 * "Location: /new/a%20b" and "?q=a%26b" stays one argument. */
#include "core/varname.h"
#include "rewrite/rewrite_internal.h"

/* The bytes nginx escapes in arguments (NGX_ESCAPE_ARGS), one bit each:
 * space " # % & + ; < > ? \ ^ ` { | }, control and non-ASCII bytes. A
 * redirect is then decoded up to its '?' (replace.c), which leaves space,
 * " # % and the rest escaped in its path, as nginx 1.22. */
const uint32_t rw_escape_args[8] = {0xffffffff, 0xd800086d, 0x50000000, 0xb8000001,
                                    0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff};

static rw_part *push_part(hs_cf *cf, rw_tpl *t, int kind)
{
    rw_part *p = hs_pvec_push(cf->pool, (void **)&t->parts, &t->n, sizeof(*p));
    if (p) {
        memset(p, 0, sizeof(*p));
        p->kind = (uint8_t)kind;
    }
    return p;
}

int rw_tpl_compile(hs_cf *cf, const hs_conf_node *n, hs_str text, rw_tpl *t)
{
    memset(t, 0, sizeof(*t));
    size_t lit = 0;
    for (size_t i = 0; i <= text.n; i++) {
        hs_str name;
        size_t used = i < text.n ? hs_varname_scan((hs_str){text.p + i, text.n - i}, &name) : 0;
        if (i < text.n && used == 0)
            continue;
        if (i > lit)
            push_part(cf, t, RW_PART_LIT)->lit = hs_pstr(cf->pool, (hs_str){text.p + lit, i - lit});
        if (i == text.n)
            break;
        if (name.n == 1 && name.p[0] >= '1' && name.p[0] <= '9') {
            push_part(cf, t, RW_PART_CAP)->cap = (uint8_t)(name.p[0] - '0');
        } else if (hs_var_resolve(cf, n, name, &push_part(cf, t, RW_PART_VAR)->var) != HS_OK) {
            return hs_cf_error(cf, n, "out of memory");
        }
        i += used - 1;
        lit = i + 1;
    }
    return HS_OK;
}

static hs_str capture(const hs_req *r, int i)
{
    if (i >= r->ncaptures || r->captures[2 * i] < 0)
        return HS_NULL_STR;
    return (hs_str){r->capture_subject.p + r->captures[2 * i], (size_t)(r->captures[2 * i + 1] - r->captures[2 * i])};
}

static size_t escaped_len(hs_str s, const uint32_t *esc)
{
    size_t n = s.n;
    for (size_t i = 0; esc && i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (esc[c >> 5] & (1u << (c & 31)))
            n += 2;
    }
    return n;
}

static char *copy_escaped(char *dst, hs_str s, const uint32_t *esc)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (esc && (esc[c >> 5] & (1u << (c & 31)))) {
            *dst++ = '%';
            *dst++ = hex[c >> 4];
            *dst++ = hex[c & 15];
        } else {
            *dst++ = (char)c;
        }
    }
    return dst;
}

#define MAX_PARTS 32

int rw_tpl_eval(const rw_tpl *t, hs_req *r, const uint32_t *esc, hs_str *out)
{
    hs_str vals[MAX_PARTS];
    char scratch[HS_VAR_SCRATCH];
    size_t total = 0, np = t->n < MAX_PARTS ? t->n : MAX_PARTS;
    for (size_t i = 0; i < np; i++) {
        const rw_part *p = &t->parts[i];
        if (p->kind == RW_PART_LIT) {
            vals[i] = p->lit;
        } else if (p->kind == RW_PART_CAP) {
            vals[i] = capture(r, p->cap);
        } else if (hs_var_get_value(&p->var, r, &vals[i], scratch) != HS_OK) {
            vals[i] = HS_NULL_STR;
        } else if (vals[i].p == scratch) {
            vals[i] = hs_pstr(r->pool, vals[i]); /* scratch is reused by the next part */
        }
        total += p->kind == RW_PART_CAP ? escaped_len(vals[i], esc) : vals[i].n;
    }
    char *buf = hs_palloc(r->pool, total + 1), *d = buf;
    if (buf == NULL)
        return HS_ERROR;
    for (size_t i = 0; i < np; i++)
        d = t->parts[i].kind == RW_PART_CAP ? copy_escaped(d, vals[i], esc) : copy_escaped(d, vals[i], NULL);
    *d = '\0';
    *out = (hs_str){buf, (size_t)(d - buf)};
    return HS_OK;
}
