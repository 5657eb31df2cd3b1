#include "core/errlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/owner.h"

static const char *const level_names[] = {"emerg", "alert", "crit", "error",
                                          "warn",  "notice", "info", "debug"};

static int log_fd = -1;      /* -1: stderr */
static int file_level = HS_LOG_WARN; /* the file's (or stderr's) threshold */
static hs_syslog *syslogs[HS_ERRLOG_SYSLOGS];
static int syslog_levels[HS_ERRLOG_SYSLOGS];
static int nsyslogs;
static int log_level = HS_LOG_WARN; /* the most verbose of all targets; until the configuration
                                     * says, warnings show (-t) */
static char *log_path;       /* for reopen; NULL for stderr */

int hs_log_level_parse(const char *name)
{
    for (int i = 0; i < (int)(sizeof(level_names) / sizeof(level_names[0])); i++)
        if (strcmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

void hs_errlog_set(int fd, int level, const char *path)
{
    if (log_fd >= 0 && log_fd != fd)
        close(log_fd);
    log_fd = fd;
    file_level = log_level = level;
    for (int i = 0; i < nsyslogs; i++)
        log_level = syslog_levels[i] > log_level ? syslog_levels[i] : log_level;
    free(log_path);
    log_path = path ? strdup(path) : NULL;
}

void hs_errlog_set_syslog(hs_syslog *const *targets, const int *levels, int n)
{
    nsyslogs = n < HS_ERRLOG_SYSLOGS ? n : HS_ERRLOG_SYSLOGS;
    log_level = file_level;
    for (int i = 0; i < nsyslogs; i++) {
        syslogs[i] = targets[i];
        syslog_levels[i] = levels[i];
        log_level = levels[i] > log_level ? levels[i] : log_level;
    }
}

int hs_errlog_reopen(void)
{
    if (log_path == NULL)
        return 0;
    int fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    hs_owner_give(fd, log_path); /* the master's reopen: the workers reopen it next */
    if (log_fd >= 0)
        close(log_fd);
    log_fd = fd;
    return 0;
}

int hs_errlog_level(void) { return log_level; }
int hs_errlog_fd(void) { return log_fd < 0 ? STDERR_FILENO : log_fd; }

/* "2026/11/25 04:34:53 [error] 123#0: " + msg into line (HS_ERRLOG_LINE
 * bytes, room left for a newline); returns the length. */
static size_t format_line(char *line, int level, const char *msg, size_t n)
{
    if (hs_now.errlog_len == 0)
        hs_clock_update();
    int head = snprintf(line, HS_ERRLOG_LINE, "%s [%s] %d#0: ", hs_now.errlog, level_names[level], (int)getpid());
    if (head < 0)
        return 0;
    size_t room = HS_ERRLOG_LINE - (size_t)head - 1;
    memcpy(line + head, msg, n > room ? room : n);
    return (size_t)head + (n > room ? room : n);
}

static hs_errlog_lost_fn lost_fn;
static hs_log_limit lost_limit;
static uint64_t lost_lines; /* since the last alert */

void hs_errlog_on_lost(hs_errlog_lost_fn fn) { lost_fn = fn; }

/* A line the error log's file did not take (a full disk): counted (the
 * hook: hush_log_lines_lost_total{file}) and said at most once a second,
 * where it can still be read: stderr and the syslog targets. The next line
 * tries the file again: logging resumes by itself when space returns. */
static void file_lost(int err)
{
    lost_lines++;
    if (lost_fn)
        lost_fn(log_path, 1);
    if (lost_limit.last_msec && hs_now.mono_msec - lost_limit.last_msec < 1000) {
        lost_limit.suppressed++;
        return;
    }
    char msg[HS_ERRLOG_LINE], line[HS_ERRLOG_LINE];
    int n = snprintf(msg, sizeof(msg), "write() to \"%s\" failed (%d: %s), %llu error log lines lost", log_path, err,
                     strerror(err), (unsigned long long)lost_lines);
    if (n > 0 && lost_limit.suppressed && (size_t)n < sizeof(msg))
        n += snprintf(msg + n, sizeof(msg) - (size_t)n, ", %llu similar line%s suppressed",
                      (unsigned long long)lost_limit.suppressed, lost_limit.suppressed == 1 ? "" : "s");
    size_t len = format_line(line, HS_LOG_ALERT, msg, n < 0 ? 0 : (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
    for (int i = 0; i < nsyslogs; i++)
        hs_syslog_send(syslogs[i], HS_LOG_ALERT, line, len);
    line[len] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len + 1);
    (void)w; /* nowhere left to say it */
    lost_limit.last_msec = hs_now.mono_msec ? hs_now.mono_msec : 1;
    lost_limit.suppressed = 0;
    lost_lines = 0;
}

static void write_line(int level, const char *msg, size_t n)
{
    char line[HS_ERRLOG_LINE];
    size_t len = format_line(line, level, msg, n);
    for (int i = 0; i < nsyslogs; i++)
        if (level <= syslog_levels[i])
            hs_syslog_send(syslogs[i], level, line, len);
    if (level > file_level)
        return;
    line[len] = '\n';
    ssize_t w;
    while ((w = write(hs_errlog_fd(), line, len + 1)) < 0 && errno == EINTR)
        ;
    if (w != (ssize_t)(len + 1) && log_fd >= 0)
        file_lost(w < 0 ? errno : ENOSPC);
}

void hs_logv(int level, const char *fmt, va_list ap)
{
    if (level > log_level)
        return;
    char msg[3800];
    int n = vsnprintf(msg, sizeof(msg), fmt, ap);
    if (n < 0)
        return;
    write_line(level, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
}

/* "*conn MESSAGE (err: text) while ACTION" + ctx into out[cap]; the length. */
static size_t conn_message(char *out, size_t cap, uint64_t conn, int err, const char *ctx, const char *fmt,
                           va_list ap)
{
    char msg[2048];
    if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
        return 0;
    const char *action = err ? strstr(msg, " while ") : NULL;
    int head = action ? (int)(action - msg) : (int)strlen(msg);
    int n = err ? snprintf(out, cap, "*%llu %.*s (%d: %s)%s%s", (unsigned long long)conn, head, msg, err,
                           strerror(err), action ? action : "", ctx)
                : snprintf(out, cap, "*%llu %s%s", (unsigned long long)conn, msg, ctx);
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

void hs_log_conn(int level, uint64_t conn, int err, const char *ctx, const char *fmt, va_list ap)
{
    char line[3800];
    if (level > log_level)
        return;
    size_t n = conn_message(line, sizeof(line), conn, err, ctx, fmt, ap);
    if (n)
        write_line(level, line, n);
}

size_t hs_log_conn_line(char *line, int level, uint64_t conn, int err, const char *ctx, const char *fmt,
                        va_list ap)
{
    char msg[3800];
    size_t n = conn_message(msg, sizeof(msg), conn, err, ctx, fmt, ap);
    return n ? format_line(line, level, msg, n) : 0;
}

static hs_errlog_context_fn context_fn;

void hs_errlog_set_context(hs_errlog_context_fn fn) { context_fn = fn; }

void hs_log_ctx(int level, void *ctx, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (context_fn)
        context_fn(level, ctx, err, fmt, ap);
    else
        hs_log_conn(level & ~HS_LOG_NGINX_END, 0, err, "", fmt, ap);
    va_end(ap);
}

void hs_log(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    hs_logv(level, fmt, ap);
    va_end(ap);
}

void hs_log_errno(int level, int err, const char *fmt, ...)
{
    if (level > log_level)
        return;
    char msg[3800];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(msg))
        n = sizeof(msg) - 1;
    int m = err ? snprintf(msg + n, sizeof(msg) - (size_t)n, " (%d: %s)", err, strerror(err)) : 0; /* never "(0: Success)" */
    if (m > 0)
        n += m;
    if ((size_t)n >= sizeof(msg))
        n = sizeof(msg) - 1;
    write_line(level, msg, (size_t)n);
}

bool hs_log_limited(hs_log_limit *lim, int level, int err, const char *fmt, ...)
{
    if (level > log_level)
        return false;
    if (lim->last_msec && hs_now.mono_msec - lim->last_msec < 1000) {
        lim->suppressed++;
        return false;
    }
    char msg[3800];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n < 0)
        return false;
    size_t len = (size_t)n < 3000 ? (size_t)n : 3000;
    if (err)
        len += (size_t)snprintf(msg + len, sizeof(msg) - len, " (%d: %s)", err, strerror(err));
    if (lim->suppressed)
        len += (size_t)snprintf(msg + len, sizeof(msg) - len, ", %llu similar line%s suppressed",
                                (unsigned long long)lim->suppressed, lim->suppressed == 1 ? "" : "s");
    lim->last_msec = hs_now.mono_msec ? hs_now.mono_msec : 1;
    lim->suppressed = 0;
    write_line(level, msg, len);
    return true;
}
