/* HTTP/2 (RFC 9113) over TLS (ALPN h2) and plain TCP (h2c with prior
 * knowledge), beside the core's HTTP/1.1: libnghttp2 frames and HPACK,
 * hush owns the connection, the streams (each one a request through the
 * normal phases) and their endings, and drops HTTP/2's floods by rule. */
#ifndef HS_H2_H2_H
#define HS_H2_H2_H

#include "conf/module.h"

extern hs_module hs_h2_module;

#endif
