/* Built-in error responses, and HTTP/1.1 response heads in nginx's header
 * order. */
#include <stdio.h>

#include "core/clock.h"
#include "core/version.h"
#include "http/internal.h"

static bool status_has_body(int status) { return status >= 200 && status != 204 && status != 304; }

static char *put_status_line(char *p, int status, hs_str reason)
{
    if (status == 200 && reason.n == 0)
        return HS_PUT_LIT(p, "HTTP/1.1 200 OK\r\n");
    const char *text = reason.n ? NULL : hs_http_status_text(status);
    p = HS_PUT_LIT(p, "HTTP/1.1 ");
    p += hs_u64_to_str((uint64_t)(status > 0 && status < 1000 ? status : 500), p);
    *p++ = ' ';
    p = text ? hs_put(p, text, strlen(text)) : HS_PUT_STR(p, reason);
    return HS_PUT_LIT(p, "\r\n");
}

static char *put_field(char *p, const char *name, size_t nlen, hs_str value)
{
    p = hs_put(p, name, nlen);
    p = HS_PUT_LIT(p, ": ");
    p = HS_PUT_STR(p, value);
    return HS_PUT_LIT(p, "\r\n");
}
#define PUT_FIELD(p, lit, v) put_field((p), (lit), sizeof(lit) - 1, (v))

/* The fields nginx writes before its header list. */
static char *put_known(char *p, hs_req *r)
{
    hs_resp *rs = &r->resp;
    if (!(rs->passed & HS_PASSED_DATE))
        p = PUT_FIELD(p, "Date", ((hs_str){hs_now.http_date, hs_now.http_date_len}));
    if (rs->content_type.n)
        p = PUT_FIELD(p, "Content-Type", rs->content_type);
    if (rs->content_length >= 0 && rs->status != 304 && rs->status != 204) {
        p = HS_PUT_LIT(p, "Content-Length: ");
        p += hs_u64_to_str((uint64_t)rs->content_length, p);
        p = HS_PUT_LIT(p, "\r\n");
    }
    if (rs->last_modified >= 0 && (rs->status == 200 || rs->status == 206 || rs->status == 304)) {
        /* as nginx: an error page's file date says nothing about the error */
        p = HS_PUT_LIT(p, "Last-Modified: ");
        if (rs->last_modified_text.n)
            p = HS_PUT_STR(p, rs->last_modified_text);
        else
            p += hs_http_date(rs->last_modified, p);
        p = HS_PUT_LIT(p, "\r\n");
    }
    if (rs->location.n)
        p = PUT_FIELD(p, "Location", rs->location);
    if (rs->chunked)
        p = HS_PUT_LIT(p, "Transfer-Encoding: chunked\r\n");
    p = rs->status == 101 ? HS_PUT_LIT(p, "Connection: upgrade\r\n") /* a tunnel follows (the proxy's) */
      : rs->keepalive     ? HS_PUT_LIT(p, "Connection: keep-alive\r\n")
                          : HS_PUT_LIT(p, "Connection: close\r\n");
    /* nginx's list order: the challenge was added (access phase) before
     * the ETag of a page served for the 401 */
    if (rs->www_authenticate.n)
        p = PUT_FIELD(p, "WWW-Authenticate", rs->www_authenticate);
    if (rs->etag.n)
        p = PUT_FIELD(p, "ETag", rs->etag);
    return p;
}

int hs_h1_build_head(hs_req *r)
{
    hs_resp *rs = &r->resp;
    size_t cap = 512 + rs->reason.n + rs->content_type.n + rs->etag.n + rs->location.n + rs->www_authenticate.n +
                 rs->content_range.n;
    for (uint32_t i = 0; i < rs->headers.n; i++)
        cap += rs->headers.v[i].name.n + rs->headers.v[i].value.n + 4;
    char *head = hs_palloc(r->pool, cap), *p = head;
    if (head == NULL)
        return HS_ERROR;
    p = put_status_line(p, rs->status, rs->reason);
    if (!(rs->passed & HS_PASSED_SERVER))
        p = r->loc && !r->loc->server_tokens ? HS_PUT_LIT(p, "Server: hush\r\n")
                                             : HS_PUT_LIT(p, "Server: " HS_SERVER_TOKEN "\r\n");
    p = put_known(p, r);
    for (uint32_t i = 0; i < rs->headers.n; i++)
        p = put_field(p, rs->headers.v[i].name.p, rs->headers.v[i].name.n, rs->headers.v[i].value);
    if (rs->accept_ranges)
        p = HS_PUT_LIT(p, "Accept-Ranges: bytes\r\n");
    if (rs->content_range.n)
        p = PUT_FIELD(p, "Content-Range", rs->content_range);
    p = HS_PUT_LIT(p, "\r\n");
    rs->head = head;
    rs->head_len = (size_t)(p - head);
    return HS_OK;
}

void hs_http_error_response(hs_req *r, int status)
{
    hs_resp *rs = &r->resp;
    rs->status = status;
    rs->file_fd = -1;
    rs->last_modified = -1;
    rs->etag = rs->content_range = rs->reason = HS_NULL_STR;
    rs->headers.n = rs->passed = 0; /* nothing of a response a filter or upstream began */
    rs->accept_ranges = rs->streamed = rs->filtered = false;
    rs->out.len = rs->out.sent = 0;
    if (status_has_body(status) && status >= 300) {
        const char *token = (r->loc == NULL || r->loc->server_tokens) ? HS_SERVER_TOKEN : "hush";
        rs->body = hs_cstr(hs_http_error_page(r->pool, status, status == 400 ? r->error_reason : NULL, token));
        rs->content_type = HS_STR("text/html");
    } else {
        rs->body = HS_NULL_STR;
        rs->content_type = HS_NULL_STR;
    }
    rs->content_length = status_has_body(status) ? (int64_t)rs->body.n : -1;
    if (!status_has_body(status))
        rs->body = HS_NULL_STR;
}
