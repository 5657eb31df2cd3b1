#include "core/owner.h"

#include <errno.h>
#include <unistd.h>

#include "core/errlog.h"

static uid_t owner = (uid_t)-1;

void hs_owner_set(uid_t uid) { owner = uid; }
uid_t hs_owner_uid(void) { return owner; }

void hs_owner_give(int fd, const char *path)
{
    if (owner == (uid_t)-1 || geteuid() != 0)
        return;
    if (fchown(fd, owner, (gid_t)-1) != 0)
        hs_log_errno(HS_LOG_EMERG, errno, "chown(\"%s\", %d) failed", path, (int)owner);
}
