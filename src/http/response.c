/* Status texts, built-in error pages, and HTTP/1.1 response heads in
 * nginx's header order. */
#include <stdio.h>

#include "core/clock.h"
#include "core/version.h"
#include "http/internal.h"

static bool status_has_body(int status) { return status >= 200 && status != 204 && status != 304; }

static char *put(char *p, const char *s, size_t n)
{
    if (n)
        memcpy(p, s, n);
    return p + n;
}
#define PUT_LIT(p, lit) put((p), (lit), sizeof(lit) - 1)
#define PUT_STR(p, s) put((p), (s).p, (s).n)

static char *put_status_line(char *p, int status, hs_str reason)
{
    if (status == 200)
        return PUT_LIT(p, "HTTP/1.1 200 OK\r\n");
    const char *text = hs_http_status_text(status);
    p = PUT_LIT(p, "HTTP/1.1 ");
    p += hs_u64_to_str((uint64_t)(status > 0 && status < 1000 ? status : 500), p);
    *p++ = ' ';
    p = text ? put(p, text, strlen(text)) : PUT_STR(p, reason);
    return PUT_LIT(p, "\r\n");
}

static char *put_field(char *p, const char *name, size_t nlen, hs_str value)
{
    p = put(p, name, nlen);
    p = PUT_LIT(p, ": ");
    p = PUT_STR(p, value);
    return PUT_LIT(p, "\r\n");
}
#define PUT_FIELD(p, lit, v) put_field((p), (lit), sizeof(lit) - 1, (v))

/* The fields nginx writes before its header list. */
static char *put_known(char *p, hs_req *r)
{
    hs_resp *rs = &r->resp;
    p = PUT_LIT(p, "Date: ");
    p = put(p, hs_now.http_date, hs_now.http_date_len);
    p = PUT_LIT(p, "\r\n");
    if (rs->content_type.n)
        p = PUT_FIELD(p, "Content-Type", rs->content_type);
    if (rs->content_length >= 0 && rs->status != 304 && rs->status != 204) {
        p = PUT_LIT(p, "Content-Length: ");
        p += hs_u64_to_str((uint64_t)rs->content_length, p);
        p = PUT_LIT(p, "\r\n");
    }
    if (rs->last_modified >= 0 && (rs->status == 200 || rs->status == 206 || rs->status == 304)) {
        /* as nginx: an error page's file date says nothing about the error */
        p = PUT_LIT(p, "Last-Modified: ");
        if (rs->last_modified_text.n)
            p = PUT_STR(p, rs->last_modified_text);
        else
            p += hs_http_date(rs->last_modified, p);
        p = PUT_LIT(p, "\r\n");
    }
    if (rs->location.n)
        p = PUT_FIELD(p, "Location", rs->location);
    if (rs->chunked)
        p = PUT_LIT(p, "Transfer-Encoding: chunked\r\n");
    p = rs->keepalive ? PUT_LIT(p, "Connection: keep-alive\r\n") : PUT_LIT(p, "Connection: close\r\n");
    if (rs->etag.n)
        p = PUT_FIELD(p, "ETag", rs->etag);
    if (rs->www_authenticate.n)
        p = PUT_FIELD(p, "WWW-Authenticate", rs->www_authenticate);
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
    if (r->loc == NULL || r->loc->server_tokens)
        p = PUT_LIT(p, "Server: " HS_SERVER_TOKEN "\r\n");
    else
        p = PUT_LIT(p, "Server: hush\r\n");
    p = put_known(p, r);
    for (uint32_t i = 0; i < rs->headers.n; i++)
        p = put_field(p, rs->headers.v[i].name.p, rs->headers.v[i].name.n, rs->headers.v[i].value);
    if (rs->accept_ranges)
        p = PUT_LIT(p, "Accept-Ranges: bytes\r\n");
    if (rs->content_range.n)
        p = PUT_FIELD(p, "Content-Range", rs->content_range);
    p = PUT_LIT(p, "\r\n");
    rs->head = head;
    rs->head_len = (size_t)(p - head);
    return HS_OK;
}

/* The built-in page: small, the same shape for every status. */
static hs_str error_body(hs_req *r, int status)
{
    /* nginx's page for a 401 says what is wanted */
    const char *text = status == 401 ? "Authorization Required" : hs_http_status_text(status);
    const char *token = (r->loc == NULL || r->loc->server_tokens) ? HS_SERVER_TOKEN : "hush";
    if (status == 400 && r->error_reason)
        return hs_cstr(hs_psprintf(r->pool,
                                   "<html>\r\n<head><title>400 %s</title></head>\r\n<body>\r\n"
                                   "<center><h1>400 Bad Request</h1></center>\r\n<center>%s</center>\r\n"
                                   "<hr><center>%s</center>\r\n</body>\r\n</html>\r\n",
                                   r->error_reason, r->error_reason, token));
    char *b = hs_psprintf(r->pool,
                          "<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n"
                          "<center><h1>%d %s</h1></center>\r\n<hr><center>%s</center>\r\n"
                          "</body>\r\n</html>\r\n",
                          status, text ? text : "", status, text ? text : "", token);
    return hs_cstr(b);
}

void hs_http_error_response(hs_req *r, int status)
{
    hs_resp *rs = &r->resp;
    rs->status = status;
    rs->file_fd = -1;
    rs->last_modified = -1;
    rs->etag = rs->content_range = HS_NULL_STR;
    rs->headers.n = 0;
    rs->accept_ranges = false;
    if (status_has_body(status) && status >= 300) {
        rs->body = error_body(r, status);
        rs->content_type = HS_STR("text/html");
    } else {
        rs->body = HS_NULL_STR;
        rs->content_type = HS_NULL_STR;
    }
    rs->content_length = status_has_body(status) ? (int64_t)rs->body.n : -1;
    if (!status_has_body(status))
        rs->body = HS_NULL_STR;
}
