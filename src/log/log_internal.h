/* What the files of the log module share (private to src/log). */
#ifndef HS_LOG_LOG_INTERNAL_H
#define HS_LOG_LOG_INTERNAL_H

#include "http/phase.h"
#include "core/syslog.h"
#include "log/format.h"
#include "log/log.h"
#include "log/writer.h"

/* An access_log or connection_log target. */
typedef struct {
    hs_log_file *file;      /* where lines go; NULL for a syslog target */
    hs_syslog *syslog;      /* syslog:server=... (one datagram per line, at once), or NULL */
    hs_log_format *format;  /* how they look */
    bool has_cond;          /* if=$var given */
    hs_var_ref cond;        /* skip the line when empty or "0" */
    bool has_cond_text;     /* if= with any other value: text with variables */
    hs_cv cond_text;        /* the same rule for it */
    hs_cv *path_cv;         /* access_log path with variables (varpath.c); file is NULL */
    const char *prefix;     /* ... and what a relative one is under */
    struct hs_log_fd_cache **fd_cache; /* the open_log_file_cache of its level, once merged */
} hs_log_target;

/* The log settings of the http block. */
typedef struct {
    hs_log_format **formats;  /* log_format definitions, combined first */
    size_t nformats;
    hs_log_target *dflt;      /* logs/access.log combined, for levels without access_log; or NULL */
    hs_log_target *conn_logs; /* connection_log targets */
    size_t nconn_logs;
} hs_log_http;

/* An error_log of an http, server or location level. */
typedef struct {
    hs_log_file *file;      /* a file (shared by path; "stderr" too), or NULL */
    hs_syslog *syslog;      /* or a syslog target */
    int level;              /* lines at this level or more severe */
} hs_errlog_dest;

/* The access_log settings of a level. */
typedef struct {
    hs_log_target **logs;     /* access_log targets; NULL: inherit (at the top: the default) */
    size_t nlogs;
    int off;                  /* access_log off; HS_UNSET: inherit */
    hs_log_http *http;        /* the block's settings (set by the merge) */
    hs_errlog_dest *errlogs;  /* error_log of the level; NULL: inherit (at the top: the main one) */
    size_t nerrlogs;
    struct hs_log_fd_cache *fd_cache; /* open_log_file_cache; NULL: off */
    bool fd_cache_set;        /* set at this level (else inherited) */
} hs_log_loc;

hs_log_http *hs_log_http_get(hs_cf *cf);
hs_log_loc *hs_log_loc_get(hs_cf *cf, hs_loc_conf *lc);
hs_log_format *hs_log_find_format(hs_log_http *lh, hs_str name);
/* Opens where a log directive writes: a file, "stderr" or "syslog:...". */
int hs_log_target_open(hs_cf *cf, const hs_conf_node *n, hs_str where, hs_log_target *t);
/* buffer=, flush= and if= of a log directive; HS_DECLINED: not one of them. */
int hs_log_target_option(hs_cf *cf, const hs_conf_node *n, hs_str opt, hs_log_target *t);
/* Writes one line for r, if the target's condition holds. */
void hs_log_target_write(hs_log_target *t, hs_req *r);

/* access.c */
extern const hs_directive hs_log_access_directives[];
int hs_log_access_init(hs_cf *cf, hs_log_http *lh);
void hs_log_access_merge(hs_cf *cf, hs_loc_conf *child, const hs_loc_conf *parent);
int hs_log_access_finish(hs_cf *cf, hs_http_conf *http, hs_log_http *lh);

/* errors.c: the context of error-log lines (hs_log_ctx), set up at load;
 * nginx's "client timed out" info line of a request that ended so (from
 * the log phase). */
void hs_log_errors_init(hs_cf *cf);
void hs_log_errors_timeout(hs_req *r);
extern const hs_directive hs_log_error_directives[]; /* error_log in http, server, location */

/* varpath.c: access_log paths with variables, open_log_file_cache */
struct hs_log_fd_cache;
void hs_log_varpath_write(hs_log_target *t, hs_req *r);
int hs_log_fd_cache_parse(hs_cf *cf, const hs_conf_node *n, struct hs_log_fd_cache **out);

/* connlog.c */
extern const hs_directive hs_log_conn_directives[];
int hs_log_conn_finish(hs_cf *cf, hs_http_conf *http, hs_log_http *lh);

#endif
