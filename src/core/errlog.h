/* The error log: nginx's line format ("2026/11/25 04:34:53 [error] 123#0: ...")
 * to a file or stderr, with a level threshold. */
#ifndef HS_CORE_ERRLOG_H
#define HS_CORE_ERRLOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/syslog.h"

enum {
    HS_LOG_EMERG,
    HS_LOG_ALERT,
    HS_LOG_CRIT,
    HS_LOG_ERR,
    HS_LOG_WARN,
    HS_LOG_NOTICE,
    HS_LOG_INFO,
    HS_LOG_DEBUG,
};

/* Level index for a name ("error", "warn", ...) or -1. */
int hs_log_level_parse(const char *name);
/* Where lines go from now on; fd -1 means stderr. The path is kept for reopen. */
void hs_errlog_set(int fd, int level, const char *path);
/* error_log syslog:... targets (at most HS_ERRLOG_SYSLOGS), each with its
 * level; they get the file's lines (with their time), as nginx sends them. */
#define HS_ERRLOG_SYSLOGS 4
void hs_errlog_set_syslog(hs_syslog *const *targets, const int *levels, int n);
/* Reopens the file at the kept path (USR1); old fd closed on success. */
int hs_errlog_reopen(void);
/* Called for each line the error log's file failed to take (disk full),
 * with its path: the log module counts them in metrics. */
typedef void (*hs_errlog_lost_fn)(const char *path, uint64_t lines);
void hs_errlog_on_lost(hs_errlog_lost_fn fn);
int hs_errlog_level(void);
int hs_errlog_fd(void);

void hs_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void hs_logv(int level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Same as hs_log with ": <strerror(err)>" appended, as nginx does "(2: No such file...)". */
void hs_log_errno(int level, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* nginx's line about a connection: "*conn MESSAGE[ (err: text)][ while
 * ACTION]CONTEXT": the errno goes before the message's " while ", as nginx
 * puts it (err 0: none); ctx (", client: ..." or "") ends the line. */
void hs_log_conn(int level, uint64_t conn, int err, const char *ctx, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));

/* The same whole line ("TIME [level] PID#0: *conn ..."), without newline,
 * into line[HS_ERRLOG_LINE], for a destination of its own (an error_log of
 * a location); returns its length. */
#define HS_ERRLOG_LINE 4096
size_t hs_log_conn_line(char *line, int level, uint64_t conn, int err, const char *ctx, const char *fmt,
                        va_list ap) __attribute__((format(printf, 6, 0)));
/* A line about a request (ctx: the hs_req, as variables' ctx): the log
 * module's context writer (hs_errlog_set_context) writes "*N message ...,
 * client: …, server: …" in nginx's shape; without one, the message alone. */
typedef void (*hs_errlog_context_fn)(int level, void *ctx, int err, const char *fmt, va_list ap);
void hs_errlog_set_context(hs_errlog_context_fn fn);
void hs_log_ctx(int level, void *ctx, int err, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Or'ed into hs_log_ctx's level: the line ends as nginx's, without hush's
 * request id (fail2ban's nginx-http-auth filter anchors at the end). */
#define HS_LOG_NGINX_END 0x100
/* One condition's alerts, at most one line a second: the lines in between
 * are counted and the next line says how many were suppressed. */
typedef struct {
    uint64_t last_msec;  /* monotonic ms of the last line written, 0 never */
    uint64_t suppressed; /* since then */
} hs_log_limit;

/* hs_log_errno (err 0: hs_log) through lim; returns true if a line was written. */
bool hs_log_limited(hs_log_limit *lim, int level, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define hs_log_enabled(level) ((level) <= hs_errlog_level())

#endif
