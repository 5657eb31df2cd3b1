/* What the files of the FastCGI module share: a level's fastcgi_*
 * settings, a request's FastCGI state, and the protocol record the
 * upstream machinery (proxy/upstream.h) drives. Private to src/fastcgi. */
#ifndef HS_FASTCGI_FCGI_INTERNAL_H
#define HS_FASTCGI_FCGI_INTERNAL_H

#include "conf/regex.h"
#include "conf/vars.h"
#include "fastcgi/fastcgi.h"
#include "fastcgi/fcgi_parse.h"
#include "http/http.h"
#include "proxy/upstream.h"

#define FCGI_REQUEST_ID 1

typedef struct {
    hs_str name;
    hs_cv value;
    bool if_not_empty;    /* not sent when the value is empty */
} fcgi_param;

typedef struct {
    hs_upstream_conf *up;       /* the shared settings and fastcgi_pass's target */
    fcgi_param *params;         /* fastcgi_param; NULL: inherited whole */
    size_t nparams;
    hs_str index;               /* fastcgi_index; .p NULL: not set */
    hs_regex *split;            /* fastcgi_split_path_info; NULL: none */
    bool split_set;
    int pass_request_headers;   /* fastcgi_pass_request_headers */
    bool pass;                  /* fastcgi_pass is here */
} fcgi_conf;

/* A request's FastCGI state, in its slot of the FastCGI module. */
typedef struct {
    hs_fcgi_dec dec;            /* the response's records */
    bool head_done;             /* the CGI head was parsed (for the log's "while ...") */
    char err[2048];             /* a stderr record being collected */
    size_t err_len;
} fcgi_state;

extern const hs_up_proto hs_fcgi_proto;
extern const hs_handler hs_fcgi_handler;
extern const hs_directive hs_fcgi_directives[];
extern const hs_var_def hs_fcgi_variables[];

static inline fcgi_conf *fcgi_conf_of(const hs_loc_conf *lc) { return HS_MOD_SLOT(lc->mod, &hs_fastcgi_module); }
static inline fcgi_state *FC(hs_req *r) { return hs_http_get_ctx(r, &hs_fastcgi_module); }

/* fcgi_conf.c */
void hs_fcgi_merge_loc(hs_cf *cf, hs_loc_conf *child, const hs_loc_conf *parent);
int hs_fcgi_http_finish(hs_cf *cf, hs_http_conf *http);

/* fcgi_request.c: the proto's request and body framing */
int hs_fcgi_request(hs_req *r, hs_up_req *q);
size_t hs_fcgi_body_prefix(hs_req *r, char *out, size_t n);
size_t hs_fcgi_body_suffix(hs_req *r, char *out);

/* fcgi_response.c: the proto's decoding */
int hs_fcgi_decode_in(hs_req *r, char *buf, size_t *n);
int hs_fcgi_head(hs_req *r, const char *buf, size_t len, hs_http_response *resp, hs_header *hdrs, size_t max);
size_t hs_fcgi_abort(hs_req *r, char *out);

/* fcgi_vars.c: $fastcgi_script_name and $fastcgi_path_info of r */
void hs_fcgi_split(hs_req *r, hs_str *script, hs_str *path_info);

#endif
