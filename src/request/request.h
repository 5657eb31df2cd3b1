/* The request module: settings of nginx's HTTP core that act on a request
 * through phase hooks (header names, slashes, keep-alive per browser and
 * age, limit_except, the sizes nginx tunes its own tables with) and the
 * request body read whole — in memory up to client_body_buffer_size, the
 * rest in a temporary file — for handlers that need it before they start
 * (the proxy): body.h. */
#ifndef HS_REQUEST_REQUEST_H
#define HS_REQUEST_REQUEST_H

#include "conf/module.h"

extern hs_module hs_request_module;

#endif
