#include "upgrade.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/errlog.h"
#include "handover.h"
#include "proctitle.h"

#define ENV_NAME "HUSH"

static pid_t new_master; /* while an upgrade is under way */

static void oldbin_path(const char *pid_path, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s.oldbin", pid_path);
}

/* In the forked child: the sockets stay open across exec and are named. */
static void exec_new_binary(const int *fds, size_t n)
{
    size_t cap = n * 12 + 1, used = 0;
    char *env = malloc(cap);
    if (env == NULL)
        _exit(1);
    env[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        fcntl(fds[i], F_SETFD, 0);
        used += (size_t)snprintf(env + used, cap - used, "%d;", fds[i]);
    }
    setenv(ENV_NAME, env, 1);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    char *const *argv = hs_proctitle_argv();
    execvp(argv[0], argv);
    hs_log_errno(HS_LOG_ALERT, errno, "execve() failed while executing new binary process \"%s\"", argv[0]);
    _exit(1);
}

pid_t hs_upgrade_start(const char *pid_path, const int *fds, size_t n)
{
    char old[PATH_MAX];
    oldbin_path(pid_path, old, sizeof(old));
    if (new_master > 0 || access(old, F_OK) == 0) {
        hs_log(HS_LOG_ALERT, "the changing binary signal is ignored: you should shutdown or terminate "
                             "before either old or new binary's process");
        return -1;
    }
    if (hs_proctitle_argv() == NULL)
        return -1;
    if (rename(pid_path, old) != 0) {
        hs_log_errno(HS_LOG_ALERT, errno, "rename() \"%s\" to \"%s\" failed before executing new binary",
                     pid_path, old);
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0)
        exec_new_binary(fds, n);
    if (pid < 0) {
        hs_log_errno(HS_LOG_ALERT, errno, "fork() failed while executing new binary");
        rename(old, pid_path);
        return -1;
    }
    hs_log(HS_LOG_NOTICE, "start new binary process %d", (int)pid);
    new_master = pid;
    return pid;
}

bool hs_upgrade_reaped(pid_t pid, const char *pid_path)
{
    if (pid != new_master || pid <= 0)
        return false;
    new_master = 0;
    char old[PATH_MAX];
    oldbin_path(pid_path, old, sizeof(old));
    if (rename(old, pid_path) != 0)
        hs_log_errno(HS_LOG_ALERT, errno, "rename() \"%s\" back to \"%s\" failed", old, pid_path);
    else
        hs_log(HS_LOG_NOTICE, "new binary process %d exited: \"%s\" is back", (int)pid, pid_path);
    return true;
}

bool hs_upgrade_handed_over(void) { return new_master > 0; }

void hs_upgrade_unlink_pid(const char *pid_path)
{
    char old[PATH_MAX];
    oldbin_path(pid_path, old, sizeof(old));
    /* after USR2 this master's pid is in .oldbin; the pid file is the new one's */
    if (new_master > 0)
        unlink(old);
    else
        unlink(pid_path);
}

static int inherited;

int hs_upgrade_inherited(void) { return inherited; }

static bool listening_socket(int fd)
{
    int type = 0, listening = 0;
    socklen_t len = sizeof(int), len2 = sizeof(int);
    return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM &&
           getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len2) == 0 && listening;
}

int hs_upgrade_inherit(void)
{
    const char *env = getenv(ENV_NAME);
    if (env == NULL)
        return 0;
    int total = 0;
    for (const char *p = env; *p;) {
        char *end;
        long fd = strtol(p, &end, 10);
        if (end == p || *end != ';' || fd < 3 || fd > INT_MAX || !listening_socket((int)fd)) {
            fprintf(stderr, "hush: [emerg] invalid socket number \"%s\" in " ENV_NAME " environment variable, "
                            "ignoring it\n", p);
            hs_handover_end(); /* closes those offered already */
            unsetenv(ENV_NAME);
            return -1;
        }
        int one = (int)fd;
        fcntl(one, F_SETFD, FD_CLOEXEC);
        hs_handover_offer(&one, 1);
        total++;
        p = end + 1;
    }
    unsetenv(ENV_NAME);
    inherited = total;
    return inherited;
}
