/* The TLS ClientHello parser and the JA4 fingerprint, as pure functions.
 *
 * hush reads the first bytes a client sends on a TLS port (MSG_PEEK, before
 * any OpenSSL object exists) and judges the ClientHello there: its SNI, ALPN
 * list, highest version and JA4 decide a drop or a rejection at the cost of
 * a plaintext drop.
 *
 * hs_tls_hello_parse() keeps no state between calls: on HS_AGAIN the caller
 * peeks again with more bytes and calls it again; it re-parses from the
 * start. It never reads past buf[len - 1] and never allocates. The handshake
 * message is always reassembled into h->msg (it may span several records),
 * and every slice points there: an hs_tls_hello must stay where it was
 * parsed (a copy's slices point into the original).
 *
 * The parser is strict where the RFCs are (RFC 8446 4.1.2 and 4.2, RFC 6066
 * 3, RFC 7301 3.1): a hello OpenSSL or BoringSSL would refuse is HS_ERROR. */
#ifndef HS_PARSE_TLS_HELLO_H
#define HS_PARSE_TLS_HELLO_H

#include "core/str.h"

/* Bytes of the handshake message, its 4-byte header included: a real
 * ClientHello is a few hundred bytes, under 2 KiB with a post-quantum key
 * share. This much always fits in one record, so a longer one is refused. */
#define HS_TLS_HELLO_MAX 16384
/* Records the message may span. Clients split a hello only to dodge SNI
 * filters (a few records); this bounds the bytes a caller must peek. */
#define HS_TLS_MAX_RECORDS 64
/* A buffer this long is never HS_AGAIN: the most a hello may take on the wire. */
#define HS_TLS_HELLO_WIRE_MAX (HS_TLS_HELLO_MAX + 5 * HS_TLS_MAX_RECORDS)

/* Lists kept in full (a hello with more is HS_ERROR, so JA4 is always exact).
 * OpenSSL's whole cipher list ("ALL:COMPLEMENTOFALL") is 158 suites. */
#define HS_TLS_MAX_CIPHERS 256
#define HS_TLS_MAX_EXTENSIONS 64 /* distinct types: duplicates are refused */
#define HS_TLS_MAX_SIGALGS 128
#define HS_TLS_MAX_ALPN 16       /* ALPN names kept; more are checked, counted, not kept */
#define HS_TLS_SNI_MAX 255       /* a DNS name's longest text form */

/* Extension types the parser looks into. */
enum {
    HS_TLS_EXT_SERVER_NAME = 0x0000,
    HS_TLS_EXT_SIGALGS = 0x000d,
    HS_TLS_EXT_ALPN = 0x0010,
    HS_TLS_EXT_PRE_SHARED_KEY = 0x0029,
    HS_TLS_EXT_SUPPORTED_VERSIONS = 0x002b,
};

typedef struct {
    uint16_t record_version; /* of the first record: 0x0301 or 0x0303 in practice */
    uint16_t legacy_version; /* ClientHello.legacy_version */
    uint16_t version;        /* highest offered: supported_versions without GREASE,
                              * else legacy_version */
    bool has_sni;            /* a server_name extension was sent (JA4's 'd') */
    char sni[HS_TLS_SNI_MAX + 1]; /* its host_name, lowercased, without one trailing
                                   * '.', NUL-terminated; "" if none */
    size_t sni_len;
    bool has_alpn;           /* an ALPN extension was sent */
    hs_str alpn[HS_TLS_MAX_ALPN]; /* its protocol names as offered, in order */
    uint16_t nalpn;          /* names in alpn[] */
    uint16_t alpn_offered;   /* names in the extension (more than nalpn if > 16) */
    uint16_t ciphers[HS_TLS_MAX_CIPHERS]; /* cipher suites as offered, GREASE included */
    uint16_t nciphers;
    uint16_t extensions[HS_TLS_MAX_EXTENSIONS]; /* extension types in order, GREASE included */
    uint16_t nextensions;
    uint16_t sigalgs[HS_TLS_MAX_SIGALGS]; /* signature_algorithms in order, GREASE included */
    uint16_t nsigalgs;
    uint16_t nrecords;       /* records the message spanned */
    size_t consumed;         /* on HS_OK: bytes of buf the records took; any
                              * bytes after them are not the hello's */
    size_t msg_len;          /* on HS_OK: bytes of the message, header included */
    const char *error;       /* on HS_ERROR: static text saying why */
    uint8_t msg[HS_TLS_HELLO_MAX]; /* the reassembled handshake message */
} hs_tls_hello;

/* GREASE values (RFC 8701): 0x0a0a, 0x1a1a, ... 0xfafa. */
static inline bool hs_tls_is_grease(uint16_t v)
{
    return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* Parse the first bytes of a connection, buf[0..len). Returns
 *   HS_OK        a complete, valid ClientHello; h is filled and h->consumed
 *                bytes of buf hold it (bytes after it are left alone);
 *   HS_AGAIN     a valid prefix so far: more bytes are needed (never when
 *                len >= HS_TLS_HELLO_WIRE_MAX);
 *   HS_DECLINED  not TLS: the first byte is not 22 (handshake) or the record
 *                version is not 3.x (the caller treats it as plain HTTP);
 *   HS_ERROR     TLS, but not a valid ClientHello: h->error says why.
 * Only h->error is meaningful after HS_AGAIN, HS_DECLINED or HS_ERROR.
 * Cost is linear in len. */
int hs_tls_hello_parse(const uint8_t *buf, size_t len, hs_tls_hello *h);

/* JA4 (FoxIO), e.g. "t13d1516h2_8daaf6152771_d8a2da3f94cd": always this long. */
#define HS_TLS_JA4_LEN 36
/* The longest raw JA4: the prefix, then each list as 4-hex items and separators. */
#define HS_TLS_JA4_RAW_MAX \
    (10 + 5 * (HS_TLS_MAX_CIPHERS + HS_TLS_MAX_EXTENSIONS + HS_TLS_MAX_SIGALGS) + 2)

/* The JA4 fingerprint of a parsed hello, NUL-terminated, for TLS over TCP. */
void hs_tls_ja4(const hs_tls_hello *h, char out[HS_TLS_JA4_LEN + 1]);

/* Its raw form ("JA4_r"): the same prefix, then the sorted cipher list, the
 * sorted extension list (without SNI and ALPN) and the signature algorithms
 * in their order, unhashed. NUL-terminated; returns its length. */
size_t hs_tls_ja4_raw(const hs_tls_hello *h, char out[HS_TLS_JA4_RAW_MAX + 1]);

/* JA4's 12-hex-digit hash of one raw section: the first 12 hex digits of
 * its SHA-256, or "000000000000" for an empty section. NUL-terminated. */
void hs_tls_ja4_hash(const char *section, size_t n, char out[13]);

#endif
