/* proxy_cache and fastcgi_cache: responses of the upstream machinery
 * (src/proxy) kept on disk, their keys in shared memory. */
#ifndef HS_CACHE_CACHE_H
#define HS_CACHE_CACHE_H

#include "conf/module.h"

extern hs_module hs_cache_module;

#endif
