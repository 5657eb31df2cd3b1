/* What the files of the cache module share: the zones (proxy_cache_path),
 * a level's settings (proxy_cache ... or fastcgi_cache ...), the per-request
 * state, and the steps that call each other across files. Private to
 * src/cache. */
#ifndef HS_CACHE_CACHE_INTERNAL_H
#define HS_CACHE_CACHE_INTERNAL_H

#include "cache/cache.h"
#include "cache/cache_file.h"
#include "core/shm.h"
#include "http/http.h"
#include "http/phase.h"
#include "proxy/upstream.h"

#define CACHE_PROTOS 2      /* by hs_up_proto.metrics: 0 proxy_*, 1 fastcgi_* */
#define CACHE_MAX_VALID 16

/* A proxy_cache_path: its directory and the keys in shared memory. */
typedef struct cache_zone {
    hs_str name;
    char *path;               /* absolute, no trailing slash */
    int levels[3];            /* hex digits per directory level */
    int nlevels;
    int64_t size;             /* keys_zone size */
    int64_t max_size;         /* bytes on disk; 0 none */
    int64_t inactive;         /* seconds an unused entry is kept (10 minutes) */
    int64_t min_free;         /* unused: nginx's min_free is not supported */
    bool use_temp_path;
    hs_shm_zone *shm;
    const char *file;
    int line;
    struct cache_zone *next;
} cache_zone;

/* One key's record in the zone (the shm key is the md5 of the cache key). */
typedef struct {
    int64_t valid_until;      /* wall s: fresh until then; 0: no file known */
    int64_t last_used;        /* wall s (inactive) */
    int64_t size;             /* bytes of its file on disk; 0: none */
    int64_t updating_until;   /* wall ms: a request fills it until then (lock, updating) */
    uint32_t uses;            /* requests for it (min_uses) */
    uint8_t md5[16];
    bool vary;                /* stored with Vary: the request's values may want another entry */
    uint64_t gen;             /* which file this is: new for each node and each store (never reused) */
} cache_node;

/* The zone's own record (key "#zone"): its counters for the metrics. */
typedef struct {
    int64_t total_size;       /* the manager's sum of the nodes' sizes */
    uint64_t hits, misses, expired, stale, updating, bypass, revalidated;
    uint64_t bytes_hit;       /* body bytes served from the cache */
    uint64_t bytes_stored;    /* body bytes written to it */
    uint64_t evicted;         /* entries the manager removed */
    uint64_t gen;             /* the last cache_node.gen given */
} cache_totals;

typedef struct {
    int status;               /* 0: any */
    int64_t sec;
} cache_valid;

/* proxy_cache_use_stale conditions */
enum {
    STALE_ERROR = 1 << 0, STALE_TIMEOUT = 1 << 1, STALE_INVALID = 1 << 2, STALE_UPDATING = 1 << 3,
    STALE_500 = 1 << 4, STALE_502 = 1 << 5, STALE_503 = 1 << 6, STALE_504 = 1 << 7,
    STALE_403 = 1 << 8, STALE_404 = 1 << 9, STALE_429 = 1 << 10, STALE_OFF = 1 << 11,
};

/* A level's proxy_cache or fastcgi_cache settings (HS_UNSET: inherit). */
typedef struct {
    int on;                   /* proxy_cache ZONE (1) / off (0) */
    hs_str zone_name;
    cache_zone *zone;         /* after the http block */
    const char *file;         /* where proxy_cache was written, for errors */
    int line;
    hs_cv key;
    bool key_set;
    cache_valid *valid;       /* NULL: inherit */
    size_t nvalid;
    int methods;              /* HS_METHOD_* bits; HS_UNSET */
    int64_t min_uses;
    hs_cv *bypass, *no_cache;
    size_t nbypass, nno_cache;
    bool bypass_set, no_cache_set;
    int use_stale;            /* STALE_* mask; HS_UNSET */
    int lock;
    int64_t lock_timeout, lock_age; /* ms */
    int revalidate;
    int background_update;
    int ignore;               /* IGNORE_* (proxy_ignore_headers); HS_UNSET */
} cache_loc;

/* proxy_ignore_headers: the upstream's fields the cache does not obey */
enum {
    IGNORE_ACCEL_EXPIRES = 1 << 0, IGNORE_EXPIRES = 1 << 1, IGNORE_CACHE_CONTROL = 1 << 2,
    IGNORE_SET_COOKIE = 1 << 3, IGNORE_VARY = 1 << 4, IGNORE_OTHER = 1 << 5,
};

typedef struct {
    cache_loc *by_proto[CACHE_PROTOS];
} cache_conf;

typedef struct {
    cache_zone *zones;
    bool used;                /* some level caches */
} cache_http;

/* $upstream_cache_status */
typedef enum {
    CS_NONE, CS_MISS, CS_BYPASS, CS_EXPIRED, CS_STALE, CS_UPDATING, CS_REVALIDATED, CS_HIT,
} cache_status;

/* A request's cache state (the module's slot). */
typedef struct {
    cache_loc *cl;
    hs_upstream_conf *up;     /* for hs_upstream_run after a lock wait */
    cache_status status;
    hs_str key;               /* the evaluated cache key */
    uint8_t md5[16];          /* of key (or of key and the Vary values) */
    char hex[33];
    hs_str vary;              /* the stored entry's Vary names */
    uint8_t vary_hash[8];
    bool store;               /* no_cache did not forbid storing */
    bool filling;             /* this request took the entry's update (updating_until) */
    bool stale_ok;            /* a stale file is there to serve */
    bool node_vary;           /* the zone's entry says its response had Vary */
    hs_str validators;        /* proxy_cache_revalidate: "If-None-Match: ...\r\n..." of the expired entry */
    bool revalidated;         /* the upstream's 304 made the entry fresh again */
    bool counted;             /* its outcome is in the zone's totals */
    uint64_t gen;             /* the zone's entry's file generation when looked at */
    int64_t header_len;       /* of the file being filled */
    /* the fill */
    int fd;                   /* the temporary file; -1 none */
    char *tmp;
    int64_t written;
    int64_t valid_until;
    bool failed;              /* a write failed: the entry is dropped */
    /* proxy_cache_lock */
    hs_timer wait;
    uint64_t wait_until;      /* mono ms */
    hs_req *r;
} cache_req;

extern const hs_directive hs_cache_directives[];
void hs_cache_merge_loc(hs_cf *cf, hs_loc_conf *child, const hs_loc_conf *parent);
int hs_cache_http_finish(hs_cf *cf, hs_http_conf *http);
cache_http *hs_cache_http_of(hs_http_conf *http);
static inline cache_conf *cache_conf_of(const hs_loc_conf *lc) { return HS_MOD_SLOT(lc->mod, &hs_cache_module); }
static inline cache_req *CR(hs_req *r) { return hs_http_get_ctx(r, &hs_cache_module); }

/* ---- cache_zone.c: zones, nodes, paths ---- */
int hs_cache_master_init(hs_config *conf, hs_config *old, char *err, size_t errlen);
void hs_cache_worker_exited(pid_t pid);
/* The file of md5 (hex) in z: path/l1/l2/hex into out (PATH_MAX). */
void hs_cache_file_path(const cache_zone *z, const char *hex, char *out, size_t cap);
void hs_cache_md5(hs_str data, uint8_t out[16]);
void hs_cache_hex(const uint8_t md5[16], char out[33]);
/* With the lock held: the zone's totals. */
cache_totals *hs_cache_totals(cache_zone *z);
/* Loads the files under z's directory into its zone (the loader). */
void hs_cache_load(cache_zone *z);
/* One pass of the manager: inactive entries and max_size. */
void hs_cache_manage(cache_zone *z);

/* ---- cache_mem.c: small entries' files in the worker's memory ---- */
#define CACHE_MEM_MAX 16384   /* files up to this size are kept */
/* The bytes of the file of md5 in z at generation gen, or NULL. */
const char *hs_cache_mem_get(const cache_zone *z, const uint8_t md5[16], uint64_t gen, size_t *len);
void hs_cache_mem_put(const cache_zone *z, const uint8_t md5[16], uint64_t gen, const char *data, size_t len);
/* A new generation for a node of z (lock held). */
uint64_t hs_cache_next_gen(cache_zone *z);

/* ---- cache_lookup.c ---- */
int hs_cache_lookup(hs_req *r, hs_upstream_conf *up, const hs_up_proto *proto);
bool hs_cache_stale(hs_req *r, hs_ending why, int status);
hs_str hs_cache_fields(hs_req *r);
int hs_cache_log(hs_req *r);
void hs_cache_serve_stale(hs_req *r);

/* ---- cache_store.c ---- */
bool hs_cache_head(hs_req *r, const hs_http_response *resp);
void hs_cache_body(hs_req *r, const char *data, size_t n);
void hs_cache_end(hs_req *r, bool complete, bool client_gone);
/* How long a response may be kept by its own fields (X-Accel-Expires,
 * Cache-Control, Expires): seconds, 0 not at all, -1 they do not say;
 * *forbidden for Set-Cookie or Vary: *. */
int64_t hs_cache_valid_for(const cache_loc *cl, int status);
/* The Vary values of the request for names ("Accept-Encoding, Accept"), hashed. */
void hs_cache_vary_hash(hs_req *r, hs_str names, uint8_t out[8]);

/* The zones of the running configuration (master_init), for the metrics. */
extern cache_http *hs_cache_running;
/* The hooks the upstream machinery calls. */
extern const hs_up_cache hs_cache_hooks;
struct hs_expo_s;
void hs_cache_metrics(struct hs_expo_s *e);

#endif
