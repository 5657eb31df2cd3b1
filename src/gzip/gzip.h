/* gzip compression of responses (nginx's gzip module and the gzip settings
 * of its core: gzip_vary, gzip_proxied, gzip_http_version, gzip_disable):
 * a header filter that decides, a body filter that deflates with zlib.
 * Both are registered only when some level turns gzip on. */
#ifndef HS_GZIP_GZIP_H
#define HS_GZIP_GZIP_H

#include "conf/module.h"

extern hs_module hs_gzip_module;

#endif
