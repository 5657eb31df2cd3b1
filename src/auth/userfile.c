/* User files: read when first needed and kept per worker while the file's
 * size, mtime and inode stay the same (nginx reads it on every request;
 * a stat is what this costs instead), and the lookup of a user in one. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/auth_internal.h"

#define CACHED_FILES 16
#define MAX_FILE_SIZE (64 << 20)

typedef struct {
    char *path;
    char *text;
    size_t len;
    struct timespec mtime;
    off_t size;
    ino_t ino;
    dev_t dev;
} cached_file;

static cached_file cache[CACHED_FILES];
static unsigned next_slot; /* replaced in turn when all are used */

static bool unchanged(const cached_file *f, const struct stat *st)
{
    return f->size == st->st_size && f->ino == st->st_ino && f->dev == st->st_dev &&
           f->mtime.tv_sec == st->st_mtim.tv_sec && f->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

static char *read_all(const char *path, const struct stat *st, size_t *len)
{
    if (st->st_size > MAX_FILE_SIZE) {
        errno = EFBIG;
        return NULL;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    char *buf = malloc((size_t)st->st_size + 1);
    size_t n = 0;
    while (buf && n < (size_t)st->st_size) {
        ssize_t k = read(fd, buf + n, (size_t)st->st_size - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break; /* shorter than it was: what was read */
        n += (size_t)k;
    }
    int err = errno;
    close(fd);
    if (buf == NULL) {
        errno = err ? err : ENOMEM;
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static cached_file *slot_for(const char *path)
{
    for (int i = 0; i < CACHED_FILES; i++)
        if (cache[i].path && strcmp(cache[i].path, path) == 0)
            return &cache[i];
    cached_file *f = &cache[next_slot++ % CACHED_FILES];
    free(f->path);
    free(f->text);
    memset(f, 0, sizeof(*f));
    f->path = strdup(path);
    return f->path ? f : NULL;
}

int hs_auth_file_get(const char *path, hs_str *text)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return HS_ERROR;
    if (S_ISDIR(st.st_mode)) {
        errno = EISDIR;
        return HS_ERROR;
    }
    cached_file *f = slot_for(path);
    if (f == NULL) {
        errno = ENOMEM;
        return HS_ERROR;
    }
    if (f->text == NULL || !unchanged(f, &st)) {
        size_t len = 0;
        char *t = read_all(path, &st, &len);
        if (t == NULL)
            return HS_ERROR;
        free(f->text);
        f->text = t;
        f->len = len;
        f->mtime = st.st_mtim;
        f->size = st.st_size;
        f->ino = st.st_ino;
        f->dev = st.st_dev;
    }
    *text = (hs_str){f->text, f->len};
    return HS_OK;
}

/* The end of the field that starts at p: a colon, a line end, or the end. */
static const char *field_end(const char *p, const char *end)
{
    while (p < end && *p != ':' && *p != '\n' && *p != '\r')
        p++;
    return p;
}

int hs_auth_find_user(hs_str text, hs_str user, hs_str *hash)
{
    const char *p = text.p, *end = text.p + text.n;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        eol = eol ? eol : end;
        if (*p != '#' && *p != '\n' && *p != '\r') {
            const char *u = field_end(p, eol);
            if (u < eol && *u == ':' && hs_str_eq((hs_str){p, (size_t)(u - p)}, user)) {
                const char *h = field_end(u + 1, eol);
                *hash = (hs_str){u + 1, (size_t)(h - u - 1)};
                return HS_OK;
            }
        }
        p = eol + 1;
    }
    return HS_DECLINED;
}
