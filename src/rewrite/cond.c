/* if (...) conditions, nginx's set: ($var), ($var = text), ($var != text),
 * ($var ~ re), ~*, !~, !~* (captures become $1..$9 and named variables),
 * and the file tests -f, -d, -e, -x and their ! forms. Compiled at load
 * time. */
#include <stdio.h>
#include <sys/stat.h>

#include "rewrite/rewrite_internal.h"

/* Splits the if arguments into words without the enclosing parentheses
 * ("($a" "=" "b)", or "($a" "~" "re" ")" after a quoted value). */
static int cond_words(hs_cf *cf, const hs_conf_node *n, hs_str *w, size_t *nw)
{
    hs_str t[5];
    size_t k = 0;
    if (n->nargs - 1 > 4)
        return hs_cf_error(cf, n, "invalid condition: too many arguments in \"if\"");
    for (size_t i = 1; i < n->nargs; i++)
        t[k++] = n->args[i];
    if (t[0].n == 0 || t[0].p[0] != '(')
        return hs_cf_error(cf, n, "invalid condition \"%s\": expected \"(\"", t[0].p);
    hs_str *last = &t[k - 1];
    if (last->n == 0 || last->p[last->n - 1] != ')')
        return hs_cf_error(cf, n, "invalid condition: expected \")\"");
    t[0] = (hs_str){t[0].p + 1, t[0].n - 1};
    last->n--; /* after the first strip when both are the same word: "($a)" */
    *nw = 0;
    for (size_t i = 0; i < k; i++) {
        if (t[i].n == 0 && (i == 0 || i == k - 1) && k > 1)
            continue; /* a parenthesis that stood alone, or the ")" after a quoted value */
        if (*nw == 3)
            return hs_cf_error(cf, n, "invalid condition: too many arguments in \"if\"");
        w[(*nw)++] = t[i];
    }
    return HS_OK;
}

static int compile_var(hs_cf *cf, const hs_conf_node *n, hs_str w, hs_cv *out)
{
    hs_str name;
    if (w.n < 2 || w.p[0] != '$' || hs_var_scan(w, &name) != w.n)
        return hs_cf_error(cf, n, "invalid condition \"%.*s\"", (int)w.n, w.p);
    return hs_cv_compile(cf, n, hs_pstr(cf->pool, w), out);
}

/* -f PATH, !-x PATH ... */
static int compile_file_test(hs_cf *cf, const hs_conf_node *n, hs_str *w, rw_cond *out)
{
    hs_str t = w[0];
    out->negate = t.p[0] == '!';
    if (out->negate)
        t = (hs_str){t.p + 1, t.n - 1};
    if (t.n != 2 || t.p[0] != '-' || !strchr("fdex", t.p[1]))
        return hs_cf_error(cf, n, "invalid condition \"%.*s\"", (int)w[0].n, w[0].p);
    out->op = RW_COND_FILE;
    out->file_test = t.p[1];
    return hs_cv_compile(cf, n, hs_pstr(cf->pool, w[1]), &out->subject);
}

static int compile_regex(hs_cf *cf, const hs_conf_node *n, hs_str op, hs_str re, rw_cond *out)
{
    bool caseless;
    if (hs_str_eq_lit(op, "~") || hs_str_eq_lit(op, "!~"))
        caseless = false;
    else if (hs_str_eq_lit(op, "~*") || hs_str_eq_lit(op, "!~*"))
        caseless = true;
    else
        return hs_cf_error(cf, n, "unexpected \"%.*s\" in condition", (int)op.n, op.p);
    out->op = op.p[0] == '!' ? RW_COND_NOMATCH : RW_COND_MATCH;
    char err[256];
    out->pattern = hs_pstr(cf->pool, re);
    out->regex = hs_regex_compile(cf->pool, out->pattern, caseless, err, sizeof(err));
    if (out->regex == NULL)
        return hs_cf_error(cf, n, "%s", err);
    hs_http_define_named_captures(cf, out->regex);
    return HS_OK;
}

int rw_cond_compile(hs_cf *cf, const hs_conf_node *n, rw_cond *out)
{
    hs_str w[3];
    size_t nw = 0;
    memset(out, 0, sizeof(*out));
    if (cond_words(cf, n, w, &nw) != HS_OK)
        return HS_ERROR;
    if (nw == 0)
        return hs_cf_error(cf, n, "invalid condition: empty");
    if (nw == 2)
        return compile_file_test(cf, n, w, out);
    if (compile_var(cf, n, w[0], &out->subject) != HS_OK)
        return HS_ERROR;
    if (nw == 1) {
        out->op = RW_COND_TRUE;
        return HS_OK;
    }
    if (hs_str_eq_lit(w[1], "=") || hs_str_eq_lit(w[1], "!=")) {
        out->op = w[1].n == 1 ? RW_COND_EQ : RW_COND_NE;
        return hs_cv_compile(cf, n, hs_pstr(cf->pool, w[2]), &out->value);
    }
    return compile_regex(cf, n, w[1], w[2], out);
}

/* stat() follows symbolic links, as nginx does without disable_symlinks. */
static bool file_test(const rw_cond *c, hs_str path)
{
    struct stat st;
    bool ok = false;
    if (path.n && stat(path.p, &st) == 0) {
        switch (c->file_test) {
        case 'f': ok = S_ISREG(st.st_mode); break;
        case 'd': ok = S_ISDIR(st.st_mode); break;
        case 'x': ok = (st.st_mode & S_IXUSR) != 0; break;
        default: ok = true; break;
        }
    }
    return ok != c->negate;
}

static bool regex_test(const rw_cond *c, hs_req *r, hs_str v, bool log)
{
    int ov[2 * HS_REGEX_MAX_CAPTURES];
    int m = hs_regex_match(c->regex, v, ov);
    if (log)
        rw_log(r, "\"%s\" %s \"%.*s\"", c->pattern.p, m > 0 ? "matches" : "does not match", (int)v.n, v.p);
    if (m > 0) /* the subject outlives the captures: it lives in the request pool */
        hs_http_set_captures(r, c->regex, v, ov, m);
    return (m > 0) == (c->op == RW_COND_MATCH);
}

bool rw_cond_eval(const rw_cond *c, hs_req *r, bool log)
{
    hs_str v;
    if (hs_cv_eval(&c->subject, r, r->pool, &v) != HS_OK)
        v = HS_NULL_STR;
    switch (c->op) {
    case RW_COND_TRUE:
        return v.n > 0 && !hs_str_eq_lit(v, "0");
    case RW_COND_FILE:
        return file_test(c, v);
    case RW_COND_EQ:
    case RW_COND_NE: {
        hs_str want;
        if (hs_cv_eval(&c->value, r, r->pool, &want) != HS_OK)
            want = HS_NULL_STR;
        return hs_str_eq(v, want) == (c->op == RW_COND_EQ);
    }
    default:
        return regex_test(c, r, v, log);
    }
}
