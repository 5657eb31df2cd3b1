/* listen and server_name, and the per-address groups used to pick a server. */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/un.h>

#include "core/units.h"
#include "parse/addr.h"
#include "http/conf_internal.h"
#include "http/http.h"

static int parse_port(hs_str s) { return hs_parse_port(s); }
static void set_text(hs_listen_conf *l) { hs_address_text(&l->addr, l->port, l->text, sizeof(l->text)); }
static int parse_address(hs_str a, hs_listen_conf *l)
{
    return hs_parse_address(a, &l->addr, &l->addrlen, &l->port, &l->wildcard);
}

static int listen_option(hs_cf *cf, const hs_conf_node *n, hs_str opt, hs_listen_conf *l)
{
    if (hs_str_eq_lit(opt, "default_server") || hs_str_eq_lit(opt, "default")) {
        l->default_server = true;
    } else if (hs_str_eq_lit(opt, "reuseport")) {
        l->reuseport = true;
    } else if (opt.n > 8 && memcmp(opt.p, "backlog=", 8) == 0) {
        int64_t b = hs_parse_int((hs_str){opt.p + 8, opt.n - 8});
        if (b < 1 || b > 65535)
            return hs_cf_error(cf, n, "invalid backlog \"%s\"", opt.p);
        l->backlog = (int)b;
    } else if (hs_str_eq_lit(opt, "deferred")) {
        l->not_deferred = false; /* hush's default */
    } else if (hs_str_eq_lit(opt, "deferred=off")) {
        l->not_deferred = true;
    } else if (hs_str_eq_lit(opt, "bind") ||
               hs_str_eq_lit(opt, "ipv6only=on") || hs_str_eq_lit(opt, "so_keepalive=on")) {
        /* accepted for compatibility; hush binds every address separately anyway */
    } else if (hs_str_eq_lit(opt, "ssl")) {
        l->ssl = true;
    } else if (hs_str_eq_lit(opt, "http2")) {
        l->http2 = true;
    } else if (hs_str_eq_lit(opt, "proxy_protocol")) {
        l->proxy_protocol = true;
    } else if (hs_str_eq_lit(opt, "quic")) {
        return hs_cf_error(cf, n, "the \"%s\" parameter of \"listen\" is not supported yet", opt.p);
    } else {
        return hs_cf_error(cf, n, "invalid parameter \"%s\"", opt.p);
    }
    return HS_OK;
}

/* listen unix:/path ...: one socket every worker accepts on (made 0666,
 * removed when hush stops, as nginx). */
static int listen_unix(hs_cf *cf, const hs_conf_node *n, hs_srv_conf *sc, hs_listen_conf *l)
{
    struct sockaddr_un *un = (struct sockaddr_un *)&l->addr;
    hs_str path = {n->args[1].p + 5, n->args[1].n - 5};
    if (path.n == 0 || path.n >= sizeof(un->sun_path) || path.n + 5 >= sizeof(l->text))
        return hs_cf_error(cf, n, "invalid address \"%s\" in \"listen\"", n->args[1].p);
    un->sun_family = AF_UNIX;
    memcpy(un->sun_path, path.p, path.n);
    l->addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + path.n + 1);
    snprintf(l->text, sizeof(l->text), "unix:%.*s", (int)path.n, path.p);
    for (size_t i = 2; i < n->nargs; i++)
        if (listen_option(cf, n, n->args[i], l) != HS_OK)
            return HS_ERROR;
    l->not_deferred = true; /* TCP_DEFER_ACCEPT is TCP's */
    hs_listen_conf *slot = hs_pvec_push(cf->pool, (void **)&sc->listens, &sc->nlistens, sizeof(*slot));
    if (slot == NULL)
        return HS_ERROR;
    *slot = *l;
    return HS_OK;
}

static int listen_directive(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    hs_srv_conf *sc = cf->level[HS_LEVEL_SRV];
    hs_listen_conf l;
    memset(&l, 0, sizeof(l));
    l.backlog = 511;
    l.file = n->file;
    l.line = n->line;
    if (hs_str_has_prefix(n->args[1], HS_STR("unix:")))
        return listen_unix(cf, n, sc, &l);
    /* a port range (nginx 1.15.10): "127.0.0.1:8000-8003" listens on each */
    hs_str a = n->args[1];
    const char *dash = memrchr(a.p, '-', a.n), *colon = memrchr(a.p, ':', a.n);
    const char *from = colon ? colon + 1 : a.p;
    int hi = 0;
    if (dash && dash > from && parse_port((hs_str){from, (size_t)(dash - from)}) > 0) {
        hi = parse_port((hs_str){dash + 1, a.n - (size_t)(dash + 1 - a.p)});
        a.n = (size_t)(dash - a.p);
    } else {
        dash = NULL; /* a host name with a '-' */
    }
    if (parse_address(a, &l) != HS_OK || (dash && (hi < 0 || hi < l.port)))
        return hs_cf_error(cf, n, "invalid address \"%s\" in \"listen\"", n->args[1].p);
    for (size_t i = 2; i < n->nargs; i++)
        if (listen_option(cf, n, n->args[i], &l) != HS_OK)
            return HS_ERROR;
    for (int port = l.port; port <= (hi ? hi : l.port); port++) {
        hs_listen_conf *slot = hs_pvec_push(cf->pool, (void **)&sc->listens, &sc->nlistens, sizeof(*slot));
        if (slot == NULL)
            return HS_ERROR;
        *slot = l;
        slot->port = port;
        ((struct sockaddr_in *)&slot->addr)->sin_port = htons((uint16_t)port); /* same place in sockaddr_in6 */
        set_text(slot);
    }
    return HS_OK;
}

static int add_name(hs_cf *cf, hs_srv_conf *sc, hs_server_name nm)
{
    hs_server_name *slot = hs_pvec_push(cf->pool, (void **)&sc->names, &sc->nnames, sizeof(*slot));
    if (slot == NULL)
        return HS_ERROR;
    *slot = nm;
    return HS_OK;
}

static hs_str lowercase(hs_cf *cf, hs_str s)
{
    char *p = hs_pstrndup(cf->pool, s.p, s.n);
    for (size_t i = 0; i < s.n; i++)
        p[i] = hs_lower(p[i]);
    return (hs_str){p, s.n};
}

static int server_name_directive(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    hs_srv_conf *sc = cf->level[HS_LEVEL_SRV];
    for (size_t i = 1; i < n->nargs; i++) {
        hs_str a = n->args[i];
        hs_server_name nm = {.server = sc};
        if (sc->name.p == NULL) /* $server_name: the first, as nginx (a regex as written, ".x" as "x") */
            sc->name = a.n && a.p[0] == '~' ? a : lowercase(cf, a.n > 1 && a.p[0] == '.' ? (hs_str){a.p + 1, a.n - 1} : a);
        if (a.n && a.p[0] == '~') {
            char err[512];
            nm.kind = HS_NAME_REGEX;
            nm.name = a;
            nm.regex = hs_regex_compile(cf->pool, (hs_str){a.p + 1, a.n - 1}, true, err, sizeof(err));
            if (nm.regex == NULL)
                return hs_cf_error(cf, n, "%s", err);
            hs_http_define_named_captures(cf, nm.regex);
        } else if (a.n > 2 && a.p[0] == '*' && a.p[1] == '.') {
            nm.kind = HS_NAME_WILD_HEAD;
            nm.name = lowercase(cf, (hs_str){a.p + 1, a.n - 1}); /* ".example.com" */
        } else if (a.n > 2 && a.p[a.n - 1] == '*' && a.p[a.n - 2] == '.') {
            nm.kind = HS_NAME_WILD_TAIL;
            nm.name = lowercase(cf, (hs_str){a.p, a.n - 1}); /* "www.example." */
        } else if (a.n > 1 && a.p[0] == '.') {
            /* ".example.com" is example.com plus *.example.com */
            nm.kind = HS_NAME_EXACT;
            nm.name = lowercase(cf, (hs_str){a.p + 1, a.n - 1});
            add_name(cf, sc, nm);
            nm.kind = HS_NAME_WILD_HEAD;
            nm.name = lowercase(cf, a);
        } else if (memchr(a.p, '*', a.n)) {
            return hs_cf_error(cf, n, "invalid server name or wildcard \"%s\"", a.p);
        } else {
            nm.kind = HS_NAME_EXACT;
            nm.name = lowercase(cf, a);
        }
        add_name(cf, sc, nm);
    }
    return HS_OK;
}

/* ---- groups ---- */

static bool same_addr(const hs_listen_conf *a, const hs_listen_conf *b)
{
    return a->addrlen == b->addrlen && memcmp(&a->addr, &b->addr, a->addrlen) == 0;
}

static int cmp_longest(const void *a, const void *b)
{
    const hs_server_name *x = a, *y = b;
    return (int)y->name.n - (int)x->name.n;
}

static hs_server_name *append_name(hs_cf *cf, hs_server_name *v, size_t *n, const hs_server_name *nm)
{
    hs_server_name *slot = hs_pvec_push(cf->pool, (void **)&v, n, sizeof(*slot));
    if (slot)
        *slot = *nm;
    return v;
}

static void group_add_names(hs_cf *cf, hs_listen_group *g, hs_srv_conf *sc)
{
    for (size_t i = 0; i < sc->nnames; i++) {
        hs_server_name *nm = &sc->names[i];
        switch (nm->kind) {
        case HS_NAME_EXACT:
            if (nm->name.n == 0) {
                if (!g->has_empty_name) {
                    g->has_empty_name = true;
                    g->empty_srv = sc;
                }
            } else if (hs_hash_get(&g->exact, nm->name) == NULL) {
                hs_hash_put(&g->exact, nm->name, sc);
            }
            break;
        case HS_NAME_WILD_HEAD:
            g->wild_head = append_name(cf, g->wild_head, &g->nwild_head, nm);
            break;
        case HS_NAME_WILD_TAIL:
            g->wild_tail = append_name(cf, g->wild_tail, &g->nwild_tail, nm);
            break;
        case HS_NAME_REGEX:
            g->regex = append_name(cf, g->regex, &g->nregex, nm);
            break;
        }
    }
}

static hs_listen_group *find_or_add_group(hs_cf *cf, hs_http_conf *http, hs_listen_conf *l)
{
    for (size_t i = 0; i < http->ngroups; i++)
        if (same_addr(http->groups[i].listen, l))
            return &http->groups[i];
    hs_listen_group *v = hs_pcalloc(cf->pool, (http->ngroups + 1) * sizeof(*v));
    if (http->ngroups)
        memcpy(v, http->groups, http->ngroups * sizeof(*v));
    http->groups = v;
    hs_listen_group *g = &v[http->ngroups++];
    g->listen = l;
    hs_hash_init(&g->exact);
    return g;
}

static void free_group_hash(void *data) { hs_hash_free(data); }

int hs_http_build_listen_groups(hs_cf *cf, hs_http_conf *http)
{
    for (size_t i = 0; i < http->nservers; i++) {
        hs_srv_conf *sc = http->servers[i];
        if (sc->nlistens == 0) {
            hs_conf_node fake = {.file = sc->file, .line = sc->line};
            hs_str a = HS_STR("*:80");
            sc->listens = hs_pcalloc(cf->pool, sizeof(hs_listen_conf));
            if (parse_address(a, &sc->listens[0]) != HS_OK)
                return hs_cf_error(cf, &fake, "cannot set the default listen address");
            sc->listens[0].backlog = 511;
            set_text(&sc->listens[0]);
            sc->nlistens = 1;
        }
        if (sc->name.p == NULL)
            sc->name = HS_STR("");
        for (size_t j = 0; j < sc->nlistens; j++) {
            hs_listen_conf *l = &sc->listens[j];
            hs_listen_group *g = find_or_add_group(cf, http, l);
            g->ssl |= l->ssl; /* as nginx: "ssl" on one listen of an address makes it TLS for all */
            g->http2 |= l->http2;
            g->proxy_protocol |= l->proxy_protocol;
            if (l->default_server) {
                if (g->default_srv && g->listen->default_server) {
                    hs_conf_node at = {.file = l->file, .line = l->line};
                    return hs_cf_error(cf, &at, "a duplicate default server for %s", l->text);
                }
                g->listen = l;
                g->default_srv = sc;
            } else if (g->default_srv == NULL) {
                g->default_srv = sc;
            }
            group_add_names(cf, g, sc);
        }
    }
    for (size_t i = 0; i < http->ngroups; i++) {
        hs_listen_group *g = &http->groups[i];
        g->hooks = http->hooks;
        if (g->nwild_head > 1)
            qsort(g->wild_head, g->nwild_head, sizeof(hs_server_name), cmp_longest);
        if (g->nwild_tail > 1)
            qsort(g->wild_tail, g->nwild_tail, sizeof(hs_server_name), cmp_longest);
        hs_pool_cleanup_add(cf->pool, free_group_hash, &g->exact);
    }
    return HS_OK;
}

const hs_directive hs_http_listen_directives[] = {
    {"listen", HS_CTX_SERVER, HS_ARGS_1MORE, listen_directive, HS_LEVEL_NONE, 0, NULL},
    {"server_name", HS_CTX_SERVER, HS_ARGS_1MORE, server_name_directive, HS_LEVEL_NONE, 0, NULL},
    {NULL, 0, 0, NULL, 0, 0, NULL},
};
