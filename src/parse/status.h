/* Reason phrases of HTTP statuses, as nginx sends them. */
#ifndef HS_PARSE_STATUS_H
#define HS_PARSE_STATUS_H

#include "core/str.h"

/* "Not Found" for 404; NULL for a status without one. */
const char *hs_http_status_text(int status);

#endif
