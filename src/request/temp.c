/* Temporary files under a temp_path, named as nginx names them: ten digits,
 * in level directories taken from the end of the name ("1 2":
 * 7/45/0000000457). Directories are 0700, files 0600. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "request/request_internal.h"

int hs_temp_path_make(hs_temp_path *tp, char *err, size_t errlen)
{
    if (tp->made)
        return HS_OK;
    if (mkdir(tp->path.p, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "mkdir() \"%s\" failed (%d: %s)", tp->path.p, errno, strerror(errno));
        return HS_ERROR;
    }
    tp->made = true;
    return HS_OK;
}

/* The next number to try: distinct workers start far apart. */
static uint32_t next_number(void)
{
    static uint32_t n;
    if (n == 0)
        n = (uint32_t)getpid() * 7919u + (uint32_t)time(NULL) % 100000u;
    return n++ % 1000000000u + 1;
}

/* path/L1/L2/0000000457 of number n, into buf (size at least path + 32);
 * the level directories are made when mkdirs is set. */
static void file_name(const hs_temp_path *tp, uint32_t n, char *buf, bool mkdirs)
{
    char digits[16];
    snprintf(digits, sizeof(digits), "%010u", n);
    size_t len = (size_t)sprintf(buf, "%s", tp->path.p), end = 10;
    for (int l = 0; l < 3 && tp->levels[l]; l++) {
        end -= (size_t)tp->levels[l];
        len += (size_t)sprintf(buf + len, "/%.*s", tp->levels[l], digits + end);
        if (mkdirs)
            mkdir(buf, 0700);
    }
    sprintf(buf + len, "/%s", digits);
}

int hs_temp_file_open(hs_temp_path *tp, hs_pool *pool, char **name)
{
    char err[256];
    *name = NULL;
    if (hs_temp_path_make(tp, err, sizeof(err)) != HS_OK)
        return -1;
    char *buf = hs_palloc(pool, tp->path.n + 32);
    if (buf == NULL)
        return -1;
    for (int tries = 0; tries < 64; tries++) {
        uint32_t n = next_number();
        file_name(tp, n, buf, false);
        int fd = open(buf, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
        if (fd < 0 && errno == ENOENT && tp->levels[0]) {
            file_name(tp, n, buf, true);
            fd = open(buf, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
        }
        if (fd >= 0 || errno != EEXIST) {
            *name = buf;
            return fd;
        }
    }
    *name = buf;
    return -1;
}
