/* The HTTP/1.1 request-head parser (RFC 9112): strict, in place, zero-copy.
 *
 * hs_http_parse_request() is one pure function over a buffer. It keeps no
 * state between calls: on HS_AGAIN the caller reads more bytes into the same
 * buffer and calls it again, and it re-parses from the start. Every slice it
 * returns points into the caller's buffer, which it never writes; the buffer
 * must outlive the request. It never reads past buf[len - 1]. An empty
 * slice points at a static "", never NULL.
 *
 * Where RFC 9112 lets a recipient choose, the parser picks the choice that
 * leaves no room for request smuggling, and otherwise behaves like nginx. */
#ifndef HS_PARSE_REQUEST_H
#define HS_PARSE_REQUEST_H

#include "core/str.h"

typedef enum {
    HS_METHOD_UNKNOWN, /* a valid token that is none of the methods below */
    HS_METHOD_GET,
    HS_METHOD_HEAD,
    HS_METHOD_POST,
    HS_METHOD_PUT,
    HS_METHOD_DELETE,
    HS_METHOD_OPTIONS,
    HS_METHOD_PATCH,
    HS_METHOD_TRACE,
    HS_METHOD_CONNECT,
    HS_METHOD_PROPFIND,
    HS_METHOD_MKCOL,
    HS_METHOD_COPY,
    HS_METHOD_MOVE,
    HS_METHOD_LOCK,
    HS_METHOD_UNLOCK,
} hs_method;

typedef struct {
    hs_str name;  /* field name as sent (case preserved) */
    hs_str value; /* field value with surrounding OWS trimmed */
} hs_header;

typedef struct {
    hs_str method;       /* method token as sent (methods are case-sensitive) */
    hs_method method_id; /* the method, or HS_METHOD_UNKNOWN */
    hs_str request_line; /* "GET /x HTTP/1.1" without the terminator: nginx's $request */
    hs_str target;       /* request-target exactly as sent */
    hs_str path;         /* raw (percent-encoded) path: before '?' for origin-form,
                          * after the authority for absolute-form ("/" if empty),
                          * "*" for asterisk-form, empty for CONNECT's authority-form */
    hs_str args;         /* raw query after '?', without the '?'; empty if none */
    hs_str abs_host;     /* authority of an absolute-form target, else empty */
    int version;         /* 10 or 11 (HTTP/1.2 .. 1.9 count as 11) */
    hs_header *headers;  /* the caller's array, filled in order of arrival */
    size_t nheaders;     /* header fields stored in headers[] */
    size_t odd_names;    /* of them, names with a byte outside A-Z a-z 0-9 '-' (nginx
                          * ignores those by default: ignore_invalid_headers) */
    hs_str host;         /* Host field value (raw), or abs_host for absolute-form */
    int64_t content_length; /* Content-Length, -1 when absent */
    bool chunked;           /* Transfer-Encoding: chunked (the only coding accepted) */
    bool keep_alive;        /* persistent, from the version and Connection */
    bool expect_continue;   /* Expect: 100-continue in an HTTP/1.1 request */
    size_t head_len;        /* on HS_OK: bytes of the head including the empty line */
    bool request_line_done; /* on HS_AGAIN: the request line is complete, so an
                             * oversized head is 431 rather than 414 */
    size_t line_start;      /* on HS_AGAIN: offset of the line being parsed, so the
                             * caller can check one line against its size limit */
    bool headers_full;      /* on HS_ERROR: more than max_headers fields; the
                             * caller may retry with a larger array */
    int error_status;       /* on HS_ERROR: 400, 431, 501 or 505 */
    const char *error_reason; /* on HS_ERROR: static text for the error log */
} hs_http_request;

/* Largest Content-Length (and chunk size) accepted: 2^62, so sums stay in int64_t. */
#define HS_HTTP_MAX_BODY_LEN ((int64_t)1 << 62)

/* Parse the request head in buf[0..len), storing up to max_headers fields in
 * hdrs (which r->headers then points to). Returns
 *   HS_OK     the head is complete and valid; r->head_len bytes were used, and
 *             what follows (body, pipelined requests) is untouched;
 *   HS_AGAIN  the head is incomplete so far (see request_line_done, line_start);
 *   HS_ERROR  the head is invalid: r->error_status is the status to answer
 *             (400; 431 with headers_full for more than max_headers fields; 501 for a transfer
 *             coding other than chunked; 505 for HTTP/2..9) and
 *             r->error_reason says why.
 * Cost is linear in len on every call; callers bound len by their buffer size. */
int hs_http_parse_request(const char *buf, size_t len, hs_http_request *r, hs_header *hdrs,
                          size_t max_headers);

/* The method named m exactly, or HS_METHOD_UNKNOWN. */
hs_method hs_http_method_id(hs_str m);

/* The first header field named `name` (case-insensitive), or NULL. */
const hs_header *hs_http_find_header(const hs_http_request *r, const char *name);

/* Validate a Host value (or an absolute-form authority) as nginx does, but a
 * little stricter: reject empty labels (".." or a leading '.'), characters
 * outside RFC 3986's reg-name (so '/', '\\', '@', NUL, controls, spaces), a
 * bad IPv6 literal, or a non-numeric port. On HS_OK the host without ":port"
 * and without one trailing '.' is written lowercased to out (capacity at least
 * raw.n; may be NULL to validate only) and its length to *out_len.
 * Returns HS_OK or HS_ERROR. */
int hs_http_parse_host(hs_str raw, char *out, size_t *out_len);

#endif
