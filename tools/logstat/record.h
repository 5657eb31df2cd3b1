/* One access-log line, parsed in place: what every parser fills and what the
 * statistics read.  Slices point into the line buffer (or, for JSON strings
 * that had escapes, into the parser's scratch buffer) and live only until the
 * next line is read. */
#ifndef LS_RECORD_H
#define LS_RECORD_H

#include <stdint.h>

#include "core/str.h"

/* The nginx variables the analyzer understands.  Anything else in a
 * log_format is matched over and ignored (LS_F_SKIP). */
typedef enum {
    LS_F_SKIP = 0,
    LS_F_REMOTE_ADDR,
    LS_F_TIME_LOCAL,
    LS_F_TIME_ISO8601,
    LS_F_MSEC,
    LS_F_REQUEST,
    LS_F_METHOD,      /* $request_method */
    LS_F_REQUEST_URI, /* $request_uri: path and query as sent */
    LS_F_URI,         /* $uri: normalised path, no query */
    LS_F_STATUS,
    LS_F_BODY_BYTES,  /* $body_bytes_sent */
    LS_F_REFERER,
    LS_F_USER_AGENT,
    LS_F_XFF,         /* $http_x_forwarded_for */
    LS_F_HOST,        /* $host, $http_host, $server_name */
    LS_F_REQUEST_TIME,
    LS_F_UPSTREAM_TIME, /* $upstream_response_time, may be a list */
    LS_F_CLOSE_REASON,
    LS_F_DROP_RULE,
    LS_F_UPSTREAM_ADDR, /* $upstream_addr, may be a list */
    LS_F_CONN_REQUESTS, /* $connection_requests: makes a connection-log line */
    LS_F_COUNT
} ls_field;

#define LS_HAVE(f) (1u << (f))

/* hush's $close_reason values (docs/design.md section 2), in that order. */
typedef enum {
    LS_CR_OK = 0,
    LS_CR_DROP,
    LS_CR_CLIENT_ABORT,
    LS_CR_CLIENT_ABORT_BODY,
    LS_CR_HEADER_TIMEOUT,
    LS_CR_BODY_TIMEOUT,
    LS_CR_SEND_TIMEOUT,
    LS_CR_BAD_REQUEST,
    LS_CR_NO_REQUEST,
    LS_CR_KEEPALIVE_CLOSE,
    LS_CR_SHUTDOWN,
    LS_CR_TLS_REJECTED,
    LS_CR_TLS_FAILED,
    LS_CR_TLS_TIMEOUT,
    LS_CR_PROTOCOL_ERROR,
    LS_CR_BAD_PROXY_PROTOCOL,
    LS_CR_UPSTREAM_REFUSED,
    LS_CR_UPSTREAM_UNAVAILABLE,
    LS_CR_UPSTREAM_RESET,
    LS_CR_UPSTREAM_CLOSED,
    LS_CR_UPSTREAM_TRUNCATED,
    LS_CR_UPSTREAM_INVALID,
    LS_CR_UPSTREAM_TIMEOUT,
    LS_CR_TUNNEL_CLIENT_CLOSE,
    LS_CR_TUNNEL_UPSTREAM_CLOSE,
    LS_CR_TUNNEL_TIMEOUT,
    LS_CR_TUNNEL_SEND_TIMEOUT,
    LS_CR_OTHER, /* a value this version does not know */
    LS_CR_COUNT,
    LS_CR_NONE = -1 /* the line has no $close_reason */
} ls_close_reason;

/* The one ending a line is counted under: status classes, and the special
 * endings an operator wants apart from ordinary 4xx. */
typedef enum {
    LS_K_OK = 0,   /* 1xx, 2xx, 3xx */
    LS_K_4XX,      /* 4xx other than the special ones below */
    LS_K_5XX,
    LS_K_DROP,     /* 444: dropped by a rule, nothing sent */
    LS_K_ABORT,    /* 499: client gave up before the response */
    LS_K_TIMEOUT,  /* 408: request head or body too slow */
    LS_K_BADREQ,   /* 400 with a request line: malformed request */
    LS_K_BARE,     /* 400 without a request line: connection, no request */
    LS_K_NONE,     /* no status and no close reason to classify by */
    LS_K_COUNT
} ls_kind;

#define LS_TIME_NONE INT64_MIN

typedef struct {
    hs_str remote_addr; /* client address as logged */
    hs_str request;     /* "GET /x HTTP/1.1", or "-"/empty when none */
    hs_str method;      /* $request_method when logged */
    hs_str request_uri; /* $request_uri when logged */
    hs_str uri;         /* $uri when logged */
    hs_str host;
    hs_str referer;
    hs_str user_agent;
    hs_str xff;
    hs_str drop_rule;
    hs_str upstream_addr; /* the last address of $upstream_addr's list */
    int64_t time;           /* unix seconds, LS_TIME_NONE when absent */
    int tz_offset;          /* the line's UTC offset in seconds, for display */
    int status;             /* -1 when absent or "-" */
    int close_reason;       /* ls_close_reason, LS_CR_NONE when absent */
    double request_time;    /* seconds; < 0 when absent */
    double upstream_time;   /* seconds, summed over a list; < 0 when absent */
    uint64_t body_bytes;
    int64_t conn_requests;  /* $connection_requests, -1 when absent */
    uint32_t have;          /* LS_HAVE(field) bits of the fields present */
} ls_rec;

/* Resets r to "nothing seen". */
void ls_rec_clear(ls_rec *r);

/* Maps an nginx variable name (without '$') to the field it feeds. */
ls_field ls_field_by_name(hs_str name);

/* Stores value v (text as logged) in field f of r, parsing numbers and times.
 * Returns HS_OK, or HS_ERROR when a field that every report relies on
 * ($status, the time variables) does not parse: the line is malformed. */
int ls_rec_set(ls_rec *r, ls_field f, hs_str v);

/* Parses a $close_reason value; LS_CR_OTHER for unknown words. */
int ls_close_reason_parse(hs_str v);
const char *ls_close_reason_name(int cr);

/* The ending r is counted under. */
ls_kind ls_rec_kind(const ls_rec *r);

/* The path part of the request (no query string), for grouping by location;
 * empty when the line has no usable request. */
hs_str ls_rec_location(const ls_rec *r);

/* True for a connection-log line: $connection_requests without $status or
 * a request (an access log may log $connection_requests too). */
bool ls_rec_is_conn(const ls_rec *r);

/* True when the request line is absent ("-" or empty). */
bool ls_rec_no_request(const ls_rec *r);

#endif
