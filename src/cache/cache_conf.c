/* The cache directives, for both protocols: proxy_cache_path and
 * fastcgi_cache_path (http level: a directory and a keys zone), and
 * proxy_cache* / fastcgi_cache* at every level (the row's offset names
 * the protocol: 0 proxy, 1 FastCGI), with nginx's inheritance. */
#include <string.h>

#include "cache/cache_internal.h"
#include "core/units.h"

#define NAME(d) ((d)->name)

cache_http *hs_cache_http_of(hs_http_conf *http)
{
    return HS_MOD_SLOT(http->mod, &hs_cache_module);
}

static cache_loc *loc_get(hs_cf *cf, size_t proto)
{
    hs_loc_conf *lc = cf->level[HS_LEVEL_LOC];
    cache_conf **slot = (cache_conf **)&HS_MOD_SLOT(lc->mod, &hs_cache_module);
    if (*slot == NULL && (*slot = hs_pcalloc(cf->pool, sizeof(cache_conf))) == NULL)
        return NULL;
    cache_loc **l = &(*slot)->by_proto[proto];
    if (*l == NULL) {
        cache_loc *c = hs_pcalloc(cf->pool, sizeof(*c));
        if (c == NULL)
            return NULL;
        c->on = c->methods = c->use_stale = c->lock = c->revalidate = c->background_update = c->ignore = HS_UNSET;
        c->min_uses = c->lock_timeout = c->lock_age = HS_UNSET;
        *l = c;
    }
    return *l;
}

/* ---- proxy_cache_path PATH [levels=1:2] keys_zone=NAME:SIZE [inactive=] [max_size=] ... ---- */

static int parse_levels(hs_cf *cf, const hs_conf_node *n, hs_str v, cache_zone *z)
{
    z->nlevels = 0;
    for (size_t i = 0; i < v.n;) {
        if (z->nlevels == 3 || v.p[i] < '1' || v.p[i] > '2' || (i + 1 < v.n && v.p[i + 1] != ':') ||
            (i + 1 == v.n - 1))
            return hs_cf_error(cf, n, "invalid \"levels\" \"%.*s\"", (int)v.n, v.p);
        z->levels[z->nlevels++] = v.p[i] - '0';
        i += 2;
    }
    if (z->nlevels == 0)
        return hs_cf_error(cf, n, "invalid \"levels\" \"%.*s\"", (int)v.n, v.p);
    return HS_OK;
}

static int keys_zone(hs_cf *cf, const hs_conf_node *n, hs_str v, cache_zone *z)
{
    const char *colon = memchr(v.p, ':', v.n);
    if (colon == NULL || colon == v.p)
        return hs_cf_error(cf, n, "invalid keys zone size \"%.*s\"", (int)v.n, v.p);
    z->name = hs_pstr(cf->pool, (hs_str){v.p, (size_t)(colon - v.p)});
    z->size = hs_parse_size((hs_str){colon + 1, v.n - (size_t)(colon + 1 - v.p)});
    if (z->name.n >= HS_SHM_NAME_MAX - 6)
        return hs_cf_error(cf, n, "invalid keys zone name \"%s\"", z->name.p);
    if (z->size < HS_SHM_MIN_SIZE)
        return hs_cf_error(cf, n, "keys zone \"%s\" is too small", z->name.p);
    return HS_OK;
}

static bool arg_is(hs_str a, const char *name, hs_str *val)
{
    size_t l = strlen(name);
    if (a.n < l || memcmp(a.p, name, l) != 0)
        return false;
    *val = (hs_str){a.p + l, a.n - l};
    return true;
}

static int path_param(hs_cf *cf, const hs_conf_node *n, hs_str a, cache_zone *z)
{
    hs_str v;
    if (arg_is(a, "levels=", &v))
        return parse_levels(cf, n, v, z);
    if (arg_is(a, "keys_zone=", &v))
        return keys_zone(cf, n, v, z);
    if (arg_is(a, "inactive=", &v)) {
        int64_t ms = hs_parse_msec(v);
        if (ms <= 0)
            return hs_cf_error(cf, n, "invalid inactive value \"%.*s\"", (int)v.n, v.p);
        z->inactive = ms / 1000 > 0 ? ms / 1000 : 1;
        return HS_OK;
    }
    if (arg_is(a, "max_size=", &v)) {
        if ((z->max_size = hs_parse_size(v)) < 0)
            return hs_cf_error(cf, n, "invalid max_size value \"%.*s\"", (int)v.n, v.p);
        return HS_OK;
    }
    if (arg_is(a, "use_temp_path=", &v)) {
        if (!hs_str_eq_lit(v, "on") && !hs_str_eq_lit(v, "off"))
            return hs_cf_error(cf, n, "invalid use_temp_path value \"%.*s\"", (int)v.n, v.p);
        z->use_temp_path = hs_str_eq_lit(v, "on");
        return HS_OK;
    }
    /* the loader's and manager's pacing: hush's do one pass at a time */
    static const char *const tuning[] = {"loader_files=", "loader_sleep=", "loader_threshold=",
                                         "manager_files=", "manager_sleep=", "manager_threshold="};
    for (size_t i = 0; i < HS_ARRAY_LEN(tuning); i++)
        if (arg_is(a, tuning[i], &v)) {
            if (v.n == 0 || hs_parse_msec(v) < 0)
                return hs_cf_error(cf, n, "invalid parameter \"%.*s\"", (int)a.n, a.p);
            return HS_OK;
        }
    return hs_cf_error(cf, n, "invalid parameter \"%.*s\"", (int)a.n, a.p);
}

static int cache_path(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    hs_http_conf *http = cf->level[HS_LEVEL_HTTP];
    cache_http **slot = (cache_http **)&HS_MOD_SLOT(http->mod, &hs_cache_module);
    if (*slot == NULL && (*slot = hs_pcalloc(cf->pool, sizeof(cache_http))) == NULL)
        return HS_ERROR;
    cache_zone *z = hs_pcalloc(cf->pool, sizeof(*z));
    if (z == NULL || (z->path = hs_cf_path(cf, n->args[1])) == NULL)
        return HS_ERROR;
    for (size_t l = strlen(z->path); l > 1 && z->path[l - 1] == '/'; l--)
        z->path[l - 1] = '\0';
    z->inactive = 600;
    z->use_temp_path = true;
    for (size_t i = 2; i < n->nargs; i++)
        if (path_param(cf, n, n->args[i], z) != HS_OK)
            return HS_ERROR;
    if (z->name.p == NULL)
        return hs_cf_error(cf, n, "\"%s\" must have \"keys_zone\" parameter", n->args[0].p);
    for (cache_zone *o = (*slot)->zones; o; o = o->next) {
        if (hs_str_eq(o->name, z->name))
            return hs_cf_error(cf, n, "duplicate zone \"%s\"", z->name.p);
        if (strcmp(o->path, z->path) == 0)
            return hs_cf_error(cf, n, "duplicate cache path \"%s\", zone \"%s\"", z->path, o->name.p);
    }
    z->file = n->file;
    z->line = n->line;
    z->next = (*slot)->zones;
    (*slot)->zones = z;
    return HS_OK;
}

/* ---- the level's directives ---- */

static int cache_on(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    cache_loc *c = loc_get(cf, d->offset);
    if (c == NULL)
        return HS_ERROR;
    if (c->on != HS_UNSET)
        return hs_cf_error(cf, n, "\"%s\" directive is duplicate", NAME(d));
    if (strchr(n->args[1].p, '$'))
        return hs_cf_error(cf, n, "\"%s\" with variables is not supported", NAME(d));
    c->on = !hs_str_eq_lit(n->args[1], "off");
    c->zone_name = c->on ? n->args[1] : HS_NULL_STR;
    c->file = n->file;
    c->line = n->line;
    return HS_OK;
}

static int cache_key(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    cache_loc *c = loc_get(cf, d->offset);
    if (c == NULL)
        return HS_ERROR;
    if (c->key_set)
        return hs_cf_error(cf, n, "\"%s\" directive is duplicate", NAME(d));
    c->key_set = true;
    return hs_cv_compile(cf, n, n->args[1], &c->key);
}

/* proxy_cache_valid [code ...|any] time */
static int cache_valid_set(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    cache_loc *c = loc_get(cf, d->offset);
    if (c == NULL)
        return HS_ERROR;
    hs_str t = n->args[n->nargs - 1];
    int64_t ms = hs_parse_msec(t);
    if (ms < 0)
        return hs_cf_error(cf, n, "invalid time value \"%s\"", t.p);
    int codes[CACHE_MAX_VALID];
    size_t ncodes = 0;
    if (n->nargs == 2) { /* time alone: 200, 301 and 302 */
        codes[ncodes++] = 200, codes[ncodes++] = 301, codes[ncodes++] = 302;
    }
    for (size_t i = 1; i + 1 < n->nargs; i++) {
        int64_t code = hs_str_eq_lit(n->args[i], "any") ? 0 : hs_parse_int(n->args[i]);
        if (code != 0 && (code < 200 || code > 599))
            return hs_cf_error(cf, n, "invalid status \"%s\"", n->args[i].p);
        if (c->nvalid + ncodes >= CACHE_MAX_VALID)
            return hs_cf_error(cf, n, "too many statuses in \"%s\"", NAME(d));
        codes[ncodes++] = (int)code;
    }
    for (size_t i = 0; i < ncodes; i++) {
        cache_valid *v = hs_pvec_push(cf->pool, (void **)&c->valid, &c->nvalid, sizeof(*v));
        if (v == NULL)
            return HS_ERROR;
        v->status = codes[i];
        v->sec = ms / 1000;
    }
    return HS_OK;
}

static int cache_methods(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    cache_loc *c = loc_get(cf, d->offset);
    if (c == NULL)
        return HS_ERROR;
    c->methods = 1 << HS_METHOD_GET | 1 << HS_METHOD_HEAD; /* always, as nginx */
    for (size_t i = 1; i < n->nargs; i++) {
        hs_method m = hs_str_eq_lit(n->args[i], "GET") ? HS_METHOD_GET : hs_str_eq_lit(n->args[i], "HEAD") ? HS_METHOD_HEAD
                    : hs_str_eq_lit(n->args[i], "POST") ? HS_METHOD_POST : HS_METHOD_UNKNOWN;
        if (m == HS_METHOD_UNKNOWN)
            return hs_cf_error(cf, n, "invalid value \"%s\"", n->args[i].p);
        c->methods |= 1 << m;
    }
    return HS_OK;
}

static int cache_conditions(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    cache_loc *c = loc_get(cf, d->offset);
    if (c == NULL)
        return HS_ERROR;
    bool bypass = strstr(NAME(d), "bypass") != NULL;
    hs_cv **list = bypass ? &c->bypass : &c->no_cache;
    size_t *cnt = bypass ? &c->nbypass : &c->nno_cache;
    *(bypass ? &c->bypass_set : &c->no_cache_set) = true;
    for (size_t i = 1; i < n->nargs; i++) {
        hs_cv *v = hs_pvec_push(cf->pool, (void **)list, cnt, sizeof(*v));
        if (v == NULL || hs_cv_compile(cf, n, n->args[i], v) != HS_OK)
            return HS_ERROR;
    }
    return HS_OK;
}

static int cache_use_stale(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    static const hs_conf_enum names[] = {
        {"error", STALE_ERROR}, {"timeout", STALE_TIMEOUT}, {"invalid_header", STALE_INVALID},
        {"updating", STALE_UPDATING}, {"http_500", STALE_500}, {"http_502", STALE_502},
        {"http_503", STALE_503}, {"http_504", STALE_504}, {"http_403", STALE_403},
        {"http_404", STALE_404}, {"http_429", STALE_429}, {"off", STALE_OFF}, {NULL, 0}};
    cache_loc *c = loc_get(cf, d->offset);
    if (c == NULL)
        return HS_ERROR;
    if (c->use_stale != HS_UNSET)
        return hs_cf_error(cf, n, "\"%s\" directive is duplicate", NAME(d));
    c->use_stale = 0;
    for (size_t i = 1; i < n->nargs; i++) {
        const hs_conf_enum *e = names;
        while (e->name && !hs_str_eq_lit(n->args[i], e->name))
            e++;
        if (e->name == NULL)
            return hs_cf_error(cf, n, "invalid value \"%s\"", n->args[i].p);
        c->use_stale |= e->value;
    }
    if ((c->use_stale & STALE_OFF) && c->use_stale != STALE_OFF)
        return hs_cf_error(cf, n, "\"off\" cannot be used with other parameters");
    if (c->use_stale == STALE_OFF)
        c->use_stale = 0;
    return HS_OK;
}

/* proxy_ignore_headers: X-Accel-Redirect, -Limit-Rate, -Buffering and
 * -Charset are accepted (hush acts on none of them anyway). */
static int cache_ignore(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    static const hs_conf_enum names[] = {
        {"X-Accel-Expires", IGNORE_ACCEL_EXPIRES}, {"Expires", IGNORE_EXPIRES},
        {"Cache-Control", IGNORE_CACHE_CONTROL}, {"Set-Cookie", IGNORE_SET_COOKIE}, {"Vary", IGNORE_VARY},
        {"X-Accel-Redirect", IGNORE_OTHER}, {"X-Accel-Limit-Rate", IGNORE_OTHER},
        {"X-Accel-Buffering", IGNORE_OTHER}, {"X-Accel-Charset", IGNORE_OTHER}, {NULL, 0}};
    cache_loc *c = loc_get(cf, d->offset);
    if (c == NULL)
        return HS_ERROR;
    if (c->ignore != HS_UNSET)
        return hs_cf_error(cf, n, "\"%s\" directive is duplicate", NAME(d));
    c->ignore = 0;
    for (size_t i = 1; i < n->nargs; i++) {
        const hs_conf_enum *e = names;
        while (e->name && !hs_str_caseeq_lit(n->args[i], e->name))
            e++;
        if (e->name == NULL)
            return hs_cf_error(cf, n, "invalid value \"%s\" in \"%s\" directive", n->args[i].p, NAME(d));
        c->ignore |= e->value;
    }
    return HS_OK;
}

/* The on/off, number and time settings: the row's post names the field. */
static int cache_scalar(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    cache_loc *c = loc_get(cf, d->offset);
    if (c == NULL)
        return HS_ERROR;
    const char *what = d->post;
    hs_directive row = *d;
    if (strcmp(what, "lock") == 0)
        return hs_set_flag(cf, n, &c->lock, &row);
    if (strcmp(what, "lock_timeout") == 0)
        return hs_set_msec(cf, n, &c->lock_timeout, &row);
    if (strcmp(what, "lock_age") == 0)
        return hs_set_msec(cf, n, &c->lock_age, &row);
    if (strcmp(what, "min_uses") == 0) {
        int rc = hs_set_num(cf, n, &c->min_uses, &row);
        if (rc == HS_OK && c->min_uses < 1)
            return hs_cf_error(cf, n, "invalid value \"%s\"", n->args[1].p);
        return rc;
    }
    bool revalidate = strcmp(what, "revalidate") == 0;
    int *flag = revalidate ? &c->revalidate : &c->background_update;
    if (hs_set_flag(cf, n, flag, &row) != HS_OK)
        return HS_ERROR;
    if (*flag && (!revalidate || d->offset != 0)) /* revalidation: the HTTP proxy's */
        return hs_cf_error(cf, n, "\"%s on\" is not supported by hush", NAME(d));
    return HS_OK;
}

#define ROWS(P, i)                                                                                           \
    {P "_cache_path", HS_CTX_HTTP, HS_ARGS_2MORE, cache_path, HS_LEVEL_NONE, i, NULL},                       \
    {P "_cache", HS_CTX_HSL, HS_ARGS_1, cache_on, HS_LEVEL_NONE, i, NULL},                                   \
    {P "_cache_key", HS_CTX_HSL, HS_ARGS_1, cache_key, HS_LEVEL_NONE, i, NULL},                              \
    {P "_cache_valid", HS_CTX_HSL, HS_ARGS_1MORE, cache_valid_set, HS_LEVEL_NONE, i, NULL},                  \
    {P "_cache_methods", HS_CTX_HSL, HS_ARGS_1MORE, cache_methods, HS_LEVEL_NONE, i, NULL},                  \
    {P "_cache_bypass", HS_CTX_HSL, HS_ARGS_1MORE, cache_conditions, HS_LEVEL_NONE, i, NULL},                \
    {P "_no_cache", HS_CTX_HSL, HS_ARGS_1MORE, cache_conditions, HS_LEVEL_NONE, i, NULL},                    \
    {P "_cache_use_stale", HS_CTX_HSL, HS_ARGS_1MORE, cache_use_stale, HS_LEVEL_NONE, i, NULL},              \
    {P "_cache_lock", HS_CTX_HSL, HS_ARGS_1, cache_scalar, HS_LEVEL_NONE, i, "lock"},                        \
    {P "_cache_lock_timeout", HS_CTX_HSL, HS_ARGS_1, cache_scalar, HS_LEVEL_NONE, i, "lock_timeout"},        \
    {P "_cache_lock_age", HS_CTX_HSL, HS_ARGS_1, cache_scalar, HS_LEVEL_NONE, i, "lock_age"},                \
    {P "_cache_min_uses", HS_CTX_HSL, HS_ARGS_1, cache_scalar, HS_LEVEL_NONE, i, "min_uses"},                \
    {P "_cache_revalidate", HS_CTX_HSL, HS_ARGS_1, cache_scalar, HS_LEVEL_NONE, i, "revalidate"},            \
    {P "_cache_background_update", HS_CTX_HSL, HS_ARGS_1, cache_scalar, HS_LEVEL_NONE, i, "background_update"}, \
    {P "_ignore_headers", HS_CTX_HSL, HS_ARGS_1MORE, cache_ignore, HS_LEVEL_NONE, i, NULL}

const hs_directive hs_cache_directives[] = {
    ROWS("proxy", 0),
    ROWS("fastcgi", 1),
    {NULL, 0, 0, NULL, 0, 0, NULL},
};

/* ---- inheritance ---- */

static void merge_one(cache_loc *c, const cache_loc *p, size_t proto)
{
    static const cache_loc none = {.on = HS_UNSET, .methods = HS_UNSET, .use_stale = HS_UNSET, .lock = HS_UNSET,
                                   .revalidate = HS_UNSET, .background_update = HS_UNSET, .min_uses = HS_UNSET,
                                   .lock_timeout = HS_UNSET, .lock_age = HS_UNSET, .ignore = HS_UNSET};
    if (p == NULL)
        p = &none;
    if (c->on == HS_UNSET) {
        c->on = p->on == HS_UNSET ? 0 : p->on;
        c->zone_name = p->zone_name;
        c->file = p->file;
        c->line = p->line;
    }
    if (!c->key_set) {
        c->key = p->key;
        c->key_set = p->key_set;
        if (!c->key_set && proto == 0) { /* nginx's default proxy_cache_key */
            c->key.raw = HS_STR("$scheme$proxy_host$request_uri");
            c->key_set = false; /* compiled in http_finish */
        }
    }
    if (c->valid == NULL) {
        c->valid = p->valid;
        c->nvalid = p->nvalid;
    }
    HS_MERGE(c->methods, p->methods, 1 << HS_METHOD_GET | 1 << HS_METHOD_HEAD);
    HS_MERGE(c->min_uses, p->min_uses, 1);
    if (!c->bypass_set) {
        c->bypass = p->bypass, c->nbypass = p->nbypass, c->bypass_set = p->bypass_set;
    }
    if (!c->no_cache_set) {
        c->no_cache = p->no_cache, c->nno_cache = p->nno_cache, c->no_cache_set = p->no_cache_set;
    }
    HS_MERGE(c->use_stale, p->use_stale, 0);
    HS_MERGE(c->lock, p->lock, 0);
    HS_MERGE(c->lock_timeout, p->lock_timeout, 5000);
    HS_MERGE(c->lock_age, p->lock_age, 5000);
    HS_MERGE(c->revalidate, p->revalidate, 0);
    HS_MERGE(c->background_update, p->background_update, 0);
    HS_MERGE(c->ignore, p->ignore, 0);
}

void hs_cache_merge_loc(hs_cf *cf, hs_loc_conf *child, const hs_loc_conf *parent)
{
    const cache_conf *p = cache_conf_of(parent);
    cache_conf *c = cache_conf_of(child);
    if (c == NULL) {
        HS_MOD_SLOT(child->mod, &hs_cache_module) = (void *)p;
        return;
    }
    for (size_t i = 0; i < CACHE_PROTOS; i++) {
        if (c->by_proto[i] == NULL) {
            c->by_proto[i] = p ? p->by_proto[i] : NULL;
            continue;
        }
        merge_one(c->by_proto[i], p ? p->by_proto[i] : NULL, i);
    }
    (void)cf;
}
