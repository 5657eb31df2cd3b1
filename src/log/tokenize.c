#include "log/tokenize.h"

#include "core/varname.h"

static int emit(hs_log_tok_fn fn, void *arg, hs_log_tok_kind kind, const char *p, size_t n)
{
    hs_log_tok tok = {kind, {p, n}};
    return fn(arg, &tok);
}

int hs_log_tokenize(hs_str text, hs_log_tok_fn fn, void *arg)
{
    size_t lit = 0; /* start of the pending literal run */
    for (size_t i = 0; i < text.n; i++) {
        if (text.p[i] != '$')
            continue;
        hs_str name;
        size_t used = hs_varname_scan((hs_str){text.p + i, text.n - i}, &name);
        if (used == 0)
            continue; /* a '$' that starts no name is literal */
        int rc;
        if (i > lit && (rc = emit(fn, arg, HS_LOG_TOK_LIT, text.p + lit, i - lit)) != HS_OK)
            return rc;
        if ((rc = emit(fn, arg, HS_LOG_TOK_VAR, name.p, name.n)) != HS_OK)
            return rc;
        i += used - 1;
        lit = i + 1;
    }
    if (text.n > lit)
        return emit(fn, arg, HS_LOG_TOK_LIT, text.p + lit, text.n - lit);
    return HS_OK;
}
