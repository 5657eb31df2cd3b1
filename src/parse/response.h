/* Parser of upstream response heads (status line and header fields), strict
 * enough that a malformed upstream gives a 502 and never a desynchronised
 * connection. Stateless: call again with more bytes on HS_AGAIN. */
#ifndef HS_PARSE_RESPONSE_H
#define HS_PARSE_RESPONSE_H

#include "parse/request.h"

typedef struct {
    int version;            /* 10 or 11 */
    int status;             /* 100..999 */
    hs_str reason;          /* reason phrase as sent */
    hs_header *headers;     /* caller's array */
    size_t nheaders;
    int64_t content_length; /* -1 when absent */
    bool chunked;           /* Transfer-Encoding: chunked */
    bool keep_alive;        /* the upstream keeps the connection open */
    size_t head_len;        /* on HS_OK: bytes of the head */
    const char *error;      /* on HS_ERROR: why, for the error log */
} hs_http_response;

int hs_http_parse_response(const char *buf, size_t len, hs_http_response *r, hs_header *hdrs,
                           size_t max_headers);
/* One "Name: value" line of a response head (no CRLF) into *h, OWS trimmed:
 * HS_OK, or HS_ERROR with r->error set. FastCGI's CGI head shares it. */
int hs_http_parse_response_field(hs_str line, hs_header *h, hs_http_response *r);

#endif
