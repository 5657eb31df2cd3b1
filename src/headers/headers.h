/* Response headers (nginx's headers and charset modules): add_header,
 * expires, charset, charset_types, source_charset, and $request_id. One
 * header filter, registered only when a level uses these directives.
 * Nothing outside src/headers needs more than the record. */
#ifndef HS_HEADERS_HEADERS_H
#define HS_HEADERS_HEADERS_H

#include "conf/module.h"

extern hs_module hs_headers_module;

#endif
