/* hush's small-file cache (file_cache.h): opening a file for the static
 * handler, from memory when it is small, hot and unchanged. */
#include "static/file_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/hash.h"

typedef struct {
    char *data;          /* content */
    int64_t size;
    time_t mtime;
    long mtime_nsec;
    ino_t ino;
    dev_t dev;
    char etag[48];
    size_t etag_len;
    char last_modified[32]; /* HTTP date of mtime */
    size_t last_modified_len;
    uint64_t checked_msec; /* last stat() */
    int refs;              /* responses using data, plus one for the cache */
    int err;               /* open_file_cache_errors: the open failed so (data NULL) */
    int64_t uses;          /* open_file_cache_min_uses: opened so often, not kept yet (data NULL) */
} cache_entry;

static hs_hash cache;
static size_t cache_count;

static void entry_unref(void *data)
{
    cache_entry *e = data;
    if (--e->refs == 0) {
        free(e->data);
        free(e);
    }
}

static size_t format_etag(char *out, time_t mtime, int64_t size)
{
    return (size_t)snprintf(out, 48, "\"%llx-%llx\"", (unsigned long long)mtime, (unsigned long long)size);
}

static bool same_file(const cache_entry *e, const struct stat *st)
{
    return e->size == st->st_size && e->mtime == st->st_mtim.tv_sec &&
           e->mtime_nsec == st->st_mtim.tv_nsec && e->ino == st->st_ino && e->dev == st->st_dev;
}

/* The cache is full: start afresh. It is small and refills on demand, and
 * entries still used by responses stay alive through their references. */
static void make_room(void)
{
    if (cache_count >= HS_FILE_CACHE_ENTRIES)
        hs_file_cache_clear();
}

static void cache_drop(const char *path)
{
    cache_entry *e = hs_hash_del(&cache, hs_cstr(path));
    if (e) {
        cache_count--;
        entry_unref(e);
    }
}

static void fill_from_entry(hs_pool *pool, cache_entry *e, hs_file_info *out)
{
    e->refs++;
    hs_pool_cleanup_add(pool, entry_unref, e);
    out->fd = -1;
    out->data = e->data;
    out->size = e->size;
    out->mtime = e->mtime;
    out->etag = (hs_str){e->etag, e->etag_len};
    out->last_modified = (hs_str){e->last_modified, e->last_modified_len};
    out->is_dir = false;
}

/* Reads a small regular file into a new cache entry. */
static cache_entry *load_entry(int fd, const struct stat *st)
{
    cache_entry *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return NULL;
    e->data = malloc(st->st_size ? (size_t)st->st_size : 1);
    if (e->data == NULL) {
        free(e);
        return NULL;
    }
    size_t got = 0;
    while (got < (size_t)st->st_size) {
        ssize_t n = pread(fd, e->data + got, (size_t)st->st_size - got, (off_t)got);
        if (n <= 0) {
            free(e->data);
            free(e);
            return NULL;
        }
        got += (size_t)n;
    }
    e->size = st->st_size;
    e->mtime = st->st_mtim.tv_sec;
    e->mtime_nsec = st->st_mtim.tv_nsec;
    e->ino = st->st_ino;
    e->dev = st->st_dev;
    e->etag_len = format_etag(e->etag, e->mtime, e->size);
    e->last_modified_len = hs_http_date(e->mtime, e->last_modified);
    e->checked_msec = hs_now.mono_msec;
    e->refs = 1;
    return e;
}

static int open_plain(hs_pool *pool, const char *path, hs_file_info *out, bool try_cache)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return errno;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int err = errno;
        close(fd);
        return err;
    }
    memset(out, 0, sizeof(*out));
    out->fd = -1;
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        out->is_dir = true;
        return 0;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return EACCES;
    }
    if (try_cache && st.st_size <= HS_FILE_CACHE_MAX_SIZE) {
        cache_entry *e = load_entry(fd, &st);
        if (e) {
            close(fd);
            make_room();
            bool cached = hs_hash_put(&cache, hs_cstr(path), e) == HS_OK;
            if (cached)
                cache_count++;
            fill_from_entry(pool, e, out);
            if (!cached)
                e->refs--; /* the response's reference is the only one */
            return 0;
        }
    }
    out->fd = fd;
    out->size = st.st_size;
    out->mtime = st.st_mtim.tv_sec;
    char *etag = hs_palloc(pool, 48);
    out->etag = (hs_str){etag, etag ? format_etag(etag, out->mtime, out->size) : 0};
    return 0;
}

/* An entry without content: a failed open (err) or a count of uses. */
static void remember(const char *path, int err, int64_t uses)
{
    cache_entry *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return;
    e->err = err;
    e->uses = uses;
    e->checked_msec = hs_now.mono_msec;
    e->refs = 1;
    make_room();
    if (hs_hash_put(&cache, hs_cstr(path), e) == HS_OK)
        cache_count++;
    else
        free(e);
}

int hs_file_open(hs_pool *pool, const hs_file_cache_conf *cc, const char *path, hs_file_info *out)
{
    if (cc == NULL)
        return open_plain(pool, path, out, false);
    cache_entry *e = hs_hash_get(&cache, hs_cstr(path));
    uint64_t age = e ? hs_now.mono_msec - e->checked_msec : 0;
    if (e && e->err && age < (uint64_t)cc->valid_ms)
        return e->err;
    if (e && e->data && age < (uint64_t)cc->valid_ms) {
        fill_from_entry(pool, e, out);
        return 0;
    }
    if (e && e->data) {
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && same_file(e, &st)) {
            e->checked_msec = hs_now.mono_msec;
            fill_from_entry(pool, e, out);
            return 0;
        }
    }
    int64_t uses = e && !e->data && !e->err && age < HS_FILE_CACHE_INACTIVE_MS ? e->uses + 1 : 1;
    if (e)
        cache_drop(path);
    int err = open_plain(pool, path, out, uses >= cc->min_uses);
    if (err && cc->errors)
        remember(path, err, 0);
    else if (!err && uses < cc->min_uses)
        remember(path, 0, uses);
    return err;
}

void hs_file_cache_clear(void)
{
    hs_hash old = cache;
    hs_hash_init(&cache);
    cache_count = 0;
    /* release the cache's references; entries still in use live on */
    hs_hash_release_values(&old, entry_unref);
    hs_hash_free(&old);
}
