/* The proxy_ssl_* directives (nginx's names, contexts and defaults), their
 * inheritance http -> server -> location, and the SSL_CTX of every location
 * that proxies to https://, built when the configuration loads (in the
 * master; workers inherit it). A file that cannot be read is an error at
 * the directive that named it, as `hush -t` shows. */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdarg.h>
#include <stdio.h>

#include "proxy/proxy_internal.h"

void hs_proxy_ssl_init(px_ssl_conf *c)
{
    memset(c, 0, sizeof(*c));
    c->server_name = c->verify = c->protocols = c->session_reuse = HS_UNSET;
    c->verify_depth = HS_UNSET;
}

/* ---- directives ---- */

static px_ssl_conf *here(hs_cf *cf) { return &hs_proxy_conf_get(cf, cf->level[HS_LEVEL_LOC])->ssl; }

/* A generic setter (d->post) on a field of the level's px_ssl_conf. */
static int ssl_field(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    return ((hs_directive_set)d->post)(cf, n, (char *)here(cf) + d->offset, d);
}

static int ssl_name(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    px_ssl_conf *c = here(cf);
    if (c->has_name)
        return hs_cf_error(cf, n, "\"%s\" directive is duplicate", d->name);
    c->has_name = true;
    return hs_cv_compile(cf, n, n->args[1], &c->name);
}

static int ssl_file(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    px_file *f = (px_file *)((char *)here(cf) + d->offset);
    if (f->path.p)
        return hs_cf_error(cf, n, "\"%s\" directive is duplicate", d->name);
    if (memchr(n->args[1].p, '$', n->args[1].n))
        return hs_cf_error(cf, n, "variables in \"%s\" are not supported", d->name);
    f->path = hs_cstr(hs_cf_path(cf, n->args[1]));
    f->file = n->file;
    f->line = n->line;
    return HS_OK;
}

static int ssl_protocols(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    static const hs_conf_enum names[] = {{"TLSv1", PX_TLS_V10}, {"TLSv1.1", PX_TLS_V11}, {"TLSv1.2", PX_TLS_V12},
                                         {"TLSv1.3", PX_TLS_V13}, {NULL, 0}};
    px_ssl_conf *c = here(cf);
    if (c->protocols != HS_UNSET)
        return hs_cf_error(cf, n, "\"%s\" directive is duplicate", d->name);
    c->protocols = 0;
    for (size_t i = 1; i < n->nargs; i++) {
        const hs_conf_enum *v = names;
        while (v->name && !hs_str_eq_lit(n->args[i], v->name))
            v++;
        if (v->name == NULL)
            return hs_cf_error(cf, n, "invalid value \"%s\" in \"%s\" directive%s", n->args[i].p, d->name,
                               hs_str_has_prefix(n->args[i], HS_STR("SSLv")) ? ": SSL is not supported" : "");
        c->protocols |= v->value;
    }
    return HS_OK;
}

#define S(name, args, setter, field)                                                                      \
    {name, HS_CTX_HSL, args, ssl_field, HS_LEVEL_NONE, offsetof(px_ssl_conf, field), (const void *)setter}
#define F(name, field) {name, HS_CTX_HSL, HS_ARGS_1, ssl_file, HS_LEVEL_NONE, offsetof(px_ssl_conf, field), NULL}

const hs_directive hs_proxy_ssl_directives[] = {
    S("proxy_ssl_server_name", HS_ARGS_1, hs_set_flag, server_name),
    {"proxy_ssl_name", HS_CTX_HSL, HS_ARGS_1, ssl_name, HS_LEVEL_NONE, 0, NULL},
    S("proxy_ssl_verify", HS_ARGS_1, hs_set_flag, verify),
    S("proxy_ssl_verify_depth", HS_ARGS_1, hs_set_num, verify_depth),
    F("proxy_ssl_trusted_certificate", trusted),
    F("proxy_ssl_certificate", cert),
    F("proxy_ssl_certificate_key", key),
    {"proxy_ssl_protocols", HS_CTX_HSL, HS_ARGS_1MORE, ssl_protocols, HS_LEVEL_NONE, 0, NULL},
    S("proxy_ssl_ciphers", HS_ARGS_1, hs_set_str, ciphers),
    S("proxy_ssl_session_reuse", HS_ARGS_1, hs_set_flag, session_reuse),
    {NULL, 0, 0, NULL, 0, 0, NULL},
};

/* ---- inheritance ---- */

static void merge_file(px_file *c, const px_file *p)
{
    if (c->path.p == NULL)
        *c = *p;
}

void hs_proxy_ssl_merge(px_ssl_conf *c, const px_ssl_conf *p)
{
    HS_MERGE(c->server_name, p->server_name, 0);
    if (!c->has_name) {
        c->has_name = p->has_name;
        c->name = p->name;
    }
    HS_MERGE(c->verify, p->verify, 0);
    HS_MERGE(c->verify_depth, p->verify_depth, 1);
    merge_file(&c->trusted, &p->trusted);
    merge_file(&c->cert, &p->cert);
    merge_file(&c->key, &p->key);
    HS_MERGE(c->protocols, p->protocols, PX_TLS_V12 | PX_TLS_V13);
    HS_MERGE_STR(c->ciphers, p->ciphers, "DEFAULT");
    HS_MERGE(c->session_reuse, p->session_reuse, 1);
}

/* ---- the SSL_CTX ---- */

/* A configuration error at file:line, with OpenSSL's reason. */
static int ssl_error(hs_cf *cf, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int ssl_error(hs_cf *cf, const char *file, int line, const char *fmt, ...)
{
    char reason[1024], what[1024];
    hs_proxy_ssl_errors(reason, sizeof(reason));
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    hs_conf_node at = {.file = file, .line = line};
    return hs_cf_error(cf, &at, "%s (SSL: %s)", what, reason);
}

static int set_versions(SSL_CTX *ctx, int mask)
{
    static const struct {
        int bit, version;
    } v[] = {{PX_TLS_V10, TLS1_VERSION}, {PX_TLS_V11, TLS1_1_VERSION}, {PX_TLS_V12, TLS1_2_VERSION},
             {PX_TLS_V13, TLS1_3_VERSION}};
    int lo = 0, hi = 0;
    for (size_t i = 0; i < HS_ARRAY_LEN(v); i++) {
        if (mask & v[i].bit) {
            lo = lo ? lo : v[i].version;
            hi = v[i].version;
        }
    }
    return lo && SSL_CTX_set_min_proto_version(ctx, lo) == 1 && SSL_CTX_set_max_proto_version(ctx, hi) == 1
               ? HS_OK
               : HS_ERROR;
}

/* An encrypted key is an error rather than a prompt on the terminal
 * (proxy_ssl_password_file is not supported). */
static int no_password(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

/* proxy_ssl_certificate and its key: what hush shows the upstream. */
static int client_certificate(hs_cf *cf, const px_ssl_conf *c, SSL_CTX *ctx)
{
    if (c->cert.path.p == NULL)
        return HS_OK;
    if (c->key.path.p == NULL) {
        hs_conf_node at = {.file = c->cert.file, .line = c->cert.line};
        return hs_cf_error(cf, &at, "no \"proxy_ssl_certificate_key\" is defined for certificate \"%s\"",
                           c->cert.path.p);
    }
    SSL_CTX_set_default_passwd_cb(ctx, no_password);
    if (SSL_CTX_use_certificate_chain_file(ctx, c->cert.path.p) != 1)
        return ssl_error(cf, c->cert.file, c->cert.line, "cannot load certificate \"%s\"", c->cert.path.p);
    if (SSL_CTX_use_PrivateKey_file(ctx, c->key.path.p, SSL_FILETYPE_PEM) != 1)
        return ssl_error(cf, c->key.file, c->key.line, "cannot load certificate key \"%s\"", c->key.path.p);
    if (SSL_CTX_check_private_key(ctx) != 1)
        return ssl_error(cf, c->key.file, c->key.line, "the key \"%s\" does not match the certificate",
                         c->key.path.p);
    return HS_OK;
}

/* proxy_ssl_verify: as nginx, OpenSSL checks the chain during the handshake
 * without stopping it, and the proxy judges the result afterwards. */
static int verification(hs_cf *cf, const hs_proxy_conf *pc, SSL_CTX *ctx)
{
    const px_ssl_conf *c = &pc->ssl;
    if (!c->verify)
        return HS_OK;
    if (c->trusted.path.p == NULL) {
        hs_conf_node at = {.file = pc->pass_file, .line = pc->pass_line};
        return hs_cf_error(cf, &at, "no proxy_ssl_trusted_certificate for proxy_ssl_verify");
    }
    SSL_CTX_set_verify_depth(ctx, (int)c->verify_depth);
    if (SSL_CTX_load_verify_locations(ctx, c->trusted.path.p, NULL) != 1)
        return ssl_error(cf, c->trusted.file, c->trusted.line, "SSL_CTX_load_verify_locations(\"%s\") failed",
                         c->trusted.path.p);
    return HS_OK;
}

static void free_ctx(void *ctx) { SSL_CTX_free(ctx); }

/* The name without variables, once: proxy_ssl_name, or the proxy_pass
 * host, without a port. */
static void static_name(hs_cf *cf, hs_proxy_conf *pc)
{
    hs_str n = pc->ssl.has_name ? pc->ssl.name.raw : pc->proxy_host;
    if (n.n == 0) { /* proxy_pass with variables: the name comes per request */
        pc->ssl_host = HS_STR("");
        return;
    }
    const char *end = n.p + n.n, *p = n.p;
    if (n.p[0] == '[')
        p = memchr(n.p, ']', n.n);
    const char *colon = memchr(p ? p : n.p, ':', (size_t)(end - (p ? p : n.p)));
    if (colon)
        n.n = (size_t)(colon - n.p);
    pc->ssl_host = hs_pstr(cf->pool, n);
}

int hs_proxy_ssl_ctx_build(hs_cf *cf, hs_proxy_conf *pc)
{
    const px_ssl_conf *c = &pc->ssl;
    static_name(cf, pc);
    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL)
        return ssl_error(cf, pc->pass_file, pc->pass_line, "SSL_CTX_new() failed for \"%s\"", pc->ssl_host.p);
    hs_pool_cleanup_add(cf->pool, free_ctx, ctx);
    pc->ssl_ctx = ctx;
    /* an idle kept-alive upstream connection holds no OpenSSL buffers */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                              SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_IGNORE_UNEXPECTED_EOF);
    if (set_versions(ctx, c->protocols) != HS_OK)
        return ssl_error(cf, pc->pass_file, pc->pass_line, "proxy_ssl_protocols for \"%s\" failed", pc->ssl_host.p);
    if (SSL_CTX_set_cipher_list(ctx, c->ciphers.p) != 1)
        return ssl_error(cf, pc->pass_file, pc->pass_line, "SSL_CTX_set_cipher_list(\"%s\") failed", c->ciphers.p);
    if (client_certificate(cf, c, ctx) != HS_OK || verification(cf, pc, ctx) != HS_OK)
        return HS_ERROR;
    if (c->session_reuse) {
        /* sessions are kept per upstream server (hs_up_ssl_new_session), not by OpenSSL */
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL);
        SSL_CTX_sess_set_new_cb(ctx, hs_up_ssl_new_session);
    } else {
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    }
    return HS_OK;
}
