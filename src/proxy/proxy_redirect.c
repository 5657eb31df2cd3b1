/* nginx's automatic redirect for proxied prefixes: a request for "/api"
 * where "location /api/" (or "location = /api/") passes to an upstream, and
 * no "location = /api" exists, gets a 301 to "/api/" with its arguments.
 * nginx decides it while searching the location; hush decides it in a
 * SERVER_REWRITE hook (after the server's rewrite directives, before the
 * location is searched), registered only when such a location exists. */
#include "parse/path.h"
#include "proxy/proxy_internal.h"

static bool is_static(const hs_loc_conf *l)
{
    return !l->anonymous && (l->match == HS_LOC_EXACT || l->match == HS_LOC_PREFIX || l->match == HS_LOC_NOREGEX);
}

/* A location whose name ends with a slash and that passes to an upstream. */
static bool redirects(const hs_loc_conf *l)
{
    return l->handler == &hs_proxy_handler && l->name.n > 1 && l->name.p[l->name.n - 1] == '/';
}

/* The location uri + "/" names, searched as the location search goes: the
 * levels of the longest prefixes; NULL when none or when "= uri" exists. */
static const hs_loc_conf *target(const hs_loc_conf *level, hs_str uri)
{
    const hs_loc_conf *best = NULL, *found = NULL;
    for (size_t i = 0; i < level->nchildren; i++) {
        const hs_loc_conf *l = level->children[i];
        if (!is_static(l))
            continue;
        if (l->match == HS_LOC_EXACT && hs_str_eq(l->name, uri))
            return NULL;
        if (redirects(l) && l->name.n == uri.n + 1 && hs_str_has_prefix(l->name, uri))
            found = l;
        else if (l->match != HS_LOC_EXACT && hs_str_has_prefix(uri, l->name) && (best == NULL || l->name.n > best->name.n))
            best = l;
    }
    if (found == NULL && best && best->nchildren)
        return target(best, uri);
    return found;
}

static int auto_redirect(hs_req *r)
{
    if (r->uri.n == 0 || r->uri.p[r->uri.n - 1] == '/')
        return HS_OK;
    const hs_loc_conf *l = target(r->srv->loc, r->uri);
    if (l == NULL)
        return HS_OK;
    char *esc = hs_palloc(r->pool, l->name.n * 3 + 1);
    hs_str name = esc ? (hs_str){esc, hs_uri_escape(l->name, esc)} : HS_NULL_STR;
    hs_str path = r->args.n ? hs_cstr(hs_psprintf(r->pool, "%.*s?%.*s", (int)name.n, name.p,
                                                  (int)r->args.n, r->args.p))
                            : name;
    if (path.p == NULL) {
        hs_http_finalize(r, 500);
        return HS_DONE;
    }
    hs_http_error_response(r, 301);
    r->resp.location = hs_http_absolute_url(r, path);
    hs_http_send_response(r);
    return HS_DONE;
}

static bool tree_has(const hs_loc_conf *lc)
{
    if (lc->match != HS_LOC_SERVER && is_static(lc) && redirects(lc))
        return true;
    for (size_t i = 0; i < lc->nchildren; i++)
        if (tree_has(lc->children[i]))
            return true;
    return false;
}

int hs_proxy_redirect_register(hs_cf *cf, hs_http_conf *http)
{
    for (size_t i = 0; i < http->nservers; i++)
        if (tree_has(http->servers[i]->loc))
            return hs_http_add_phase(cf, http, HS_PHASE_SERVER_REWRITE, auto_redirect);
    return HS_OK;
}
