/* $fastcgi_script_name and $fastcgi_path_info: $uri split by the
 * location's fastcgi_split_path_info (its first capture the script, its
 * second the path info; the whole $uri when it does not match), with
 * fastcgi_index after a script name that ends with a slash. */
#include <string.h>

#include "fastcgi/fcgi_internal.h"

void hs_fcgi_split(hs_req *r, hs_str *script, hs_str *path_info)
{
    const fcgi_conf *c = r->loc ? fcgi_conf_of(r->loc) : NULL;
    hs_str uri = r->uri;
    *script = uri;
    *path_info = (hs_str){"", 0};
    if (c == NULL)
        return;
    if (c->split) {
        int ov[2 * HS_REGEX_MAX_CAPTURES];
        int m = hs_regex_match(c->split, uri, ov);
        if (m >= 2 && ov[2] >= 0) {
            *script = (hs_str){uri.p + ov[2], (size_t)(ov[3] - ov[2])};
            if (m >= 3 && ov[4] >= 0)
                *path_info = (hs_str){uri.p + ov[4], (size_t)(ov[5] - ov[4])};
        }
    }
    if (c->index.n && script->n && script->p[script->n - 1] == '/') {
        char *p = hs_palloc(r->pool, script->n + c->index.n);
        if (p == NULL)
            return;
        memcpy(p, script->p, script->n);
        memcpy(p + script->n, c->index.p, c->index.n);
        *script = (hs_str){p, script->n + c->index.n};
    }
}

static int v_split(void *ctx, uintptr_t which, hs_str *out, char *scratch)
{
    (void)scratch;
    hs_req *r = ctx;
    hs_str script, path_info;
    if (r->bare || !r->head_done)
        return HS_DECLINED;
    hs_fcgi_split(r, &script, &path_info);
    *out = which ? path_info : script;
    return HS_OK;
}

const hs_var_def hs_fcgi_variables[] = {
    {"fastcgi_script_name", v_split, 0, false, false},
    {"fastcgi_path_info", v_split, 1, false, false},
    {NULL, NULL, 0, false, false},
};
