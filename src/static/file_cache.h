/* Opening files for the static handler, with hush's small-file cache: the
 * content of files up to HS_FILE_CACHE_MAX_SIZE bytes is kept in memory and
 * re-validated with stat() at most once per HS_FILE_CACHE_VALID_MS, so a hot
 * small file costs no system call at all. A cached file changed on disk is
 * seen within that time (as nginx's open_file_cache_valid, but 1 s). */
#ifndef HS_STATIC_FILE_CACHE_H
#define HS_STATIC_FILE_CACHE_H

#include <time.h>

#include "core/pool.h"

#define HS_FILE_CACHE_MAX_SIZE (32 * 1024)
#define HS_FILE_CACHE_VALID_MS 1000
#define HS_FILE_CACHE_INACTIVE_MS 60000 /* min_uses are counted within it */
#define HS_FILE_CACHE_ENTRIES 1024

typedef struct {
    int fd;           /* open file (closed by the caller's pool) or -1 */
    const char *data; /* whole content when cached; valid while the pool lives */
    int64_t size;
    time_t mtime;
    hs_str etag;      /* "\"mtime-size\"" in hex, as nginx */
    hs_str last_modified; /* HTTP date of mtime when cached, else empty */
    bool is_dir;      /* a directory: nothing opened */
} hs_file_info;

/* How a location uses the cache: open_file_cache_valid (how long an entry
 * is trusted without a stat()), open_file_cache_min_uses (uses within a
 * minute before a file is kept), open_file_cache_errors (a failed open is
 * remembered too). */
typedef struct {
    int64_t valid_ms;
    int64_t min_uses;
    bool errors;
} hs_file_cache_conf;

/* Opens path for reading, through the cache unless cc is NULL. Returns 0,
 * or an errno value. */
int hs_file_open(hs_pool *pool, const hs_file_cache_conf *cc, const char *path, hs_file_info *out);
/* Empties the cache (each configuration the master starts workers with). */
void hs_file_cache_clear(void);

#endif
