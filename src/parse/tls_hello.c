/* The ClientHello parser (records, then the message) and JA4. See
 * parse/tls_hello.h for the contract.
 *
 *   record        = type(1)=22 version(2)=3.x length(2) fragment
 *   ClientHello   = msg_type(1)=1 length(3) legacy_version(2) random(32)
 *                   session_id<0..32> cipher_suites<2..2^16-2>
 *                   compression_methods<1..2^8-1> [extensions<0..2^16-1>] */
#include "parse/tls_hello.h"

#include <stdio.h>

#include <openssl/sha.h>

#define RECORD_HANDSHAKE 22
#define HANDSHAKE_CLIENT_HELLO 1

static int fail(hs_tls_hello *h, const char *why)
{
    h->error = why;
    return HS_ERROR;
}

/* ---- records ----------------------------------------------------------- */

/* Copies what arrived of the record at buf (its 5-byte header complete) into
 * h->msg after *have bytes; checks the message header once it is in, and
 * that the record does not go past the message. */
static int take_record(const uint8_t *rec, size_t avail, hs_tls_hello *h, size_t *have,
                       size_t *need)
{
    size_t n = (size_t)rec[3] << 8 | rec[4];
    if (rec[0] != RECORD_HANDSHAKE) /* RFC 8446 5.1: no interleaving */
        return fail(h, "record in the ClientHello is not a handshake record");
    if (rec[1] != 3)
        return fail(h, "bad record version");
    if (n == 0)
        return fail(h, "empty handshake record");
    h->nrecords++;
    /* Records longer than 2^14 (RFC 8446 5.1) fail here too. */
    if (*need ? n > *need - *have : n > HS_TLS_HELLO_MAX - *have)
        return fail(h, *need ? "data after the ClientHello" : "ClientHello too long");
    size_t got = avail - 5 < n ? avail - 5 : n;
    memcpy(h->msg + *have, rec + 5, got);
    *have += got;
    if (!*need && *have >= 4) {
        if (h->msg[0] != HANDSHAKE_CLIENT_HELLO)
            return fail(h, "first handshake message is not a ClientHello");
        *need = 4 + ((size_t)h->msg[1] << 16 | (size_t)h->msg[2] << 8 | h->msg[3]);
        if (*need > HS_TLS_HELLO_MAX)
            return fail(h, "ClientHello too long");
        if (*have > *need)
            return fail(h, "data after the ClientHello");
    }
    return got < n ? HS_AGAIN : HS_OK;
}

/* Gathers the handshake message from its records into h->msg. */
static int reassemble(const uint8_t *buf, size_t len, hs_tls_hello *h)
{
    if (len < 1)
        return HS_AGAIN;
    if (buf[0] != RECORD_HANDSHAKE)
        return HS_DECLINED;
    if (len < 2)
        return HS_AGAIN;
    if (buf[1] != 3)
        return HS_DECLINED;
    size_t off = 0, have = 0, need = 0; /* need: the message's length, once known */
    while (len - off >= 5) {
        if (off == 0)
            h->record_version = (uint16_t)(buf[1] << 8 | buf[2]);
        int rc = take_record(buf + off, len - off, h, &have, &need);
        if (rc != HS_OK)
            return rc;
        off += 5 + ((size_t)buf[off + 3] << 8 | buf[off + 4]);
        if (need && have == need) {
            h->consumed = off;
            h->msg_len = need;
            return HS_OK;
        }
        /* Refused now rather than at the next header, so that a buffer of
         * HS_TLS_HELLO_WIRE_MAX bytes is never HS_AGAIN. */
        if (h->nrecords == HS_TLS_MAX_RECORDS)
            return fail(h, "ClientHello in too many records");
    }
    return HS_AGAIN;
}

/* ---- reading the message ----------------------------------------------- */

typedef struct {
    const uint8_t *p; /* next byte */
    size_t n;         /* bytes left */
} reader;

static bool get_u8(reader *r, unsigned *v)
{
    if (r->n < 1)
        return false;
    *v = r->p[0];
    r->p++;
    r->n--;
    return true;
}

static bool get_u16(reader *r, uint16_t *v)
{
    if (r->n < 2)
        return false;
    *v = (uint16_t)(r->p[0] << 8 | r->p[1]);
    r->p += 2;
    r->n -= 2;
    return true;
}

static bool get_bytes(reader *r, size_t k, reader *out)
{
    if (r->n < k)
        return false;
    *out = (reader){r->p, k};
    r->p += k;
    r->n -= k;
    return true;
}

/* A vector with a `width`-byte (1 or 2) length in front. */
static bool get_vec(reader *r, int width, reader *out)
{
    uint16_t n16;
    unsigned n8;
    if (width == 1)
        return get_u8(r, &n8) && get_bytes(r, n8, out);
    return get_u16(r, &n16) && get_bytes(r, n16, out);
}

/* A vector of 16-bit values filling a whole extension body: lengths even
 * and at least 2 (the RFCs' <2..2^16-2> and <2..254>). */
static bool get_u16_list(reader *body, int width, reader *list)
{
    return get_vec(body, width, list) && body->n == 0 && list->n >= 2 && list->n % 2 == 0;
}

/* ---- extensions -------------------------------------------------------- */

static bool dns_char(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_';
}

/* Checks a host_name as a DNS name (no empty label) and keeps it lowercased,
 * without one trailing dot, as the Host header is (hs_http_parse_host). */
static int copy_sni(hs_tls_hello *h, reader name)
{
    if (name.n == 0 || name.n > HS_TLS_SNI_MAX)
        return fail(h, "bad server name length");
    size_t n = name.n;
    if (n > 1 && name.p[n - 1] == '.')
        n--;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = name.p[i];
        if (!dns_char(c) || (c == '.' && (i == 0 || name.p[i - 1] == '.' || i == n - 1)))
            return fail(h, "bad server name");
        h->sni[i] = (char)(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
    }
    h->sni[n] = '\0';
    h->sni_len = n;
    return HS_OK;
}

/* server_name (RFC 6066 3): exactly one entry, a host_name, as OpenSSL and
 * BoringSSL require (RFC 6066 allows one name per type, and no other type
 * was ever defined). */
static int ext_server_name(hs_tls_hello *h, reader body)
{
    reader list, name;
    unsigned type;
    h->has_sni = true;
    if (!get_vec(&body, 2, &list) || body.n != 0 || !get_u8(&list, &type) ||
        !get_vec(&list, 2, &name) || list.n != 0)
        return fail(h, "bad server_name extension");
    if (type != 0)
        return fail(h, "server_name is not a host_name");
    return copy_sni(h, name);
}

/* ALPN (RFC 7301 3.1): a non-empty list of non-empty names. */
static int ext_alpn(hs_tls_hello *h, reader body)
{
    reader list, name;
    h->has_alpn = true;
    if (!get_vec(&body, 2, &list) || body.n != 0 || list.n == 0)
        return fail(h, "bad ALPN extension");
    while (list.n) {
        if (!get_vec(&list, 1, &name) || name.n == 0)
            return fail(h, "bad ALPN protocol name");
        if (h->nalpn < HS_TLS_MAX_ALPN)
            h->alpn[h->nalpn++] = hs_str_from((const char *)name.p, name.n);
        h->alpn_offered++;
    }
    return HS_OK;
}

/* supported_versions (RFC 8446 4.2.1): the highest one that is not GREASE
 * is the version offered; with none but GREASE, legacy_version stays. */
static int ext_supported_versions(hs_tls_hello *h, reader body)
{
    reader list;
    uint16_t v, best = 0;
    if (!get_u16_list(&body, 1, &list))
        return fail(h, "bad supported_versions extension");
    while (get_u16(&list, &v))
        if (!hs_tls_is_grease(v) && v > best)
            best = v;
    if (best)
        h->version = best;
    return HS_OK;
}

static int ext_sigalgs(hs_tls_hello *h, reader body)
{
    reader list;
    if (!get_u16_list(&body, 2, &list))
        return fail(h, "bad signature_algorithms extension");
    if (list.n / 2 > HS_TLS_MAX_SIGALGS)
        return fail(h, "too many signature algorithms");
    while (get_u16(&list, &h->sigalgs[h->nsigalgs]))
        h->nsigalgs++;
    return HS_OK;
}

static int extension(hs_tls_hello *h, uint16_t type, reader body)
{
    switch (type) {
    case HS_TLS_EXT_SERVER_NAME:
        return ext_server_name(h, body);
    case HS_TLS_EXT_ALPN:
        return ext_alpn(h, body);
    case HS_TLS_EXT_SUPPORTED_VERSIONS:
        return ext_supported_versions(h, body);
    case HS_TLS_EXT_SIGALGS:
        return ext_sigalgs(h, body);
    default:
        return HS_OK;
    }
}

/* The extension block: each type at most once (RFC 8446 4.2; BoringSSL
 * refuses any duplicate), pre_shared_key last (RFC 8446 4.2.11). */
static int extensions(hs_tls_hello *h, reader block)
{
    while (block.n) {
        uint16_t type;
        reader body;
        if (!get_u16(&block, &type) || !get_vec(&block, 2, &body))
            return fail(h, "bad extension");
        for (size_t i = 0; i < h->nextensions; i++)
            if (h->extensions[i] == type)
                return fail(h, "duplicate extension");
        if (h->nextensions == HS_TLS_MAX_EXTENSIONS)
            return fail(h, "too many extensions");
        h->extensions[h->nextensions++] = type;
        if (type == HS_TLS_EXT_PRE_SHARED_KEY && block.n != 0)
            return fail(h, "pre_shared_key is not the last extension");
        int rc = extension(h, type, body);
        if (rc != HS_OK)
            return rc;
    }
    return HS_OK;
}

/* The ClientHello body, after its 4-byte header (RFC 8446 4.1.2). */
static int client_hello(hs_tls_hello *h)
{
    reader m = {h->msg + 4, h->msg_len - 4}, skip, cs, comp, block;
    if (!get_u16(&m, &h->legacy_version) || !get_bytes(&m, 32, &skip))
        return fail(h, "ClientHello too short");
    if (h->legacy_version >> 8 != 3)
        return fail(h, "bad ClientHello version");
    if (!get_vec(&m, 1, &skip) || skip.n > 32)
        return fail(h, "bad session id");
    if (!get_vec(&m, 2, &cs) || cs.n < 2 || cs.n % 2)
        return fail(h, "bad cipher suite list");
    if (cs.n / 2 > HS_TLS_MAX_CIPHERS)
        return fail(h, "too many cipher suites");
    while (get_u16(&cs, &h->ciphers[h->nciphers]))
        h->nciphers++;
    /* Every version requires the null method; OpenSSL refuses a hello without it. */
    if (!get_vec(&m, 1, &comp) || comp.n == 0 || !memchr(comp.p, 0, comp.n))
        return fail(h, "bad compression methods");
    h->version = h->legacy_version;
    if (m.n == 0) /* TLS 1.2 and older may send no extension block */
        return HS_OK;
    if (!get_vec(&m, 2, &block) || m.n != 0)
        return fail(h, "bad extension block");
    return extensions(h, block);
}

int hs_tls_hello_parse(const uint8_t *buf, size_t len, hs_tls_hello *h)
{
    memset(h, 0, offsetof(hs_tls_hello, msg)); /* msg is written before it is read */
    int rc = reassemble(buf, len, h);
    if (rc != HS_OK)
        return rc;
    return client_hello(h);
}

/* ---- JA4 (FoxIO's technical_details/JA4.md) ---------------------------- */

static const char *ja4_version(uint16_t v)
{
    switch (v) {
    case 0x0304: return "13";
    case 0x0303: return "12";
    case 0x0302: return "11";
    case 0x0301: return "10";
    case 0x0300: return "s3";
    case 0x0002: return "s2";
    case 0xfeff: return "d1";
    case 0xfefd: return "d2";
    case 0xfefc: return "d3";
    default: return "00";
    }
}

static bool alnum(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static const char hex_digits[] = "0123456789abcdef";

/* The first and last characters of the first ALPN name; if either is not
 * alphanumeric, the first and last hex digits of the name instead. */
static void ja4_alpn(const hs_tls_hello *h, char out[2])
{
    if (h->nalpn == 0 || h->alpn[0].n == 0) {
        out[0] = out[1] = '0';
        return;
    }
    uint8_t first = (uint8_t)h->alpn[0].p[0], last = (uint8_t)h->alpn[0].p[h->alpn[0].n - 1];
    if (alnum(first) && alnum(last)) {
        out[0] = (char)first;
        out[1] = (char)last;
    } else {
        out[0] = hex_digits[first >> 4];
        out[1] = hex_digits[last & 0xf];
    }
}

/* Copies in[] without GREASE (and without SNI and ALPN if `no_sni_alpn`),
 * sorted if `sort`; returns the count. */
static size_t ja4_list(const uint16_t *in, size_t n, uint16_t *out, bool no_sni_alpn, bool sort)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint16_t v = in[i];
        if (hs_tls_is_grease(v) ||
            (no_sni_alpn && (v == HS_TLS_EXT_SERVER_NAME || v == HS_TLS_EXT_ALPN)))
            continue;
        size_t j = k++;
        for (; sort && j > 0 && out[j - 1] > v; j--) /* insertion: lists are short */
            out[j] = out[j - 1];
        out[j] = v;
    }
    return k;
}

/* Writes the values as comma-separated 4-hex-digit items; returns the length. */
static size_t hex_list(const uint16_t *v, size_t n, char *out)
{
    char *p = out;
    for (size_t i = 0; i < n; i++) {
        if (i)
            *p++ = ',';
        for (int shift = 12; shift >= 0; shift -= 4)
            *p++ = hex_digits[v[i] >> shift & 0xf];
    }
    return (size_t)(p - out);
}

static size_t count99(const uint16_t *v, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += !hs_tls_is_grease(v[i]);
    return k > 99 ? 99 : k;
}

/* JA4's three raw sections: a (10 characters), b (sorted ciphers) and c
 * (sorted extensions, then '_' and the signature algorithms if any);
 * *c_empty is true when c has no extension, which JA4 hashes as zeros. */
typedef struct {
    char a[11];
    char b[HS_TLS_MAX_CIPHERS * 5];
    size_t b_len;
    char c[(HS_TLS_MAX_EXTENSIONS + HS_TLS_MAX_SIGALGS) * 5];
    size_t c_len;
    bool c_empty;
} ja4_sections;

/* Section a: "t", the version, 'd' or 'i', the two counts, the ALPN pair. */
static void ja4_prefix(const hs_tls_hello *h, char a[11])
{
    size_t nc = count99(h->ciphers, h->nciphers), ne = count99(h->extensions, h->nextensions);
    const char *v = ja4_version(h->version);
    a[0] = 't';
    a[1] = v[0];
    a[2] = v[1];
    a[3] = h->has_sni ? 'd' : 'i';
    a[4] = (char)('0' + nc / 10);
    a[5] = (char)('0' + nc % 10);
    a[6] = (char)('0' + ne / 10);
    a[7] = (char)('0' + ne % 10);
    ja4_alpn(h, a + 8);
    a[10] = '\0';
}

static void ja4_build(const hs_tls_hello *h, ja4_sections *s)
{
    /* one scratch list for all three: the cipher bound is the largest */
    _Static_assert(HS_TLS_MAX_CIPHERS >= HS_TLS_MAX_EXTENSIONS &&
                       HS_TLS_MAX_CIPHERS >= HS_TLS_MAX_SIGALGS, "scratch list too short");
    uint16_t v[HS_TLS_MAX_CIPHERS];
    ja4_prefix(h, s->a);
    size_t n = ja4_list(h->ciphers, h->nciphers, v, false, true);
    s->b_len = hex_list(v, n, s->b);
    n = ja4_list(h->extensions, h->nextensions, v, true, true);
    s->c_empty = n == 0;
    s->c_len = hex_list(v, n, s->c);
    n = ja4_list(h->sigalgs, h->nsigalgs, v, false, false);
    if (n) {
        s->c[s->c_len++] = '_';
        s->c_len += hex_list(v, n, s->c + s->c_len);
    }
}

void hs_tls_ja4_hash(const char *section, size_t n, char out[13])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    if (n == 0) {
        memcpy(out, "000000000000", 13);
        return;
    }
    SHA256((const unsigned char *)section, n, md);
    for (int i = 0; i < 6; i++) {
        out[2 * i] = hex_digits[md[i] >> 4];
        out[2 * i + 1] = hex_digits[md[i] & 0xf];
    }
    out[12] = '\0';
}

void hs_tls_ja4(const hs_tls_hello *h, char out[HS_TLS_JA4_LEN + 1])
{
    ja4_sections s;
    char b[13], c[13];
    ja4_build(h, &s);
    hs_tls_ja4_hash(s.b, s.b_len, b);
    hs_tls_ja4_hash(s.c, s.c_empty ? 0 : s.c_len, c);
    snprintf(out, HS_TLS_JA4_LEN + 1, "%s_%s_%s", s.a, b, c);
}

size_t hs_tls_ja4_raw(const hs_tls_hello *h, char out[HS_TLS_JA4_RAW_MAX + 1])
{
    ja4_sections s;
    ja4_build(h, &s);
    int n = snprintf(out, HS_TLS_JA4_RAW_MAX + 1, "%s_%.*s_%.*s", s.a, (int)s.b_len, s.b,
                     (int)s.c_len, s.c);
    return n < 0 ? 0 : (size_t)n;
}
