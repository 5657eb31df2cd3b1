/* Password schemes of htpasswd files, as nginx accepts them: {PLAIN},
 * {SHA} (base64 of SHA-1), {SSHA} (SHA-1 with a salt appended), Apache's
 * $apr1$ (MD5-crypt with its own magic, done here with OpenSSL's MD5), and
 * everything else through crypt(3) (libcrypt: $1$, $5$, $6$, $y$, $2b$,
 * DES). Comparisons of secrets take constant time. */
#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "auth/auth_internal.h"
#include "core/base64.h"

#define MAX_PASSWORD 1024 /* longer passwords match nothing */

static bool same(const char *a, size_t an, const char *b, size_t bn)
{
    return an == bn && CRYPTO_memcmp(a, b, an) == 0;
}

static bool starts(hs_str s, const char *lit) { return hs_str_has_prefix(s, hs_cstr(lit)); }

/* One digest of the concatenation of parts (algorithm fetched once: the
 * 1000 rounds of MD5-crypt would otherwise look it up each time). */
static void digest(const char *alg, const hs_str *parts, int nparts, unsigned char *out)
{
    static EVP_MD *md5, *sha1;
    static EVP_MD_CTX *ctx;
    EVP_MD **md = alg[0] == 'M' ? &md5 : &sha1;
    if (*md == NULL)
        *md = EVP_MD_fetch(NULL, alg, NULL);
    if (ctx == NULL)
        ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, *md, NULL);
    for (int i = 0; i < nparts; i++)
        EVP_DigestUpdate(ctx, parts[i].p, parts[i].n);
    EVP_DigestFinal_ex(ctx, out, NULL);
}

/* ---- {SHA} and {SSHA} ---- */

/* base64(SHA-1(password + salt) + salt) against the encoded text. */
static bool sha_matches(hs_str password, const unsigned char *salt, size_t nsalt, hs_str encoded)
{
    unsigned char raw[SHA_DIGEST_LENGTH + 64];
    char out[((sizeof(raw) + 2) / 3) * 4 + 1];
    hs_str parts[2] = {password, {(const char *)salt, nsalt}};
    digest("SHA1", parts, 2, raw);
    if (nsalt)
        memcpy(raw + SHA_DIGEST_LENGTH, salt, nsalt);
    int n = EVP_EncodeBlock((unsigned char *)out, raw, (int)(SHA_DIGEST_LENGTH + nsalt));
    return same(out, (size_t)n, encoded.p, encoded.n);
}

static bool ssha_matches(hs_str password, hs_str encoded)
{
    unsigned char raw[SHA_DIGEST_LENGTH + 64 + 3];
    size_t n;
    if (encoded.n > ((sizeof(raw) - 3) / 3) * 4 || hs_base64_decode(encoded, raw, &n) != HS_OK ||
        n < SHA_DIGEST_LENGTH)
        return false;
    return sha_matches(password, raw + SHA_DIGEST_LENGTH, n - SHA_DIGEST_LENGTH, encoded);
}

/* ---- MD5-crypt ---- */

static const char itoa64[] = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static char *to64(char *p, unsigned v, int n)
{
    while (n-- > 0) {
        *p++ = itoa64[v & 0x3f];
        v >>= 6;
    }
    return p;
}

/* The first digest: password, magic, salt, then the alternate digest and
 * the bits of the password's length, as the algorithm has it. */
static void md5_crypt_initial(hs_str pw, const char *magic, hs_str salt, unsigned char *fin)
{
    unsigned char alt[16];
    hs_str parts[3 + MAX_PASSWORD / 16 + 1 + 12];
    int n = 0;
    parts[0] = pw, parts[1] = salt, parts[2] = pw;
    digest("MD5", parts, 3, alt);
    parts[n++] = pw;
    parts[n++] = hs_cstr(magic);
    parts[n++] = salt;
    for (size_t left = pw.n; left > 0; left -= left > 16 ? 16 : left)
        parts[n++] = (hs_str){(const char *)alt, left > 16 ? 16 : left};
    for (size_t i = pw.n; i; i >>= 1)
        parts[n++] = (hs_str){(i & 1) ? "" : pw.p, 1};
    digest("MD5", parts, n, fin);
}

size_t hs_auth_md5_crypt(hs_str pw, hs_str setting, const char *magic, char *out)
{
    size_t ml = strlen(magic);
    if (pw.n > MAX_PASSWORD || setting.n < ml) {
        out[0] = '\0';
        return 0;
    }
    hs_str salt = {setting.p + ml, 0};
    while (ml + salt.n < setting.n && salt.n < 8 && setting.p[ml + salt.n] != '$')
        salt.n++;
    unsigned char fin[16];
    md5_crypt_initial(pw, magic, salt, fin);
    hs_str f = {(const char *)fin, 16};
    for (int i = 0; i < 1000; i++) {
        hs_str parts[4];
        int n = 0;
        parts[n++] = (i & 1) ? pw : f;
        if (i % 3)
            parts[n++] = salt;
        if (i % 7)
            parts[n++] = pw;
        parts[n++] = (i & 1) ? f : pw;
        digest("MD5", parts, n, fin);
    }
    char *p = out;
    memcpy(p, magic, ml);
    p += ml;
    memcpy(p, salt.p, salt.n);
    p += salt.n;
    *p++ = '$';
    static const int order[5][3] = {{0, 6, 12}, {1, 7, 13}, {2, 8, 14}, {3, 9, 15}, {4, 10, 5}};
    for (int k = 0; k < 5; k++)
        p = to64(p, (unsigned)fin[order[k][0]] << 16 | (unsigned)fin[order[k][1]] << 8 | fin[order[k][2]], 4);
    p = to64(p, fin[11], 2);
    *p = '\0';
    return (size_t)(p - out);
}

/* ---- crypt(3) ---- */

static bool crypt_matches(hs_str password, hs_str hash)
{
    static struct crypt_data data; /* large: one per worker, which is single-threaded */
    char pw[MAX_PASSWORD + 1], setting[512];
    if (hash.n >= sizeof(setting))
        return false;
    memcpy(pw, password.p, password.n);
    pw[password.n] = '\0';
    memcpy(setting, hash.p, hash.n);
    setting[hash.n] = '\0';
    memset(&data, 0, sizeof(data));
    const char *out = crypt_rn(pw, setting, &data, sizeof(data));
    return out && out[0] != '*' && same(out, strlen(out), hash.p, hash.n);
}

bool hs_auth_verify(hs_str password, hs_str hash)
{
    if (password.n > MAX_PASSWORD)
        return false;
    if (starts(hash, "{PLAIN}"))
        return same(password.p, password.n, hash.p + 7, hash.n - 7);
    if (starts(hash, "{SHA}"))
        return sha_matches(password, NULL, 0, (hs_str){hash.p + 5, hash.n - 5});
    if (starts(hash, "{SSHA}"))
        return ssha_matches(password, (hs_str){hash.p + 6, hash.n - 6});
    if (starts(hash, "$apr1$")) {
        char out[64];
        size_t n = hs_auth_md5_crypt(password, hash, "$apr1$", out);
        return same(out, n, hash.p, hash.n);
    }
    return hash.n > 0 && crypt_matches(password, hash);
}
