/* Serving files: the static module (nginx's static and index modules, and
 * try_files). Its handler answers the locations whose directives chose no
 * other handler; the HTTP core never names it. Nothing outside src/static
 * needs more than these two records. */
#ifndef HS_STATIC_STATIC_H
#define HS_STATIC_STATIC_H

#include "conf/module.h"
#include "http/phase.h"

extern hs_module hs_static_module;
extern const hs_handler hs_static_handler;

#endif
