/* HTTP/2 streams, the request side: a stream's request (an hs_req) made
 * from its HEADERS (pseudo-headers into the parsed head nginx's variables
 * read), its body from DATA frames (bounded by the stream's window, which
 * reopens only as the body is taken), and the client's reset of it. */
#include <stdlib.h>

#include <stdio.h>

#include "core/units.h"
#include "h2/h2_internal.h"
#include "stats/counters.h"

#define FIRST_HEADERS 32

static h2_stream *stream_of(nghttp2_session *session, int32_t id)
{
    return nghttp2_session_get_stream_user_data(session, id);
}

h2_stream *h2_stream_new(h2_conn *hc, int32_t id)
{
    h2_stream *s = calloc(1, sizeof(*s));
    hs_req *r = s ? hs_req_new(hc->c) : NULL;
    if (r == NULL) {
        free(s);
        return NULL;
    }
    r->headers = hs_palloc(r->pool, FIRST_HEADERS * sizeof(hs_header));
    r->headers_cap = FIRST_HEADERS;
    s->id = id;
    s->hc = hc;
    s->r = r;
    s->content_length = -1;
    r->stream = s;
    s->prev = hc->last; /* at the end: h2_run starts requests in the order they came */
    if (hc->last)
        hc->last->next = s;
    else
        hc->streams = s;
    hc->last = s;
    hc->nstreams++;
    hc->c->requests++;
    hs_stats_h2(HS_H2_STREAMS);
    return s;
}

void h2_stream_free(h2_stream *s)
{
    h2_conn *hc = s->hc;
    if (s->prev)
        s->prev->next = s->next;
    else if (hc->streams == s)
        hc->streams = s->next;
    if (s->next)
        s->next->prev = s->prev;
    else if (hc->last == s)
        hc->last = s->prev;
    if (hc->s && !hc->ending)
        nghttp2_session_set_stream_user_data(hc->s, s->id, NULL);
    free(s->body);
    free(s);
}

/* ---- the request head ---- */

static hs_str copy(hs_req *r, const uint8_t *p, size_t n)
{
    char *d = hs_palloc(r->pool, n + 1);
    if (d == NULL)
        return HS_NULL_STR;
    memcpy(d, p, n);
    d[n] = '\0';
    return (hs_str){d, n};
}

static int add_header(hs_req *r, hs_str name, hs_str value)
{
    if (r->h.nheaders == r->headers_cap) {
        hs_header *more = hs_palloc(r->pool, 2 * (size_t)r->headers_cap * sizeof(hs_header));
        if (more == NULL)
            return HS_ERROR;
        memcpy(more, r->headers, r->h.nheaders * sizeof(hs_header));
        r->headers = more;
        r->headers_cap *= 2;
    }
    r->headers[r->h.nheaders++] = (hs_header){name, value};
    return HS_OK;
}

/* The header list's limit: http2_max_header_size, else what
 * large_client_header_buffers allow an HTTP/1.1 head. */
static size_t list_limit(h2_conn *hc)
{
    hs_srv_conf *srv = hc->srv;
    if (hc->conf->max_header_size > 0)
        return (size_t)hc->conf->max_header_size;
    return (size_t)(srv->large_header_buffers_num * srv->large_header_buffers_size);
}

static int on_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name, size_t namelen,
                     const uint8_t *value, size_t valuelen, uint8_t flags, void *user)
{
    (void)flags;
    h2_conn *hc = user;
    h2_stream *s = stream_of(session, frame->hd.stream_id);
    if (s == NULL || s->r == NULL || s->head_done)
        return 0; /* trailers: not kept */
    s->header_bytes += namelen + valuelen + 32; /* RFC 9113's accounting */
    size_t limit = list_limit(hc), field = hc->conf->max_field_size > 0 ? (size_t)hc->conf->max_field_size : limit;
    if (s->header_bytes > limit * (size_t)hc->conf->limits[H2_HPACK].count) {
        h2_abuse(hc, H2_HPACK); /* a block that decodes to many times the limit: an HPACK bomb */
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    if (s->header_bytes > limit || namelen + valuelen > field) {
        s->too_large = true;
        return 0;
    }
    hs_req *r = s->r;
    hs_str n = copy(r, name, namelen), v = copy(r, value, valuelen);
    if (n.p == NULL || v.p == NULL)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    if (n.p[0] != ':')
        return add_header(r, n, v) == HS_OK ? 0 : NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    if (hs_str_eq_lit(n, ":method"))
        s->method = v;
    else if (hs_str_eq_lit(n, ":scheme"))
        s->scheme = v;
    else if (hs_str_eq_lit(n, ":authority"))
        s->authority = v;
    else if (hs_str_eq_lit(n, ":path"))
        s->path = v;
    return 0;
}

static int on_begin_headers(nghttp2_session *session, const nghttp2_frame *frame, void *user)
{
    h2_conn *hc = user;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    if (hc->c->closing || (int64_t)hc->c->requests >= hc->requests_max) {
        nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id, NGHTTP2_REFUSED_STREAM);
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    h2_stream *s = h2_stream_new(hc, frame->hd.stream_id);
    if (s == NULL)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    nghttp2_session_set_stream_user_data(session, frame->hd.stream_id, s);
    return 0; /* at the limit, GOAWAY follows once its streams are done (settle) */
}

static const struct {
    const char *name;
    hs_method id;
} methods[] = {
    {"GET", HS_METHOD_GET},         {"HEAD", HS_METHOD_HEAD},     {"POST", HS_METHOD_POST},
    {"PUT", HS_METHOD_PUT},         {"DELETE", HS_METHOD_DELETE}, {"OPTIONS", HS_METHOD_OPTIONS},
    {"PATCH", HS_METHOD_PATCH},     {"TRACE", HS_METHOD_TRACE},   {"CONNECT", HS_METHOD_CONNECT},
    {"PROPFIND", HS_METHOD_PROPFIND}, {"MKCOL", HS_METHOD_MKCOL}, {"COPY", HS_METHOD_COPY},
    {"MOVE", HS_METHOD_MOVE},       {"LOCK", HS_METHOD_LOCK},     {"UNLOCK", HS_METHOD_UNLOCK},
};

static hs_method method_id(hs_str m)
{
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        if (hs_str_eq_lit(m, methods[i].name))
            return methods[i].id;
    return HS_METHOD_UNKNOWN;
}

/* The parsed head as HTTP/1.1 would have it: "GET /x HTTP/2.0" for
 * $request, the path and args, Host from :authority, Content-Length. */
static int fill_head(h2_stream *s)
{
    hs_req *r = s->r;
    hs_http_request *h = &r->h;
    h->method = s->method;
    h->method_id = method_id(s->method);
    h->target = s->path;
    const char *q = memchr(s->path.p, '?', s->path.n);
    h->path = q ? (hs_str){s->path.p, (size_t)(q - s->path.p)} : s->path;
    h->args = q ? (hs_str){q + 1, s->path.n - h->path.n - 1} : (hs_str){"", 0};
    /* "M P HTTP/2.0" and a NUL */
    char *line = hs_palloc(r->pool, s->method.n + s->path.n + 11), *e = line;
    if (line == NULL)
        return HS_ERROR;
    if (s->method.n)
        e = mempcpy(e, s->method.p, s->method.n);
    *e++ = ' ';
    if (s->path.n)
        e = mempcpy(e, s->path.p, s->path.n);
    e = mempcpy(e, " HTTP/2.0", 10);
    h->request_line = (hs_str){line, (size_t)(e - line - 1)};
    h->version = 20;
    h->request_line_done = true; /* $request and its parts have values from here */
    h->headers = r->headers;
    h->host = s->authority;
    const hs_header *host = s->authority.n ? NULL : hs_http_find_header(h, "host");
    if (host)
        h->host = host->value;
    const hs_header *cl = hs_http_find_header(h, "content-length");
    h->content_length = cl ? hs_parse_int(cl->value) : -1;
    if (cl && h->content_length < 0)
        return HS_ERROR;
    /* a body of unknown length (its DATA may have come with the head, in one read) */
    h->chunked = h->content_length < 0 && !(s->end_recv && s->body_total == 0);
    h->head_len = s->header_bytes;
    return HS_OK;
}

void h2_stream_head_for_log(h2_stream *s)
{
    if (s->r && !s->started && s->head_done && !s->r->h.request_line_done)
        fill_head(s);
}

/* A stream that cannot become a request: answered with status under the
 * address's default server (no phase ran). */
static void reject(h2_stream *s, int status)
{
    hs_req *r = s->r;
    h2_conn_server(r, s->hc);
    r->ending = HS_END_BAD_REQUEST;
    hs_http_error_response(r, status);
    hs_http_send_response(r);
}

static void start_request(h2_stream *s)
{
    s->started = true;
    if (s->too_large) {
        fill_head(s); /* for $request */
        reject(s, 431);
        return;
    }
    bool path_ok = s->path.n && (s->path.p[0] == '/' || hs_str_eq_lit(s->path, "*"));
    if (!path_ok || s->method.n == 0 || fill_head(s) != HS_OK) {
        reject(s, 400);
        return;
    }
    hs_http_process_request(s->r);
}

/* ---- frames ---- */

static int on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame, void *user)
{
    h2_conn *hc = user;
    h2_stream *s = frame->hd.stream_id ? stream_of(session, frame->hd.stream_id) : NULL;
    if (frame->hd.type == NGHTTP2_RST_STREAM && s) { /* a stream reset (not the RSTs that answer DATA after it) */
        hc->resets++;
        hs_stats_h2(HS_H2_RESETS);
    }
    if (s == NULL || s->r == NULL)
        return 0;
    bool end = frame->hd.flags & NGHTTP2_FLAG_END_STREAM;
    if (frame->hd.type == NGHTTP2_HEADERS && !s->head_done) {
        s->end_recv = end;
        s->head_done = true;
        s->ev |= H2_EV_HEAD; /* started once the frames read are processed (h2_run) */
        h2_mark(hc);
    } else if (end && (frame->hd.type == NGHTTP2_DATA || frame->hd.type == NGHTTP2_HEADERS)) {
        s->end_recv = true;
        s->ev |= EPOLLIN;
        h2_mark(hc);
    }
    return 0;
}

static int on_data_chunk(nghttp2_session *session, uint8_t flags, int32_t id, const uint8_t *data, size_t len,
                         void *user)
{
    (void)flags;
    (void)user;
    h2_stream *s = stream_of(session, id);
    nghttp2_session_consume_connection(session, len);
    if (s == NULL || s->r == NULL) {
        nghttp2_session_consume_stream(session, id, len); /* nobody reads it: let it flow */
        return 0;
    }
    if (s->body_len + len > s->body_cap) { /* at most the stream's window, and one frame */
        size_t cap = s->body_cap ? s->body_cap * 2 : 16384;
        while (cap < s->body_len + len)
            cap *= 2;
        char *p = realloc(s->body, cap);
        if (p == NULL)
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        s->body = p;
        s->body_cap = cap;
    }
    memcpy(s->body + s->body_len, data, len);
    s->body_len += len;
    s->body_total += (int64_t)len;
    s->ev |= EPOLLIN;
    h2_mark(s->hc);
    return 0;
}

static int on_stream_close(nghttp2_session *session, int32_t id, uint32_t code, void *user)
{
    (void)code;
    (void)user;
    h2_stream *s = stream_of(session, id);
    if (s == NULL)
        return 0;
    s->closed = true;
    if (s->r && !s->end_sent) { /* reset by the client (or refused): the request hears of it */
        s->reset = true;
        s->ev |= EPOLLRDHUP;
    }
    h2_mark(s->hc);
    return 0;
}

void h2_stream_event(h2_stream *s, uint32_t ev)
{
    hs_req *r = s->r;
    if (r == NULL || s->ignored)
        return;
    if (!s->started && s->head_done && !s->reset && (ev & H2_EV_HEAD)) {
        start_request(s);
        if (s->r != r)
            return; /* it ended */
    }
    if (!s->started) { /* reset before its request ran: in its head, or in the same read */
        if (ev & EPOLLRDHUP) {
            if (s->head_done)
                fill_head(s); /* for $request */
            h2_conn_server(r, s->hc);
            hs_http_end(r, HS_END_CLIENT_ABORT, 499);
        }
        return;
    }
    hs_conn *c = r->conn;
    c->readable = c->writable = true; /* what hs_http_request_event looks at */
    if (ev & EPOLLRDHUP) {
        hs_http_request_event(r, EPOLLRDHUP | EPOLLIN);
        return;
    }
    if (ev & EPOLLOUT) {
        hs_http_request_event(r, EPOLLOUT);
        if (s->r != r)
            return; /* it ended */
    }
    if (ev & EPOLLIN)
        hs_http_request_event(r, EPOLLIN);
}

/* ---- the body, for the core and handlers ---- */

int h2_body_take(hs_req *r, const char **data, size_t *n)
{
    h2_stream *s = r->stream;
    *n = 0;
    if (s == NULL || s->reset)
        return HS_DECLINED;
    if (s->body_taken) { /* the bytes given last time are used: the client may send more */
        nghttp2_session_consume_stream(s->hc->s, s->id, s->body_taken);
        memmove(s->body, s->body + s->body_taken, s->body_len - s->body_taken);
        s->body_len -= s->body_taken;
        s->body_taken = 0;
        h2_mark(s->hc);
    }
    int64_t max = r->loc ? r->loc->client_max_body_size : 0;
    if (max && s->body_total > max)
        return 413;
    if (s->end_recv && r->h.content_length >= 0 && s->body_total != r->h.content_length)
        return 400;
    *data = s->body ? s->body : "";
    *n = s->body_len;
    s->body_taken = s->body_len;
    r->request_length += s->body_len;
    if (!s->end_recv)
        return HS_AGAIN;
    r->body_done = true;
    return HS_OK;
}

void h2_body_untake(hs_req *r, size_t n)
{
    h2_stream *s = r->stream;
    if (s == NULL)
        return;
    s->body_taken -= n;
    r->request_length -= n;
    r->body_done = false;
}

void h2_callbacks_request(nghttp2_session_callbacks *cb)
{
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
}
