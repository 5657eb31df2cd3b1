/* The rewrite module's record: its directives, the inheritance of its
 * settings, and, once the http block is read, the drop rules of its
 * returns and its hooks (only when some level has a script or is
 * internal). */
#include "rewrite/rewrite_internal.h"

static void merge_loc(hs_cf *cf, hs_loc_conf *child, const hs_loc_conf *parent)
{
    const rw_loc *p = rw_loc_of(parent);
    rw_loc *c = rw_loc_get(cf, child);
    HS_MERGE(c->rewrite_log, p ? p->rewrite_log : HS_UNSET, 0);
    HS_MERGE(c->uninit_warn, p ? p->uninit_warn : HS_UNSET, 1);
}

/* A `return 444` drops by the rule its level names (drop_rule_name), else
 * "if@FILE:LINE" in an if block, else "return". */
static void name_rules(hs_loc_conf *lc)
{
    rw_loc *rl = rw_loc_of(lc);
    for (size_t i = 0; rl && i < rl->nops; i++) {
        rw_return *rt = &rl->ops[i].u.ret;
        if (rl->ops[i].kind != RW_OP_RETURN)
            continue;
        const rw_loc *at = rw_loc_of(rt->level);
        rt->rule = at->drop_rule_name ? at->drop_rule_name : at->if_rule ? at->if_rule : "return";
    }
    for (size_t i = 0; i < lc->nchildren; i++)
        name_rules(lc->children[i]);
}

static int http_finish(hs_cf *cf, hs_http_conf *http)
{
    rw_http *rh = HS_MOD_SLOT(http->mod, &hs_rewrite_module);
    if (rh == NULL)
        return HS_OK;
    for (size_t i = 0; i < http->nservers; i++)
        name_rules(http->servers[i]->loc);
    return rw_register(cf, http, rh);
}

hs_module hs_rewrite_module = {
    .name = "rewrite",
    .directives = {rw_directives},
    .merge_loc = merge_loc,
    .http_finish = http_finish,
};
