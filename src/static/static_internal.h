/* Shared by the files of src/static: the module's settings of a level and
 * the steps of serving that more than one file uses. Private to src/static. */
#ifndef HS_STATIC_STATIC_INTERNAL_H
#define HS_STATIC_STATIC_INTERNAL_H

#include "static/file_cache.h"
#include "static/static.h"

/* The module's settings of one level (http, server, location, in the
 * level's slot: HS_MOD_SLOT(lc->mod, &hs_static_module)). A directive
 * creates them; after merging every level has them, complete. */
typedef struct {
    hs_cv *index;              /* index file names (with variables, as nginx); NULL = inherit */
    size_t nindex;
    hs_cv *try_files;          /* try_files items; NULL = none (not inherited) */
    size_t ntry_files;
    int etag;                  /* etag on/off */
    int if_modified_since;     /* 0 off, 1 exact, 2 before (nginx's values) */
    int log_not_found;         /* log "open() failed" for 404s */
    int open_file_cache;       /* hush's small-file cache: on/off */
    int autoindex;             /* list a directory that has no index file: on/off */
    int autoindex_format;      /* hs_autoindex_format */
    int autoindex_exact_size;  /* html: sizes in bytes (on) or rounded to K/M/G */
    int autoindex_localtime;   /* html: dates in local time (on) or UTC */
    int64_t cache_valid;       /* open_file_cache_valid, ms */
    int64_t cache_min_uses;    /* open_file_cache_min_uses */
    int cache_errors;          /* open_file_cache_errors */
    int64_t max_ranges;        /* max_ranges; -1: no limit, 0: ranges off */
    hs_file_cache_conf cache;  /* the three, as the cache takes them (merged) */
} hs_static_loc;

typedef enum { HS_AUTOINDEX_HTML, HS_AUTOINDEX_JSON, HS_AUTOINDEX_JSONP, HS_AUTOINDEX_XML } hs_autoindex_format;

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

/* ---- autoindex.c ---- */

/* Answers with the listing of the directory at dir_path (ends with '/'). */
void hs_static_autoindex(hs_req *r, hs_str dir_path);

/* ---- range.c ---- */

typedef struct {
    int64_t from, to; /* [from, to) */
} hs_static_range;
/* The Range field's ranges of a file of size bytes, at most 256: 1 (out[0..*n)),
 * 0 to send the whole file (not "bytes=", over max_ranges, adding up to more
 * than the file), -1 for a 416 (a syntax error, nothing satisfiable). */
int hs_static_parse_ranges(hs_str v, int64_t size, int64_t max_ranges, hs_static_range *out, size_t *n);
/* Several ranges as a multipart/byteranges body in r->resp (its
 * Content-Type and body): HS_OK, HS_DECLINED when too large to build (send
 * the whole file), HS_ERROR. */
int hs_static_multipart(hs_req *r, const hs_file_info *fi, const hs_static_range *rg, size_t n);

#endif
