/* The ssl_* directives (nginx's names, contexts and defaults), their
 * inheritance http -> server, and the module's record: when the http block
 * is finished, every server with certificates gets its SSL_CTX (ctx.c) and
 * every `listen ... ssl` address the TLS transport. */
#include <stdio.h>

#include "core/units.h"
#include "tls/tls_internal.h"

hs_tls_srv *hs_tls_srv_get(hs_cf *cf, hs_loc_conf *lc)
{
    hs_tls_srv **slot = (hs_tls_srv **)&HS_MOD_SLOT(lc->mod, &hs_tls_module);
    if (*slot == NULL) {
        hs_tls_srv *ts = hs_pcalloc(cf->pool, sizeof(*ts));
        if (ts == NULL)
            return NULL;
        ts->protocols = HS_UNSET;
        ts->prefer_server_ciphers = HS_UNSET;
        ts->session_tickets = HS_UNSET;
        ts->session_timeout = HS_UNSET_MSEC;
        ts->reject_handshake = HS_UNSET;
        ts->verify_client = HS_UNSET;
        ts->verify_depth = HS_UNSET;
        ts->early_data = HS_UNSET;
        ts->stapling = HS_UNSET;
        ts->stapling_verify = HS_UNSET;
        ts->buffer_size = HS_UNSET;
        *slot = ts;
    }
    return *slot;
}

static hs_tls_srv *here(hs_cf *cf) { return hs_tls_srv_get(cf, cf->level[HS_LEVEL_LOC]); }

/* ---- directives ---- */

static int certificate(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    hs_tls_srv *ts = here(cf);
    bool key = strstr(d->name, "_key") != NULL;
    size_t *count = key ? &ts->nkeys : &ts->ncerts;
    if (*count == HS_TLS_MAX_CERTS)
        return hs_cf_error(cf, n, "more than %d \"%s\" in one server", HS_TLS_MAX_CERTS, d->name);
    if (memchr(n->args[1].p, '$', n->args[1].n))
        return hs_cf_error(cf, n, "variables in \"%s\" are not supported", d->name);
    (key ? ts->keys : ts->certs)[(*count)++] = hs_cstr(hs_cf_path(cf, n->args[1]));
    if (!key && ts->cert_file == NULL) {
        ts->cert_file = n->file;
        ts->cert_line = n->line;
    }
    return HS_OK;
}

static int protocols(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    static const hs_conf_enum names[] = {{"TLSv1", HS_TLS_V10}, {"TLSv1.1", HS_TLS_V11}, {"TLSv1.2", HS_TLS_V12},
                                         {"TLSv1.3", HS_TLS_V13}, {NULL, 0}};
    hs_tls_srv *ts = here(cf);
    if (ts->protocols != HS_UNSET)
        return hs_cf_error(cf, n, "\"ssl_protocols\" directive is duplicate");
    ts->protocols = 0;
    for (size_t i = 1; i < n->nargs; i++) {
        const hs_conf_enum *v = names;
        while (v->name && !hs_str_eq_lit(n->args[i], v->name))
            v++;
        if (v->name == NULL)
            return hs_cf_error(cf, n, "invalid value \"%s\" in \"ssl_protocols\" directive%s", n->args[i].p,
                               hs_str_has_prefix(n->args[i], HS_STR("SSLv")) ? ": SSL is not supported" : "");
        ts->protocols |= v->value;
    }
    return HS_OK;
}

/* A string or path setting of the level (d->post: 1 for a path). */
static int str_setting(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    hs_tls_srv *ts = here(cf);
    hs_str *slot = (hs_str *)((char *)ts + d->offset);
    if (slot->p)
        return hs_cf_error(cf, n, "\"%s\" directive is duplicate", d->name);
    *slot = d->post ? hs_cstr(hs_cf_path(cf, n->args[1])) : hs_pstr(cf->pool, n->args[1]);
    return HS_OK;
}

static int flag_setting(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    return hs_set_flag(cf, n, (char *)here(cf) + d->offset, d);
}

/* ssl_session_ticket_key FILE (several: the first encrypts, all decrypt). */
static int ticket_key(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    hs_tls_srv *ts = here(cf);
    if (ts->nticket_keys == HS_TLS_MAX_TICKET_KEYS)
        return hs_cf_error(cf, n, "more than %d \"ssl_session_ticket_key\" in one server", HS_TLS_MAX_TICKET_KEYS);
    if (ts->nticket_keys == 0) {
        ts->ticket_file = n->file;
        ts->ticket_line = n->line;
    }
    ts->ticket_keys[ts->nticket_keys++] = hs_cstr(hs_cf_path(cf, n->args[1]));
    return HS_OK;
}

/* ssl_buffer_size SIZE: the largest TLS record sent (OpenSSL's fragment:
 * 512 to 16k). */
static int buffer_size(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    hs_tls_srv *ts = here(cf);
    if (ts->buffer_size != HS_UNSET)
        return hs_cf_error(cf, n, "\"ssl_buffer_size\" directive is duplicate");
    if (hs_set_size(cf, n, &ts->buffer_size, d) != HS_OK)
        return HS_ERROR;
    if (ts->buffer_size < 512 || ts->buffer_size > 16384)
        return hs_cf_error(cf, n, "\"ssl_buffer_size\" must be between 512 and 16k");
    return HS_OK;
}

/* ssl_session_cache off | none | [builtin[:size]] [shared:name:size]: the
 * last cache named wins (one cache per server). */
static int session_cache(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    hs_tls_srv *ts = here(cf);
    if (ts->session_cache.p)
        return hs_cf_error(cf, n, "\"ssl_session_cache\" directive is duplicate");
    for (size_t i = 1; i < n->nargs; i++) {
        hs_str a = n->args[i];
        bool known = hs_str_eq_lit(a, "off") || hs_str_eq_lit(a, "none") || hs_str_has_prefix(a, HS_STR("builtin")) ||
                     hs_str_has_prefix(a, HS_STR("shared:"));
        if (!known || ((hs_str_eq_lit(a, "off") || hs_str_eq_lit(a, "none")) && n->nargs > 2))
            return hs_cf_error(cf, n, "invalid session cache \"%s\"", a.p);
        if (hs_str_has_prefix(a, HS_STR("shared:")) || ts->session_cache.p == NULL)
            ts->session_cache = hs_pstr(cf->pool, a);
    }
    ts->cache_file = n->file;
    ts->cache_line = n->line;
    return HS_OK;
}

static int session_timeout(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    return hs_set_msec(cf, n, &here(cf)->session_timeout, d);
}

static int verify_client(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    static const hs_conf_enum values[] = {{"off", HS_VERIFY_OFF}, {"on", HS_VERIFY_ON},
                                          {"optional", HS_VERIFY_OPTIONAL},
                                          {"optional_no_ca", HS_VERIFY_OPTIONAL_NO_CA}, {NULL, 0}};
    hs_directive e = *d;
    e.post = values;
    return hs_set_enum(cf, n, &here(cf)->verify_client, &e);
}

static int verify_depth(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    int rc = hs_set_num(cf, n, &here(cf)->verify_depth, d);
    if (rc == HS_OK && (here(cf)->verify_depth < 0 || here(cf)->verify_depth > 100))
        return hs_cf_error(cf, n, "invalid value \"%s\" in \"ssl_verify_depth\"", n->args[1].p);
    return rc;
}

static int conf_command(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    hs_tls_srv *ts = here(cf);
    if (ts->nconf_commands == HS_ARRAY_LEN(ts->conf_commands) / 2)
        return hs_cf_error(cf, n, "too many \"ssl_conf_command\" directives");
    ts->conf_commands[2 * ts->nconf_commands] = hs_pstr(cf->pool, n->args[1]);
    ts->conf_commands[2 * ts->nconf_commands + 1] = hs_pstr(cf->pool, n->args[2]);
    ts->nconf_commands++;
    return HS_OK;
}

/* ssl_hello_drop $var [alert]: drop at the ClientHello when $var is
 * neither empty nor "0" (hush's own). */
static int hello_drop(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    hs_tls_srv *ts = here(cf);
    hs_str name;
    if (ts->has_hello_drop)
        return hs_cf_error(cf, n, "\"ssl_hello_drop\" directive is duplicate");
    if (hs_var_scan(n->args[1], &name) != n->args[1].n)
        return hs_cf_error(cf, n, "invalid variable \"%s\" in \"ssl_hello_drop\"", n->args[1].p);
    if (n->nargs == 3 && !hs_str_eq_lit(n->args[2], "alert"))
        return hs_cf_error(cf, n, "invalid parameter \"%s\" in \"ssl_hello_drop\"", n->args[2].p);
    if (hs_var_resolve(cf, n, name, &ts->hello_drop) != HS_OK)
        return HS_ERROR;
    ts->has_hello_drop = true;
    ts->hello_drop_alert = n->nargs == 3;
    ts->hello_drop_rule = hs_psprintf(cf->pool, "ssl_hello_drop:%.*s", (int)name.n, name.p);
    return HS_OK;
}

static int early_data(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    int rc = flag_setting(cf, n, conf, d);
    if (rc == HS_OK && here(cf)->early_data)
        return hs_cf_error(cf, n, "\"ssl_early_data on\" is not supported (0-RTT data can be replayed)");
    return rc;
}

#define TS(field) HS_LEVEL_NONE, offsetof(hs_tls_srv, field)

const hs_directive hs_tls_directives[] = {
    {"ssl_certificate", HS_CTX_HS, HS_ARGS_1, certificate, HS_LEVEL_NONE, 0, NULL},
    {"ssl_certificate_key", HS_CTX_HS, HS_ARGS_1, certificate, HS_LEVEL_NONE, 0, NULL},
    {"ssl_protocols", HS_CTX_HS, HS_ARGS_1MORE, protocols, HS_LEVEL_NONE, 0, NULL},
    {"ssl_ciphers", HS_CTX_HS, HS_ARGS_1, str_setting, TS(ciphers), NULL},
    {"ssl_prefer_server_ciphers", HS_CTX_HS, HS_ARGS_1, flag_setting, TS(prefer_server_ciphers), NULL},
    {"ssl_ecdh_curve", HS_CTX_HS, HS_ARGS_1, str_setting, TS(ecdh_curve), NULL},
    {"ssl_dhparam", HS_CTX_HS, HS_ARGS_1, str_setting, TS(dhparam), (void *)1},
    {"ssl_password_file", HS_CTX_HS, HS_ARGS_1, str_setting, TS(password_file), (void *)1},
    {"ssl_session_tickets", HS_CTX_HS, HS_ARGS_1, flag_setting, TS(session_tickets), NULL},
    {"ssl_session_ticket_key", HS_CTX_HS, HS_ARGS_1, ticket_key, HS_LEVEL_NONE, 0, NULL},
    {"ssl_buffer_size", HS_CTX_HS, HS_ARGS_1, buffer_size, HS_LEVEL_NONE, 0, NULL},
    {"ssl_crl", HS_CTX_HS, HS_ARGS_1, str_setting, TS(crl), (void *)1},
    {"ssl_stapling_verify", HS_CTX_HS, HS_ARGS_1, flag_setting, TS(stapling_verify), NULL},
    {"ssl_session_timeout", HS_CTX_HS, HS_ARGS_1, session_timeout, HS_LEVEL_NONE, 0, NULL},
    {"ssl_session_cache", HS_CTX_HS, HS_ARGS_12, session_cache, HS_LEVEL_NONE, 0, NULL},
    {"ssl_reject_handshake", HS_CTX_HS, HS_ARGS_1, flag_setting, TS(reject_handshake), NULL},
    {"ssl_verify_client", HS_CTX_HS, HS_ARGS_1, verify_client, HS_LEVEL_NONE, 0, NULL},
    {"ssl_verify_depth", HS_CTX_HS, HS_ARGS_1, verify_depth, HS_LEVEL_NONE, 0, NULL},
    {"ssl_client_certificate", HS_CTX_HS, HS_ARGS_1, str_setting, TS(client_certificate), (void *)1},
    {"ssl_trusted_certificate", HS_CTX_HS, HS_ARGS_1, str_setting, TS(trusted_certificate), (void *)1},
    {"ssl_stapling", HS_CTX_HS, HS_ARGS_1, flag_setting, TS(stapling), NULL},
    {"ssl_stapling_file", HS_CTX_HS, HS_ARGS_1, str_setting, TS(stapling_file), (void *)1},
    {"ssl_conf_command", HS_CTX_HS, HS_ARGS_2, conf_command, HS_LEVEL_NONE, 0, NULL},
    {"ssl_early_data", HS_CTX_HS, HS_ARGS_1, early_data, TS(early_data), NULL},
    {"ssl_hello_drop", HS_CTX_HS, HS_ARGS_12, hello_drop, HS_LEVEL_NONE, 0, NULL},
    {NULL, 0, 0, NULL, 0, 0, NULL},
};

/* ---- inheritance ---- */

static void merge_str(hs_str *c, hs_str p, const char *dflt)
{
    if (c->p == NULL)
        *c = p.p ? p : (dflt ? hs_cstr(dflt) : HS_NULL_STR);
}

/* The directives that may repeat: a level that has its own does not
 * inherit its parent's (nginx's rule for arrays). */
static void merge_lists(hs_tls_srv *c, const hs_tls_srv *p)
{
    if (c->ncerts == 0 && c->nkeys == 0) {
        memcpy(c->certs, p->certs, sizeof(c->certs));
        memcpy(c->keys, p->keys, sizeof(c->keys));
        c->ncerts = p->ncerts;
        c->nkeys = p->nkeys;
        c->cert_file = p->cert_file;
        c->cert_line = p->cert_line;
    }
    if (c->nticket_keys == 0) {
        memcpy(c->ticket_keys, p->ticket_keys, sizeof(c->ticket_keys));
        c->nticket_keys = p->nticket_keys;
        c->ticket_file = p->ticket_file;
        c->ticket_line = p->ticket_line;
    }
    if (!c->has_hello_drop) {
        c->has_hello_drop = p->has_hello_drop;
        c->hello_drop_alert = p->hello_drop_alert;
        c->hello_drop = p->hello_drop;
        c->hello_drop_rule = p->hello_drop_rule;
    }
    if (c->nconf_commands == 0) {
        memcpy(c->conf_commands, p->conf_commands, sizeof(c->conf_commands));
        c->nconf_commands = p->nconf_commands;
    }
}

/* Fills what a level left unset from its parent (or nginx's defaults). */
static void merge_srv(hs_tls_srv *c, const hs_tls_srv *p)
{
    static const hs_tls_srv none = {.protocols = HS_UNSET, .prefer_server_ciphers = HS_UNSET,
                                    .session_tickets = HS_UNSET, .session_timeout = HS_UNSET_MSEC,
                                    .reject_handshake = HS_UNSET, .verify_client = HS_UNSET,
                                    .verify_depth = HS_UNSET, .early_data = HS_UNSET,
                                    .stapling = HS_UNSET, .stapling_verify = HS_UNSET,
                                    .buffer_size = HS_UNSET};
    if (p == NULL)
        p = &none;
    merge_lists(c, p);
    HS_MERGE(c->protocols, p->protocols, HS_TLS_V12 | HS_TLS_V13);
    merge_str(&c->ciphers, p->ciphers, "HIGH:!aNULL:!MD5");
    HS_MERGE(c->prefer_server_ciphers, p->prefer_server_ciphers, 0);
    merge_str(&c->ecdh_curve, p->ecdh_curve, "auto");
    merge_str(&c->dhparam, p->dhparam, NULL);
    merge_str(&c->password_file, p->password_file, NULL);
    HS_MERGE(c->session_tickets, p->session_tickets, 1);
    HS_MERGE(c->session_timeout, p->session_timeout, 300000);
    HS_MERGE(c->buffer_size, p->buffer_size, 16384);
    merge_str(&c->crl, p->crl, NULL);
    HS_MERGE(c->stapling_verify, p->stapling_verify, 0);
    if (c->session_cache.p == NULL) {
        c->session_cache = p->session_cache;
        c->cache_file = p->cache_file;
        c->cache_line = p->cache_line;
    }
    HS_MERGE(c->reject_handshake, p->reject_handshake, 0);
    HS_MERGE(c->verify_client, p->verify_client, HS_VERIFY_OFF);
    HS_MERGE(c->verify_depth, p->verify_depth, 1);
    merge_str(&c->client_certificate, p->client_certificate, NULL);
    merge_str(&c->trusted_certificate, p->trusted_certificate, NULL);
    HS_MERGE(c->stapling, p->stapling, 0);
    merge_str(&c->stapling_file, p->stapling_file, NULL);
    HS_MERGE(c->early_data, p->early_data, 0);
    c->merged = true;
}

static void merge_loc(hs_cf *cf, hs_loc_conf *child, const hs_loc_conf *parent)
{
    const hs_tls_srv *p = hs_tls_srv_of(parent);
    if (child->match == HS_LOC_SERVER || child->parent == NULL) {
        merge_srv(hs_tls_srv_get(cf, child), p); /* the http level and each server */
        return;
    }
    HS_MOD_SLOT(child->mod, &hs_tls_module) = (void *)p; /* locations: their server's */
}

/* ---- finishing ---- */

/* Every server of a TLS address has an SSL_CTX (or rejects handshakes);
 * the address then gets the TLS transport. */
static int finish_group(hs_cf *cf, hs_http_conf *http, hs_listen_group *g)
{
    for (size_t i = 0; i < http->nservers; i++) {
        hs_srv_conf *sc = http->servers[i];
        hs_tls_srv *ts = hs_tls_srv_of(sc->loc);
        bool here = false;
        for (size_t j = 0; j < sc->nlistens && !here; j++)
            here = sc->listens[j].port == g->listen->port &&
                   (g->listen->wildcard || sc->listens[j].wildcard ||
                    memcmp(&sc->listens[j].addr, &g->listen->addr, g->listen->addrlen) == 0);
        if (!here || ts->ctx || (ts->ncerts == 0 && ts->reject_handshake))
            continue;
        if (ts->ncerts == 0) {
            hs_conf_node at = {.file = sc->file, .line = sc->line};
            return hs_cf_error(cf, &at, "no \"ssl_certificate\" is defined for the \"listen ... ssl\" directive");
        }
        if (hs_tls_ctx_build(cf, ts) != HS_OK)
            return HS_ERROR;
    }
    g->transport = &hs_transport_tls;
    return HS_OK;
}

static int http_finish(hs_cf *cf, hs_http_conf *http)
{
    for (size_t i = 0; i < http->ngroups; i++)
        if (http->groups[i].ssl && finish_group(cf, http, &http->groups[i]) != HS_OK)
            return HS_ERROR;
    return hs_tls_verify_register(cf, http);
}

/* Before the http block is read: $ssl_ja4 and $ssl_ja4_r are prepared at
 * the hello only once a configuration refers to them (the hash is a few
 * microseconds of every handshake, a flood's included). */
static int http_init(hs_cf *cf, hs_http_conf *http)
{
    (void)cf;
    (void)http;
    static bool watching;
    if (!watching) {
        hs_var_watch("ssl_ja4", &hs_tls_ja4_used);
        hs_var_watch("ssl_ja4_r", &hs_tls_ja4_raw_used);
    }
    watching = true;
    return HS_OK;
}

hs_module hs_tls_module = {
    .name = "tls",
    .directives = {hs_tls_directives},
    .variables = hs_tls_variables,
    .http_init = http_init,
    .merge_loc = merge_loc,
    .http_finish = http_finish,
    .master_init = hs_tls_cache_master,
};
