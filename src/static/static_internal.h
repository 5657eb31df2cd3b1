/* Shared by the files of src/static: the module's settings of a level and
 * the steps of serving that more than one file uses. Private to src/static. */
#ifndef HS_STATIC_STATIC_INTERNAL_H
#define HS_STATIC_STATIC_INTERNAL_H

#include "static/static.h"

/* The module's settings of one level (http, server, location, in the
 * level's slot: HS_MOD_SLOT(lc->mod, &hs_static_module)). A directive
 * creates them; after merging every level has them, complete. */
typedef struct {
    hs_str *index;             /* index file names; NULL = inherit */
    size_t nindex;
    hs_cv *try_files;          /* try_files items; NULL = none (not inherited) */
    size_t ntry_files;
    int etag;                  /* etag on/off */
    int if_modified_since;     /* 0 off, 1 exact, 2 before (nginx's values) */
    int log_not_found;         /* log "open() failed" for 404s */
    int open_file_cache;       /* hush's small-file cache: on/off */
} hs_static_loc;

/* The settings of level lc (merged once the http block is finished). */
static inline hs_static_loc *hs_static_loc_of(const hs_loc_conf *lc)
{
    return HS_MOD_SLOT(lc->mod, &hs_static_module);
}

/* ---- static.c ---- */

/* root + uri, or alias + (uri without the location prefix), NUL-terminated:
 * HS_OK, or HS_ERROR (a variable failed, out of memory). */
int hs_static_map_path(hs_req *r, hs_str uri, hs_str *out);

/* ---- try_files.c ---- */

/* A directory URI: serves its first existing index file through an
 * internal redirect, else 403 (a directory) or 404. */
void hs_static_index(hs_req *r, hs_str dir_path);
/* try_files of the location: HS_DECLINED when an item exists ($uri is now
 * that item: serve it), HS_OK when the request was answered or redirected
 * (the last item). */
int hs_static_try_files(hs_req *r);

#endif
