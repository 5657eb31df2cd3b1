/* Going to the background (daemon on) the way an init system wants it: the
 * command returns only once the master is up, with exit status 0, or 1
 * when it failed to start (its message already on the terminal). */
#ifndef HS_DAEMON_H
#define HS_DAEMON_H

/* Forks. The parent waits and exits; the child (the daemon, in its own
 * session) gets a descriptor to report readiness on, or -1 on failure. */
int hs_daemon_start(void);
/* The daemon is up: stdin/stdout (and stderr unless the error log is
 * there) go to /dev/null and the waiting parent exits 0. */
void hs_daemon_ready(int fd);

#endif
