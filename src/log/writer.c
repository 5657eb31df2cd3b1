#include "log/writer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "core/errlog.h"
#include "core/owner.h"
#include "stats/counters.h"

#define DEFAULT_BUFFER (64 * 1024)
#define DEFAULT_FLUSH_MSEC 1000

static hs_log_file *files; /* of the current configuration */
static bool idle_pending;  /* some implicit-buffer file holds lines */

static void close_file(void *data)
{
    hs_log_file *f = data;
    hs_log_file_flush(f);
    hs_timer_cancel(&f->flush_timer);
    if (f->fd >= 0 && !f->is_stderr)
        close(f->fd);
    free(f->buf);
    f->buf = NULL;
    f->fd = -1;
}

static void on_flush_timer(hs_timer *t)
{
    hs_log_file_flush((hs_log_file *)t);
}

hs_log_file *hs_log_file_open(hs_pool *pool, const char *path)
{
    for (hs_log_file *f = files; f; f = f->next)
        if (strcmp(f->path, path) == 0)
            return f;
    hs_log_file *f = hs_pcalloc(pool, sizeof(*f));
    if (f == NULL)
        return NULL;
    f->path = hs_pstrndup(pool, path, strlen(path));
    f->is_stderr = strcmp(path, "stderr") == 0;
    f->fd = f->is_stderr ? STDERR_FILENO : open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (f->fd < 0)
        return NULL;
    f->cap = DEFAULT_BUFFER;
    f->flush_msec = DEFAULT_FLUSH_MSEC;
    f->flush_timer.on_timer = on_flush_timer;
    hs_pool_cleanup_add(pool, close_file, f);
    f->next = files;
    files = f;
    return f;
}

void hs_log_file_set_buffer(hs_log_file *f, size_t size, int64_t flush_msec)
{
    if (!f->explicit_buffer || size > f->cap)
        f->cap = size;
    f->explicit_buffer = true;
    if (flush_msec > 0)
        f->flush_msec = flush_msec;
}

/* A write failed (a full disk): the lines are dropped, counted in
 * hush_log_lines_lost_total{file}, and said at most once a second; the next
 * write tries again, so logging resumes by itself when space returns. */
void hs_log_file_lost(hs_log_file *f, const char *p, size_t n, int err)
{
    uint64_t lines = 0;
    for (const char *e = p + n; (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++)
        lines++;
    f->lost_lines += lines;
    hs_stats_log_lost(f->path, lines);
    if (hs_log_limited(&f->lost_log, HS_LOG_ALERT, 0, "write() to \"%s\" failed (%d: %s), %llu log lines lost",
                       f->path, err, strerror(err), (unsigned long long)f->lost_lines))
        f->lost_lines = 0;
}

static void write_out(hs_log_file *f, const char *p, size_t n)
{
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(f->fd, p + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            hs_log_file_lost(f, p + off, n - off, w < 0 ? errno : ENOSPC);
            return;
        }
        off += (size_t)w;
    }
}

/* access_log ... gzip: the bytes as one gzip member (members concatenate
 * into a valid gzip file, as nginx writes them). */
static void gzip_out(hs_log_file *f, const char *p, size_t n)
{
    z_stream zs = {0};
    if (deflateInit2(&zs, f->gzip_level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        hs_log_file_lost(f, p, n, ENOMEM);
        return;
    }
    uLong cap = deflateBound(&zs, (uLong)n);
    unsigned char *out = malloc(cap);
    zs.next_in = (Bytef *)p;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    if (out == NULL || deflate(&zs, Z_FINISH) != Z_STREAM_END)
        hs_log_file_lost(f, p, n, ENOMEM);
    else
        write_out(f, (const char *)out, cap - zs.avail_out);
    deflateEnd(&zs);
    free(out);
}

static void emit(hs_log_file *f, const char *p, size_t n)
{
    if (n == 0)
        return;
    if (f->gzip_level)
        gzip_out(f, p, n);
    else
        write_out(f, p, n);
}

void hs_log_file_flush(hs_log_file *f)
{
    emit(f, f->buf, f->len);
    f->len = 0;
    hs_timer_cancel(&f->flush_timer);
}

static bool ensure_buffer(hs_log_file *f)
{
    if (f->buf)
        return true;
    f->buf = malloc(f->cap);
    return f->buf != NULL;
}

char *hs_log_file_reserve(hs_log_file *f, size_t want)
{
    if (want > f->cap || !ensure_buffer(f))
        return NULL;
    if (f->cap - f->len < want)
        hs_log_file_flush(f);
    return f->buf + f->len;
}

void hs_log_file_commit(hs_log_file *f, size_t n)
{
    bool was_empty = f->len == 0;
    f->len += n;
    if (was_empty)
        hs_timer_set(&f->flush_timer, (uint64_t)f->flush_msec);
    if (!f->explicit_buffer && !idle_pending) {
        idle_pending = true;
        hs_loop_want_idle();
    }
}

void hs_log_file_write(hs_log_file *f, const char *line, size_t n)
{
    char *p = hs_log_file_reserve(f, n + 1);
    if (p == NULL) {
        /* longer than the buffer: write it through */
        hs_log_file_flush(f);
        char *tmp = malloc(n + 1);
        if (tmp == NULL)
            return;
        memcpy(tmp, line, n);
        tmp[n] = '\n';
        emit(f, tmp, n + 1);
        free(tmp);
        return;
    }
    memcpy(p, line, n);
    p[n] = '\n';
    hs_log_file_commit(f, n + 1);
}

static void flush_implicit(void)
{
    idle_pending = false;
    for (hs_log_file *f = files; f; f = f->next)
        if (!f->explicit_buffer && f->len)
            hs_log_file_flush(f);
}

void hs_log_files_flush_all(void)
{
    for (hs_log_file *f = files; f; f = f->next)
        hs_log_file_flush(f);
}

void hs_log_files_reopen_all(void)
{
    hs_log_varpath_reopen();
    for (hs_log_file *f = files; f; f = f->next) {
        hs_log_file_flush(f);
        if (f->is_stderr)
            continue;
        int fd = open(f->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
            hs_log_errno(HS_LOG_ALERT, errno, "reopening \"%s\" failed", f->path);
            continue;
        }
        hs_owner_give(fd, f->path); /* in the master: the workers reopen it next, as `user` */
        close(f->fd);
        f->fd = fd;
    }
}

hs_log_file *hs_log_files_detach(void)
{
    hs_log_file *old = files;
    files = NULL;
    return old;
}

void hs_log_files_restore(hs_log_file *list) { files = list; }

void hs_log_files_attach_loop(void) { hs_loop_on_idle(flush_implicit); }
