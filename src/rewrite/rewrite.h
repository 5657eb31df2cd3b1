/* The rewrite module: nginx's ngx_http_rewrite_module — rewrite, return,
 * set, if, break, rewrite_log, uninitialized_variable_warn — with the
 * `internal` locations and hush's drop_rule_name (the $drop_rule of a
 * level's `return 444`). */
#ifndef HS_REWRITE_REWRITE_H
#define HS_REWRITE_REWRITE_H

#include "conf/module.h"

extern hs_module hs_rewrite_module;

#endif
