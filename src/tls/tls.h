/* TLS at the edge (nginx's ssl_* directives): the TLS module gives every
 * `listen ... ssl` address a transport (tls/io.c) whose handshake first
 * judges the ClientHello and then runs OpenSSL without blocking, and adds
 * the $ssl_* variables. */
#ifndef HS_TLS_TLS_H
#define HS_TLS_TLS_H

#include "conf/module.h"

extern hs_module hs_tls_module;

#endif
