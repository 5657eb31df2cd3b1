/* The keys zones (proxy_cache_path's keys_zone, in shared memory made by
 * the master before the workers fork; a zone of the same name and size
 * lives on across reloads), the names of cache files, and the cache
 * manager: a process the master starts that first loads the files on
 * disk into the zones (so entries survive restarts), then once a second
 * removes the entries unused for `inactive` and, beyond max_size, the
 * least recently used ones. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache/cache_internal.h"
#include "stats/expo.h"

#define ZONE_KIND 0x43414348u /* "CACH" */
#define TOTALS_KEY HS_STR("#zone")

cache_http *hs_cache_running;
static hs_shm_set made; /* the zones this master made */
static pid_t manager_pid;

/* MD5 by a context and an algorithm fetched once: EVP_Digest with
 * EVP_md5() looks the provider up on every call (a lock and a search; 5 %
 * of a hit's CPU in perf). */
void hs_cache_md5(hs_str data, uint8_t out[16])
{
    static EVP_MD *md;
    static EVP_MD_CTX *ctx;
    unsigned int n = 16;
    if (md == NULL && (md = EVP_MD_fetch(NULL, "MD5", NULL)) == NULL) {
        memset(out, 0, 16);
        return;
    }
    if (ctx == NULL && (ctx = EVP_MD_CTX_new()) == NULL) {
        EVP_Digest(data.p, data.n, out, &n, md, NULL);
        return;
    }
    if (!EVP_DigestInit_ex2(ctx, md, NULL) || !EVP_DigestUpdate(ctx, data.p, data.n) || !EVP_DigestFinal_ex(ctx, out, &n))
        memset(out, 0, 16);
}

void hs_cache_hex(const uint8_t md5[16], char out[33])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        out[2 * i] = digits[md5[i] >> 4];
        out[2 * i + 1] = digits[md5[i] & 15];
    }
    out[32] = '\0';
}

/* nginx's layout: the levels take the hex name's last digits, from the end. */
void hs_cache_file_path(const cache_zone *z, const char *hex, char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap, "%s", z->path);
    int end = 32;
    for (int i = 0; i < z->nlevels && n + 4 < cap; i++) {
        end -= z->levels[i];
        out[n++] = '/';
        memcpy(out + n, hex + end, (size_t)z->levels[i]);
        n += (size_t)z->levels[i];
    }
    snprintf(out + n, cap - n, "/%s", hex);
}

cache_totals *hs_cache_totals(cache_zone *z)
{
    int created = 0;
    cache_totals *t = hs_shm_get(z->shm, TOTALS_KEY, 1, &created);
    if (t && created) /* (again, if the zone's LRU dropped it): generations go on from beyond any given */
        t->gen = (uint64_t)time(NULL) << 24;
    return t;
}

/* ---- the loader ---- */

/* A file found under the zone's directory: its entry, when its header is sound. */
static void load_file(cache_zone *z, const char *path, const char *name)
{
    if (strlen(name) != 32)
        return;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return;
    char *buf = malloc(HS_CACHE_FIXED + HS_CACHE_HEAD_MAX + HS_CACHE_VARY_MAX + 65536);
    struct stat st;
    hs_cache_meta m;
    ssize_t n = buf && fstat(fd, &st) == 0 ? pread(fd, buf, HS_CACHE_FIXED, 0) : -1;
    int rc = n == HS_CACHE_FIXED ? hs_cache_header_parse(buf, (size_t)n, st.st_size, &m) : HS_ERROR;
    if (rc == HS_AGAIN) { /* the whole header: its Vary names count */
        n = pread(fd, buf, m.header_len, 0);
        rc = n == (ssize_t)m.header_len ? hs_cache_header_parse(buf, (size_t)n, st.st_size, &m) : HS_ERROR;
    }
    bool ok = rc == HS_OK;
    free(buf);
    close(fd);
    if (!ok) {
        unlink(path); /* corrupt, or cut short: a miss anyway */
        return;
    }
    uint8_t md5[16];
    for (int i = 0; i < 16; i++) {
        unsigned v;
        if (sscanf(name + 2 * i, "%2x", &v) != 1)
            return;
        md5[i] = (uint8_t)v;
    }
    hs_shm_lock(z->shm);
    int created = 0;
    cache_node *nd = hs_shm_get(z->shm, (hs_str){(const char *)md5, 16}, 1, &created);
    if (nd && created) {
        nd->valid_until = m.valid_until;
        nd->last_used = st.st_atime > st.st_mtime ? st.st_atime : st.st_mtime;
        nd->size = st.st_size;
        nd->uses = 1;
        nd->vary = m.vary.n > 0;
        memcpy(nd->md5, md5, 16);
    }
    hs_shm_unlock(z->shm);
}

static void unlink_stale_tmp(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && st.st_mtime + 3600 < time(NULL))
        unlink(path); /* an hour without a byte: no worker fills it */
}

static void load_dir(cache_zone *z, const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (e->d_type == DT_DIR && depth < z->nlevels)
            load_dir(z, path, depth + 1);
        else if (e->d_type == DT_REG && depth == z->nlevels)
            load_file(z, path, e->d_name);
        else if (e->d_type == DT_REG && strstr(e->d_name, ".tmp"))
            unlink_stale_tmp(path); /* a fill that a crash cut short */
    }
    closedir(d);
}

void hs_cache_load(cache_zone *z) { load_dir(z, z->path, 0); }

/* ---- the manager ---- */

typedef struct {
    cache_zone *z;
    int64_t now;
    int64_t total;
    uint8_t oldest[16];
    int64_t oldest_used;
    bool have_oldest;
    uint8_t gone[64][16];   /* inactive entries found by this pass */
    size_t ngone;
} manage_pass;

static void visit(void *arg, const uint8_t *key, size_t klen, void *val)
{
    manage_pass *p = arg;
    if (klen != 16)
        return; /* the totals */
    cache_node *nd = val;
    p->total += nd->size;
    if (nd->last_used + p->z->inactive < p->now && p->ngone < 64 && nd->updating_until == 0)
        memcpy(p->gone[p->ngone++], key, 16);
    else if (nd->size > 0 && nd->updating_until == 0 && (!p->have_oldest || nd->last_used <= p->oldest_used)) {
        /* the walk goes from the most recently used: of equals, the later is the older */
        memcpy(p->oldest, key, 16);
        p->oldest_used = nd->last_used;
        p->have_oldest = true;
    }
}

/* Removes the entry of md5 and its file; the lock is held. */
static void remove_entry(cache_zone *z, const uint8_t md5[16])
{
    cache_node *nd = hs_shm_get(z->shm, (hs_str){(const char *)md5, 16}, 0, NULL);
    if (nd == NULL)
        return;
    char hex[33], path[4096];
    hs_cache_hex(md5, hex);
    hs_cache_file_path(z, hex, path, sizeof(path));
    unlink(path);
    hs_shm_del(z->shm, nd);
    hs_cache_totals(z)->evicted++;
}

void hs_cache_manage(cache_zone *z)
{
    for (int round = 0; round < 1000; round++) {
        manage_pass *p = calloc(1, sizeof(*p));
        if (p == NULL)
            return;
        p->z = z;
        p->now = (int64_t)time(NULL);
        hs_shm_lock(z->shm);
        hs_shm_each(z->shm, visit, p);
        for (size_t i = 0; i < p->ngone; i++)
            remove_entry(z, p->gone[i]);
        bool over = z->max_size > 0 && p->total > z->max_size && p->have_oldest;
        if (over && p->ngone == 0)
            remove_entry(z, p->oldest);
        hs_cache_totals(z)->total_size = p->total;
        hs_shm_unlock(z->shm);
        bool again = p->ngone == 64 || (over && p->ngone == 0);
        free(p);
        if (!again)
            return;
    }
}

static volatile sig_atomic_t manager_stop;
static void on_term(int sig) { (void)sig; manager_stop = 1; }

static void manager_main(hs_config *conf, cache_http *ch)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    signal(SIGTERM, on_term);
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGUSR1, SIG_IGN);
    signal(SIGUSR2, SIG_IGN);
    signal(SIGQUIT, on_term);
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    /* no listening sockets or log files held: a restart binds at once */
    close_range(3, ~0U, 0);
    if (geteuid() == 0 && conf->user != (uid_t)-1) {
        if (setgid(conf->group) != 0 || setuid(conf->user) != 0)
            _exit(1);
    }
    prctl(PR_SET_NAME, "cache manager");
    for (cache_zone *z = ch->zones; z; z = z->next)
        hs_cache_load(z);
    for (int tick = 0; !manager_stop; tick++) {
        for (cache_zone *z = ch->zones; z && !manager_stop; z = z->next)
            hs_cache_manage(z);
        if (tick % 60 == 59) /* files whose keys the zone dropped come back */
            for (cache_zone *z = ch->zones; z && !manager_stop; z = z->next)
                hs_cache_load(z);
        sleep(1);
    }
    _exit(0);
}

/* ---- the master ---- */

static bool conf_uses(const void *cfg, const hs_shm_zone *shm)
{
    const hs_config *c = cfg;
    cache_http *ch = c && c->http ? hs_cache_http_of(c->http) : NULL;
    for (cache_zone *z = ch ? ch->zones : NULL; z; z = z->next)
        if (z->shm == shm)
            return true;
    return false;
}

/* The zone of the old configuration of the same name and size, kept. */
static hs_shm_zone *old_zone(hs_config *old, const cache_zone *z)
{
    cache_http *ch = old && old->http ? hs_cache_http_of(old->http) : NULL;
    for (cache_zone *o = ch ? ch->zones : NULL; o; o = o->next)
        if (o->shm && hs_str_eq(o->name, z->name) && o->size == z->size)
            return o->shm;
    return NULL;
}

/* The directory (and its parents), the workers' when they run as a user. */
static int make_dir(const hs_config *conf, const char *path, char *err, size_t errlen)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s", path);
    for (char *p = tmp + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(tmp, 0700) == 0 && geteuid() == 0 && conf->user != (uid_t)-1 && chown(tmp, conf->user, conf->group) != 0) {
            snprintf(err, errlen, "chown(\"%s\") failed (%d: %s)", tmp, errno, strerror(errno));
            return HS_ERROR;
        }
        *p = c;
        if (c == '\0')
            break;
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "cache directory \"%s\" cannot be made (%d: %s)", path, errno, strerror(errno));
        return HS_ERROR;
    }
    return HS_OK;
}

static int make_zone(hs_config *conf, hs_config *old, cache_zone *z, char *err, size_t errlen)
{
    if (make_dir(conf, z->path, err, errlen) != HS_OK)
        return HS_ERROR;
    if ((z->shm = old_zone(old, z)) != NULL)
        return HS_OK;
    char name[HS_SHM_NAME_MAX];
    snprintf(name, sizeof(name), "cache:%s", z->name.p);
    /* the entries are the keys' nodes, and the zone's totals under their own key */
    size_t val = sizeof(cache_node) > sizeof(cache_totals) ? sizeof(cache_node) : sizeof(cache_totals);
    z->shm = hs_shm_set_create(&made, "cache", name, (size_t)z->size, ZONE_KIND, val, err, errlen);
    return z->shm ? HS_OK : HS_ERROR;
}

static void start_manager(hs_config *conf, cache_http *ch)
{
    if (manager_pid > 0) {
        kill(manager_pid, SIGTERM); /* the previous configuration's */
        manager_pid = 0;
    }
    if (ch == NULL || ch->zones == NULL)
        return;
    pid_t pid = fork();
    if (pid == 0)
        manager_main(conf, ch);
    if (pid < 0)
        hs_log_errno(HS_LOG_ALERT, errno, "fork() of the cache manager failed");
    manager_pid = pid > 0 ? pid : 0;
}

int hs_cache_master_init(hs_config *conf, hs_config *old, char *err, size_t errlen)
{
    cache_http *ch = conf->http ? hs_cache_http_of(conf->http) : NULL;
    for (cache_zone *z = ch ? ch->zones : NULL; z; z = z->next)
        if (make_zone(conf, old, z, err, errlen) != HS_OK)
            return HS_ERROR;
    hs_shm_set_sweep(&made, conf_uses, conf, old);
    start_manager(conf, ch);
    /* nothing configured costs nothing: the machinery asks no cache */
    hs_up_cache_hooks = ch && ch->used ? &hs_cache_hooks : NULL;
    hs_cache_running = ch;
    hs_stats_more_fn = ch && ch->zones ? hs_cache_metrics : NULL;
    return HS_OK;
}

void hs_cache_worker_exited(pid_t pid)
{
    if (pid == manager_pid)
        manager_pid = 0;
}
