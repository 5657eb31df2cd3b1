/* Fuzz target for the ClientHello parser and JA4. An input that starts with
 * 0x01 (a ClientHello's handshake type) is a handshake message: it is
 * wrapped in one record and in many, and both must give the same outcome
 * and fields. Any other input is the bytes of a connection. For each
 * outcome the invariants of parse/tls_hello.h are checked: HS_DECLINED
 * exactly when the first two bytes are not TLS's, HS_AGAIN never for a
 * buffer of HS_TLS_HELLO_WIRE_MAX bytes, every error explained, prefixes of
 * a complete hello HS_AGAIN, slices inside the message, counts within their
 * bounds, JA4 well formed and the hash of its raw form. Inputs are copied
 * to exact-size heap blocks, so over-reads trip ASan. */
#include <stdlib.h>

#include "fuzz.h"
#include "parse/tls_hello.h"

static hs_tls_hello H, H2;

static bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

/* JA4's shape, and its hashes are those of the raw form's sections. */
static void check_ja4(const hs_tls_hello *h)
{
    char ja4[HS_TLS_JA4_LEN + 1], raw[HS_TLS_JA4_RAW_MAX + 1], hash[13];
    hs_tls_ja4(h, ja4);
    size_t n = hs_tls_ja4_raw(h, raw);
    REQUIRE(strlen(ja4) == HS_TLS_JA4_LEN && n == strlen(raw) && n <= HS_TLS_JA4_RAW_MAX);
    REQUIRE(ja4[0] == 't' && (ja4[3] == 'd' || ja4[3] == 'i') && ja4[10] == '_' && ja4[23] == '_');
    for (int i = 4; i < 8; i++)
        REQUIRE(ja4[i] >= '0' && ja4[i] <= '9');
    for (int i = 11; i < HS_TLS_JA4_LEN; i++)
        REQUIRE(i == 23 || is_hex(ja4[i]));
    REQUIRE(memcmp(ja4, raw, 11) == 0);
    const char *b = raw + 11, *c = strchr(b, '_');
    REQUIRE(c != NULL);
    hs_tls_ja4_hash(b, (size_t)(c - b), hash);
    REQUIRE(memcmp(ja4 + 11, hash, 12) == 0);
    c++;
    /* section c without extensions (empty, or only "_sigalgs") is zeros */
    hs_tls_ja4_hash(c, *c == '_' ? 0 : strlen(c), hash);
    REQUIRE(memcmp(ja4 + 24, hash, 12) == 0);
}

static bool in_msg(const hs_tls_hello *h, hs_str s)
{
    return (const uint8_t *)s.p >= h->msg && s.n <= h->msg_len &&
           (const uint8_t *)s.p - h->msg <= (ptrdiff_t)(h->msg_len - s.n);
}

static void check_ok(const hs_tls_hello *h, size_t len)
{
    REQUIRE(h->consumed <= len && h->consumed <= HS_TLS_HELLO_WIRE_MAX);
    REQUIRE(h->msg_len >= 4 && h->msg_len <= HS_TLS_HELLO_MAX && h->consumed >= h->msg_len + 5);
    REQUIRE(h->nrecords >= 1 && h->nrecords <= HS_TLS_MAX_RECORDS);
    REQUIRE(h->nciphers >= 1 && h->nciphers <= HS_TLS_MAX_CIPHERS);
    REQUIRE(h->nextensions <= HS_TLS_MAX_EXTENSIONS && h->nsigalgs <= HS_TLS_MAX_SIGALGS);
    REQUIRE(h->nalpn <= HS_TLS_MAX_ALPN && h->nalpn <= h->alpn_offered);
    REQUIRE(h->has_alpn == (h->alpn_offered > 0));
    for (size_t i = 0; i < h->nalpn; i++)
        REQUIRE(h->alpn[i].n > 0 && in_msg(h, h->alpn[i]));
    REQUIRE(h->sni_len <= HS_TLS_SNI_MAX && strlen(h->sni) == h->sni_len);
    REQUIRE(h->has_sni == (h->sni_len > 0));
    for (size_t i = 0; i < h->sni_len; i++) {
        char c = h->sni[i];
        REQUIRE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                (c == '.' && i > 0 && i + 1 < h->sni_len && h->sni[i - 1] != '.'));
    }
    REQUIRE(h->legacy_version >> 8 == 3 && !hs_tls_is_grease(h->version));
    for (size_t i = 0; i < h->nextensions; i++)
        for (size_t j = 0; j < i; j++)
            REQUIRE(h->extensions[i] != h->extensions[j]);
    check_ja4(h);
}

/* Parse buf[0..len) (an exact-size heap copy) into h; check what must hold. */
static int parse(const uint8_t *data, size_t len, hs_tls_hello *h)
{
    uint8_t *buf = malloc(len ? len : 1);
    memcpy(buf, data, len);
    int rc = hs_tls_hello_parse(buf, len, h);
    bool not_tls = (len >= 1 && buf[0] != 22) || (len >= 2 && buf[1] != 3);
    REQUIRE((rc == HS_DECLINED) == not_tls);
    REQUIRE(rc == HS_OK || rc == HS_AGAIN || rc == HS_DECLINED || rc == HS_ERROR);
    if (rc == HS_ERROR)
        REQUIRE(h->error != NULL && h->error[0] != '\0');
    if (rc == HS_AGAIN)
        REQUIRE(len < HS_TLS_HELLO_WIRE_MAX);
    if (rc == HS_OK)
        check_ok(h, len);
    free(buf);
    return rc;
}

/* Whole, then a few prefixes: of a complete hello they are HS_AGAIN, and
 * the hello alone parses the same; of an error, HS_AGAIN or HS_ERROR. */
static int parse_all(const uint8_t *data, size_t len, hs_tls_hello *h)
{
    int rc = parse(data, len, h);
    size_t upto = rc == HS_OK ? h->consumed : len;
    size_t cuts[3] = {upto - (upto > 0), upto / 2, upto > 7 ? 7 : 0};
    for (size_t i = 0; i < 3 && rc != HS_DECLINED; i++) {
        int rck = parse(data, cuts[i], &H2);
        REQUIRE(rck == HS_AGAIN || (rc == HS_ERROR && rck == HS_ERROR));
    }
    if (rc == HS_OK && upto < len) {
        REQUIRE(parse(data, upto, &H2) == HS_OK);
        REQUIRE(H2.nciphers == h->nciphers && H2.nextensions == h->nextensions);
    }
    return rc;
}

/* msg[0..n) in records of `piece` bytes; returns the wire length. */
static size_t wrap(const uint8_t *msg, size_t n, size_t piece, uint8_t *out)
{
    size_t w = 0;
    for (size_t off = 0; off < n; off += piece) {
        size_t k = n - off < piece ? n - off : piece;
        uint8_t head[5] = {22, 3, 1, (uint8_t)(k >> 8), (uint8_t)k};
        memcpy(out + w, head, 5);
        memcpy(out + w + 5, msg + off, k);
        w += 5 + k;
    }
    return w;
}

static void same(const hs_tls_hello *a, const hs_tls_hello *b)
{
    REQUIRE(a->msg_len == b->msg_len && memcmp(a->msg, b->msg, a->msg_len) == 0);
    REQUIRE(strcmp(a->sni, b->sni) == 0 && a->version == b->version);
    REQUIRE(a->nalpn == b->nalpn && a->alpn_offered == b->alpn_offered);
    char x[HS_TLS_JA4_RAW_MAX + 1], y[HS_TLS_JA4_RAW_MAX + 1];
    hs_tls_ja4_raw(a, x);
    hs_tls_ja4_raw(b, y);
    REQUIRE(strcmp(x, y) == 0);
}

/* A handshake message in one record and in up to 64: the same outcome when
 * its length field is its length (if shorter, the split form may end the
 * hello at a record boundary and leave the rest unread, as it should). */
static void message(const uint8_t *msg, size_t n)
{
    static uint8_t one[HS_TLS_HELLO_MAX + 5], many[HS_TLS_HELLO_WIRE_MAX];
    if (n == 0 || n > HS_TLS_HELLO_MAX)
        return;
    size_t piece = 1 + msg[n - 1] % 61;
    if ((n + piece - 1) / piece > HS_TLS_MAX_RECORDS)
        piece = (n + HS_TLS_MAX_RECORDS - 1) / HS_TLS_MAX_RECORDS;
    int a = parse_all(one, wrap(msg, n, HS_TLS_HELLO_MAX, one), &H);
    static hs_tls_hello Hm;
    int b = parse_all(many, wrap(msg, n, piece, many), &Hm);
    if (n < 4 || n != 4 + ((size_t)msg[1] << 16 | (size_t)msg[2] << 8 | msg[3]))
        return;
    REQUIRE(a == b);
    if (a == HS_ERROR)
        REQUIRE(strcmp(H.error, Hm.error) == 0);
    if (a == HS_OK)
        same(&H, &Hm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 0 && data[0] == 1)
        message(data, size);
    else
        parse_all(data, size, &H);
    return 0;
}
