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

static void write_line(int level, const char *msg, size_t n)
{
    char line[4096];
    if (hs_now.errlog_len == 0)
        hs_clock_update();
    int head = snprintf(line, sizeof(line), "%s [%s] %d#0: ", hs_now.errlog, level_names[level],
                        (int)getpid());
    if (head < 0)
        return;
    size_t room = sizeof(line) - (size_t)head - 1;
    if (n > room)
        n = room;
    memcpy(line + head, msg, n);
    for (int i = 0; i < nsyslogs; i++)
        if (level <= syslog_levels[i])
            hs_syslog_send(syslogs[i], level, line, (size_t)head + n);
    if (level > file_level)
        return;
    line[(size_t)head + n] = '\n';
    ssize_t w = write(hs_errlog_fd(), line, (size_t)head + n + 1);
    (void)w; /* nowhere better to report a failed error-log write */
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

void hs_log_conn(int level, uint64_t conn, int err, const char *ctx, const char *fmt, va_list ap)
{
    char msg[2048], line[3800];
    if (level > log_level || vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
        return;
    const char *action = err ? strstr(msg, " while ") : NULL;
    int head = action ? (int)(action - msg) : (int)strlen(msg);
    int n = err ? snprintf(line, sizeof(line), "*%llu %.*s (%d: %s)%s%s", (unsigned long long)conn, head, msg, err,
                           strerror(err), action ? action : "", ctx)
                : snprintf(line, sizeof(line), "*%llu %s%s", (unsigned long long)conn, msg, ctx);
    if (n > 0)
        write_line(level, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
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
    int m = snprintf(msg + n, sizeof(msg) - (size_t)n, " (%d: %s)", err, strerror(err));
    if (m > 0)
        n += m;
    if ((size_t)n >= sizeof(msg))
        n = sizeof(msg) - 1;
    write_line(level, msg, (size_t)n);
}
