/* Modules: everything a feature tells the rest of hush about itself, in one
 * record — its directives, its variables, its part of the configuration's
 * life (init, merge, finish), and its part of the processes' life (master
 * init, worker start and stop, log reopen). src/modules.c lists them; the
 * HTTP core never names a feature, it calls what the records hold.
 *
 * Phase hooks (accept, rewrite, access, log ...) and content handlers are
 * HTTP things: a module registers them from its http_finish hook with the
 * functions of http/phase.h. */
#ifndef HS_CONF_MODULE_H
#define HS_CONF_MODULE_H

#include <sys/types.h>

#include "conf/directive.h"
#include "conf/vars.h"
#include "core/errlog.h"

/* Per-level configuration slots and per-request state slots are arrays of
 * this many pointers, indexed by hs_module.index. */
#define HS_MAX_MODULES 32

struct hs_http_conf;
struct hs_loc_conf;

/* The whole configuration of one generation (what `hush -t` checks and a
 * reload replaces): the main-level settings and the http block. */
typedef struct hs_config {
    hs_pool *pool;             /* everything of this generation */
    const char *file;          /* main config file */
    const char *prefix;        /* -p */
    int worker_processes;      /* 0 = auto */
    int64_t worker_connections;
    int64_t worker_rlimit_nofile;
    int64_t worker_shutdown_timeout; /* ms; 0 = wait for requests to finish */
    int daemon;
    int master_process;
    hs_str pid_path;
    hs_str error_log_path;     /* "stderr" or a path */
    int error_log_level;
    hs_syslog *error_syslog[HS_ERRLOG_SYSLOGS]; /* error_log syslog:... targets */
    int error_syslog_level[HS_ERRLOG_SYSLOGS];
    int nerror_syslog;
    uid_t user;                /* workers' user (`user`, or nobody when root); -1: keep */
    gid_t group;               /* and group */
    const char *user_name;     /* for initgroups */
    bool keep_net_admin;       /* workers keep CAP_NET_ADMIN past `user` (drop_mode silent) */
    bool keep_bpf;             /* workers keep CAP_BPF past `user` (kernel bans, kernels before 6.5) */
    struct hs_http_conf *http; /* NULL without an http block */
} hs_config;

#define HS_MODULE_TABLES 4 /* directive tables one module may have */

typedef struct hs_module {
    const char *name;          /* "edge", "proxy" ... for messages */
    /* Directive tables (NULL-name-terminated), NULL after the last. */
    const hs_directive *directives[HS_MODULE_TABLES];
    const hs_var_def *variables; /* registered once at startup; NULL for none */

    /* ---- configuration (any hook may be NULL) ---- */
    /* The http block starts: defaults that its directives may refer to. */
    int (*http_init)(hs_cf *cf, struct hs_http_conf *http);
    /* Inheritance of this module's location settings (http -> server ->
     * location), called by the http core for every level, parents first.
     * For the http level itself, parent is an empty level (all slots NULL):
     * NULL means "the defaults". */
    void (*merge_loc)(hs_cf *cf, struct hs_loc_conf *child, const struct hs_loc_conf *parent);
    /* The http block was read and merged: check, compile, and register
     * phase hooks (a module whose directives a configuration does not use
     * registers nothing, so that it costs nothing). */
    int (*http_finish)(hs_cf *cf, struct hs_http_conf *http);

    /* ---- processes ---- */
    /* Master, before workers fork: after the first load (old NULL) and
     * after each successful reload (old: the generation being replaced). */
    int (*master_init)(hs_config *conf, hs_config *old, char *err, size_t errlen);
    /* Master: the listening sockets of conf's generation exist (bound or
     * taken over), before its workers fork; fds as hs_http_sockets_create. */
    void (*master_sockets)(hs_config *conf, const int *fds, size_t n);
    /* Master: a worker process was reaped. */
    void (*worker_exited)(pid_t pid);
    /* Worker: its event loop exists; before it accepts. */
    void (*worker_start)(const hs_config *conf);
    /* Worker: it is about to exit (flush what is buffered). */
    void (*worker_stop)(void);
    /* USR1, in the master and in every worker: reopen log files. */
    void (*reopen)(void);

    int index;                 /* slot in per-level and per-request arrays (set at startup) */
} hs_module;

/* The worker's slot, 0 to worker_processes - 1 (0 without a master), set
 * before worker_start: the modules that need one worker to act for the
 * whole instance pick worker 0. */
extern int hs_worker_index;

/* The module's slot in an array of HS_MAX_MODULES pointers. */
#define HS_MOD_SLOT(array, module) ((array)[(module)->index])

#endif
