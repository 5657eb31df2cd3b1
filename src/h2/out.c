/* HTTP/2 streams, the response side: the core's response head as a
 * HEADERS frame (nginx's fields, lowercase, no connection-specific ones),
 * its body as DATA frames pulled by libnghttp2 as the windows allow (a
 * memory body, a file, or a streamed response's queued bytes: never more
 * than the producer queued), and each way a stream's request ends. */
#include <unistd.h>

#include "core/clock.h"
#include "core/version.h"
#include "h2/h2_internal.h"

/* ---- the head ---- */

static bool connection_specific(hs_str name)
{
    static const char *const names[] = {"connection", "keep-alive", "proxy-connection", "transfer-encoding",
                                        "upgrade"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (hs_str_caseeq(name, hs_cstr(names[i])))
            return true;
    return false;
}

static void put(nghttp2_nv *nv, size_t *n, const char *name, hs_str value)
{
    nv[*n] = (nghttp2_nv){(uint8_t *)name, (uint8_t *)value.p, strlen(name), value.n, NGHTTP2_NV_FLAG_NONE};
    (*n)++;
}

static hs_str lower(hs_req *r, hs_str s)
{
    char *p = hs_palloc(r->pool, s.n + 1);
    if (p == NULL)
        return HS_NULL_STR;
    for (size_t i = 0; i < s.n; i++)
        p[i] = (char)(s.p[i] >= 'A' && s.p[i] <= 'Z' ? s.p[i] + 32 : s.p[i]);
    return (hs_str){p, s.n};
}

static hs_str number(hs_req *r, uint64_t v)
{
    char *p = hs_palloc(r->pool, 24);
    return p ? (hs_str){p, hs_u64_to_str(v, p)} : HS_NULL_STR;
}

static hs_str date(hs_req *r, const hs_resp *rs)
{
    if (rs->last_modified_text.n)
        return rs->last_modified_text;
    char *p = hs_palloc(r->pool, 40);
    return p ? (hs_str){p, hs_http_date(rs->last_modified, p)} : HS_NULL_STR;
}

/* The fields nginx writes before the header list, in its order. */
static void put_known(hs_req *r, nghttp2_nv *nv, size_t *n)
{
    hs_resp *rs = &r->resp;
    put(nv, n, ":status", number(r, (uint64_t)(rs->status > 99 && rs->status < 1000 ? rs->status : 500)));
    put(nv, n, "server", r->loc == NULL || r->loc->server_tokens ? HS_STR(HS_SERVER_TOKEN) : HS_STR("hush"));
    put(nv, n, "date", (hs_str){hs_now.http_date, hs_now.http_date_len});
    if (rs->content_type.n)
        put(nv, n, "content-type", rs->content_type);
    if (rs->content_length >= 0 && rs->status != 304 && rs->status != 204)
        put(nv, n, "content-length", number(r, (uint64_t)rs->content_length));
    if (rs->last_modified >= 0 && (rs->status == 200 || rs->status == 206 || rs->status == 304))
        put(nv, n, "last-modified", date(r, rs));
    if (rs->location.n)
        put(nv, n, "location", rs->location);
    if (rs->etag.n)
        put(nv, n, "etag", rs->etag);
    if (rs->www_authenticate.n)
        put(nv, n, "www-authenticate", rs->www_authenticate);
}

int h2_head(hs_req *r)
{
    h2_stream *s = r->stream;
    hs_resp *rs = &r->resp;
    if (s == NULL)
        return HS_ERROR;
    rs->chunked = rs->keepalive = false;
    nghttp2_nv *nv = hs_palloc(r->pool, (12 + rs->headers.n) * sizeof(*nv));
    if (nv == NULL)
        return HS_ERROR;
    size_t n = 0;
    put_known(r, nv, &n);
    for (uint32_t i = 0; i < rs->headers.n; i++) {
        const hs_header *f = &rs->headers.v[i];
        if (!connection_specific(f->name))
            nv[n++] = (nghttp2_nv){(uint8_t *)lower(r, f->name).p, (uint8_t *)f->value.p, f->name.n, f->value.n,
                                   NGHTTP2_NV_FLAG_NONE};
    }
    if (rs->accept_ranges)
        put(nv, &n, "accept-ranges", HS_STR("bytes"));
    if (rs->content_range.n)
        put(nv, &n, "content-range", rs->content_range);
    for (size_t i = 0; i < n; i++)
        if (nv[i].name == NULL || nv[i].value == NULL)
            return HS_ERROR; /* out of memory */
    s->nv = nv;
    s->nnv = n;
    rs->head_len = 0; /* HPACK's: the head is not a byte string here */
    return HS_OK;
}

/* ---- the body ---- */

static bool file_left(const hs_resp *rs) { return rs->file_fd >= 0 && rs->file_off < rs->file_end; }

static bool body_left(const hs_resp *rs)
{
    if (rs->streamed) /* a filtered file is read through the filters as it goes */
        return rs->out.len > rs->out.sent || (rs->filtered && file_left(rs));
    return rs->body_sent < rs->body.n || file_left(rs);
}

/* The next piece of a filtered file, through the body filters into r->resp.out. */
static int filter_file(hs_req *r)
{
    hs_resp *rs = &r->resp;
    char piece[16384];
    size_t left = (size_t)(rs->file_end - rs->file_off);
    ssize_t n = pread(rs->file_fd, piece, left < sizeof(piece) ? left : sizeof(piece), rs->file_off);
    if (n <= 0)
        return HS_ERROR;
    rs->file_off += n;
    return hs_http_body_pass(r, 0, piece, (size_t)n, rs->file_off == rs->file_end);
}

static ssize_t take_body(hs_req *r, uint8_t *buf, size_t want)
{
    hs_resp *rs = &r->resp;
    while (rs->streamed && rs->out.len == rs->out.sent && rs->filtered && file_left(rs) && !rs->header_only)
        if (filter_file(r) != HS_OK)
            return -1;
    if (rs->streamed) {
        size_t n = rs->out.len - rs->out.sent < want ? rs->out.len - rs->out.sent : want;
        if (n) /* nothing buffered yet: out.p may still be NULL */
            memcpy(buf, rs->out.p + rs->out.sent, n);
        rs->out.sent += n;
        if (rs->out.sent == rs->out.len)
            rs->out.len = rs->out.sent = 0;
        return (ssize_t)n;
    }
    if (rs->body_sent < rs->body.n) {
        size_t n = rs->body.n - rs->body_sent < want ? rs->body.n - rs->body_sent : want;
        memcpy(buf, rs->body.p + rs->body_sent, n);
        rs->body_sent += n;
        return (ssize_t)n;
    }
    if (rs->file_fd < 0 || rs->file_off >= rs->file_end)
        return 0;
    size_t left = (size_t)(rs->file_end - rs->file_off);
    ssize_t n = pread(rs->file_fd, buf, left < want ? left : want, rs->file_off);
    if (n <= 0)
        return -1;
    rs->file_off += n;
    return n;
}

/* The trailer section the core formatted ("Name: value\r\n" each, for
 * HTTP/1.1's last chunk) as a HEADERS frame ending the stream. */
static int submit_trailer(nghttp2_session *session, h2_stream *s, hs_str t)
{
    hs_req *r = s->r;
    size_t lines = 0;
    for (size_t i = 0; i < t.n; i++)
        lines += t.p[i] == '\n';
    nghttp2_nv *nv = hs_palloc(r->pool, (lines + 1) * sizeof(*nv));
    size_t n = 0;
    for (const char *p = t.p, *end = t.p + t.n; nv && p < end;) {
        const char *eol = memchr(p, '\n', (size_t)(end - p)), *colon = memchr(p, ':', (size_t)(end - p));
        if (eol == NULL || colon == NULL || colon > eol)
            break;
        hs_str name = lower(r, (hs_str){p, (size_t)(colon - p)});
        const char *v = colon + 1 + (colon[1] == ' '), *ve = eol > v && eol[-1] == '\r' ? eol - 1 : eol;
        nv[n++] = (nghttp2_nv){(uint8_t *)name.p, (uint8_t *)v, name.n, (size_t)(ve - v), NGHTTP2_NV_FLAG_NONE};
        p = eol + 1;
    }
    return nv && nghttp2_submit_trailer(session, s->id, nv, n) == 0 ? HS_OK : HS_ERROR;
}

/* libnghttp2 asks for the next DATA payload of stream s (the windows allow
 * length bytes). */
static ssize_t read_data(nghttp2_session *session, int32_t id, uint8_t *buf, size_t length, uint32_t *flags,
                         nghttp2_data_source *source, void *user)
{
    (void)id;
    (void)user;
    h2_stream *s = source->ptr;
    hs_req *r = s->r;
    if (r == NULL || s->ignored)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* resets the stream */
    hs_resp *rs = &r->resp;
    const h2_conf *cf = h2_conf_of(r->loc ? r->loc : s->hc->srv->loc);
    size_t want = length < (size_t)cf->chunk_size ? length : (size_t)cf->chunk_size;
    size_t allowed = body_left(rs) ? hs_http_rate_allowance(r) : SIZE_MAX; /* limit_rate, per stream */
    if (allowed == 0) { /* its timer wakes the request, which resumes the stream */
        s->deferred = true;
        return NGHTTP2_ERR_DEFERRED;
    }
    ssize_t n = take_body(r, buf, want < allowed ? want : allowed);
    if (n < 0)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    if (n > 0) {
        rs->sent += (uint64_t)n;
        rs->started = true;
        if (r->owner == NULL && r->state == HS_REQ_WRITE)
            hs_timer_set(&r->timer, (uint64_t)r->loc->send_timeout); /* progress: send_timeout anew */
    }
    if (!body_left(rs) && (s->producer_done || !rs->streamed)) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        if (rs->trailer.n) { /* add_trailer's fields: a HEADERS frame ends the stream instead */
            *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
            if (submit_trailer(session, s, rs->trailer) != HS_OK)
                return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        }
        return n;
    }
    if (rs->streamed && !body_left(rs)) {
        s->ev |= EPOLLOUT; /* the producer may queue more */
        h2_mark(s->hc);
    }
    if (n == 0) {
        s->deferred = true;
        return NGHTTP2_ERR_DEFERRED;
    }
    return n;
}

/* The HEADERS (and a data source when there is a body), or the data source
 * woken up. */
static int submit(h2_stream *s)
{
    hs_req *r = s->r;
    hs_resp *rs = &r->resp;
    nghttp2_session *session = s->hc->s;
    h2_mark(s->hc);
    if (s->submitted) {
        if (s->deferred) {
            s->deferred = false;
            nghttp2_session_resume_data(session, s->id);
        }
        return HS_OK;
    }
    s->submitted = true;
    bool body = !rs->header_only && (rs->streamed || body_left(rs));
    nghttp2_data_provider prd = {.source.ptr = s, .read_callback = read_data};
    return nghttp2_submit_response(session, s->id, s->nv, s->nnv, body ? &prd : NULL) == 0 ? HS_OK : HS_ERROR;
}

int h2_write(hs_req *r)
{
    h2_stream *s = r->stream;
    if (s == NULL || s->reset)
        return HS_ERROR;
    if (s->end_sent)
        return HS_OK;
    s->producer_done = true; /* the core's responses are whole */
    return submit(s) == HS_OK ? HS_AGAIN : HS_ERROR;
}

/* A little queued counts as written: a producer whose response is complete
 * (a proxied body in one read) ends it at once, and its bytes go in the
 * DATA frame that ends the stream, as nginx's, not in one DATA frame and
 * an empty one after the producer's next turn. More than that waits for
 * the client (memory per stream stays bounded). */
#define FLUSH_SLACK 4096

int h2_flush(hs_req *r)
{
    h2_stream *s = r->stream;
    if (s == NULL || s->reset)
        return HS_ERROR;
    if (submit(s) != HS_OK)
        return HS_ERROR;
    return hs_http_stream_pending(r) > FLUSH_SLACK ? HS_AGAIN : HS_OK;
}

/* ---- endings ---- */

static void detach(h2_stream *s)
{
    s->r = NULL;
    s->hc->nstreams--;
    h2_mark(s->hc);
}

void h2_done(hs_req *r)
{
    h2_stream *s = r->stream;
    if (s == NULL) {
        hs_http_end_request(r, r->ending, 0);
        return;
    }
    s->producer_done = true;
    r->owner = NULL;
    if (!s->end_sent) { /* the last frames are still to go: ended when they went */
        r->state = HS_REQ_WRITE;
        if (r->loc && !r->rate_wait) /* a window that never reopens is a send_timeout */
            hs_timer_set(&r->timer, (uint64_t)r->loc->send_timeout);
        if (submit(s) != HS_OK)
            h2_end(r, HS_END_CLIENT_ABORT_BODY, 0);
        return;
    }
    if (!s->end_recv && !s->closed) /* the client is still sending a body nobody reads */
        nghttp2_submit_rst_stream(s->hc->s, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_NO_ERROR);
    hs_http_end_request(r, r->ending, 0);
    detach(s);
}

void h2_end(hs_req *r, hs_ending why, int status)
{
    h2_stream *s = r->stream;
    if (s && !s->closed && !s->end_sent) /* RST_STREAM: no HEADERS for a drop, no more DATA otherwise */
        nghttp2_submit_rst_stream(s->hc->s, NGHTTP2_FLAG_NONE, s->id,
                                  NGHTTP2_INTERNAL_ERROR);
    if (why == HS_END_DROP && s && r->drop_rule && strncmp(r->drop_rule, "ban:", 4) == 0)
        s->hc->ban = r->drop_rule; /* a banned client: its whole connection, once out of libnghttp2 */
    hs_http_end_request(r, why, status);
    if (s)
        detach(s);
}

void h2_ignore(hs_req *r)
{
    h2_stream *s = r->stream;
    if (s)
        s->ignored = true;
}

/* ---- frames sent ---- */

static int on_frame_send(nghttp2_session *session, const nghttp2_frame *frame, void *user)
{
    h2_conn *hc = user;
    if (frame->hd.type == NGHTTP2_GOAWAY && frame->goaway.error_code != NGHTTP2_NO_ERROR && hc->error == NULL)
        hc->error = nghttp2_http2_strerror(frame->goaway.error_code);
    if (!(frame->hd.flags & NGHTTP2_FLAG_END_STREAM) || frame->hd.stream_id == 0)
        return 0;
    h2_stream *s = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
    if (s && s->r) {
        s->end_sent = true;
        s->ev |= EPOLLOUT;
        h2_mark(hc);
    }
    return 0;
}

void h2_callbacks_response(nghttp2_session_callbacks *cb)
{
    nghttp2_session_callbacks_set_on_frame_send_callback(cb, on_frame_send);
}
