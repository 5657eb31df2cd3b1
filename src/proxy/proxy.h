/* The reverse proxy (proxy_pass, upstream { }): a module whose content
 * handler passes a location's requests to upstream servers. Nothing outside
 * src/proxy needs more than these two records. */
#ifndef HS_PROXY_PROXY_H
#define HS_PROXY_PROXY_H

#include "conf/module.h"
#include "http/phase.h"

extern hs_module hs_proxy_module;
extern const hs_handler hs_proxy_handler;

#endif
