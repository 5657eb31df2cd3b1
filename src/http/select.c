/* Choosing the server (listen address + Host) and the location (nginx's
 * order: exact, longest prefix, regexes in order unless ^~, longest prefix). */
#include "http/http.h"

static hs_srv_conf *match_wild_head(const hs_listen_group *g, hs_str host)
{
    /* ".example.com" matches any host ending with it; longest first */
    for (size_t i = 0; i < g->nwild_head; i++) {
        hs_str suf = g->wild_head[i].name;
        if (host.n > suf.n && memcmp(host.p + host.n - suf.n, suf.p, suf.n) == 0)
            return g->wild_head[i].server;
    }
    return NULL;
}

static hs_srv_conf *match_wild_tail(const hs_listen_group *g, hs_str host)
{
    /* "www.example." matches any host starting with it */
    for (size_t i = 0; i < g->nwild_tail; i++) {
        hs_str pre = g->wild_tail[i].name;
        if (host.n > pre.n && memcmp(host.p, pre.p, pre.n) == 0)
            return g->wild_tail[i].server;
    }
    return NULL;
}

hs_srv_conf *hs_http_find_server(hs_listen_group *g, hs_str host, hs_req *r)
{
    if (host.n == 0)
        return g->has_empty_name ? g->empty_srv : g->default_srv;
    hs_srv_conf *s = hs_hash_get(&g->exact, host);
    if (s == NULL)
        s = match_wild_head(g, host);
    if (s == NULL)
        s = match_wild_tail(g, host);
    for (size_t i = 0; s == NULL && i < g->nregex; i++) {
        int ov[20];
        int n = hs_regex_match(g->regex[i].regex, host, ov);
        if (n > 0) {
            if (r)
                hs_http_set_captures(r, g->regex[i].regex, host, ov, n);
            s = g->regex[i].server;
        }
    }
    return s ? s : g->default_srv;
}

static bool is_static(const hs_loc_conf *l)
{
    return !l->anonymous && (l->match == HS_LOC_EXACT || l->match == HS_LOC_PREFIX || l->match == HS_LOC_NOREGEX);
}

static hs_loc_conf *match_regexes(hs_req *r, hs_loc_conf *level, hs_str uri)
{
    for (size_t i = 0; i < level->nchildren; i++) {
        hs_loc_conf *l = level->children[i];
        if ((l->match != HS_LOC_REGEX && l->match != HS_LOC_REGEX_I) || l->anonymous)
            continue;
        int ov[20];
        int n = hs_regex_match(l->regex, uri, ov);
        if (n <= 0)
            continue;
        hs_http_set_captures(r, l->regex, uri, ov, n);
        if (l->nchildren) {
            hs_loc_conf *inner = hs_http_find_location(r, l, uri);
            if (inner != l)
                return inner;
        }
        return l;
    }
    return NULL;
}

/* Static (exact/prefix) search of one level, descending into the longest
 * prefix. Sets *stop when no regex may override the result. */
static hs_loc_conf *match_static(hs_req *r, hs_loc_conf *level, hs_str uri, bool *stop)
{
    hs_loc_conf *best = NULL;
    for (size_t i = 0; i < level->nchildren; i++) {
        hs_loc_conf *l = level->children[i];
        if (!is_static(l))
            continue;
        if (l->match == HS_LOC_EXACT) {
            if (hs_str_eq(l->name, uri)) {
                *stop = true;
                return l;
            }
        } else if (hs_str_has_prefix(uri, l->name) && (best == NULL || l->name.n > best->name.n)) {
            best = l;
        }
    }
    if (best == NULL)
        return NULL;
    hs_loc_conf *inner = best->nchildren ? match_static(r, best, uri, stop) : NULL;
    if (*stop)
        return inner;
    hs_loc_conf *found = inner ? inner : best;
    if (found->match == HS_LOC_NOREGEX || best->match == HS_LOC_NOREGEX) {
        *stop = true;
        return found;
    }
    /* regexes nested in the prefix location are tried before outer ones */
    hs_loc_conf *re = best->nchildren ? match_regexes(r, best, uri) : NULL;
    if (re) {
        *stop = true;
        return re;
    }
    return found;
}

hs_loc_conf *hs_http_find_location(hs_req *r, hs_loc_conf *server_loc, hs_str uri)
{
    bool stop = false;
    hs_loc_conf *l = match_static(r, server_loc, uri, &stop);
    if (stop)
        return l;
    hs_loc_conf *re = match_regexes(r, server_loc, uri);
    if (re)
        return re;
    return l ? l : server_loc;
}

hs_loc_conf *hs_http_find_named(hs_srv_conf *srv, hs_str name)
{
    for (size_t i = 0; i < srv->loc->nchildren; i++) {
        hs_loc_conf *l = srv->loc->children[i];
        if (l->match == HS_LOC_NAMED && !l->anonymous && hs_str_eq(l->name, name))
            return l;
    }
    return NULL;
}
