/* ssl_session_ticket_key FILE (nginx's format): 48 bytes (a 16-byte name,
 * a 16-byte HMAC key, a 16-byte AES-128 key) or 80 bytes (name, 32-byte
 * HMAC key, 32-byte AES-256 key). The first key encrypts new tickets; the
 * others still decrypt theirs (and the ticket is renewed under the first),
 * so keys rotate without losing sessions. Every worker and every hush that
 * reads the same files accepts the same tickets. Without the directive,
 * OpenSSL's random keys are made in the master and inherited by the
 * workers: the same in every worker until the next reload. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <unistd.h>

#include "tls/tls_internal.h"

typedef struct {
    unsigned char name[16];
    unsigned char hmac[32];
    unsigned char aes[32];
    size_t key_len;            /* 16 (AES-128, from 48 bytes) or 32 (AES-256, from 80) */
} ticket_key;

typedef struct {
    ticket_key *keys;
    size_t n;
} ticket_keys;

static int keys_index = -1;    /* the SSL_CTX ex_data slot of its ticket_keys */

static int read_key(hs_cf *cf, const hs_conf_node *at, const char *path, ticket_key *k)
{
    unsigned char buf[81];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return hs_cf_error(cf, at, "open() \"%s\" failed (%s)", path, strerror(errno));
    ssize_t n = read(fd, buf, sizeof(buf));
    close(fd);
    if (n != 48 && n != 80)
        return hs_cf_error(cf, at, "\"%s\" must be 48 or 80 bytes", path);
    size_t half = n == 48 ? 16 : 32;
    memcpy(k->name, buf, 16);
    memcpy(k->hmac, buf + 16, half);
    memcpy(k->aes, buf + 16 + half, half);
    k->key_len = half;
    OPENSSL_cleanse(buf, sizeof(buf));
    return HS_OK;
}

static const EVP_CIPHER *cipher_of(const ticket_key *k)
{
    return k->key_len == 16 ? EVP_aes_128_cbc() : EVP_aes_256_cbc();
}

static int set_hmac(EVP_MAC_CTX *hctx, const ticket_key *k)
{
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, (void *)k->hmac, k->key_len),
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_end(),
    };
    return EVP_MAC_CTX_set_params(hctx, params) == 1 ? 0 : -1;
}

/* OpenSSL's ticket callback: enc = 1 makes a ticket under the first key;
 * enc = 0 finds the key by name: 1 (use it), 2 (use it and renew the
 * ticket: an older key), 0 (unknown: a full handshake), -1 (error). */
static int ticket_cb(SSL *ssl, unsigned char name[16], unsigned char *iv, EVP_CIPHER_CTX *cctx,
                     EVP_MAC_CTX *hctx, int enc)
{
    const ticket_keys *tk = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), keys_index);
    if (tk == NULL || tk->n == 0)
        return -1;
    if (enc) {
        const ticket_key *k = &tk->keys[0];
        const EVP_CIPHER *c = cipher_of(k);
        if (RAND_bytes(iv, EVP_CIPHER_get_iv_length(c)) != 1 ||
            EVP_EncryptInit_ex(cctx, c, NULL, k->aes, iv) != 1 || set_hmac(hctx, k) != 0)
            return -1;
        memcpy(name, k->name, 16);
        return 1;
    }
    for (size_t i = 0; i < tk->n; i++) {
        const ticket_key *k = &tk->keys[i];
        if (memcmp(name, k->name, 16) != 0)
            continue;
        if (set_hmac(hctx, k) != 0 || EVP_DecryptInit_ex(cctx, cipher_of(k), NULL, k->aes, iv) != 1)
            return -1;
        return i == 0 ? 1 : 2;
    }
    return 0;
}

static void cleanse(void *p)
{
    ticket_keys *tk = p;
    OPENSSL_cleanse(tk->keys, tk->n * sizeof(*tk->keys));
}

int hs_tls_tickets_setup(hs_cf *cf, hs_tls_srv *ts, SSL_CTX *ctx)
{
    if (ts->nticket_keys == 0 || !ts->session_tickets)
        return HS_OK;
    if (keys_index < 0)
        keys_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    ticket_keys *tk = hs_pcalloc(cf->pool, sizeof(*tk));
    if (tk == NULL || (tk->keys = hs_pcalloc(cf->pool, ts->nticket_keys * sizeof(ticket_key))) == NULL)
        return HS_ERROR;
    hs_conf_node at = {.file = ts->ticket_file, .line = ts->ticket_line};
    for (size_t i = 0; i < ts->nticket_keys; i++, tk->n++)
        if (read_key(cf, &at, ts->ticket_keys[i].p, &tk->keys[i]) != HS_OK)
            return HS_ERROR;
    hs_pool_cleanup_add(cf->pool, cleanse, tk);
    if (SSL_CTX_set_ex_data(ctx, keys_index, tk) != 1 ||
        SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_cb) != 1)
        return hs_cf_error(cf, &at, "cannot set the session ticket keys");
    return HS_OK;
}
