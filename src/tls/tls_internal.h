/* What the files of the TLS module share (private to src/tls). */
#ifndef HS_TLS_TLS_INTERNAL_H
#define HS_TLS_TLS_INTERNAL_H

#include <openssl/ssl.h>

#include "http/phase.h"
#include "tls/tls.h"

#define HS_TLS_MAX_CERTS 4 /* ssl_certificate directives of one server (RSA, ECDSA ...) */
#define HS_TLS_MAX_TICKET_KEYS 8

/* TLS versions for ssl_protocols (bit mask). */
enum {
    HS_TLS_V10 = 1 << 0,
    HS_TLS_V11 = 1 << 1,
    HS_TLS_V12 = 1 << 2,
    HS_TLS_V13 = 1 << 3,
};

enum { HS_VERIFY_OFF, HS_VERIFY_ON, HS_VERIFY_OPTIONAL, HS_VERIFY_OPTIONAL_NO_CA };

/* The ssl_* settings of a level (http, server; locations share their
 * server's). Paths are absolute. NULL strings and HS_UNSET: not set here. */
typedef struct {
    hs_str certs[HS_TLS_MAX_CERTS];  /* ssl_certificate, in order */
    hs_str keys[HS_TLS_MAX_CERTS];   /* ssl_certificate_key, paired by order */
    size_t ncerts, nkeys;
    const char *cert_file;           /* where the first ssl_certificate was written */
    int cert_line;
    int protocols;                   /* HS_TLS_V* mask */
    hs_str ciphers;
    int prefer_server_ciphers;
    hs_str ecdh_curve;
    hs_str dhparam;
    hs_str password_file;
    int session_tickets;
    hs_str ticket_keys[HS_TLS_MAX_TICKET_KEYS]; /* ssl_session_ticket_key files; the first encrypts */
    size_t nticket_keys;
    const char *ticket_file;         /* where the first ssl_session_ticket_key was written */
    int ticket_line;
    int64_t buffer_size;             /* ssl_buffer_size: the largest record sent */
    hs_str crl;                      /* ssl_crl */
    int stapling_verify;             /* accepted: a response from a file is sent as it is */
    int64_t session_timeout;         /* ms */
    hs_str session_cache;            /* as written: "off", "none", "builtin[:N]", "shared:NAME:SIZE" */
    const char *cache_file;          /* where ssl_session_cache was written */
    int cache_line;
    struct hs_tls_cache *cache;      /* the shared cache it names, or NULL */
    int reject_handshake;
    int verify_client;               /* HS_VERIFY_* */
    int64_t verify_depth;
    hs_str client_certificate;
    hs_str trusted_certificate;
    int stapling;                    /* ssl_stapling */
    hs_str stapling_file;
    int early_data;
    bool has_hello_drop;             /* ssl_hello_drop $var [alert] */
    bool hello_drop_alert;           /* answer the drop with a TLS alert instead of drop_mode */
    hs_var_ref hello_drop;
    const char *hello_drop_rule;     /* $drop_rule: "ssl_hello_drop:VAR" */
    hs_str conf_commands[2 * 16];    /* ssl_conf_command NAME VALUE pairs */
    size_t nconf_commands;           /* pairs */
    SSL_CTX *ctx;                    /* built when the block is finished; NULL: none */
    bool merged;                     /* merge_loc filled the unset fields */
} hs_tls_srv;

/* One TLS connection's state (hs_io.state). */
typedef struct {
    SSL *ssl;                        /* NULL until the ClientHello was judged */
    hs_srv_conf *srv;                /* the server the SNI chose */
    uint64_t start_usec;             /* monotonic µs when the handshake began */
    const char *error;               /* why the handshake failed, for $ssl_handshake_error */
    char *sni;                       /* the server name asked for, lowercased; NULL none */
    char *alpn;                      /* the ALPN names offered, comma-separated; NULL none */
    uint16_t hello_version;          /* the highest version offered */
    bool hello_seen;                 /* the ClientHello was read and judged */
    bool established;                /* the handshake completed (later writes of tickets put OpenSSL
                                      * back "in init" for a moment: the variables ask this) */
    bool tickets_asked;              /* a request came: the TLS 1.3 session tickets were decided */
    bool tickets_due;                /* ... and go out with the next write */
    char ja4[40];                    /* its JA4 fingerprint */
    char *ja4_raw;                   /* its raw JA4 ($ssl_ja4_r), only when a configuration uses it */
    uint8_t read_end;                /* recv met the end (1) or an error (2) after returning bytes:
                                      * the next recv returns it (0: neither) */
} hs_tls_conn;

extern const hs_transport hs_transport_tls;
extern const hs_var_def hs_tls_variables[];
extern bool hs_tls_ja4_used, hs_tls_ja4_raw_used;

/* The settings of a level, created on first use / as they are. */
hs_tls_srv *hs_tls_srv_get(hs_cf *cf, hs_loc_conf *lc);
static inline hs_tls_srv *hs_tls_srv_of(const hs_loc_conf *lc)
{
    return HS_MOD_SLOT(lc->mod, &hs_tls_module);
}
/* The connection behind a transport state, and its TLS state (NULL when the
 * connection is not TLS). */
hs_conn *hs_tls_conn_of_io(hs_io *io);
hs_tls_conn *hs_tls_state(const hs_conn *c);

/* hello.c: the ClientHello phase of a new connection: HS_OK (go on with
 * the handshake for t->srv), HS_AGAIN (more bytes), HS_DECLINED (not TLS),
 * HS_ERROR (malformed: t->error), HS_DONE (refused or dropped, closed). */
int hs_tls_hello_phase(hs_conn *c, hs_tls_conn *t);

/* cache.c: ssl_session_cache on a context; the master's zones. */
typedef struct hs_tls_cache hs_tls_cache;
int hs_tls_cache_setup(hs_cf *cf, hs_tls_srv *ts, SSL_CTX *ctx);
int hs_tls_cache_master(hs_config *conf, hs_config *old, char *err, size_t errlen);

/* verify.c: the request-time check of client certificates, registered
 * when a server has ssl_verify_client. */
int hs_tls_verify_register(hs_cf *cf, hs_http_conf *http);

/* tickets.c: ssl_session_ticket_key files on a context. */
int hs_tls_tickets_setup(hs_cf *cf, hs_tls_srv *ts, SSL_CTX *ctx);

/* ctx.c: builds the SSL_CTX of a server's settings; errors at cf. */
int hs_tls_ctx_build(hs_cf *cf, hs_tls_srv *ts);
/* stapling.c: ssl_stapling with ssl_stapling_file (an OCSP response read
 * from a file, sent to clients that ask). */
int hs_tls_stapling_setup(hs_cf *cf, hs_tls_srv *ts, SSL_CTX *ctx);
extern const hs_directive hs_tls_directives[];

#endif
