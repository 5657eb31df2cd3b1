/* The cache before the upstream: the request's key, its entry in the zone,
 * and the answers from the cache — a hit served like a static file (the
 * cache file's body by sendfile after the stored head), a stale entry when
 * the upstream fails or while another request updates it, and the wait of
 * proxy_cache_lock. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache/cache_internal.h"
#include "core/clock.h"

static void close_fd(void *data) { close((int)(intptr_t)data); }

/* An entry's file as read: its header, and its body when the first read
 * had all of it (a small response is answered from memory, in one write
 * with its head, as a small static file is); else fd stays open for
 * sendfile (closed with the request's pool). */
typedef struct {
    hs_cache_meta m;
    int fd;                   /* -1: closed, the body is in body */
    hs_str body;
} entry_read;

#define FIRST_READ 8192

/* Reads and checks the entry's file: HS_OK (e filled), else HS_DECLINED
 * (none, corrupt, cut short, another key). */
static int open_entry(hs_req *r, cache_req *cr, entry_read *e)
{
    size_t len;
    const char *mem = hs_cache_mem_get(cr->cl->zone, cr->md5, cr->gen, &len);
    if (mem) { /* a copy: the slot may change while the response is sent */
        char *copy = hs_palloc(r->pool, len);
        if (copy == NULL || hs_cache_header_parse(memcpy(copy, mem, len), len, (int64_t)len, &e->m) != HS_OK ||
            !hs_str_eq(e->m.key, cr->key))
            return HS_DECLINED;
        e->body = (hs_str){copy + e->m.header_len, (size_t)e->m.body_len};
        e->fd = -1;
        return HS_OK;
    }
    char path[4096];
    hs_cache_file_path(cr->cl->zone, cr->hex, path, sizeof(path));
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return HS_DECLINED;
    struct stat st;
    char *buf = hs_palloc(r->pool, FIRST_READ);
    ssize_t n = buf ? pread(fd, buf, FIRST_READ, 0) : -1;
    /* a short read of a regular file is all of it: no fstat for a small entry */
    int64_t size = n >= 0 && n < FIRST_READ ? n : fstat(fd, &st) == 0 ? st.st_size : -1;
    int rc = n < 0 || size < 0 ? HS_ERROR : hs_cache_header_parse(buf, (size_t)n, size, &e->m);
    if (rc == HS_AGAIN) {
        buf = hs_palloc(r->pool, e->m.header_len);
        n = buf ? pread(fd, buf, e->m.header_len, 0) : -1;
        rc = n < 0 ? HS_ERROR : hs_cache_header_parse(buf, (size_t)n, size, &e->m);
    }
    if (rc != HS_OK || !hs_str_eq(e->m.key, cr->key)) {
        close(fd);
        return HS_DECLINED; /* a corrupt or cut file, or an md5 collision: a miss */
    }
    if ((int64_t)n == size) {
        if (cr->gen && size <= CACHE_MEM_MAX)
            hs_cache_mem_put(cr->cl->zone, cr->md5, cr->gen, buf, (size_t)n);
        e->body = (hs_str){buf + e->m.header_len, (size_t)e->m.body_len};
        e->fd = -1;
        close(fd);
        return HS_OK;
    }
    if (hs_pool_cleanup_add(r->pool, close_fd, (void *)(intptr_t)fd) != HS_OK) {
        close(fd);
        return HS_DECLINED;
    }
    e->fd = fd;
    return HS_OK;
}

/* The stored response becomes r's, its body the file's. */
static int answer_from(hs_req *r, const entry_read *e)
{
    const hs_cache_meta *m = &e->m;
    hs_resp *rs = &r->resp;
    size_t pos = 0;
    hs_str name, value;
    if (!hs_cache_head_status(m->head, &pos, &rs->status, &rs->reason))
        return HS_ERROR;
    while (hs_cache_head_next(m->head, &pos, &name, &value)) {
        if (hs_str_caseeq(name, HS_STR("Content-Type")))
            rs->content_type = value;
        else if (hs_fields_add(r->pool, &rs->headers, name, value) != HS_OK)
            return HS_ERROR;
        if (hs_str_caseeq(name, HS_STR("Server")) || hs_str_caseeq(name, HS_STR("Date")))
            rs->passed |= name.p[0] == 'S' || name.p[0] == 's' ? HS_PASSED_SERVER : HS_PASSED_DATE;
    }
    rs->content_length = m->body_len;
    if (e->fd < 0) {
        rs->body = e->body;
        return HS_OK;
    }
    rs->file_fd = e->fd;
    rs->file_off = (off_t)m->header_len;
    rs->file_end = (off_t)(m->header_len + m->body_len);
    return HS_OK;
}

/* Counts the request's outcome s (CS_NONE: none) and the body bytes
 * answered from the cache, in the zone's totals. */
static void count(cache_req *cr, cache_status s, int64_t bytes)
{
    hs_shm_lock(cr->cl->zone->shm);
    cache_totals *t = hs_cache_totals(cr->cl->zone);
    if (t && s != CS_NONE) {
        uint64_t *c = s == CS_HIT ? &t->hits : s == CS_MISS ? &t->misses : s == CS_EXPIRED ? &t->expired
                    : s == CS_STALE ? &t->stale : s == CS_UPDATING ? &t->updating
                    : s == CS_REVALIDATED ? &t->revalidated : &t->bypass;
        (*c)++;
    }
    if (t)
        t->bytes_hit += (uint64_t)bytes;
    hs_shm_unlock(cr->cl->zone->shm);
}

/* HS_PHASE_LOG: the request's last $upstream_cache_status, counted once
 * (an EXPIRED may have become STALE or REVALIDATED on the way). */
int hs_cache_log(hs_req *r)
{
    cache_req *cr = r->bare ? NULL : CR(r);
    if (cr && cr->status != CS_NONE && !cr->counted) {
        cr->counted = true;
        count(cr, cr->status, 0);
    }
    return HS_OK;
}

/* Serves the entry's file to r; HS_DECLINED when it cannot be had. */
static int serve_file(hs_req *r, cache_req *cr, cache_status s)
{
    entry_read e;
    if (open_entry(r, cr, &e) != HS_OK || answer_from(r, &e) != HS_OK)
        return HS_DECLINED;
    cr->status = s;
    count(cr, CS_NONE, e.m.body_len);
    hs_http_send_response(r);
    return HS_OK;
}

static bool any_true(hs_req *r, const hs_cv *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        hs_str v;
        if (hs_cv_eval(&list[i], r, r->pool, &v) == HS_OK && v.n > 0 && !(v.n == 1 && v.p[0] == '0'))
            return true;
    }
    return false;
}

/* The request's state, its key and the key's md5. */
static cache_req *start(hs_req *r, cache_loc *cl)
{
    cache_req *cr = CR(r);
    if (cr)
        return cr; /* again after a lock wait */
    cr = hs_pcalloc(r->pool, sizeof(*cr));
    if (cr == NULL || hs_http_set_ctx(r, &hs_cache_module, cr) != HS_OK || hs_cv_eval(&cl->key, r, r->pool, &cr->key) != HS_OK)
        return NULL;
    cr->cl = cl;
    cr->r = r;
    cr->fd = -1;
    hs_cache_md5(cr->key, cr->md5);
    hs_cache_hex(cr->md5, cr->hex);
    return cr;
}

/* Vary: the request's values differ from the stored entry's: its own key. */
static bool to_variant(hs_req *r, cache_req *cr)
{
    entry_read e;
    if (open_entry(r, cr, &e) != HS_OK || e.m.vary.n == 0)
        return false;
    uint8_t h[8];
    hs_cache_vary_hash(r, e.m.vary, h);
    if (memcmp(h, e.m.vary_hash, 8) == 0)
        return false;
    size_t n = cr->key.n;
    char *k = hs_palloc(r->pool, n + 9);
    if (k == NULL)
        return false;
    memcpy(k, cr->key.p, n);
    k[n] = '\n';
    memcpy(k + n + 1, h, 8);
    hs_cache_md5((hs_str){k, n + 9}, cr->md5);
    hs_cache_hex(cr->md5, cr->hex);
    return true;
}

typedef enum { E_MISS, E_FRESH, E_EXPIRED, E_UPDATING, E_LOCKED, E_PROBE } entry_state;

/* The entry's state in the zone; counts the use (once) and may take the fill. */
static entry_state look(cache_req *cr, bool *enough_uses, bool again)
{
    cache_zone *z = cr->cl->zone;
    int64_t now = (int64_t)hs_now.sec, now_ms = (int64_t)hs_now.msec;
    hs_shm_lock(z->shm);
    int created = 0;
    cache_node *nd = hs_shm_get(z->shm, (hs_str){(const char *)cr->md5, 16}, 1, &created);
    if (nd == NULL) {
        hs_shm_unlock(z->shm);
        *enough_uses = false;
        return E_MISS;
    }
    if (created) {
        memcpy(nd->md5, cr->md5, 16);
        nd->gen = hs_cache_next_gen(z);
    }
    cr->gen = nd->gen;
    if (!cr->wait_until && !again)
        nd->uses++;
    nd->last_used = now;
    *enough_uses = nd->uses >= (uint32_t)cr->cl->min_uses;
    cr->node_vary = nd->vary;
    if (created) {
        hs_shm_unlock(z->shm);
        return E_PROBE; /* the file may be there from before a restart, or the zone forgot it */
    }
    bool have = nd->size > 0;
    /* as nginx: an entry is fresh through its last second (expired once valid_until < now) */
    entry_state st = have && nd->valid_until >= now ? E_FRESH : have ? E_EXPIRED : E_MISS;
    bool busy = nd->updating_until > now_ms;
    if (st != E_FRESH && busy)
        st = st == E_EXPIRED && (cr->cl->use_stale & STALE_UPDATING) ? E_UPDATING : cr->cl->lock ? E_LOCKED : st;
    if ((st == E_MISS || st == E_EXPIRED) && *enough_uses && !busy) {
        nd->updating_until = now_ms + (cr->cl->lock ? cr->cl->lock_age : 5000);
        cr->filling = true;
    }
    hs_shm_unlock(z->shm);
    return st;
}

/* A node a fresh lookup found without a good file: it has none. */
static void forget_file(cache_req *cr)
{
    cache_zone *z = cr->cl->zone;
    hs_shm_lock(z->shm);
    cache_node *nd = hs_shm_get(z->shm, (hs_str){(const char *)cr->md5, 16}, 0, NULL);
    if (nd) {
        nd->size = 0;
        nd->valid_until = 0;
        nd->gen = hs_cache_next_gen(z);
    }
    hs_shm_unlock(z->shm);
}

/* A key the zone did not know: its file, if there is a good one, tells. */
static void probe(hs_req *r, cache_req *cr)
{
    entry_read e;
    if (open_entry(r, cr, &e) != HS_OK)
        return;
    cache_zone *z = cr->cl->zone;
    hs_shm_lock(z->shm);
    cache_node *nd = hs_shm_get(z->shm, (hs_str){(const char *)cr->md5, 16}, 1, NULL);
    if (nd && nd->size == 0) {
        nd->valid_until = e.m.valid_until;
        nd->size = (int64_t)e.m.header_len + e.m.body_len;
        nd->vary = e.m.vary.n > 0;
    }
    hs_shm_unlock(z->shm);
}

/* look, and when the zone did not know the key, look at the disk first. */
static entry_state look_and_probe(hs_req *r, cache_req *cr, bool *enough)
{
    entry_state st = look(cr, enough, false);
    if (st == E_PROBE) {
        probe(r, cr);
        st = look(cr, enough, true);
    }
    return st;
}

static void wait_done(hs_timer *t);
static void wait_event(hs_req *r, uint32_t events);
static void wait_abandon(hs_req *r);

static const hs_handler wait_handler = {
    .name = "proxy_cache_lock",
    .on_client_event = wait_event,
    .on_abandon = wait_abandon,
};

/* proxy_cache_lock: another request fills the entry; look again soon. */
static int wait_for_fill(hs_req *r, cache_req *cr)
{
    if (cr->wait_until == 0)
        cr->wait_until = hs_now.mono_msec + (uint64_t)cr->cl->lock_timeout;
    if (hs_now.mono_msec >= cr->wait_until)
        return HS_DECLINED; /* waited enough: to the upstream, without storing */
    cr->wait.on_timer = wait_done;
    hs_http_own(r, &wait_handler);
    hs_timer_set(&cr->wait, 50);
    return HS_AGAIN;
}

static void wait_done(hs_timer *t)
{
    cache_req *cr = (cache_req *)((char *)t - offsetof(cache_req, wait));
    hs_req *r = cr->r;
    hs_http_release(r);
    hs_upstream_run(r, cr->up);
}

static void wait_event(hs_req *r, uint32_t events)
{
    if (!(events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
        return;
    hs_timer_cancel(&CR(r)->wait);
    hs_http_release(r);
    hs_http_end(r, HS_END_CLIENT_ABORT, 499);
}

static void wait_abandon(hs_req *r) { hs_timer_cancel(&CR(r)->wait); }

static void load_validators(hs_req *r, cache_req *cr);

int hs_cache_lookup(hs_req *r, hs_upstream_conf *up, const hs_up_proto *proto)
{
    cache_conf *cc = cache_conf_of(r->loc);
    cache_loc *cl = cc ? cc->by_proto[proto->metrics] : NULL;
    if (cl == NULL || !cl->on || cl->zone == NULL || !(cl->methods & (1 << r->h.method_id)))
        return HS_DECLINED;
    if (r->h.content_length > 0 || r->h.chunked)
        return HS_DECLINED; /* a request with a body (a POST) is not answered before its body is read */
    cache_req *cr = start(r, cl);
    if (cr == NULL)
        return HS_DECLINED;
    cr->up = up;
    cr->store = !any_true(r, cl->no_cache, cl->nno_cache) && r->h.method_id != HS_METHOD_HEAD;
    if (any_true(r, cl->bypass, cl->nbypass)) {
        cr->status = CS_BYPASS;
        cr->filling = cr->store; /* its answer replaces the entry (nginx's bypass) */
        return cr->store ? HS_OK : HS_DECLINED;
    }
    bool enough;
    entry_state st = look_and_probe(r, cr, &enough);
    if (cr->node_vary && st != E_MISS && st != E_LOCKED && to_variant(r, cr))
        st = look_and_probe(r, cr, &enough);
    if (st == E_LOCKED)
        return wait_for_fill(r, cr);
    if ((st == E_FRESH && serve_file(r, cr, CS_HIT) == HS_OK) ||
        (st == E_UPDATING && serve_file(r, cr, CS_UPDATING) == HS_OK)) {
        if (cr->filling)
            hs_cache_end(r, false, false);
        return HS_DONE;
    }
    if (st == E_FRESH || st == E_UPDATING) {
        forget_file(cr);
        st = E_MISS;
    }
    cr->stale_ok = st == E_EXPIRED;
    if (st == E_EXPIRED && cl->revalidate && cr->filling)
        load_validators(r, cr);
    cr->status = st == E_EXPIRED ? CS_EXPIRED : CS_MISS;
    cr->store = cr->store && enough && cr->filling;
    return cr->store ? HS_OK : HS_DECLINED;
}

/* ---- proxy_cache_revalidate ---- */

/* The expired entry's ETag and Last-Modified, as the request's conditions. */
static void load_validators(hs_req *r, cache_req *cr)
{
    entry_read e;
    if (open_entry(r, cr, &e) != HS_OK)
        return;
    size_t pos = 0;
    int status;
    hs_str reason, name, value, etag = {0}, lm = {0};
    if (!hs_cache_head_status(e.m.head, &pos, &status, &reason))
        return;
    while (hs_cache_head_next(e.m.head, &pos, &name, &value)) {
        if (hs_str_caseeq(name, HS_STR("ETag")))
            etag = value;
        else if (hs_str_caseeq(name, HS_STR("Last-Modified")))
            lm = value;
    }
    hs_str parts[] = {etag.n ? HS_STR("If-None-Match: ") : HS_NULL_STR, etag, etag.n ? HS_STR("\r\n") : HS_NULL_STR,
                      lm.n ? HS_STR("If-Modified-Since: ") : HS_NULL_STR, lm, lm.n ? HS_STR("\r\n") : HS_NULL_STR};
    if (etag.n || lm.n)
        cr->validators = hs_pjoin(r->pool, parts, HS_ARRAY_LEN(parts));
}

hs_str hs_cache_fields(hs_req *r)
{
    cache_req *cr = CR(r);
    return cr ? cr->validators : HS_NULL_STR;
}

/* The upstream's 304: the entry is fresh again for proxy_cache_valid of its
 * status (written into its file's header, and the zone's entry). */
static bool refresh(hs_req *r, cache_req *cr)
{
    entry_read e;
    size_t pos = 0;
    int status;
    hs_str reason;
    if (open_entry(r, cr, &e) != HS_OK || !hs_cache_head_status(e.m.head, &pos, &status, &reason))
        return false;
    int64_t valid = hs_cache_valid_for(cr->cl, status);
    char path[4096], fixed[HS_CACHE_FIXED];
    hs_cache_file_path(cr->cl->zone, cr->hex, path, sizeof(path));
    int fd = valid > 0 ? open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW) : -1;
    if (fd < 0)
        return false;
    int64_t until = (int64_t)hs_now.sec + valid;
    bool ok = pread(fd, fixed, sizeof(fixed), 0) == (ssize_t)sizeof(fixed);
    hs_cache_header_set_valid(fixed, until);
    ok = ok && pwrite(fd, fixed, sizeof(fixed), 0) == (ssize_t)sizeof(fixed);
    close(fd);
    cache_zone *z = cr->cl->zone;
    hs_shm_lock(z->shm);
    cache_node *nd = hs_shm_get(z->shm, (hs_str){(const char *)cr->md5, 16}, 0, NULL);
    if (nd && ok)
        nd->valid_until = until;
    if (nd)
        nd->updating_until = 0;
    hs_shm_unlock(z->shm);
    cr->filling = false;
    return ok;
}

/* ---- stale answers ---- */

bool hs_cache_stale(hs_req *r, hs_ending why, int status)
{
    cache_req *cr = CR(r);
    if (cr == NULL || !cr->stale_ok)
        return false;
    if (status == 304 && why == HS_END_NONE)
        return cr->validators.n && (cr->revalidated = refresh(r, cr));
    int use = cr->cl->use_stale;
    int want = why == HS_END_UPSTREAM_TIMEOUT ? STALE_TIMEOUT : why == HS_END_UPSTREAM_INVALID ? STALE_INVALID
             : why != HS_END_NONE ? STALE_ERROR : status == 500 ? STALE_500 : status == 502 ? STALE_502
             : status == 503 ? STALE_503 : status == 504 ? STALE_504 : status == 403 ? STALE_403
             : status == 404 ? STALE_404 : status == 429 ? STALE_429 : 0;
    return (use & want) != 0;
}

void hs_cache_serve_stale(hs_req *r)
{
    cache_req *cr = CR(r);
    if (cr->filling)
        hs_cache_end(r, false, false);
    r->ending = HS_END_NONE;
    if (serve_file(r, cr, cr->revalidated ? CS_REVALIDATED : CS_STALE) != HS_OK)
        hs_http_finalize(r, 502);
}
