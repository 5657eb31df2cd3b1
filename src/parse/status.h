/* Reason phrases of HTTP statuses and the built-in error pages, as nginx
 * sends them. */
#ifndef HS_PARSE_STATUS_H
#define HS_PARSE_STATUS_H

#include "core/pool.h"

/* "Not Found" for 404; NULL for a status without one. */
const char *hs_http_status_text(int status);
/* nginx's built-in page for status (a 400 with a reason: nginx's 495-497
 * pages), naming the server as token; NULL when out of memory. */
char *hs_http_error_page(hs_pool *pool, int status, const char *reason, const char *token);

#endif
