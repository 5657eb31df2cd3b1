/* Real client addresses (nginx's realip module): set_real_ip_from,
 * real_ip_header (X-Real-IP, X-Forwarded-For with real_ip_recursive, any
 * header, proxy_protocol), $realip_remote_addr and $realip_remote_port; and
 * the PROXY protocol of `listen ... proxy_protocol`, read before anything
 * else on a connection, with its $proxy_protocol_* variables. */
#ifndef HS_REALIP_REALIP_H
#define HS_REALIP_REALIP_H

#include "conf/module.h"

extern hs_module hs_realip_module;

#endif
