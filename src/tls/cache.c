/* ssl_session_cache (nginx's): off / none, builtin[:size] (OpenSSL's own
 * cache, per worker), and shared:NAME:SIZE — sessions stored in a
 * shared-memory zone (core/shm) that every worker reads, created by the
 * master and kept across reloads with the same name and size. Sessions are
 * stored serialised (i2d) with their expiry; one too large for an entry is
 * not stored (its client gets a full handshake next time). */
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/shm.h"
#include "core/units.h"
#include "tls/tls_internal.h"

#define SESSION_MAX 500         /* serialised bytes one entry holds */
#define ZONE_KIND 0x544c5331u   /* "TLS1": what the zone is for */
#define MAX_CACHES 16

typedef struct {
    uint64_t expires_msec;      /* wall clock */
    uint16_t len;
    uint8_t der[SESSION_MAX];
} stored_session;

/* A shared cache; the zone is attached in the master (hs_tls_cache_master). */
struct hs_tls_cache {
    char name[HS_SHM_NAME_MAX];
    size_t size;
    hs_shm_zone *shm;
};

static int ctx_index = -1; /* SSL_CTX ex data: the hs_tls_cache of a context */

static hs_tls_cache *cache_of(SSL_CTX *ctx) { return SSL_CTX_get_ex_data(ctx, ctx_index); }

static int new_session(SSL *ssl, SSL_SESSION *sess)
{
    hs_tls_cache *c = cache_of(SSL_get_SSL_CTX(ssl));
    unsigned int idlen;
    const unsigned char *id = SSL_SESSION_get_id(sess, &idlen);
    int len = i2d_SSL_SESSION(sess, NULL);
    if (c == NULL || c->shm == NULL || len <= 0 || len > SESSION_MAX || idlen == 0)
        return 0;
    hs_shm_lock(c->shm);
    int created;
    stored_session *s = hs_shm_get(c->shm, (hs_str){(const char *)id, idlen}, 1, &created);
    if (s) {
        unsigned char *p = s->der;
        s->len = (uint16_t)i2d_SSL_SESSION(sess, &p);
        s->expires_msec = hs_now.msec + (uint64_t)SSL_SESSION_get_timeout(sess) * 1000;
    }
    hs_shm_unlock(c->shm);
    return 0; /* we keep no reference to sess */
}

static SSL_SESSION *get_session(SSL *ssl, const unsigned char *id, int idlen, int *copy)
{
    hs_tls_cache *c = cache_of(SSL_get_SSL_CTX(ssl));
    *copy = 0;
    if (c == NULL || c->shm == NULL || idlen <= 0)
        return NULL;
    SSL_SESSION *sess = NULL;
    hs_shm_lock(c->shm);
    stored_session *s = hs_shm_get(c->shm, (hs_str){(const char *)id, (size_t)idlen}, 0, NULL);
    if (s && s->expires_msec > hs_now.msec) {
        const unsigned char *p = s->der;
        sess = d2i_SSL_SESSION(NULL, &p, s->len);
    } else if (s) {
        hs_shm_del(c->shm, s);
    }
    hs_shm_unlock(c->shm);
    ERR_clear_error();
    return sess;
}

static void remove_session(SSL_CTX *ctx, SSL_SESSION *sess)
{
    hs_tls_cache *c = cache_of(ctx);
    unsigned int idlen;
    const unsigned char *id = SSL_SESSION_get_id(sess, &idlen);
    if (c == NULL || c->shm == NULL)
        return;
    hs_shm_lock(c->shm);
    stored_session *s = hs_shm_get(c->shm, (hs_str){(const char *)id, idlen}, 0, NULL);
    if (s)
        hs_shm_del(c->shm, s);
    hs_shm_unlock(c->shm);
}

/* ---- configuration ---- */

/* "shared:NAME:SIZE": the cache of that name (one per name in the block). */
static hs_tls_cache *shared_cache(hs_str spec, char *err, size_t errlen)
{
    static hs_tls_cache *all[MAX_CACHES];
    static size_t nall;
    const char *colon = memchr(spec.p + 7, ':', spec.n - 7);
    hs_str name = {spec.p + 7, colon ? (size_t)(colon - spec.p - 7) : 0};
    int64_t size = colon ? hs_parse_size((hs_str){colon + 1, spec.n - (size_t)(colon + 1 - spec.p)}) : -1;
    if (name.n == 0 || name.n >= HS_SHM_NAME_MAX || size < HS_SHM_MIN_SIZE) {
        snprintf(err, errlen, "invalid session cache \"%s\" (shared:NAME:SIZE, at least %d bytes)", spec.p,
                 HS_SHM_MIN_SIZE);
        return NULL;
    }
    for (size_t i = 0; i < nall; i++)
        if (hs_str_eq_lit(name, all[i]->name) && all[i]->size == (size_t)size)
            return all[i];
    if (nall == MAX_CACHES) {
        snprintf(err, errlen, "too many shared session caches");
        return NULL;
    }
    hs_tls_cache *c = calloc(1, sizeof(*c)); /* lives as long as the master: zones are kept across reloads */
    if (c == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(c->name, sizeof(c->name), "ssl:%.*s", (int)name.n, name.p);
    c->size = (size_t)size;
    return all[nall++] = c;
}

int hs_tls_cache_setup(hs_cf *cf, hs_tls_srv *ts, SSL_CTX *ctx)
{
    hs_str spec = ts->session_cache;
    char err[200];
    if (spec.p == NULL || hs_str_eq_lit(spec, "off") || hs_str_eq_lit(spec, "none")) {
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
        return HS_OK;
    }
    hs_conf_node at = {.file = ts->cache_file, .line = ts->cache_line};
    SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"hush", 4);
    if (hs_str_has_prefix(spec, HS_STR("builtin"))) {
        int64_t size = spec.n > 8 ? hs_parse_int((hs_str){spec.p + 8, spec.n - 8}) : 20480;
        if (size <= 0)
            return hs_cf_error(cf, &at, "invalid session cache \"%s\"", spec.p);
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
        SSL_CTX_sess_set_cache_size(ctx, size);
        return HS_OK;
    }
    if (!hs_str_has_prefix(spec, HS_STR("shared:")))
        return hs_cf_error(cf, &at, "invalid session cache \"%s\"", spec.p);
    ts->cache = shared_cache(spec, err, sizeof(err));
    if (ts->cache == NULL)
        return hs_cf_error(cf, &at, "%s", err);
    if (ctx_index < 0)
        ctx_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    SSL_CTX_set_ex_data(ctx, ctx_index, ts->cache);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL);
    SSL_CTX_sess_set_new_cb(ctx, new_session);
    SSL_CTX_sess_set_get_cb(ctx, get_session);
    SSL_CTX_sess_set_remove_cb(ctx, remove_session);
    return HS_OK;
}

/* Master: the zones of the caches this configuration uses (kept when the
 * same name and size come back on reload). */
int hs_tls_cache_master(hs_config *conf, hs_config *old, char *err, size_t errlen)
{
    (void)old;
    if (conf->http == NULL)
        return HS_OK;
    for (size_t i = 0; i < conf->http->nservers; i++) {
        hs_tls_srv *ts = hs_tls_srv_of(conf->http->servers[i]->loc);
        hs_tls_cache *c = ts ? ts->cache : NULL;
        if (c == NULL || c->shm)
            continue;
        c->shm = hs_shm_create(c->name, c->size, ZONE_KIND, sizeof(stored_session), err, errlen);
        if (c->shm == NULL)
            return HS_ERROR;
    }
    return HS_OK;
}
