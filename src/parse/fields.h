/* A list of header fields built in a pool (a response's header list): kept
 * in the order fields were added, looked up by name without case. */
#ifndef HS_PARSE_FIELDS_H
#define HS_PARSE_FIELDS_H

#include "core/pool.h"
#include "parse/request.h"

typedef struct {
    hs_header *v;
    uint32_t n, cap;
} hs_fields;

/* Room for n more fields; HS_OK or HS_ERROR. */
int hs_fields_reserve(hs_pool *pool, hs_fields *f, uint32_t n);
/* Appends a field; name and value must live as long as the list. */
int hs_fields_add(hs_pool *pool, hs_fields *f, hs_str name, hs_str value);
/* The first field named name, or NULL. */
hs_header *hs_fields_find(hs_fields *f, hs_str name);
/* Removes every field named name. */
void hs_fields_del(hs_fields *f, hs_str name);
/* Is field the one a variable suffix names ($http_x_real_ip: "x_real_ip",
 * without case, the field's '-' read as '_': X-Real-IP or x_real_ip)? */
bool hs_field_is(hs_str field, hs_str suffix);
/* The value of $http_NAME / $sent_http_NAME over n fields: the one field's
 * value, or every one's joined as nginx (1.23) joins them: "; " for Cookie,
 * else ", ". HS_DECLINED when none is there (or out of memory). */
int hs_fields_var(hs_pool *pool, const hs_header *h, size_t n, hs_str suffix, hs_str *out);
/* $cookie_NAME over a request's Cookie fields ("a=1; b=2"), or, with
 * set_cookie, $upstream_cookie_NAME over Set-Cookie fields (only the first
 * pair of each: "a=1; Path=/"). The name matches exactly, as nginx; the
 * first match's value. HS_OK or HS_DECLINED. */
int hs_cookie_var(const hs_header *h, size_t n, bool set_cookie, hs_str name, hs_str *out);

#endif
