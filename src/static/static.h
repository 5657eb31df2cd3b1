/* Serving files: the static module (nginx's static and index modules, and
 * try_files). Its handler answers the locations whose directives chose no
 * other handler; the HTTP core never names it. Nothing outside src/static
 * needs more than these two records, and the variant seam below. */
#ifndef HS_STATIC_STATIC_H
#define HS_STATIC_STATIC_H

#include "conf/module.h"
#include "http/phase.h"

extern hs_module hs_static_module;
extern const hs_handler hs_static_handler;

/* A precompressed variant of files (gzip_static): a module offers one from
 * its http_finish (NULL: none). For a file about to be served, wanted(r)
 * says whether to look for FILE + suffix; when that exists, found(r)
 * adjusts r->resp (Vary, Content-Encoding) and says whether to serve it in
 * the file's place (its own length, date and ETag; the file's type). */
typedef struct {
    const char *suffix;
    bool (*wanted)(hs_req *r);
    bool (*found)(hs_req *r);
} hs_static_variant;
void hs_static_set_variant(const hs_static_variant *v);

/* try_files of r's location, for a handler that answers after it (as
 * nginx's precontent phase: fastcgi_pass beside try_files): true when
 * try_files answered r or redirected it; false when there is none or an
 * item exists ($uri is now that item), and the handler goes on. */
bool hs_static_try_files_before(hs_req *r);

/* A 206 the static module made from a whole file or an in-memory body
 * becomes the whole entity again (its Content-Range says where the part
 * was): for a header filter that changes the body's length (gzip, a
 * charset recoded to or from UTF-8), as nginx decides ranges after them. */
void hs_static_whole_entity(hs_resp *rs);

/* A header filter replaced the response's validators (add_header ETag /
 * Last-Modified): an If-Range is judged again against them (etag: empty for
 * none; mtime: -1 for none), as nginx decides ranges after add_header. */
void hs_static_recheck_range(hs_req *r, hs_str etag, time_t mtime);

#endif
