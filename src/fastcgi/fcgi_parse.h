/* The FastCGI wire format (FastCGI specification 1.0): record headers,
 * name-value pairs, and the two parsers of a responder's answer — the
 * record stream, decoded in place into the application's stdout, and the
 * CGI head at its start. Pure functions over buffers: no request, no
 * socket (the fuzz target drives them alone). */
#ifndef HS_FASTCGI_FCGI_PARSE_H
#define HS_FASTCGI_FCGI_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parse/response.h"

enum {
    HS_FCGI_VERSION = 1,
    HS_FCGI_BEGIN_REQUEST = 1,
    HS_FCGI_ABORT_REQUEST = 2,
    HS_FCGI_END_REQUEST = 3,
    HS_FCGI_PARAMS = 4,
    HS_FCGI_STDIN = 5,
    HS_FCGI_STDOUT = 6,
    HS_FCGI_STDERR = 7,
    HS_FCGI_RESPONDER = 1,
    HS_FCGI_KEEP_CONN = 1,
    HS_FCGI_HEADER_LEN = 8,
    HS_FCGI_MAX_CONTENT = 65535,
};

/* Writes a record header (8 bytes) for a record of type with len content bytes. */
void hs_fcgi_header(char *out, int type, uint16_t id, size_t len);
/* The bytes of a name-value pair, and the pair itself written at out. */
size_t hs_fcgi_pair_len(size_t name, size_t value);
char *hs_fcgi_put_pair(char *out, const char *name, size_t nlen, const char *value, size_t vlen);

/* The application's stderr: a piece of a record's content; last when the
 * record ends with it. */
typedef void (*hs_fcgi_err_fn)(void *ctx, const char *data, size_t n, bool last);

/* The state of a response's record stream. */
typedef struct {
    uint16_t id;            /* the request id expected */
    uint8_t hdr[HS_FCGI_HEADER_LEN];
    uint8_t hlen;           /* header bytes collected; 8: inside a record */
    uint8_t type;           /* the current record's type */
    uint32_t left;          /* its content bytes still to come */
    uint32_t pad;           /* its padding bytes still to come */
    uint8_t end[8];         /* FCGI_END_REQUEST's body */
    uint8_t endlen;
    bool ended;             /* FCGI_END_REQUEST seen */
    uint32_t app_status;    /* its appStatus */
    uint8_t protocol_status;
    char error[96];         /* on HS_ERROR: why (nginx's words) */
} hs_fcgi_dec;

void hs_fcgi_dec_init(hs_fcgi_dec *d, uint16_t id);
/* Decodes buf[0..*n) in place: the stdout bytes are left at buf[0..*n),
 * stderr goes to err(ctx, ...). HS_AGAIN: the response goes on; HS_OK: it
 * ended exactly at the end of buf; HS_DONE: it ended and bytes followed;
 * HS_ERROR: a malformed stream (d->error). */
int hs_fcgi_decode(hs_fcgi_dec *d, char *buf, size_t *n, hs_fcgi_err_fn err, void *ctx);

/* The CGI head at the start of the stdout stream ("Status: 404 Not Found",
 * "Location: ...", fields, an empty line): HS_OK (r filled: status from
 * Status, else 302 with a Location, else 200; head_len), HS_AGAIN, or
 * HS_ERROR (r->error). */
int hs_fcgi_parse_head(const char *buf, size_t len, hs_http_response *r, hs_header *hdrs, size_t max);

#endif
