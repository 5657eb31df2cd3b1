/* The user the workers run as (the `user` directive), for the files the
 * master (re)opens on their behalf: at a log reopen (USR1) the master, still
 * root, opens each log file and gives it to that user, so that the workers,
 * which reopen the same paths after it, may open them too (as nginx). */
#ifndef HS_CORE_OWNER_H
#define HS_CORE_OWNER_H

#include <sys/types.h>

/* (uid_t)-1: none (the workers keep the master's identity). */
void hs_owner_set(uid_t uid);
uid_t hs_owner_uid(void);
/* Gives the open file fd (named path, for the message) to that user, when
 * there is one and this process may (root); a failure is logged. */
void hs_owner_give(int fd, const char *path);

#endif
