/* Binary upgrade on the fly, as nginx's: USR2 starts the new binary (the
 * command line hush was started with) as a child of the running master,
 * with the listening sockets open and named in $HUSH ("fd;fd;...;"); the
 * pid file becomes PIDFILE.oldbin until the old master exits, or is taken
 * back if the new master exits first. */
#ifndef HS_UPGRADE_H
#define HS_UPGRADE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* USR2 in the master: starts the new binary with fds. Returns its pid, or
 * -1 (logged) when an upgrade is under way or it could not start. */
pid_t hs_upgrade_start(const char *pid_path, const int *fds, size_t n);
/* A reaped child: true when it was the new master (its pid file is
 * renamed back). */
bool hs_upgrade_reaped(pid_t pid, const char *pid_path);
/* A new binary runs with this master's sockets (after USR2). */
bool hs_upgrade_handed_over(void);
/* The pid file this master removes when it exits. */
void hs_upgrade_unlink_pid(const char *pid_path);
/* In main, first (before any file is opened): the listening sockets a
 * previous binary handed over in $HUSH are offered to the listeners (the
 * variable is removed). Returns how many; -1 if $HUSH is malformed (said on
 * stderr; then none is used). */
int hs_upgrade_inherit(void);
/* How many were inherited (a new master does not go to the background). */
int hs_upgrade_inherited(void);

#endif
