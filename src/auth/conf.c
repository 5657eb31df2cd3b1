/* The auth module's record: auth_basic, auth_basic_user_file and
 * auth_delay (http, server, location; inherited each on its own, as nginx),
 * and the ACCESS hook, registered only when some level turns
 * authentication on (and a LOG hook when refusals are delayed). */
#include <limits.h>
#include <stdlib.h>

#include "auth/auth_internal.h"
#include "http/phase.h"

/* The settings of the level being read, created by its first directive. */
static hs_auth_loc *here(hs_cf *cf)
{
    hs_loc_conf *lc = cf->level[HS_LEVEL_LOC];
    hs_auth_loc **slot = (hs_auth_loc **)&HS_MOD_SLOT(lc->mod, &hs_auth_module);
    if (*slot == NULL && (*slot = hs_pcalloc(cf->pool, sizeof(hs_auth_loc))) != NULL)
        (*slot)->delay_msec = HS_UNSET_MSEC;
    return *slot;
}

static int auth_basic(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    hs_auth_loc *al = here(cf);
    if (al->realm_set)
        return hs_cf_error(cf, n, "\"%s\" directive is duplicate", d->name);
    al->realm_set = true;
    if (hs_str_eq_lit(n->args[1], "off")) {
        al->off = true;
        return HS_OK;
    }
    return hs_cv_compile(cf, n, n->args[1], &al->realm);
}

static int user_file(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    hs_auth_loc *al = here(cf);
    if (al->user_file.raw.p)
        return hs_cf_error(cf, n, "\"%s\" directive is duplicate", d->name);
    if (n->args[1].n == 0)
        return hs_cf_error(cf, n, "invalid value \"\" in \"%s\" directive", d->name);
    /* a relative path is under the configuration's directory (nginx's conf prefix) */
    char abs[PATH_MAX];
    al->conf_dir = realpath(cf->conf_dir, abs) ? hs_pstrndup(cf->pool, abs, strlen(abs)) : cf->conf_dir;
    return hs_cv_compile(cf, n, n->args[1], &al->user_file);
}

static int auth_delay(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    return hs_set_msec(cf, n, &here(cf)->delay_msec, d);
}

#define CTX (HS_CTX_HSL | HS_CTX_LIMIT_EXCEPT)

static const hs_directive auth_directives[] = {
    {"auth_basic", CTX, HS_ARGS_1, auth_basic, HS_LEVEL_NONE, 0, NULL},
    {"auth_basic_user_file", CTX, HS_ARGS_1, user_file, HS_LEVEL_NONE, 0, NULL},
    {"auth_delay", HS_CTX_HSL, HS_ARGS_1, auth_delay, HS_LEVEL_NONE, 0, NULL},
    {NULL, 0, 0, NULL, 0, 0, NULL},
};

/* A level without settings shares its parent's; one with some takes what
 * it does not set from the parent. */
static void merge_loc(hs_cf *cf, hs_loc_conf *child, const hs_loc_conf *parent)
{
    (void)cf;
    hs_auth_loc **slot = (hs_auth_loc **)&HS_MOD_SLOT(child->mod, &hs_auth_module);
    const hs_auth_loc *p = hs_auth_loc_of(parent);
    if (*slot == NULL) {
        *slot = (hs_auth_loc *)p;
        return;
    }
    if (p == NULL)
        return;
    hs_auth_loc *c = *slot;
    if (!c->realm_set) {
        c->realm = p->realm;
        c->off = p->off;
        c->realm_set = p->realm_set;
    }
    if (c->user_file.raw.p == NULL) {
        c->user_file = p->user_file;
        c->conf_dir = p->conf_dir;
    }
    if (c->delay_msec == HS_UNSET_MSEC)
        c->delay_msec = p->delay_msec;
}

/* What the tree under lc uses: USES_AUTH (a level asks for a password),
 * USES_DELAY (and delays refusals). */
enum { USES_AUTH = 1, USES_DELAY = 2 };

static int used_under(const hs_loc_conf *lc)
{
    const hs_auth_loc *al = hs_auth_loc_of(lc);
    int uses = 0;
    if (al && al->realm.raw.p && !al->off && al->user_file.raw.p)
        uses |= USES_AUTH | (al->delay_msec > 0 ? USES_DELAY : 0);
    if (lc->limit_except)
        uses |= used_under(lc->limit_except);
    for (size_t i = 0; i < lc->nchildren; i++)
        uses |= used_under(lc->children[i]);
    return uses;
}

static int http_finish(hs_cf *cf, hs_http_conf *http)
{
    int uses = 0;
    for (size_t i = 0; i < http->nservers; i++)
        uses |= used_under(http->servers[i]->loc);
    if ((uses & USES_AUTH) && hs_http_add_phase(cf, http, HS_PHASE_ACCESS, hs_auth_access) != HS_OK)
        return hs_cf_error(cf, NULL, "too many hooks");
    if ((uses & USES_DELAY) && hs_http_add_phase(cf, http, HS_PHASE_LOG, hs_auth_log) != HS_OK)
        return hs_cf_error(cf, NULL, "too many hooks");
    return HS_OK;
}

hs_module hs_auth_module = {
    .name = "auth",
    .directives = {auth_directives},
    .variables = hs_auth_variables,
    .merge_loc = merge_loc,
    .http_finish = http_finish,
};
