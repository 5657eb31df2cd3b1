/* access_log with variables in its path (nginx's per-site logs,
 * "logs/$host.access.log"): the path is computed for each line and the
 * line appended at once (no buffer, as nginx), opened and closed each time,
 * or kept open by open_log_file_cache. A path that climbs ("/../") or holds
 * a NUL is refused, whatever a variable brought. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/errlog.h"
#include "core/units.h"
#include "log/log_internal.h"
#include "stats/counters.h"

/* One path open_log_file_cache remembers. */
typedef struct {
    char *path;          /* malloc'ed; NULL: a free slot */
    int fd;              /* -1 until min_uses is reached */
    uint32_t uses;
    uint64_t opened_ms;  /* for valid= (a rotated file is opened again) */
    uint64_t used_ms;    /* for inactive= and the least recently used */
} fd_entry;

struct hs_log_fd_cache {
    uint32_t max, min_uses;
    int64_t inactive_ms, valid_ms;
    fd_entry *entries;   /* max of them, this worker's */
    struct hs_log_fd_cache *next;
};

static struct hs_log_fd_cache *caches; /* of the current configuration */
static hs_log_limit refused_log, failed_log;

static void drop_entry(fd_entry *e)
{
    if (e->fd >= 0)
        close(e->fd);
    free(e->path);
    *e = (fd_entry){.fd = -1};
}

static void cache_free(void *data)
{
    struct hs_log_fd_cache *c = data;
    for (uint32_t i = 0; c->entries && i < c->max; i++)
        drop_entry(&c->entries[i]);
    free(c->entries);
    c->entries = NULL;
    for (struct hs_log_fd_cache **p = &caches; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            break;
        }
}

static int open_log(const char *path) { return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644); }

/* The entry for path, or NULL. */
static fd_entry *cache_find(struct hs_log_fd_cache *c, const char *path)
{
    for (uint32_t i = 0; i < c->max; i++)
        if (c->entries[i].path && strcmp(c->entries[i].path, path) == 0)
            return &c->entries[i];
    return NULL;
}

/* A slot for a new path: a free one, else the least recently used (an
 * inactive one goes first anyway). */
static fd_entry *cache_victim(struct hs_log_fd_cache *c)
{
    fd_entry *victim = &c->entries[0];
    for (uint32_t i = 0; i < c->max; i++) {
        fd_entry *e = &c->entries[i];
        if (e->path && hs_now.mono_msec - e->used_ms > (uint64_t)c->inactive_ms)
            drop_entry(e);
        if (e->path == NULL)
            return e;
        if (e->used_ms < victim->used_ms)
            victim = e;
    }
    drop_entry(victim);
    return victim;
}

/* A descriptor for path; *keep false: the caller closes it after the write.
 * As nginx, a path that cannot be opened changes nothing in the cache. */
static int cache_fd(struct hs_log_fd_cache *c, const char *path, bool *keep)
{
    *keep = false;
    if (c && c->entries == NULL && (c->entries = calloc(c->max, sizeof(fd_entry))) != NULL)
        for (uint32_t i = 0; i < c->max; i++)
            c->entries[i].fd = -1; /* not 0: that is stdin */
    if (c == NULL || c->entries == NULL)
        return open_log(path);
    fd_entry *e = cache_find(c, path);
    if (e == NULL) {
        int fd = open_log(path);
        char *copy = fd >= 0 ? strdup(path) : NULL;
        if (copy == NULL)
            return fd;
        e = cache_victim(c);
        *e = (fd_entry){.path = copy, .fd = -1, .opened_ms = hs_now.mono_msec};
        if (c->min_uses <= 1)
            e->fd = fd, *keep = true;
        e->uses = 1;
        e->used_ms = hs_now.mono_msec;
        return fd;
    }
    e->uses++;
    e->used_ms = hs_now.mono_msec;
    if (e->fd >= 0 && hs_now.mono_msec - e->opened_ms > (uint64_t)c->valid_ms) {
        close(e->fd); /* valid= passed: a rotated file is followed */
        e->fd = -1;
    }
    if (e->fd < 0 && e->uses >= c->min_uses) {
        e->fd = open_log(path);
        e->opened_ms = hs_now.mono_msec;
    }
    if (e->fd < 0)
        return e->uses >= c->min_uses ? -1 : open_log(path);
    *keep = true;
    return e->fd;
}

static bool path_ok(hs_str p)
{
    if (p.n == 0 || memchr(p.p, '\0', p.n))
        return false;
    size_t start = 0;
    for (size_t i = 0; i <= p.n; i++) {
        if (i < p.n && p.p[i] != '/')
            continue;
        if (i - start == 2 && p.p[start] == '.' && p.p[start + 1] == '.')
            return false; /* a ".." segment */
        start = i + 1;
    }
    return true;
}

/* The line for r, with its newline, in a buffer the caller frees. */
static char *render(hs_log_target *t, hs_req *r, size_t *len)
{
    size_t cap = 1024;
    for (;;) {
        char *line = malloc(cap + 1);
        if (line == NULL)
            return NULL;
        size_t n = hs_log_format_render(t->format, r, line, cap);
        if (n < cap) {
            line[n] = '\n';
            *len = n + 1;
            return line;
        }
        free(line);
        cap = n + 1;
    }
}

void hs_log_varpath_write(hs_log_target *t, hs_req *r)
{
    hs_str rel;
    if (hs_cv_eval(t->path_cv, r, r->pool, &rel) != HS_OK)
        return;
    if (!path_ok(rel)) {
        hs_log_limited(&refused_log, HS_LOG_ERR, 0, "access_log path \"%.*s\" refused", (int)rel.n, rel.p);
        return;
    }
    char *path = rel.p[0] == '/' ? (char *)rel.p : hs_psprintf(r->pool, "%s%.*s", t->prefix, (int)rel.n, rel.p);
    size_t len;
    char *line = path ? render(t, r, &len) : NULL;
    if (line == NULL)
        return;
    bool keep;
    int fd = cache_fd(t->fd_cache ? *t->fd_cache : NULL, path, &keep);
    ssize_t w = fd >= 0 ? write(fd, line, len) : -1;
    if (w != (ssize_t)len) {
        int err = fd < 0 || w < 0 ? errno : ENOSPC;
        hs_stats_log_lost(path, 1);
        hs_log_limited(&failed_log, fd < 0 ? HS_LOG_CRIT : HS_LOG_ALERT, err, "%s() \"%s\" failed",
                       fd < 0 ? "open" : "write", path); /* nginx's levels */
    }
    if (fd >= 0 && !keep)
        close(fd);
    free(line);
}

void hs_log_varpath_reopen(void)
{
    for (struct hs_log_fd_cache *c = caches; c; c = c->next)
        for (uint32_t i = 0; c->entries && i < c->max; i++)
            if (c->entries[i].fd >= 0) {
                close(c->entries[i].fd);
                c->entries[i].fd = -1;
            }
}

/* open_log_file_cache max=N [inactive=T] [min_uses=N] [valid=T] | off */
int hs_log_fd_cache_parse(hs_cf *cf, const hs_conf_node *n, struct hs_log_fd_cache **out)
{
    *out = NULL;
    if (n->nargs == 2 && hs_str_eq_lit(n->args[1], "off"))
        return HS_OK;
    struct hs_log_fd_cache *c = hs_pcalloc(cf->pool, sizeof(*c));
    if (c == NULL)
        return hs_cf_error(cf, n, "out of memory");
    *c = (struct hs_log_fd_cache){.min_uses = 1, .inactive_ms = 10000, .valid_ms = 60000};
    for (size_t i = 1; i < n->nargs; i++) {
        hs_str a = n->args[i];
        const char *eq = memchr(a.p, '=', a.n);
        hs_str v = eq ? (hs_str){eq + 1, (size_t)(a.p + a.n - eq - 1)} : HS_NULL_STR;
        int64_t x = -1;
        if (hs_str_has_prefix(a, HS_STR("max=")) && (x = hs_parse_int(v)) >= 1 && x <= 4096)
            c->max = (uint32_t)x;
        else if (hs_str_has_prefix(a, HS_STR("min_uses=")) && (x = hs_parse_int(v)) >= 1 && x <= 1000000)
            c->min_uses = (uint32_t)x;
        else if (hs_str_has_prefix(a, HS_STR("inactive=")) && (x = hs_parse_msec(v)) >= 0)
            c->inactive_ms = x;
        else if (hs_str_has_prefix(a, HS_STR("valid=")) && (x = hs_parse_msec(v)) >= 0)
            c->valid_ms = x;
        else
            return hs_cf_error(cf, n, "invalid \"open_log_file_cache\" parameter \"%s\"", a.p);
    }
    if (c->max == 0)
        return hs_cf_error(cf, n, "\"max\" parameter must be specified in \"open_log_file_cache\"");
    c->next = caches;
    caches = c;
    *out = c;
    return hs_pool_cleanup_add(cf->pool, cache_free, c);
}
