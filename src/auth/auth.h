/* HTTP Basic authentication (nginx's auth_basic module): auth_basic,
 * auth_basic_user_file and an ACCESS hook that `satisfy` combines with the
 * other access rules. Nothing outside src/auth needs more than the record. */
#ifndef HS_AUTH_AUTH_H
#define HS_AUTH_AUTH_H

#include "conf/module.h"

extern hs_module hs_auth_module;

#endif
