/* What the files of the HTTP/2 module share (private to src/h2).
 *
 * libnghttp2 does the framing, HPACK and the stream state machine; hush
 * owns the connection (its bytes go through the transport), the streams
 * (each one an hs_req through the normal phases) and every ending. Nothing
 * is sent from inside a libnghttp2 callback or from another module's call:
 * those mark the connection dirty, and h2_run sends and delivers the
 * streams' events afterwards (the connection's own event, or the loop's
 * post hook). */
#ifndef HS_H2_H2_INTERNAL_H
#define HS_H2_H2_INTERNAL_H

#include <nghttp2/nghttp2.h>

#include "h2/h2.h"
#include "http/phase.h"
#include "http/proto.h"

/* The abuse rules: each a named drop ($drop_rule "h2:NAME"). */
enum {
    H2_RAPID_RESET,   /* streams reset by the client before their response ended */
    H2_CONTINUATION,  /* CONTINUATION frames of one header block */
    H2_HPACK,         /* a header block that decodes far past the limit, or does not decode */
    H2_SETTINGS,      /* SETTINGS frames */
    H2_PING,          /* PING frames */
    H2_EMPTY,         /* DATA frames without payload or end, and other empty frames */
    H2_NRULES
};

typedef struct {
    int64_t count;    /* at most this many ... */
    int64_t window;   /* ... per this many ms (0: per connection, or per header block) */
} h2_limit;

/* The settings of a level (http, server, location); HS_UNSET: not set here. */
typedef struct {
    int enable;                      /* http2 on|off */
    int64_t max_concurrent_streams;  /* SETTINGS_MAX_CONCURRENT_STREAMS */
    int64_t recv_buffer_size;        /* bytes read at once */
    int64_t chunk_size;              /* largest DATA frame we send */
    int64_t body_preread_size;       /* a stream's initial window: its body buffer */
    int64_t max_field_size;          /* one field, HPACK-decoded (nginx 1.22) */
    int64_t max_header_size;         /* the header list (nginx 1.22) */
    int64_t idle_timeout;            /* http2_idle_timeout; unset: keepalive_timeout */
    int64_t recv_timeout;            /* http2_recv_timeout: a frame begun must end */
    int64_t max_requests;            /* http2_max_requests; unset: keepalive_requests */
    h2_limit limits[H2_NRULES];      /* http2_flood_limit NAME COUNT [WINDOW] */
} h2_conf;

typedef struct h2_conn h2_conn;

#define H2_EV_HEAD (1u << 30) /* a stream's event: its head is complete, start its request */
typedef struct h2_stream h2_stream;

struct h2_stream {
    int32_t id;
    h2_conn *hc;
    hs_req *r;                /* NULL once its request ended */
    h2_stream *prev, *next;   /* the connection's streams */
    uint32_t ev;              /* events to deliver to r (EPOLLIN, EPOLLOUT, EPOLLRDHUP) */
    size_t header_bytes;      /* decoded size of its header list so far */
    hs_str method, scheme, authority, path;
    char *body;               /* request body bytes received and not yet taken */
    size_t body_len, body_taken, body_cap;
    int64_t body_total;       /* bytes received */
    int64_t content_length;   /* -1: none */
    bool head_done;           /* the request head is complete */
    bool started;             /* ... and its request runs (h2_run starts it: a stream the client
                               * reset in the same read never runs, it is a 499 at once) */
    bool end_recv;            /* the client ended its side */
    bool reset;               /* the client reset it (or it failed) */
    bool closed;              /* libnghttp2 closed it */
    bool submitted;           /* the response HEADERS were submitted */
    bool deferred;            /* the data source waits for bytes */
    bool producer_done;       /* the response is complete at our side */
    bool end_sent;            /* the last frame of the response went out */
    bool too_large;           /* its header list is over the limit: 431 */
    bool ignored;             /* its request goes on without the client (proxy_ignore_client_abort) */
    nghttp2_nv *nv;           /* the response head (in r's pool) */
    size_t nnv;
};

struct h2_conn {
    hs_conn *c;
    nghttp2_session *s;
    hs_srv_conf *srv;         /* its server: the one the SNI chose, or the address's default */
    const h2_conf *conf;      /* that server's settings */
    h2_stream *streams;       /* open streams, oldest first */
    h2_stream *last;          /* the newest */
    uint32_t nstreams;        /* with a request */
    char *out;                /* frames made and not yet written */
    size_t out_len, out_sent, out_cap;
    h2_conn *next_dirty;
    bool dirty;               /* has work for h2_run */
    bool listed;              /* on the dirty list */
    int drop;                 /* an abuse rule + 1 that drops it once out of libnghttp2 */
    const char *ban;          /* a stream was dropped by a ban: the connection goes too */
    bool h2c;                 /* plain (prior knowledge) */
    bool want_write;          /* the transport waits to write */
    bool running;             /* inside h2_run: do not recurse */
    bool goaway_sent;
    bool ending;              /* being closed */
    int64_t requests_max;     /* streams allowed on it */
    int64_t idle_msec;
    uint32_t cont_frames;     /* CONTINUATION frames of the header block being read */
    uint64_t counts[H2_NRULES];       /* events of each rule in its window */
    uint64_t window_start[H2_NRULES]; /* ms */
    uint32_t resets;          /* streams the client reset */
    const char *error;        /* a protocol error: the connection's named ending */
};

extern const hs_proto hs_h2_proto;

/* conf.c */
const h2_conf *h2_conf_of(const hs_loc_conf *lc);
bool h2_serves(const hs_listen_group *g, const hs_srv_conf *srv);

/* A stream whose head never completed (or failed) answers as its
 * connection's server. */
static inline void h2_conn_server(hs_req *r, const h2_conn *hc)
{
    r->srv = hc->srv;
    r->loc = hc->srv->loc;
}

/* conn.c */
void h2_mark(h2_conn *hc);         /* h2_run it soon */
void h2_run(h2_conn *hc);          /* send, deliver events, end or idle */
void h2_fail(h2_conn *hc, uint32_t code, const char *why); /* GOAWAY and close */
void h2_post_init(void);

/* stream.c: the request side (libnghttp2 callbacks and body) */
void h2_callbacks_request(nghttp2_session_callbacks *cb);
h2_stream *h2_stream_new(h2_conn *hc, int32_t id);
void h2_stream_free(h2_stream *s);
void h2_stream_event(h2_stream *s, uint32_t ev);
/* A stream whose head came but whose request never ran: its request line, for its log line. */
void h2_stream_head_for_log(h2_stream *s);
int h2_body_take(hs_req *r, const char **data, size_t *n);
void h2_body_untake(hs_req *r, size_t n);

/* out.c: the response side */
int h2_head(hs_req *r);
int h2_write(hs_req *r);
int h2_flush(hs_req *r);
void h2_done(hs_req *r);
void h2_end(hs_req *r, hs_ending why, int status);
void h2_ignore(hs_req *r);
void h2_callbacks_response(nghttp2_session_callbacks *cb);

/* abuse.c */
/* One more event of rule on hc: false when that is one too many (the
 * connection was dropped by the rule). */
bool h2_abuse(h2_conn *hc, int rule);
void h2_callbacks_abuse(nghttp2_session_callbacks *cb);
void h2_drop(h2_conn *hc, int rule);
/* A ban started while the connection was open: it is dropped (its stream's
 * log line counted the drop; the connection is not counted again). */
void h2_ban_drop(h2_conn *hc);
extern const char *const h2_rule_names[H2_NRULES];

#endif
