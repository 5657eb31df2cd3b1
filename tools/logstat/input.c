/* Block reading, gzip inflation and line cutting. */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"

/* Large blocks keep read() and memchr() efficient; a line longer than the
 * buffer cannot be a real access-log line and is skipped and counted. */
#define LS_BUF_SIZE (4u << 20)
#define LS_RAW_SIZE (1u << 20)

int ls_input_open(ls_input *in, const char *path)
{
    memset(in, 0, sizeof(*in));
    in->path = path;
    if (strcmp(path, "-") == 0) {
        in->fd = 0;
    } else {
        in->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (in->fd < 0)
            return HS_ERROR;
    }
    struct stat st;
    if (fstat(in->fd, &st) == 0) {
        in->regular = S_ISREG(st.st_mode);
        in->dev = st.st_dev;
        in->ino = st.st_ino;
    }
    if (in->regular)
        posix_fadvise(in->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    in->cap = LS_BUF_SIZE;
    in->buf = ls_xmalloc(in->cap);
    return HS_OK;
}

/* Cuts buf[0, len) into lines, keeping an incomplete last line. */
static void cut_lines(ls_input *in, ls_line_fn fn, void *ctx)
{
    char *p = in->buf, *e = in->buf + in->len;
    if (in->skipping) {
        char *nl = memchr(p, '\n', (size_t)(e - p));
        if (!nl) {
            in->len = 0;
            return;
        }
        in->skipping = false;
        p = nl + 1;
    }
    for (;;) {
        char *nl = memchr(p, '\n', (size_t)(e - p));
        if (!nl)
            break;
        size_t n = (size_t)(nl - p);
        if (n && p[n - 1] == '\r')
            n--;
        fn(ctx, hs_str_from(p, n));
        p = nl + 1;
    }
    size_t rest = (size_t)(e - p);
    if (rest == in->cap) {
        /* a full buffer without a newline: too long to be a log line */
        in->too_long++;
        in->skipping = true;
        rest = 0;
    }
    if (rest && p != in->buf)
        memmove(in->buf, p, rest);
    in->len = rest;
}

static int start_gzip(ls_input *in, size_t have)
{
    in->raw_cap = LS_RAW_SIZE;
    in->raw = ls_xmalloc(in->raw_cap);
    memcpy(in->raw, in->buf + in->len, have);
    memset(&in->zs, 0, sizeof(in->zs));
    if (inflateInit2(&in->zs, 16 + MAX_WBITS) != Z_OK)
        return HS_ERROR;
    in->zinit = true;
    in->gz = true;
    in->zs.next_in = in->raw;
    in->zs.avail_in = (uInt)have;
    return HS_OK;
}

/* Inflates what is buffered into the free part of buf.  Concatenated gzip
 * members (as logrotate and cat produce) are read one after another. */
static int inflate_some(ls_input *in)
{
    in->zs.next_out = (unsigned char *)in->buf + in->len;
    in->zs.avail_out = (uInt)(in->cap - in->len);
    while (in->zs.avail_in && in->zs.avail_out) {
        int rc = inflate(&in->zs, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) {
            in->zmid = false;
            if (inflateReset(&in->zs) != Z_OK)
                return HS_ERROR;
            continue;
        }
        in->zmid = true;
        if (rc == Z_BUF_ERROR)
            break;
        if (rc != Z_OK) {
            errno = EILSEQ;
            return HS_ERROR;
        }
    }
    in->len = in->cap - in->zs.avail_out;
    return HS_OK;
}

static ssize_t read_raw(ls_input *in)
{
    /* keep unconsumed compressed input at the front */
    if (in->zs.avail_in && in->zs.next_in != in->raw)
        memmove(in->raw, in->zs.next_in, in->zs.avail_in);
    in->zs.next_in = in->raw;
    ssize_t n = read(in->fd, in->raw + in->zs.avail_in, in->raw_cap - in->zs.avail_in);
    if (n > 0) {
        in->zs.avail_in += (uInt)n;
        in->bytes += (uint64_t)n;
    }
    return n;
}

static ssize_t step_gzip(ls_input *in, ls_line_fn fn, void *ctx)
{
    ssize_t n = 0;
    if (in->zs.avail_in < in->raw_cap / 2) {
        n = read_raw(in);
        if (n < 0)
            return -1;
    }
    if (n == 0 && in->zs.avail_in == 0) {
        if (in->zmid) {
            /* the input ended inside a gzip member: it was cut short */
            in->zmid = false;
            errno = EILSEQ;
            return -1;
        }
        return 0;
    }
    size_t before = in->len;
    uInt avail = in->zs.avail_in;
    if (inflate_some(in) != HS_OK)
        return -1;
    bool progress = n > 0 || in->len != before || in->zs.avail_in != avail;
    cut_lines(in, fn, ctx);
    /* progress is input read or consumed or output produced; none is the end */
    return progress ? (n > 0 ? n : 1) : 0;
}

ssize_t ls_input_step(ls_input *in, ls_line_fn fn, void *ctx)
{
    if (in->gz)
        return step_gzip(in, fn, ctx);
    ssize_t n = read(in->fd, in->buf + in->len, in->cap - in->len);
    if (n <= 0)
        return n;
    in->bytes += (uint64_t)n;
    if (!in->started) {
        in->started = true;
        if (in->len == 0 && n >= 2 && (unsigned char)in->buf[0] == 0x1f &&
            (unsigned char)in->buf[1] == 0x8b) {
            if (start_gzip(in, (size_t)n) != HS_OK)
                return -1;
            if (inflate_some(in) != HS_OK)
                return -1;
            cut_lines(in, fn, ctx);
            return n;
        }
    }
    in->len += (size_t)n;
    cut_lines(in, fn, ctx);
    return n;
}

void ls_input_flush(ls_input *in, ls_line_fn fn, void *ctx)
{
    if (in->len && !in->skipping) {
        size_t n = in->len;
        if (in->buf[n - 1] == '\r')
            n--;
        fn(ctx, hs_str_from(in->buf, n));
    }
    in->len = 0;
    in->skipping = false;
}

int ls_input_follow_check(ls_input *in, ls_line_fn fn, void *ctx)
{
    struct stat st, cur;
    if (!in->regular || in->gz || stat(in->path, &st) != 0 || fstat(in->fd, &cur) != 0)
        return 0;
    if (st.st_dev != in->dev || st.st_ino != in->ino) {
        int fd = open(in->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return 0;
        /* the old file may have grown after our last read: drain it first */
        while (ls_input_step(in, fn, ctx) > 0)
            ;
        ls_input_flush(in, fn, ctx);
        close(in->fd);
        in->fd = fd;
        in->dev = st.st_dev;
        in->ino = st.st_ino;
        return 1;
    }
    off_t pos = lseek(in->fd, 0, SEEK_CUR);
    if (pos > cur.st_size) {
        lseek(in->fd, 0, SEEK_SET);
        in->len = 0;
        in->skipping = false;
        return 1;
    }
    return 0;
}

void ls_input_close(ls_input *in)
{
    if (in->zinit)
        inflateEnd(&in->zs);
    if (in->fd > 0)
        close(in->fd);
    free(in->buf);
    free(in->raw);
    in->buf = NULL;
    in->raw = NULL;
}
