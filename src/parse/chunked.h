/* Decoder for the chunked transfer coding of request bodies (RFC 9112 7.1).
 *
 * It decodes in place and keeps its state in a small struct, so input may be
 * split anywhere, down to one byte per call. It is strict: CRLF is required
 * after the size line, after each chunk's data and after each trailer line;
 * chunk extensions are checked against the grammar and skipped; trailer
 * fields are checked like header fields and discarded. */
#ifndef HS_PARSE_CHUNKED_H
#define HS_PARSE_CHUNKED_H

#include <sys/types.h>

#include "core/buf.h"
#include "core/str.h"

/* Limits that keep a hostile body from making the decoder work unbounded. */
#define HS_CHUNKED_MAX_SIZE_LINE 4096 /* bytes of one size line, CRLF included */
#define HS_CHUNKED_MAX_TRAILER 8192   /* bytes of the whole trailer section */
#define HS_CHUNKED_MAX_DIGITS 16      /* hex digits of one chunk-size */
#define HS_CHUNKED_MAX_BODY ((uint64_t)1 << 62) /* decoded bytes in all */

typedef struct {
    uint8_t state;       /* where in the grammar the next byte goes (chunked.c) */
    uint8_t digits;      /* hex digits of the current chunk-size so far */
    uint16_t line_len;   /* bytes of the current size line so far */
    uint16_t trailer_len; /* bytes of the trailer section so far */
    uint64_t left;       /* data bytes still due in the current chunk */
    uint64_t total;      /* payload bytes decoded so far, for client_max_body_size */
    const char *error_reason; /* after HS_ERROR: static text for the error log */
} hs_chunked;

void hs_chunked_init(hs_chunked *d);

/* Decode buf[0..*len), raw bytes as received, in place. The payload bytes
 * decoded in this call are moved to buf[0..*len) (never further right than
 * they came from). Returns
 *   HS_AGAIN  all input consumed, the body is not finished: call again with
 *             the next bytes;
 *   HS_ERROR  malformed (d->error_reason says why); buf's contents undefined;
 *   n >= 0    the last chunk and the trailer section are complete; the last
 *             n input bytes were not consumed (a pipelined request) and are
 *             still in place at buf + original *len - n.
 * Once finished, further calls consume nothing and return the whole input. */
ssize_t hs_chunked_decode(hs_chunked *d, char *buf, size_t *len);

/* The encoder: appends n bytes as one chunk (none when n is 0), then the
 * last chunk when last, with the trailer fields given ("Name: value\r\n"
 * each; empty for none). HS_OK or HS_ERROR (out of memory). */
int hs_chunked_encode(hs_buf *out, const char *data, size_t n, bool last, hs_str trailer);

#endif
