/* The client's request body on its way to the upstream. By default
 * (proxy_request_buffering on) the body is read whole before connecting —
 * in memory up to client_body_buffer_size, else in a temporary file
 * (request/body.h) — so that a retry can send it again; with
 * proxy_request_buffering off, bodies stream to the
 * upstream as they arrive (chunked to HTTP/1.1), the first ones with the
 * head. The core hands us decoded bytes
 * (hs_http_body_take): no framing, no client socket. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proxy/proxy_internal.h"
#include "request/body.h"

#define FILE_PIECE 16384
#define PIECE_HEAD 8  /* room for the protocol's bytes before a piece (FastCGI's record header) */
#define PIECE_TAIL 16 /* ... and after the last one */

void hs_proxy_body_failed(hs_req *r, int status)
{
    hs_conn *c = r->conn;
    hs_proxy_end(r);
    if (status == 0) {
        /* the client left in the middle of its body */
        hs_http_end(r, HS_END_CLIENT_ABORT_BODY, 400);
        return;
    }
    r->h.keep_alive = false;
    c->must_linger = true;
    r->ending = HS_END_BAD_REQUEST;
    hs_http_finalize(r, status);
}

/* What a failed body read means here: 0 when the client left, else the
 * status to answer (413, 500, or 400 for anything malformed). */
static int body_error(int rc)
{
    if (rc == HS_DECLINED)
        return 0;
    return rc == 413 || rc == 500 ? rc : 400;
}

/* ---- bodies read whole ---- */

void hs_proxy_read_body(hs_req *r)
{
    int rc = hs_body_read(r);
    if (rc == HS_AGAIN) {
        hs_http_client_deadline(r, r->loc->client_body_timeout, HS_END_BODY_TIMEOUT);
        return;
    }
    if (rc != HS_OK) {
        hs_proxy_body_failed(r, body_error(rc));
        return;
    }
    hs_proxy_state *px = PX(r);
    const hs_body *b = hs_body_of(r);
    hs_http_client_deadline(r, 0, HS_END_NONE);
    px->body = b->mem.p;
    px->body_len = b->mem.n;
    px->body_fd = b->fd;
    px->body_size = b->size;
    px->body_buffered = true;
    hs_proxy_connect(r);
}

/* The next piece of the file, framed as the protocol wants it. */
static int next_piece(hs_proxy_state *px)
{
    hs_req *r = px->u->r;
    const hs_up_proto *proto = px->pc->proto;
    ssize_t n = pread(px->body_fd, px->fbuf + PIECE_HEAD, FILE_PIECE, px->file_off);
    if (n <= 0) {
        if (n == 0)
            errno = EIO; /* the file is shorter than the body it holds */
        return HS_ERROR;
    }
    px->file_off += n;
    size_t start = PIECE_HEAD, end = PIECE_HEAD + (size_t)n;
    if (proto->body_prefix) {
        char head[PIECE_HEAD];
        size_t hn = proto->body_prefix(r, head, (size_t)n);
        start -= hn;
        memcpy(px->fbuf + start, head, hn);
    }
    if (px->file_off >= px->body_size && proto->body_suffix)
        end += proto->body_suffix(r, px->fbuf + end);
    px->fbuf_sent = start;
    px->fbuf_len = end;
    return HS_OK;
}

int hs_proxy_send_file_body(hs_proxy_state *px)
{
    if (px->fbuf == NULL && (px->fbuf = hs_palloc(px->u->r->pool, PIECE_HEAD + FILE_PIECE + PIECE_TAIL)) == NULL)
        return HS_ERROR;
    for (;;) {
        if (px->fbuf_sent == px->fbuf_len) {
            if (px->file_off >= px->body_size)
                return HS_OK;
            if (next_piece(px) != HS_OK)
                return HS_ERROR;
        }
        ssize_t w = hs_up_send(px->u, px->fbuf + px->fbuf_sent, px->fbuf_len - px->fbuf_sent);
        if (w < 0)
            return (int)w;
        px->fbuf_sent += (size_t)w;
        px->request_sent = true;
    }
}

/* ---- streamed bodies ---- */

/* A piece for the upstream: as it is, or as a chunk (and the last chunk
 * after the body's end) when the body streams chunked. */
static int frame(hs_proxy_state *px, const char *data, size_t n, bool last, char *out)
{
    if (!px->body_chunked_out) {
        memcpy(out, data, n);
        return (int)n;
    }
    int k = 0;
    if (n) {
        k = sprintf(out, "%zx\r\n", n);
        memcpy(out + k, data, n);
        memcpy(out + k + n, "\r\n", 2);
        k += (int)n + 2;
    }
    if (last)
        memcpy(out + k, "0\r\n\r\n", 5), k += 5;
    return k;
}

/* The body bytes already here go with the request head (one write, as
 * nginx), taken once and kept for every try. */
int hs_proxy_with_preread(hs_req *r, hs_up_req *q)
{
    hs_proxy_state *px = PX(r);
    if (!px->preread_taken) {
        const char *data;
        size_t n = 0;
        int rc = hs_http_body_take(r, &data, &n);
        px->preread_taken = true;
        if (rc != HS_OK && rc != HS_AGAIN)
            return HS_OK; /* a bad body: the streaming step meets it again and answers */
        hs_body_streamed(r, data, n, rc == HS_OK);
        char *f = hs_palloc(r->pool, n + 32);
        if (f == NULL)
            return HS_ERROR;
        px->body_streamed_all = rc == HS_OK;
        px->preread = (hs_str){f, (size_t)frame(px, data, n, rc == HS_OK, f)};
    }
    if (px->preread.n == 0)
        return HS_OK;
    char *out = hs_palloc(r->pool, q->out.n + px->preread.n);
    if (out == NULL)
        return HS_ERROR;
    memcpy(out, q->out.p, q->out.n);
    memcpy(out + q->out.n, px->preread.p, px->preread.n);
    q->out = (hs_str){out, q->out.n + px->preread.n};
    return HS_OK;
}

/* Sends what is staged in px->sbuf: HS_OK when all went, else as stream_out. */
static int flush_staged(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    while (px->ssent < px->slen) {
        ssize_t w = hs_up_send(px->u, px->sbuf + px->ssent, px->slen - px->ssent);
        if (w == HS_AGAIN) {
            hs_timer_set(&px->u->timer, (uint64_t)px->pc->send_timeout);
            return HS_AGAIN;
        }
        if (w <= 0) {
            hs_proxy_fail(r, 502, HS_END_UPSTREAM_RESET, "send() to upstream failed");
            return HS_ERROR;
        }
        px->ssent += (size_t)w;
    }
    return HS_OK;
}

/* A chunk of n body bytes (and the end, when last) into px->sbuf. */
static int stage_chunk(hs_proxy_state *px, const char *data, size_t n, bool last)
{
    if (px->scap < n + 32) {
        char *nb = realloc(px->sbuf, n + 32);
        if (nb == NULL)
            return HS_ERROR;
        px->sbuf = nb;
        px->scap = n + 32;
    }
    px->slen = (size_t)frame(px, data, n, last, px->sbuf);
    px->ssent = 0;
    return HS_OK;
}

/* Sends body bytes to the upstream; what it does not take now goes back to
 * the core and comes again on the next take. HS_OK: all sent; HS_AGAIN:
 * wait for the upstream; HS_ERROR: the try failed (and was dealt with). */
static int stream_out(hs_req *r, const char *data, size_t n)
{
    hs_proxy_state *px = PX(r);
    size_t done = 0;
    while (done < n) {
        ssize_t w = hs_up_send(px->u, data + done, n - done);
        if (w == HS_AGAIN) {
            hs_http_body_untake(r, n - done);
            hs_timer_set(&px->u->timer, (uint64_t)px->pc->send_timeout);
            return HS_AGAIN;
        }
        if (w <= 0) {
            hs_proxy_fail(r, 502, HS_END_UPSTREAM_RESET, "send() to upstream failed");
            return HS_ERROR;
        }
        done += (size_t)w;
    }
    return HS_OK;
}

void hs_proxy_send_stream(hs_req *r)
{
    hs_proxy_state *px = PX(r);
    for (;;) {
        const char *data;
        size_t n;
        if (px->body_chunked_out && flush_staged(r) != HS_OK)
            return;
        if (px->body_streamed_all)
            break;
        int rc = hs_http_body_take(r, &data, &n);
        if (rc == HS_OK || n > 0)
            px->body_streamed_all = rc == HS_OK;
        if (rc == HS_OK || n > 0)
            hs_body_streamed(r, data, n, rc == HS_OK);
        if (px->body_chunked_out && (n > 0 || rc == HS_OK)) {
            if (stage_chunk(px, data, n, rc == HS_OK) != HS_OK) {
                hs_proxy_fail(r, 500, HS_END_NONE, NULL);
                return;
            }
            continue;
        }
        if (n > 0 && stream_out(r, data, n) != HS_OK) {
            px->body_streamed_all = false; /* what was not sent comes again */
            return;
        }
        if (rc == HS_OK)
            break;
        if (rc == HS_AGAIN && n > 0)
            continue;
        if (rc == HS_AGAIN) {
            hs_http_client_deadline(r, r->loc->client_body_timeout, HS_END_BODY_TIMEOUT);
            return;
        }
        hs_proxy_release_upstream(px, false);
        hs_proxy_body_failed(r, body_error(rc));
        return;
    }
    hs_http_client_deadline(r, 0, HS_END_NONE);
    /* the answer cannot be there yet: wait for its EPOLLIN instead of a read that fails */
    px->state = PX_READ_HEAD;
    hs_timer_set(&px->u->timer, (uint64_t)px->pc->read_timeout);
}
