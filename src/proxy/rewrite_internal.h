/* proxy_redirect, proxy_cookie_domain and proxy_cookie_path: rules that
 * rewrite the upstream's Location and Refresh fields and the domain= and
 * path= attributes of its Set-Cookie fields. Private to src/proxy. */
#ifndef HS_PROXY_REWRITE_INTERNAL_H
#define HS_PROXY_REWRITE_INTERNAL_H

#include "conf/regex.h"
#include "conf/vars.h"

typedef struct {
    struct hs_regex *re;   /* ~ / ~*: a regex over the whole value; NULL: a prefix (or the domain) */
    hs_cv from, to;
    bool dflt;             /* proxy_redirect default: from the location's proxy_pass */
} px_rule;

typedef struct {
    px_rule *v;
    size_t n;
    int set;               /* HS_UNSET: inherited; 0: off; 1: these rules */
} px_rules;

extern const struct hs_directive hs_proxy_rewrite_directives[];
void hs_proxy_rewrite_init(px_rules *redirect, px_rules *domain, px_rules *path);

#endif
