#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/errlog.h"

int hs_daemon_start(void)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        fprintf(stderr, "hush: [emerg] pipe() failed (%d: %s)\n", errno, strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "hush: [emerg] fork() failed (%d: %s)\n", errno, strerror(errno));
        return -1;
    }
    if (pid > 0) {
        close(p[1]);
        char c;
        ssize_t n;
        while ((n = read(p[0], &c, 1)) < 0 && errno == EINTR)
            ;
        _exit(n == 1 ? 0 : 1); /* EOF: the daemon exited before it was ready */
    }
    close(p[0]);
    setsid();
    return p[1];
}

void hs_daemon_ready(int fd)
{
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        if (hs_errlog_fd() != STDERR_FILENO)
            dup2(null, STDERR_FILENO);
        if (null > 2)
            close(null);
    }
    if (fd >= 0) {
        (void)!write(fd, "", 1);
        close(fd);
    }
}
