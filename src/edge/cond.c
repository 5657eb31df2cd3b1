/* if (...) conditions, nginx's subset: ($var), ($var = text), ($var != text),
 * ($var ~ re), ~*, !~, !~*. Compiled at load time. */
#include <stdio.h>

#include "edge/edge_conf.h"

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
        bool edge_word = (i == 0 || i == k - 1) && k > 1;
        if (t[i].n == 0 && edge_word && !(i == k - 1 && k == 4))
            continue; /* a parenthesis that stood alone */
        if (t[i].n == 0 && i == k - 1 && k == 4)
            continue; /* the ")" after a quoted value */
        if (*nw == 3)
            return hs_cf_error(cf, n, "invalid condition: too many arguments in \"if\"");
        w[(*nw)++] = t[i];
    }
    return HS_OK;
}

static int compile_var(hs_cf *cf, const hs_conf_node *n, hs_str w, hs_cv *out)
{
    hs_str name;
    if (w.n < 2 || w.p[0] != '$' || hs_var_scan(w, &name) != w.n) {
        if (w.n && w.p[0] == '-')
            return hs_cf_error(cf, n, "file tests (\"%.*s\") in \"if\" are not supported", (int)w.n, w.p);
        return hs_cf_error(cf, n, "invalid condition \"%.*s\": a variable is expected", (int)w.n, w.p);
    }
    return hs_cv_compile(cf, n, w, out);
}

int hs_cond_compile(hs_cf *cf, const hs_conf_node *n, hs_cond *out)
{
    hs_str w[3];
    size_t nw = 0;
    memset(out, 0, sizeof(*out));
    if (cond_words(cf, n, w, &nw) != HS_OK)
        return HS_ERROR;
    if (nw == 0)
        return hs_cf_error(cf, n, "invalid condition: empty");
    if (compile_var(cf, n, w[0], &out->subject) != HS_OK)
        return HS_ERROR;
    if (nw == 1) {
        out->op = HS_COND_TRUE;
        return HS_OK;
    }
    if (nw != 3)
        return hs_cf_error(cf, n, "invalid condition \"%s\"", n->args[1].p);
    hs_str op = w[1];
    bool caseless = false;
    if (hs_str_eq_lit(op, "=") || hs_str_eq_lit(op, "!=")) {
        out->op = op.n == 1 ? HS_COND_EQ : HS_COND_NE;
        return hs_cv_compile(cf, n, hs_pstr(cf->pool, w[2]), &out->value);
    }
    if (hs_str_eq_lit(op, "~") || hs_str_eq_lit(op, "!~")) {
        out->op = op.p[0] == '!' ? HS_COND_NOMATCH : HS_COND_MATCH;
    } else if (hs_str_eq_lit(op, "~*") || hs_str_eq_lit(op, "!~*")) {
        out->op = op.p[0] == '!' ? HS_COND_NOMATCH : HS_COND_MATCH;
        caseless = true;
    } else {
        return hs_cf_error(cf, n, "unexpected \"%.*s\" in condition", (int)op.n, op.p);
    }
    char err[256];
    out->regex = hs_regex_compile(cf->pool, hs_pstr(cf->pool, w[2]), caseless, err, sizeof(err));
    if (out->regex == NULL)
        return hs_cf_error(cf, n, "%s", err);
    return HS_OK;
}

bool hs_cond_eval(const hs_cond *c, hs_req *r)
{
    hs_str v;
    if (hs_cv_eval(&c->subject, r, r->pool, &v) != HS_OK)
        v = HS_NULL_STR;
    switch (c->op) {
    case HS_COND_TRUE:
        return v.n > 0 && !hs_str_eq_lit(v, "0");
    case HS_COND_EQ:
    case HS_COND_NE: {
        hs_str want;
        if (hs_cv_eval(&c->value, r, r->pool, &want) != HS_OK)
            want = HS_NULL_STR;
        return hs_str_eq(v, want) == (c->op == HS_COND_EQ);
    }
    default: {
        int ov[2 * HS_REGEX_MAX_CAPTURES];
        int m = hs_regex_match(c->regex, v, ov);
        if (m > 0 && c->op == HS_COND_MATCH) {
            /* the subject must outlive the captures: it lives in the request pool */
            memcpy(r->captures, ov, sizeof(r->captures));
            r->ncaptures = m;
            r->capture_subject = v;
        }
        return (m > 0) == (c->op == HS_COND_MATCH);
    }
    }
}
