/* The configuration of the edge rules: what the directives compile into,
 * shared by the files of src/edge. Everything here is built at load time
 * and read-only afterwards; mutable state lives in shared zones. */
#ifndef HS_EDGE_EDGE_CONF_H
#define HS_EDGE_EDGE_CONF_H

#include <netinet/in.h>

#include "core/cidr.h"
#include "core/shm.h"
#include "edge/edge.h"
#include "http/phase.h"

/* What a drop does to the TCP connection (docs/design.md §2, drop_mode). */
typedef enum {
    HS_DROP_UNSET = -1,
    HS_DROP_CLOSE = 0, /* FIN, as nginx */
    HS_DROP_RESET,     /* RST: no TIME_WAIT on the server */
    HS_DROP_SILENT,    /* forget it without FIN/RST (TCP_REPAIR) */
    HS_DROP_TARPIT,    /* hold open and silent, then reset */
} hs_drop_mode;

/* ---- addresses ---- */

/* ---- zones ---- */

typedef enum { HS_ZONE_LIMIT_REQ = 1, HS_ZONE_LIMIT_CONN, HS_ZONE_BAN } hs_zone_kind;

/* A zone declared by limit_req_zone, limit_conn_zone or ban_zone. */
typedef struct hs_edge_zone {
    hs_str name;            /* zone=NAME */
    int kind;               /* hs_zone_kind */
    size_t size;            /* bytes */
    hs_cv key;              /* key expression */
    bool key_is_addr;       /* $binary_remote_addr / $remote_addr: computable at accept */
    uint64_t rate;          /* limit_req: requests per 1000 s (nginx's r/s * 1000) */
    int64_t threshold;      /* ban: endings within window */
    int64_t window_msec;    /* ban */
    int64_t duration_msec;  /* ban */
    const char *rule;       /* "limit_req:NAME" / "ban:NAME" for $drop_rule */
    const char *file;       /* where declared */
    int line;
    hs_shm_zone *shm;       /* set in the master (hs_edge_master_init) */
    hs_str sync_url;        /* sync=redis://...: shared with a fleet (src/sync); NULL: local */
    hs_str sync_prefix;     /* sync_prefix=: Redis key and channel prefix; NULL: default */
    int64_t sync_interval_msec; /* sync_interval= (limit_req): reconciliation period; 0: default */
    void *sync;             /* the sync module's state for the zone (its link) */
    struct hs_edge_zone *next;
} hs_edge_zone;

/* limit_req zone=NAME [burst=N] [nodelay | delay=N] */
typedef struct {
    hs_edge_zone *zone;
    uint64_t burst;         /* * 1000, as the excess is kept */
    uint64_t delay;         /* * 1000; excess up to it is not delayed */
} hs_limit_req;

/* limit_conn zone=NAME N */
typedef struct {
    hs_edge_zone *zone;
    uint32_t max;
} hs_limit_conn;

/* ban zone=NAME on=444,400,... */
typedef struct {
    hs_edge_zone *zone;
    uint16_t on[16];        /* statuses that count */
    size_t non;
} hs_ban_rule;

/* ---- per level ---- */

/* Edge settings of a server or location (or of the http block as the root
 * of inheritance). Lists are inherited whole when a level has none. */
struct hs_edge_loc {
    hs_cidr *access;          /* allow/deny in order; NULL = inherit */
    bool *access_allow;       /* parallel: allow (true) or deny */
    size_t naccess;
    hs_limit_req *limit_req;  /* NULL = inherit */
    size_t nlimit_req;
    hs_limit_conn *limit_conn;/* NULL = inherit */
    size_t nlimit_conn;
    hs_ban_rule *bans;        /* NULL = inherit */
    size_t nbans;
    int limit_req_status;     /* HS_UNSET, default 503 */
    int limit_conn_status;    /* HS_UNSET, default 503 */
    int limit_req_log_level;  /* refusals (delays one level lower); HS_UNSET, default error */
    int limit_conn_log_level; /* refusals; HS_UNSET, default error */
    int limit_req_dry_run;    /* on: count as usual, limit nothing; HS_UNSET, default off */
    int limit_conn_dry_run;
    int drop_mode;            /* hs_drop_mode */
    int64_t tarpit_msec;      /* for HS_DROP_TARPIT */
    struct hs_edge_http *http;/* the http block's edge settings */
    bool merged;              /* hs_edge_conf_finish did this level */
};

/* Edge settings of the http block. */
struct hs_edge_http {
    hs_edge_zone *zones;      /* every declared zone */
    hs_cidr *deny_addr;       /* accept-phase denies */
    size_t ndeny_addr;
    hs_edge_zone **accept_bans; /* ban zones checked at accept */
    size_t naccept_bans;
    int64_t tarpit_max;       /* HS_UNSET: default */
    struct hs_edge_loc *top;  /* the http level's settings (drop_mode of accept drops) */
    bool uses_limits;         /* some level has limit_req or limit_conn */
    bool uses_access;         /* some level has allow/deny */
    bool uses_bans;           /* some level counts toward a ban */
};

/* The edge settings of a level or of the http block (NULL: none). */
static inline struct hs_edge_loc *hs_edge_loc_of(const hs_loc_conf *lc)
{
    return HS_MOD_SLOT(lc->mod, &hs_edge_module);
}
static inline struct hs_edge_http *hs_edge_http_of(const hs_http_conf *http)
{
    return http ? HS_MOD_SLOT(http->mod, &hs_edge_module) : NULL;
}

/* $limit_req_status, $limit_conn_status (vars.c): what the limits did. */
typedef enum {
    HS_LIMIT_NONE = 0,         /* no limit of the kind applied: no value */
    HS_LIMIT_PASSED,
    HS_LIMIT_DELAYED,          /* limit_req only */
    HS_LIMIT_REJECTED,
    HS_LIMIT_DELAYED_DRY_RUN,  /* limit_req only */
    HS_LIMIT_REJECTED_DRY_RUN,
} hs_limit_status;

/* Per-request state, allocated from the request pool when a limit runs. */
#define HS_EDGE_MAX_HELD 8 /* limit_conn zones one request may hold */
typedef struct {
    hs_timer delay;         /* limit_req delay; first member (container_of) */
    hs_req *r;
    bool limits_done;       /* limits ran (they run once per request, as nginx) */
    uint8_t req_status;     /* hs_limit_status of limit_req */
    uint8_t conn_status;    /* hs_limit_status of limit_conn */
    struct {
        hs_edge_zone *zone;
        hs_str key;         /* copy in the request pool */
    } held[HS_EDGE_MAX_HELD]; /* limit_conn counts to give back */
    size_t nheld;
    const hs_edge_zone *delay_zone; /* the limit_req that delays most, for its log line */
    int64_t delay_excess;   /* its excess (thousandths) */
    struct hs_map_value *maps; /* the map values this request computed (map.c) */
} hs_edge_req;

/* The request's edge state, made on first use; NULL out of memory (edge.c). */
hs_edge_req *hs_edge_req_of(hs_req *r);

extern const hs_var_def hs_edge_variables[];

/* Registers the hooks the configuration needs (edge.c). */
int hs_edge_register(hs_cf *cf, hs_http_conf *http, struct hs_edge_http *eh);

/* The edge settings of a level, created on first use. */
struct hs_edge_loc *hs_edge_loc_get(hs_cf *cf, hs_loc_conf *lc);
struct hs_edge_http *hs_edge_http_get(hs_cf *cf);

/* ---- runtime pieces ---- */

/* nginx's leaky bucket, in ms and thousandths of a request. last and excess
 * are the key's state (is_new: first request of the key). Returns HS_OK
 * and the delay to apply in *delay_ms, or HS_DECLINED (over the burst). */
int hs_leaky_bucket(uint64_t *last, int64_t *excess, bool is_new, uint64_t now_ms, uint64_t rate,
                    uint64_t burst, uint64_t delay, uint64_t *delay_ms);
/* The excess (thousandths) a request at now_ms brings a key to. */
int64_t hs_leaky_excess(uint64_t last, int64_t excess, uint64_t now_ms, uint64_t rate);

#define HS_MAX_LIMIT_REQ 16 /* limit_req directives of one level */

/* limit.c: value sizes of the zones; accounting with the zone locked. */
size_t hs_limit_req_val_size(void);
size_t hs_limit_conn_val_size(void);
size_t hs_ban_val_size(void);
/* HS_OK (maybe with a delay) or HS_DECLINED (over the burst). Without
 * commit the key's state is only looked at, not changed. */
int hs_limit_req_account(hs_edge_zone *z, hs_str key, const hs_limit_req *lr, uint64_t now_ms,
                         uint64_t *delay_ms, int64_t *excess, bool commit);
/* HS_OK (counted; release it later) or HS_DECLINED (at the limit). */
int hs_limit_conn_acquire(hs_edge_zone *z, hs_str key, uint32_t max);
void hs_limit_conn_release(hs_edge_zone *z, hs_str key);

/* Seams for a module that shares zones with other instances (src/sync):
 * edge calls these (when set) and knows nothing of where the state goes.
 * ban_started: a ban began here (key: the address bytes; until: wall ms).
 * limit_counted: a request of a zone with sync_url was accounted here. */
extern void (*hs_edge_ban_started)(hs_edge_zone *z, hs_str key, uint64_t until_ms);
extern void (*hs_edge_limit_counted)(hs_edge_zone *z, hs_str key);
/* Seam for kdrop (the kernel's ban map): a ban started here or was applied
 * from elsewhere (until_ms: wall ms it ends), or was lifted (until_ms 0).
 * Called with the zone unlocked, in the process that changed it. */
extern void (*hs_edge_ban_changed)(hs_edge_zone *z, hs_str key, uint64_t until_ms);
/* A ban decided elsewhere: the key is banned until until_ms (wall) unless
 * already banned longer; 0 lifts the ban. origin says where it came from
 * (hush -s bans). Returns true when this started (or lifted) a ban here. */
bool hs_ban_apply(hs_edge_zone *z, hs_str key, uint64_t until_ms, const char *origin);
/* Requests other instances accepted for key: n more in the key's bucket. */
void hs_limit_req_add(hs_edge_zone *z, hs_str key, uint64_t n, uint64_t now_ms);

/* ban.c */
bool hs_ban_check(hs_edge_zone *z, const struct sockaddr *peer);
void hs_ban_count(hs_edge_zone *z, const struct sockaddr *peer);
/* The key of an address for address-keyed zones ($binary_remote_addr). */
hs_str hs_edge_addr_key(const struct sockaddr *sa, char *buf);
int hs_edge_print_bans(const char *pid_path);

/* map.c */
int hs_edge_map_block(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d);

#endif
