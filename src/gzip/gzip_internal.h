/* What the files of the gzip module share. */
#ifndef HS_GZIP_INTERNAL_H
#define HS_GZIP_INTERNAL_H

#include "conf/regex.h"
#include "gzip/gzip.h"
#include "http/phase.h"
#include "static/static.h"

/* gzip_proxied flags */
enum {
    GZ_PX_OFF = 1 << 0,
    GZ_PX_EXPIRED = 1 << 1,
    GZ_PX_NO_CACHE = 1 << 2,
    GZ_PX_NO_STORE = 1 << 3,
    GZ_PX_PRIVATE = 1 << 4,
    GZ_PX_NO_LM = 1 << 5,
    GZ_PX_NO_ETAG = 1 << 6,
    GZ_PX_AUTH = 1 << 7,
    GZ_PX_ANY = 1 << 8,
};

/* A level's settings; HS_UNSET / NULL: inherited. */
typedef struct {
    int enable;              /* gzip */
    hs_str *types;           /* gzip_types, lowercase ("*": any); text/html always */
    size_t ntypes;
    int64_t min_length;      /* gzip_min_length */
    int64_t level;           /* gzip_comp_level */
    int vary;                /* gzip_vary */
    int proxied;             /* gzip_proxied: GZ_PX_* */
    int http_version;        /* gzip_http_version: 10 or 11 */
    hs_regex **disable;      /* gzip_disable regexes */
    size_t ndisable;
    int disable_msie6;       /* gzip_disable msie6 */
    bool disable_set;
    int64_t buffers;         /* gzip_buffers (accepted) */
    int gstatic;             /* gzip_static: 0 off, 1 on, 2 always */
} gz_loc;

static inline gz_loc *gz_loc_of(const hs_loc_conf *lc) { return HS_MOD_SLOT(lc->mod, &hs_gzip_module); }

extern const hs_directive gz_directives[];
/* filter.c */
int gz_header_filter(hs_req *r);
int gz_body_filter(hs_req *r, unsigned next, const char *data, size_t n, bool last);
/* ok.c: may this request get a compressed response (Accept-Encoding, the
 * client, gzip_http_version, gzip_proxied, gzip_disable)? */
bool gz_request_ok(hs_req *r, const gz_loc *c);
/* static.c: gzip_static, as the static module's precompressed variant */
extern const hs_static_variant gz_variant;

#endif
