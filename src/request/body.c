/* Reading a request body whole: memory up to client_body_buffer_size,
 * then a temporary file (nginx's rules: client_body_in_file_only puts even
 * a small body in the file; off unlinks the file as soon as it is made,
 * clean when the request ends, on keeps it). $request_body and
 * $request_body_file. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "core/errlog.h"
#include "request/body.h"
#include "request/request_internal.h"

typedef struct {
    hs_body b;
    size_t cap;          /* of the memory buffer */
    bool not_kept;       /* a streamed body too large to keep a copy of */
} body_state;

static void close_fd(void *arg) { close((int)(intptr_t)arg); }
static void unlink_path(void *arg) { unlink(arg); }

const hs_body *hs_body_of(const hs_req *r) { return hs_http_get_ctx(r, &hs_request_module); }

static int write_all(hs_req *r, body_state *st, const char *data, size_t n)
{
    while (n > 0) {
        ssize_t w = write(st->b.fd, data, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            hs_log(HS_LOG_CRIT, "*%llu write() \"%s\" failed (%d: %s), client: %s",
                   (unsigned long long)r->conn->number, st->b.path, errno, strerror(errno),
                   hs_conn_peer_text(r->conn));
            return 500;
        }
        data += w;
        n -= (size_t)w;
    }
    return HS_OK;
}

/* Moves the body to a new temporary file: what memory held goes first. */
static int to_file(hs_req *r, body_state *st, const hs_reqconf *q)
{
    char *name;
    int fd = hs_temp_file_open(q->body_temp, r->pool, &name);
    if (fd < 0) {
        hs_log(HS_LOG_CRIT, "*%llu open() \"%s\" failed (%d: %s), client: %s", (unsigned long long)r->conn->number,
               name ? name : q->body_temp->path.p, errno, strerror(errno), hs_conn_peer_text(r->conn));
        return 500;
    }
    st->b.fd = fd;
    st->b.path = name;
    hs_pool_cleanup_add(r->pool, close_fd, (void *)(intptr_t)fd);
    if (q->body_in_file_only == IN_FILE_OFF)
        unlink(name); /* as nginx: the name is known, the file is not kept */
    else if (q->body_in_file_only == IN_FILE_CLEAN)
        hs_pool_cleanup_add(r->pool, unlink_path, name);
    int rc = write_all(r, st, st->b.mem.p, st->b.mem.n);
    st->b.mem = HS_NULL_STR;
    return rc;
}

static int append(hs_req *r, body_state *st, const hs_reqconf *q, const char *data, size_t n)
{
    st->b.size += (int64_t)n;
    if (st->b.fd < 0 && st->b.mem.n + n > (size_t)q->body_buffer_size) {
        int rc = to_file(r, st, q);
        if (rc != HS_OK)
            return rc;
    }
    if (st->b.fd >= 0)
        return write_all(r, st, data, n);
    if (st->cap == 0) {
        /* a Content-Length body gets what it needs, up to the buffer size */
        int64_t want = r->h.content_length > 0 && r->h.content_length < q->body_buffer_size
                           ? r->h.content_length : q->body_buffer_size;
        st->cap = (size_t)want;
        if ((st->b.mem.p = hs_palloc(r->pool, st->cap)) == NULL)
            return 500;
    }
    memcpy((char *)st->b.mem.p + st->b.mem.n, data, n);
    st->b.mem.n += n;
    return HS_OK;
}

static body_state *state_of(hs_req *r)
{
    body_state *st = hs_http_get_ctx(r, &hs_request_module);
    if (st)
        return st;
    if ((st = hs_pcalloc(r->pool, sizeof(*st))) == NULL || hs_http_set_ctx(r, &hs_request_module, st) != HS_OK)
        return NULL;
    st->b.fd = -1;
    st->b.mem.p = "";
    return st;
}

int hs_body_read(hs_req *r)
{
    body_state *st = state_of(r);
    if (st == NULL)
        return 500;
    const hs_reqconf *q = hs_reqconf_of(r->loc);
    for (;;) {
        const char *data;
        size_t n;
        int rc = hs_http_body_take(r, &data, &n);
        int wrc = n ? append(r, st, q, data, n) : HS_OK;
        if (wrc != HS_OK)
            return wrc;
        if (rc == HS_AGAIN && n > 0)
            continue;
        if (rc != HS_OK)
            return rc;
        if (q->body_in_file_only != IN_FILE_OFF && st->b.fd < 0 && (rc = to_file(r, st, q)) != HS_OK)
            return rc;
        st->b.done = true;
        return HS_OK;
    }
}

void hs_body_streamed(hs_req *r, const char *data, size_t n, bool last)
{
    body_state *st = state_of(r);
    if (st == NULL || st->not_kept)
        return;
    const hs_reqconf *q = hs_reqconf_of(r->loc);
    if (st->b.mem.n + n > (size_t)q->body_buffer_size || (n && append(r, st, q, data, n) != HS_OK)) {
        st->not_kept = true; /* too large to keep: no $request_body */
        st->b.mem = HS_NULL_STR;
        st->b.done = false;
        return;
    }
    st->b.done = last;
}

/* $request_body (data 0: when the body is in memory, as nginx) and
 * $request_body_file (data 1). */
int hs_request_body_var(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)scratch;
    const hs_body *b = hs_body_of(ctx);
    if (b == NULL || (d == 0 && (!b->done || b->fd >= 0)) || (d == 1 && b->path == NULL))
        return HS_DECLINED;
    *out = d == 0 ? b->mem : hs_cstr(b->path);
    return HS_OK;
}
