/* The realip directives, their inheritance, and the hooks a configuration
 * that uses them needs. */
#include "realip/realip_internal.h"

/* The settings of the level being read, created by its first directive. */
static rip_loc *here(hs_cf *cf)
{
    hs_loc_conf *lc = cf->level[HS_LEVEL_LOC];
    rip_loc **slot = (rip_loc **)&HS_MOD_SLOT(lc->mod, &hs_realip_module);
    if (*slot == NULL && (*slot = hs_pcalloc(cf->pool, sizeof(rip_loc))) != NULL) {
        (*slot)->type = HS_UNSET;
        (*slot)->recursive = HS_UNSET;
    }
    return *slot;
}

static int set_from(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf, (void)d;
    rip_loc *rl = here(cf);
    hs_cidr c;
    if (rl == NULL)
        return hs_cf_error(cf, n, "out of memory");
    if (hs_str_eq_lit(n->args[1], "all") || hs_cidr_parse(n->args[1], &c) != HS_OK)
        return hs_cf_error(cf, n, "invalid address \"%s\" in \"set_real_ip_from\" (an address, a CIDR block or "
                                  "unix:; hostnames are not supported by hush)", n->args[1].p);
    hs_cidr *v = hs_palloc(cf->pool, (rl->nfrom + 1) * sizeof(*v));
    if (v == NULL)
        return hs_cf_error(cf, n, "out of memory");
    if (rl->nfrom)
        memcpy(v, rl->from, rl->nfrom * sizeof(*v));
    v[rl->nfrom++] = c;
    rl->from = v;
    return HS_OK;
}

static int set_header(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf, (void)d;
    rip_loc *rl = here(cf);
    if (rl == NULL)
        return hs_cf_error(cf, n, "out of memory");
    if (rl->type != HS_UNSET)
        return hs_cf_error(cf, n, "\"real_ip_header\" directive is duplicate");
    hs_str v = n->args[1];
    if (memchr(v.p, '$', v.n))
        return hs_cf_error(cf, n, "variables in \"real_ip_header\" are not supported");
    /* as nginx: the names are compared as written; another spelling is a plain header */
    rl->type = hs_str_eq_lit(v, "X-Real-IP")         ? RIP_X_REAL_IP
               : hs_str_eq_lit(v, "X-Forwarded-For") ? RIP_X_FORWARDED_FOR
               : hs_str_eq_lit(v, "proxy_protocol")  ? RIP_PROXY_PROTOCOL
                                                     : RIP_HEADER;
    rl->header = v;
    return HS_OK;
}

static int set_recursive(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf, (void)d;
    rip_loc *rl = here(cf);
    if (rl == NULL)
        return hs_cf_error(cf, n, "out of memory");
    if (rl->recursive != HS_UNSET)
        return hs_cf_error(cf, n, "\"real_ip_recursive\" directive is duplicate");
    if (!hs_str_eq_lit(n->args[1], "on") && !hs_str_eq_lit(n->args[1], "off"))
        return hs_cf_error(cf, n, "invalid value \"%s\" in \"real_ip_recursive\" directive, it must be \"on\" or "
                                  "\"off\"", n->args[1].p);
    rl->recursive = hs_str_eq_lit(n->args[1], "on");
    return HS_OK;
}

const hs_directive hs_realip_directives[] = {
    {"set_real_ip_from", HS_CTX_HSL, HS_ARGS_1, set_from, HS_LEVEL_NONE, 0, NULL},
    {"real_ip_header", HS_CTX_HSL, HS_ARGS_1, set_header, HS_LEVEL_NONE, 0, NULL},
    {"real_ip_recursive", HS_CTX_HSL, HS_ARGS_1, set_recursive, HS_LEVEL_NONE, 0, NULL},
    {NULL, 0, 0, NULL, 0, 0, NULL},
};

/* A level without settings shares its parent's; one with some takes what
 * it does not set from the parent (a list of trusted addresses whole). */
static void merge_loc(hs_cf *cf, hs_loc_conf *child, const hs_loc_conf *parent)
{
    (void)cf;
    rip_loc **slot = (rip_loc **)&HS_MOD_SLOT(child->mod, &hs_realip_module);
    const rip_loc *p = rip_loc_of(parent);
    if (*slot == NULL) {
        *slot = (rip_loc *)p;
        return;
    }
    rip_loc *c = *slot;
    if (c->from == NULL && p) {
        c->from = p->from;
        c->nfrom = p->nfrom;
    }
    if (c->type == HS_UNSET) {
        c->type = p ? p->type : RIP_X_REAL_IP;
        c->header = p ? p->header : HS_STR("X-Real-IP");
    }
    HS_MERGE(c->recursive, p ? p->recursive : HS_UNSET, 0);
}

static bool used_under(const hs_loc_conf *lc)
{
    const rip_loc *rl = rip_loc_of(lc);
    if (rl && rl->nfrom)
        return true;
    for (size_t i = 0; i < lc->nchildren; i++)
        if (used_under(lc->children[i]))
            return true;
    return lc->limit_except && used_under(lc->limit_except);
}

static int http_finish(hs_cf *cf, hs_http_conf *http)
{
    if (hs_realip_proxy_protocol_setup(cf, http) != HS_OK)
        return HS_ERROR;
    bool used = false;
    for (size_t i = 0; i < http->nservers && !used; i++)
        used = used_under(http->servers[i]->loc);
    if (used && (hs_http_add_phase(cf, http, HS_PHASE_POST_READ, hs_realip_post_read) != HS_OK ||
                 hs_http_add_phase(cf, http, HS_PHASE_PREACCESS, hs_realip_preaccess) != HS_OK))
        return hs_cf_error(cf, NULL, "too many hooks");
    return HS_OK;
}

hs_module hs_realip_module = {
    .name = "realip",
    .directives = {hs_realip_directives},
    .variables = hs_realip_variables,
    .merge_loc = merge_loc,
    .http_finish = http_finish,
};
