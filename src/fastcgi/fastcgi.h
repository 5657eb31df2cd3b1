/* FastCGI (fastcgi_pass): a module whose content handler passes a
 * location's requests to FastCGI responders (PHP-FPM) through the upstream
 * machinery it shares with the HTTP proxy. Nothing outside src/fastcgi
 * needs more than this record. */
#ifndef HS_FASTCGI_FASTCGI_H
#define HS_FASTCGI_FASTCGI_H

#include "conf/module.h"

extern hs_module hs_fastcgi_module;

#endif
