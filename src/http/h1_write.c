/* HTTP/1.1 output: the core's responses (head and memory body in one
 * writev, files with sendfile) and the raw bytes of handlers that frame
 * their own responses (the proxy), all through the connection's transport. */
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
        if (want > 1 << 20)
            want = 1 << 20;
        ssize_t w = written(r->conn, hs_io_sendfile(&r->conn->io, rs->file_fd, &rs->file_off, want));
        if (w < 0)
            return (int)w;
        rs->sent += (uint64_t)w;
    }
    return HS_OK;
}

int hs_h1_write_pending(hs_req *r)
{
    int rc = write_iov(r);
    if (rc != HS_OK)
        return rc;
    if (r->resp.file_fd >= 0 && !r->resp.header_only)
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

void hs_http_ignore_client(hs_req *r) { hs_ev_del(r->conn->io.fd); }
