/* The static handler's choice of what to serve before it serves a file:
 * the index files of a directory URI (nginx's index module) and the items
 * of try_files, both ending in an internal redirect or a status. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "core/errlog.h"
#include "static/static_internal.h"

/* Tries the index files of a directory URI: the first that exists is
 * served through an internal redirect, as nginx does; without one, the
 * directory is listed (autoindex on, GET and HEAD) or forbidden. */
void hs_static_index(hs_req *r, hs_str dir_path)
{
    const hs_static_loc *sl = hs_static_loc_of(r->loc);
    for (size_t i = 0; i < sl->nindex; i++) {
        hs_str name;
        if (hs_cv_eval(&sl->index[i], r, r->pool, &name) != HS_OK) {
            hs_http_finalize(r, 500);
            return;
        }
        if (name.n && name.p[0] == '/' && i == sl->nindex - 1) { /* the last may be a URI: no test, as nginx */
            hs_http_internal_redirect(r, name, r->args);
            return;
        }
        char *full = hs_psprintf(r->pool, "%.*s%.*s", (int)dir_path.n, dir_path.p, (int)name.n, name.p);
        struct stat st;
        if (name.n && full && stat(full, &st) == 0 && !S_ISDIR(st.st_mode)) {
            hs_str uri = hs_cstr(hs_psprintf(r->pool, "%.*s%.*s", (int)r->uri.n, r->uri.p, (int)name.n, name.p));
            hs_http_internal_redirect(r, uri, r->args);
            return;
        }
    }
    struct stat st;
    bool listing = r->h.method_id == HS_METHOD_GET || r->h.method_id == HS_METHOD_HEAD;
    if (listing && sl->autoindex) {
        hs_static_autoindex(r, dir_path); /* it answers 404 itself if there is no directory */
        return;
    }
    if (stat(dir_path.p, &st) == 0 && S_ISDIR(st.st_mode)) {
        hs_log_ctx(HS_LOG_ERR, r, 0, "directory index of \"%s\" is forbidden", dir_path.p);
        hs_http_finalize(r, 403);
        return;
    }
    if (sl->log_not_found && sl->nindex) /* no such directory: nginx names its first index file */
        hs_log_ctx(HS_LOG_ERR, r, ENOENT, "\"%s%.*s\" is not found", dir_path.p, (int)sl->index[0].raw.n,
                   sl->index[0].raw.p);
    hs_http_finalize(r, 404);
}

/* ---- try_files ---- */

static bool exists(hs_req *r, hs_str uri, bool want_dir)
{
    hs_str path;
    if (hs_static_map_path(r, uri, &path) != HS_OK)
        return false;
    if (want_dir && path.n > 1 && path.p[path.n - 1] == '/')
        ((char *)path.p)[--path.n] = '\0';
    struct stat st;
    if (stat(path.p, &st) != 0)
        return false;
    return want_dir ? S_ISDIR(st.st_mode) : !S_ISDIR(st.st_mode);
}

int hs_static_try_files(hs_req *r)
{
    const hs_static_loc *sl = hs_static_loc_of(r->loc);
    for (size_t i = 0; i + 1 < sl->ntry_files; i++) {
        hs_str item;
        if (hs_cv_eval(&sl->try_files[i], r, r->pool, &item) != HS_OK || item.n == 0)
            continue;
        /* as nginx: an item written with a trailing slash tests a directory */
        hs_str raw = sl->try_files[i].raw;
        bool dir = raw.n && raw.p[raw.n - 1] == '/';
        if (exists(r, item, dir)) {
            /* as nginx: a directory item goes on without its slash, so that
             * "/about" found by "$uri/" gets the directory's 301 to "/about/" */
            if (dir && item.n > 1)
                item.n--;
            r->uri = item;
            return HS_DECLINED; /* the static handler serves the new $uri */
        }
    }
    hs_str last;
    if (hs_cv_eval(&sl->try_files[sl->ntry_files - 1], r, r->pool, &last) != HS_OK) {
        hs_http_finalize(r, 500);
        return HS_OK;
    }
    if (last.n > 1 && last.p[0] == '=') {
        hs_http_finalize(r, atoi(last.p + 1));
        return HS_OK;
    }
    if (last.n && last.p[0] == '@') {
        hs_http_named_location(r, last);
        return HS_OK;
    }
    const char *q = memchr(last.p, '?', last.n);
    hs_str path = q ? (hs_str){last.p, (size_t)(q - last.p)} : last;
    hs_str args = q ? (hs_str){q + 1, last.n - path.n - 1} : r->args;
    hs_http_internal_redirect(r, path, args);
    return HS_OK;
}
