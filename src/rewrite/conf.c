/* The rewrite directives: rewrite, return, set, if, break, rewrite_log,
 * uninitialized_variable_warn, internal, drop_rule_name. The rewrite
 * directives of a server or a location, and of the if blocks in it, become
 * that level's one script, in config order; an if block is an anonymous
 * level of the http core (its settings, inherited from its location). */
#include <libgen.h>
#include <stdio.h>

#include "core/units.h"
#include "rewrite/rewrite_internal.h"

/* ---- levels ---- */

rw_http *rw_http_get(hs_cf *cf)
{
    hs_http_conf *http = cf->level[HS_LEVEL_HTTP];
    rw_http **slot = (rw_http **)&HS_MOD_SLOT(http->mod, &hs_rewrite_module);
    if (*slot == NULL)
        *slot = hs_pcalloc(cf->pool, sizeof(**slot));
    return *slot;
}

rw_loc *rw_loc_get(hs_cf *cf, hs_loc_conf *lc)
{
    rw_loc **slot = (rw_loc **)&HS_MOD_SLOT(lc->mod, &hs_rewrite_module);
    if (*slot == NULL) {
        *slot = hs_pcalloc(cf->pool, sizeof(**slot));
        (*slot)->rewrite_log = HS_UNSET;
        (*slot)->uninit_warn = HS_UNSET;
    }
    return *slot;
}

static rw_loc *here(hs_cf *cf) { return rw_loc_get(cf, cf->level[HS_LEVEL_LOC]); }

/* The script an op goes to: the server's or the location's, also from an
 * if block in it. */
static rw_op *push_op(hs_cf *cf, int kind, size_t *index)
{
    hs_loc_conf *lc = cf->level[HS_LEVEL_LOC];
    while (lc->anonymous)
        lc = lc->parent;
    rw_loc *rl = rw_loc_get(cf, lc);
    if (index)
        *index = rl->nops;
    rw_op *op = hs_pvec_push(cf->pool, (void **)&rl->ops, &rl->nops, sizeof(*op));
    memset(op, 0, sizeof(*op));
    op->kind = (uint8_t)kind;
    rw_http_get(cf)->has_script = true;
    return op;
}

/* ---- rewrite ---- */

static int rewrite_flag(hs_cf *cf, const hs_conf_node *n, hs_str f, rw_rewrite *rw)
{
    if (hs_str_eq_lit(f, "last")) {
        rw->flag = RW_FLAG_LAST;
    } else if (hs_str_eq_lit(f, "break")) {
        rw->flag = RW_FLAG_BREAK;
    } else if (hs_str_eq_lit(f, "redirect") || hs_str_eq_lit(f, "permanent")) {
        rw->flag = f.p[0] == 'r' ? RW_FLAG_REDIRECT : RW_FLAG_PERMANENT;
        rw->redirect = true;
    } else {
        return hs_cf_error(cf, n, "invalid parameter \"%s\"", f.p);
    }
    return HS_OK;
}

/* The replacement: a trailing '?' keeps the request's args out; the first
 * '?' splits the new $uri from the new $args. */
static int replacement(hs_cf *cf, const hs_conf_node *n, hs_str text, rw_rewrite *rw)
{
    rw->redirect = hs_str_has_prefix(text, HS_STR("http://")) || hs_str_has_prefix(text, HS_STR("https://")) ||
                   hs_str_has_prefix(text, HS_STR("$scheme"));
    rw->add_args = true;
    if (text.n && text.p[text.n - 1] == '?') {
        text.n--;
        rw->add_args = false;
    }
    const char *q = memchr(text.p, '?', text.n);
    hs_str uri = q ? (hs_str){text.p, (size_t)(q - text.p)} : text;
    rw->has_args = q != NULL;
    if (rw_tpl_compile(cf, n, uri, &rw->uri) != HS_OK)
        return HS_ERROR;
    if (q && rw_tpl_compile(cf, n, (hs_str){q + 1, text.n - uri.n - 1}, &rw->args) != HS_OK)
        return HS_ERROR;
    return HS_OK;
}

static int rewrite_directive(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    rw_rewrite rw = {0};
    char err[256];
    rw.pattern = hs_pstr(cf->pool, n->args[1]);
    rw.regex = hs_regex_compile(cf->pool, rw.pattern, false, err, sizeof(err));
    if (rw.regex == NULL)
        return hs_cf_error(cf, n, "%s", err);
    hs_http_define_named_captures(cf, rw.regex);
    if (replacement(cf, n, n->args[2], &rw) != HS_OK)
        return HS_ERROR;
    if (n->nargs == 4 && rewrite_flag(cf, n, n->args[3], &rw) != HS_OK)
        return HS_ERROR;
    push_op(cf, RW_OP_REWRITE, NULL)->u.rw = rw;
    return HS_OK;
}

/* ---- return ---- */

static bool looks_like_url(hs_str s)
{
    return hs_str_has_prefix(s, HS_STR("http://")) || hs_str_has_prefix(s, HS_STR("https://")) ||
           hs_str_has_prefix(s, HS_STR("$scheme"));
}

static int return_directive(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    rw_return rt = {.level = cf->level[HS_LEVEL_LOC]};
    int64_t code = hs_parse_int(n->args[1]);
    if (code < 0) {
        if (n->nargs != 2 || !looks_like_url(n->args[1]))
            return hs_cf_error(cf, n, "invalid return code \"%s\"", n->args[1].p);
        code = 302;
        if (hs_cv_compile(cf, n, hs_pstr(cf->pool, n->args[1]), &rt.text) != HS_OK)
            return HS_ERROR;
    } else if (code > 999) {
        return hs_cf_error(cf, n, "invalid return code \"%s\"", n->args[1].p);
    } else if (n->nargs == 3) {
        if (code == 444)
            return hs_cf_error(cf, n, "\"return 444\" closes the connection and takes no text");
        if (hs_cv_compile(cf, n, hs_pstr(cf->pool, n->args[2]), &rt.text) != HS_OK)
            return HS_ERROR;
    }
    rt.code = (int)code;
    push_op(cf, RW_OP_RETURN, NULL)->u.ret = rt;
    return HS_OK;
}

/* ---- set, break ---- */

static int set_directive(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    hs_str v = n->args[1], name;
    if (v.n < 2 || v.p[0] != '$' || hs_var_scan(v, &name) != v.n || v.p[1] == '{')
        return hs_cf_error(cf, n, "invalid variable name \"%s\"", v.p);
    uint32_t index = RW_SET_ARGS;
    hs_var_setter setter = hs_var_find_setter(name);
    if (!setter && !hs_str_eq_lit(name, "args") && rw_var_define(cf, n, name, &index) != HS_OK)
        return HS_ERROR;
    hs_cv value;
    if (hs_cv_compile(cf, n, hs_pstr(cf->pool, n->args[2]), &value) != HS_OK)
        return HS_ERROR;
    rw_op *op = push_op(cf, RW_OP_SET, NULL);
    op->u.set.index = index;
    op->u.set.setter = setter;
    op->u.set.value = value;
    return HS_OK;
}

static int break_directive(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)n;
    (void)conf;
    (void)d;
    push_op(cf, RW_OP_BREAK, NULL);
    return HS_OK;
}

/* ---- if ---- */

static int if_block(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    hs_loc_conf *parent = cf->level[HS_LEVEL_LOC];
    rw_cond cond;
    if (rw_cond_compile(cf, n, &cond) != HS_OK)
        return HS_ERROR;
    size_t k;
    push_op(cf, RW_OP_IF, &k);
    hs_loc_conf *ic = hs_http_add_anonymous(cf, n, parent->match == HS_LOC_SERVER ? HS_CTX_IF_SERVER : HS_CTX_IF);
    if (ic == NULL)
        return HS_ERROR;
    char *f = hs_pstrndup(cf->pool, n->file, strlen(n->file));
    rw_loc_get(cf, ic)->if_rule = hs_psprintf(cf->pool, "if@%s:%d", basename(f), n->line);
    rw_loc *rl = rw_loc_get(cf, parent);
    rl->ops[k].u.ifb.cond = cond;
    rl->ops[k].u.ifb.level = ic;
    rl->ops[k].u.ifb.next = rl->nops;
    return HS_OK;
}

/* ---- the rest ---- */

static int drop_rule_name(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    rw_loc *rl = here(cf);
    if (rl->drop_rule_name)
        return hs_cf_error(cf, n, "\"drop_rule_name\" directive is duplicate");
    rl->drop_rule_name = hs_pstr(cf->pool, n->args[1]).p;
    return HS_OK;
}

static int level_flag(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    rw_loc *rl = here(cf);
    int *v = d->name[0] == 'r' ? &rl->rewrite_log : &rl->uninit_warn;
    if (*v != HS_UNSET)
        return hs_cf_error(cf, n, "\"%s\" directive is duplicate", d->name);
    return hs_set_flag(cf, n, v, d);
}

static int internal_directive(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    rw_loc *rl = here(cf);
    if (rl->internal)
        return hs_cf_error(cf, n, "\"internal\" directive is duplicate");
    rl->internal = true;
    rw_http_get(cf)->has_internal = true;
    return HS_OK;
}

#define RW_CTX (HS_CTX_SERVER | HS_CTX_LOCATION | HS_CTX_IF | HS_CTX_IF_SERVER)

const hs_directive rw_directives[] = {
    {"rewrite", RW_CTX, HS_ARGS(2) | HS_ARGS(3), rewrite_directive, HS_LEVEL_NONE, 0, NULL},
    {"return", RW_CTX, HS_ARGS_12, return_directive, HS_LEVEL_NONE, 0, NULL},
    {"set", RW_CTX, HS_ARGS_2, set_directive, HS_LEVEL_NONE, 0, NULL},
    {"break", RW_CTX, HS_ARGS_0, break_directive, HS_LEVEL_NONE, 0, NULL},
    {"if", HS_CTX_SERVER | HS_CTX_LOCATION, HS_ARGS_1MORE | HS_ARGS_BLOCK, if_block, HS_LEVEL_NONE, 0, NULL},
    {"rewrite_log", RW_CTX | HS_CTX_HTTP, HS_ARGS_1, level_flag, HS_LEVEL_NONE, 0, NULL},
    {"uninitialized_variable_warn", RW_CTX | HS_CTX_HTTP, HS_ARGS_1, level_flag, HS_LEVEL_NONE, 0, NULL},
    {"internal", HS_CTX_LOCATION, HS_ARGS_0, internal_directive, HS_LEVEL_NONE, 0, NULL},
    {"drop_rule_name", RW_CTX, HS_ARGS_1, drop_rule_name, HS_LEVEL_NONE, 0, NULL},
    {NULL, 0, 0, NULL, 0, 0, NULL},
};
