/* The FastCGI module's records: the module, its handler (the upstream
 * machinery of src/proxy does the rest: pools, tries, timeouts, the
 * client's abort, the relay), and the protocol the machinery drives. */
#include "fastcgi/fcgi_internal.h"
#include "static/static.h"

static void fcgi_run(hs_req *r)
{
    const fcgi_conf *c = fcgi_conf_of(r->loc);
    if (c == NULL) {
        hs_http_finalize(r, 500);
        return;
    }
    if (hs_static_try_files_before(r))
        return; /* try_files $fastcgi_script_name =404 (Debian's snippet) */
    hs_upstream_run(r, c->up);
}

const hs_handler hs_fcgi_handler = {
    .name = "fastcgi",
    .run = fcgi_run,
    .reads_body = true,
};

/* nginx's defaults of fastcgi_hide_header (X-Accel-* are hidden by the machinery) */
static const hs_str fcgi_hidden[] = {HS_STR("Status")};

const hs_up_proto hs_fcgi_proto = {
    .scheme = "fastcgi",
    .metrics = 1,
    .request = hs_fcgi_request,
    .body_prefix = hs_fcgi_body_prefix,
    .body_suffix = hs_fcgi_body_suffix,
    .decode = hs_fcgi_decode_in,
    .head = hs_fcgi_head,
    .abort = hs_fcgi_abort,
    .hidden = fcgi_hidden,
    .nhidden = HS_ARRAY_LEN(fcgi_hidden),
    .eof_ends_body = false,
};

hs_module hs_fastcgi_module = {
    .name = "fastcgi",
    .directives = {hs_fcgi_directives},
    .variables = hs_fcgi_variables,
    .merge_loc = hs_fcgi_merge_loc,
    .http_finish = hs_fcgi_http_finish,
};
