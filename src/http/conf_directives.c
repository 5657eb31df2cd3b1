/* The location- and server-level directives of the http core: content
 * (root, alias, return, error_page, types), limits,
 * timeouts and hush's own drop settings. */
#include <stdio.h>
#include <stdlib.h>

#include "core/units.h"
#include "http/conf_internal.h"
#include "http/phase.h"

#define LOC(field) HS_LEVEL_LOC, offsetof(hs_loc_conf, field)
#define SRV(field) HS_LEVEL_SRV, offsetof(hs_srv_conf, field)

static int root_or_alias(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    hs_loc_conf *lc = cf->level[HS_LEVEL_LOC];
    bool alias = strcmp(d->name, "alias") == 0;
    if (lc->root.raw.p)
        return hs_cf_error(cf, n, "\"%s\" directive is duplicate%s", d->name,
                           lc->alias == 1 ? ", \"alias\" directive was specified earlier"
                                          : (lc->alias == 0 ? ", \"root\" directive was specified earlier" : ""));
    if (alias && lc->match == HS_LOC_NAMED)
        return hs_cf_error(cf, n, "\"alias\" directive cannot be used inside the named location");
    hs_str path = n->args[1];
    /* a trailing slash on root is dropped, as nginx does */
    if (!alias && path.n > 1 && path.p[path.n - 1] == '/')
        path.n--;
    if (path.n == 0 || path.p[0] != '/') {
        if (path.n && path.p[0] == '$')
            ; /* starts with a variable: taken as written */
        else
            path = hs_cstr(hs_cf_path(cf, path));
    }
    lc->alias = alias;
    lc->alias_at = lc;
    return hs_cv_compile(cf, n, path, &lc->root);
}

static int error_page_directive(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    hs_loc_conf *lc = cf->level[HS_LEVEL_LOC];
    size_t last = n->nargs - 1, ncodes = last - 1;
    int overwrite = 0;
    hs_str ow = n->args[last - 1];
    if (ow.n && ow.p[0] == '=') {
        ncodes--;
        if (ow.n == 1) {
            overwrite = -1;
        } else {
            int64_t c = hs_parse_int((hs_str){ow.p + 1, ow.n - 1});
            if (c < 100 || c > 999)
                return hs_cf_error(cf, n, "invalid value \"%s\"", ow.p);
            overwrite = (int)c;
        }
    }
    if (ncodes == 0)
        return hs_cf_error(cf, n, "invalid number of arguments in \"error_page\" directive");
    hs_cv uri;
    if (hs_cv_compile(cf, n, n->args[last], &uri) != HS_OK)
        return HS_ERROR;
    size_t old = lc->error_pages ? lc->nerror_pages : 0;
    hs_error_page *v = hs_palloc(cf->pool, (old + ncodes) * sizeof(*v));
    if (old)
        memcpy(v, lc->error_pages, old * sizeof(*v));
    for (size_t i = 0; i < ncodes; i++) {
        int64_t c = hs_parse_int(n->args[1 + i]);
        if (c < 300 || c > 599 || c == 499 || c == 444)
            return hs_cf_error(cf, n, "value \"%s\" must be between 300 and 599", n->args[1 + i].p);
        v[old + i] = (hs_error_page){.code = (int)c, .overwrite = overwrite, .uri = uri};
    }
    lc->error_pages = v;
    lc->nerror_pages = old + ncodes;
    return HS_OK;
}

static void free_types(void *h) { hs_hash_free(h); }

static hs_hash *new_types(hs_cf *cf)
{
    hs_hash *h = hs_palloc(cf->pool, sizeof(*h));
    hs_hash_init(h);
    hs_pool_cleanup_add(cf->pool, free_types, h);
    return h;
}

static int types_block(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    hs_loc_conf *lc = cf->level[HS_LEVEL_LOC];
    if (lc->types == NULL)
        lc->types = new_types(cf);
    for (size_t i = 0; i < n->nchildren; i++) {
        const hs_conf_node *t = &n->children[i];
        if (t->block || t->nargs < 2)
            return hs_cf_error(cf, t, "invalid types entry \"%s\"", t->args[0].p);
        hs_str *type = hs_palloc(cf->pool, sizeof(*type));
        *type = t->args[0];
        for (size_t j = 1; j < t->nargs; j++) {
            char ext[64];
            if (t->args[j].n >= sizeof(ext))
                return hs_cf_error(cf, t, "extension \"%s\" too long", t->args[j].p);
            for (size_t k = 0; k < t->args[j].n; k++)
                ext[k] = hs_lower(t->args[j].p[k]);
            hs_hash_put(lc->types, (hs_str){ext, t->args[j].n}, type);
        }
    }
    return HS_OK;
}

hs_hash *hs_http_default_types(hs_cf *cf)
{
    static const char *const builtin[][2] = {
        {"html", "text/html"}, {"htm", "text/html"}, {"css", "text/css"},
        {"js", "application/javascript"}, {"json", "application/json"}, {"txt", "text/plain"},
        {"xml", "text/xml"}, {"gif", "image/gif"}, {"jpg", "image/jpeg"}, {"jpeg", "image/jpeg"},
        {"png", "image/png"}, {"svg", "image/svg+xml"}, {"ico", "image/x-icon"},
        {"webp", "image/webp"}, {"woff2", "font/woff2"}, {"pdf", "application/pdf"},
    };
    hs_hash *h = new_types(cf);
    for (size_t i = 0; i < HS_ARRAY_LEN(builtin); i++) {
        hs_str *type = hs_palloc(cf->pool, sizeof(*type));
        *type = hs_cstr(builtin[i][1]);
        hs_hash_put(h, hs_cstr(builtin[i][0]), type);
    }
    return h;
}

static int large_buffers(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    hs_srv_conf *sc = cf->level[HS_LEVEL_SRV];
    int64_t num = hs_parse_int(n->args[1]), size = hs_parse_size(n->args[2]);
    if (num < 1 || num > 64)
        return hs_cf_error(cf, n, "invalid value \"%s\"", n->args[1].p);
    if (size < 64 || size > 1024 * 1024)
        return hs_cf_error(cf, n, "invalid value \"%s\"", n->args[2].p);
    sc->large_header_buffers_num = num;
    sc->large_header_buffers_size = size;
    return HS_OK;
}

static const hs_conf_enum tokens[] = {{"off", 0}, {"on", 1}, {"build", 2}, {NULL, 0}};

static const hs_conf_enum satisfy_values[] = {{"all", 0}, {"any", 1}, {NULL, 0}};

const hs_directive hs_http_core_directives[] = {
    {"root", HS_CTX_HSL | HS_CTX_IF, HS_ARGS_1, root_or_alias, HS_LEVEL_NONE, 0, NULL},
    {"alias", HS_CTX_LOCATION, HS_ARGS_1, root_or_alias, HS_LEVEL_NONE, 0, NULL},
    {"error_page", HS_CTX_HSL | HS_CTX_IF, HS_ARGS_2MORE, error_page_directive, HS_LEVEL_NONE, 0, NULL},
    {"types", HS_CTX_HSL, HS_ARGS_0 | HS_ARGS_BLOCK, types_block, HS_LEVEL_NONE, 0, NULL},
    {"default_type", HS_CTX_HSL, HS_ARGS_1, hs_set_str, LOC(default_type), NULL},
    {"sendfile", HS_CTX_HSL, HS_ARGS_1, hs_set_flag, LOC(sendfile), NULL},
    {"tcp_nodelay", HS_CTX_HSL, HS_ARGS_1, hs_set_flag, LOC(tcp_nodelay), NULL},
    {"tcp_nopush", HS_CTX_HSL, HS_ARGS_1, hs_set_flag, LOC(tcp_nopush), NULL},
    {"reset_timedout_connection", HS_CTX_HSL, HS_ARGS_1, hs_set_flag, LOC(reset_timedout), NULL},
    {"satisfy", HS_CTX_HSL, HS_ARGS_1, hs_set_enum, LOC(satisfy_any), satisfy_values},
    {"server_tokens", HS_CTX_HSL, HS_ARGS_1, hs_set_enum, LOC(server_tokens), tokens},
    {"absolute_redirect", HS_CTX_HSL, HS_ARGS_1, hs_set_flag, LOC(absolute_redirect), NULL},
    {"port_in_redirect", HS_CTX_HSL, HS_ARGS_1, hs_set_flag, LOC(port_in_redirect), NULL},
    {"server_name_in_redirect", HS_CTX_HSL, HS_ARGS_1, hs_set_flag, LOC(server_name_in_redirect), NULL},
    {"keepalive_requests", HS_CTX_HSL, HS_ARGS_1, hs_set_num, LOC(keepalive_requests), NULL},
    {"client_body_timeout", HS_CTX_HSL, HS_ARGS_1, hs_set_msec, LOC(client_body_timeout), NULL},
    {"send_timeout", HS_CTX_HSL, HS_ARGS_1, hs_set_msec, LOC(send_timeout), NULL},
    {"client_max_body_size", HS_CTX_HSL, HS_ARGS_1, hs_set_size, LOC(client_max_body_size), NULL},
    {"client_header_timeout", HS_CTX_HS, HS_ARGS_1, hs_set_msec, SRV(client_header_timeout), NULL},
    {"client_header_buffer_size", HS_CTX_HS, HS_ARGS_1, hs_set_size, SRV(client_header_buffer_size), NULL},
    {"large_client_header_buffers", HS_CTX_HS, HS_ARGS_2, large_buffers, HS_LEVEL_NONE, 0, NULL},
    {"log_empty_connections", HS_CTX_HS, HS_ARGS_1, hs_set_flag, SRV(log_empty_connections), NULL},
    {NULL, 0, 0, NULL, 0, 0, NULL},
};
