/* HTTP/1.1 output: the core's responses (head and memory body in one
 * writev, files with sendfile) and the raw bytes of handlers that frame
 * their own responses (the proxy), all through the connection's transport. */
#include <unistd.h>

#include "core/clock.h"
#include "http/internal.h"

/* Counts bytes that went out; a would-block marks the socket full. */
static ssize_t written(hs_conn *c, ssize_t w)
{
    if (w > 0)
        c->bytes_out += (uint64_t)w;
    else if (w == HS_AGAIN)
        c->writable = false;
    return w;
}

/* limit_rate, as nginx: rate x (whole seconds since the request began + 1)
 * bytes, past limit_rate_after. How many may go now (SIZE_MAX: no limit);
 * 0 arms the timer that resumes the output. */
size_t hs_http_rate_allowance(hs_req *r)
{
    if (r->limit_rate <= 0)
        return SIZE_MAX;
    int64_t secs = (int64_t)((hs_now.mono_usec - r->start_usec) / 1000000) + 1;
    int64_t n = r->limit_rate * secs - ((int64_t)r->resp.sent - r->limit_rate_after);
    if (n > 0)
        return (size_t)n;
    r->rate_wait = true;
    hs_timer_set(&r->timer, (uint64_t)(-n * 1000 / r->limit_rate + 1));
    return 0;
}

static int write_iov(hs_req *r)
{
    hs_resp *rs = &r->resp;
    for (;;) {
        struct iovec iov[2];
        int n = 0;
        if (rs->head_sent < rs->head_len)
            iov[n++] = (struct iovec){rs->head + rs->head_sent, rs->head_len - rs->head_sent};
        if (!rs->header_only && rs->body_sent < rs->body.n)
            iov[n++] = (struct iovec){(char *)rs->body.p + rs->body_sent, rs->body.n - rs->body_sent};
        if (n == 0)
            return HS_OK;
        size_t a = hs_http_rate_allowance(r);
        if (a == 0)
            return HS_AGAIN;
        if (iov[0].iov_len >= a)
            iov[0].iov_len = a, n = 1;
        else if (n == 2 && iov[0].iov_len + iov[1].iov_len > a)
            iov[1].iov_len = a - iov[0].iov_len;
        ssize_t w = written(r->conn, hs_io_writev(&r->conn->io, iov, n));
        if (w < 0)
            return (int)w;
        rs->started = true;
        rs->sent += (uint64_t)w;
        size_t left = (size_t)w, h = rs->head_len - rs->head_sent;
        size_t take = left < h ? left : h;
        rs->head_sent += take;
        rs->body_sent += left - take;
    }
}

static int write_file(hs_req *r)
{
    hs_resp *rs = &r->resp;
    while (rs->file_off < rs->file_end) {
        size_t want = (size_t)(rs->file_end - rs->file_off);
        size_t a = hs_http_rate_allowance(r);
        if (want > 1 << 20)
            want = 1 << 20;
        if (a == 0)
            return HS_AGAIN;
        want = want < a ? want : a;
        ssize_t w = written(r->conn, hs_io_sendfile(&r->conn->io, rs->file_fd, &rs->file_off, want));
        if (w < 0)
            return (int)w;
        rs->sent += (uint64_t)w;
    }
    return HS_OK;
}

/* ---- streamed responses: r->resp.out holds the head and the framed body ---- */

static void out_free(void *arg) { hs_buf_free(&((hs_req *)arg)->resp.out); }

/* A streamed response begins with its head in r->resp.out. */
static int stream_head(hs_req *r)
{
    r->resp.streamed = true;
    if (hs_pool_cleanup_add(r->pool, out_free, r) != HS_OK)
        return HS_ERROR;
    return hs_buf_add(&r->resp.out, r->resp.head, r->resp.head_len);
}

/* The last step of the body: HTTP/1.1 framing. */
static int frame(hs_req *r, const char *data, size_t n, bool last)
{
    if (r->resp.header_only)
        return HS_OK;
    return r->resp.chunked ? hs_chunked_encode(&r->resp.out, data, n, last, r->resp.trailer)
                           : hs_buf_add(&r->resp.out, data, n);
}

int hs_http_body_pass(hs_req *r, unsigned next, const char *data, size_t n, bool last)
{
    hs_http_hooks *h = hs_conn_hooks(r->conn);
    if (next < h->nbody_filter)
        return h->body_filter[next](r, next + 1, data, n, last);
    return frame(r, data, n, last);
}

int hs_http_stream_start(hs_req *r)
{
    return hs_http_response_head(r) == HS_OK ? stream_head(r) : HS_ERROR;
}

int hs_http_stream_body(hs_req *r, const char *data, size_t n, bool last)
{
    if (n == 0 && !last)
        return HS_OK;
    return r->resp.filtered ? hs_http_body_pass(r, 0, data, n, last) : frame(r, data, n, last);
}

int hs_http_stream_flush(hs_req *r)
{
    hs_resp *rs = &r->resp;
    if (r->conn->proto)
        return r->conn->proto->flush(r);
    while (rs->out.sent < rs->out.len) {
        size_t a = hs_http_rate_allowance(r), left = rs->out.len - rs->out.sent;
        if (a == 0)
            return HS_AGAIN;
        struct iovec iov = {rs->out.p + rs->out.sent, left < a ? left : a};
        ssize_t w = written(r->conn, hs_io_writev(&r->conn->io, &iov, 1));
        if (w <= 0)
            return w == HS_AGAIN ? HS_AGAIN : HS_ERROR;
        rs->started = true;
        rs->out.sent += (size_t)w;
        rs->sent += (uint64_t)w;
        rs->head_sent = rs->sent < rs->head_len ? (size_t)rs->sent : rs->head_len;
    }
    rs->out.len = rs->out.sent = 0;
    return HS_OK;
}

int hs_h1_filter_body(hs_req *r)
{
    hs_resp *rs = &r->resp;
    if (stream_head(r) != HS_OK)
        return HS_ERROR;
    bool file = rs->file_fd >= 0 && rs->file_off < rs->file_end && !rs->header_only;
    return hs_http_body_pass(r, 0, rs->body.p, rs->body.n, !file);
}

/* A filtered file body: the next piece, read and passed through the filters. */
static int filter_file_step(hs_req *r)
{
    hs_resp *rs = &r->resp;
    char buf[16384];
    size_t want = (size_t)(rs->file_end - rs->file_off);
    ssize_t n = pread(rs->file_fd, buf, want < sizeof(buf) ? want : sizeof(buf), rs->file_off);
    if (n <= 0)
        return HS_ERROR;
    rs->file_off += n;
    return hs_http_body_pass(r, 0, buf, (size_t)n, rs->file_off == rs->file_end);
}

int hs_h1_write_pending(hs_req *r)
{
    hs_resp *rs = &r->resp;
    for (; rs->streamed;) {
        int rc = hs_http_stream_flush(r);
        if (rc != HS_OK || rs->file_fd < 0 || rs->file_off >= rs->file_end || rs->header_only)
            return rc;
        if (filter_file_step(r) != HS_OK)
            return HS_ERROR;
    }
    int rc = write_iov(r);
    if (rc != HS_OK)
        return rc;
    if (rs->file_fd >= 0 && !rs->header_only)
        return write_file(r);
    return HS_OK;
}

ssize_t hs_http_output(hs_req *r, const struct iovec *iov, int iovcnt)
{
    ssize_t w = written(r->conn, hs_io_writev(&r->conn->io, iov, iovcnt));
    if (w > 0)
        r->resp.started = true;
    return w;
}

void hs_http_ignore_client(hs_req *r)
{
    r->conn->proto ? r->conn->proto->ignore(r) : (void)hs_ev_del(r->conn->io.fd);
}
