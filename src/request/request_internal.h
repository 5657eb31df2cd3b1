/* What the files of src/request share: the settings of a level and the
 * hooks. Private to src/request. */
#ifndef HS_REQUEST_REQUEST_INTERNAL_H
#define HS_REQUEST_REQUEST_INTERNAL_H

#include "http/http.h"
#include "http/phase.h"
#include "request/request.h"

enum { KA_DISABLE_MSIE6 = 1, KA_DISABLE_SAFARI = 2 };
enum { IN_FILE_OFF = 0, IN_FILE_ON = 1, IN_FILE_CLEAN = 2 };

/* A temp_path: the directory and its levels ("1 2": 7/45/0000000457). */
typedef struct hs_temp_path {
    hs_str path;           /* absolute */
    int levels[3];         /* digits per level, 0 after the last */
    const char *file;      /* where it was written (NULL: the default) */
    int line;
    bool made;             /* created (or found) already */
    struct hs_temp_path *next; /* all of the http block */
} hs_temp_path;

/* The settings of a level (HS_MOD_SLOT(lc->mod, &hs_request_module)); the
 * server-level ones are read from the address's default server, as nginx
 * does for settings needed before the Host is known. */
typedef struct {
    int merge_slashes;           /* server */
    int ignore_invalid_headers;  /* server */
    int underscores_in_headers;  /* server */
    int64_t max_headers;         /* server: more header fields are a 400 */
    int keepalive_disable;       /* KA_DISABLE_* */
    int64_t keepalive_time;      /* ms */
    int64_t limit_rate;          /* bytes/s; 0: none */
    int64_t limit_rate_after;
    int64_t keepalive_header;    /* keepalive_timeout's second value: Keep-Alive: timeout=N (s); -1 none */
    uint32_t limit_except;       /* 1 << hs_method let through limit_except; 0: none */
    int64_t body_buffer_size;    /* client_body_buffer_size */
    int body_in_file_only;       /* IN_FILE_* */
    int body_in_single_buffer;
    hs_temp_path *body_temp;     /* client_body_temp_path */
} hs_reqconf;

static inline hs_reqconf *hs_reqconf_of(const hs_loc_conf *lc)
{
    return HS_MOD_SLOT(lc->mod, &hs_request_module);
}

/* ---- hooks.c ---- */
int hs_request_post_read(hs_req *r);
int hs_request_keepalive(hs_req *r);
int hs_request_keepalive_header(hs_req *r);
int hs_request_limit_rate(hs_req *r);
void hs_request_limit_rate_set(void *ctx, hs_str value);
int hs_request_limit_rate_var(void *ctx, uintptr_t d, hs_str *out, char *scratch);
int hs_request_limit_except(hs_req *r);

/* ---- body.c, temp.c ---- */
extern const hs_var_def hs_request_variables[];
int hs_request_body_var(void *ctx, uintptr_t d, hs_str *out, char *scratch);
/* Creates the directory of a temp_path (and its parents) if missing. */
int hs_temp_path_make(hs_temp_path *tp, char *err, size_t errlen);
/* Opens a new file under tp (levels created as needed), O_EXCL, 0600:
 * the fd, its name in *name (from pool), or -1 with errno set. */
int hs_temp_file_open(hs_temp_path *tp, hs_pool *pool, char **name);

#endif
