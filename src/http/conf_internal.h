/* Pieces of the http configuration shared between its files. */
#ifndef HS_HTTP_CONF_INTERNAL_H
#define HS_HTTP_CONF_INTERNAL_H

#include "http/conf.h"

extern const hs_directive hs_http_block_directives[];
extern const hs_directive hs_http_listen_directives[];

/* The built-in extension -> type table (used when no types block is given). */
hs_hash *hs_http_default_types(hs_cf *cf);
/* Groups servers by listen address and builds their name lookups. */
int hs_http_build_listen_groups(hs_cf *cf, hs_http_conf *http);

#endif
