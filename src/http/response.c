/* Status texts, built-in error pages, and HTTP/1.1 response heads in
 * nginx's header order. */
#include <stdio.h>

#include "core/clock.h"
#include "core/version.h"
#include "http/internal.h"

typedef struct {
    int code;
    const char *text;
} status_text;

static const status_text statuses[] = {
    {100, "Continue"}, {101, "Switching Protocols"}, {200, "OK"}, {201, "Created"},
    {202, "Accepted"}, {204, "No Content"}, {206, "Partial Content"},
    {301, "Moved Permanently"}, {302, "Moved Temporarily"}, {303, "See Other"},
    {304, "Not Modified"}, {307, "Temporary Redirect"}, {308, "Permanent Redirect"},
    {400, "Bad Request"}, {401, "Unauthorized"}, {403, "Forbidden"}, {404, "Not Found"},
    {405, "Not Allowed"}, {406, "Not Acceptable"}, {408, "Request Time-out"}, {409, "Conflict"},
    {410, "Gone"}, {411, "Length Required"}, {412, "Precondition Failed"},
    {413, "Request Entity Too Large"}, {414, "Request-URI Too Large"},
    {415, "Unsupported Media Type"}, {416, "Requested Range Not Satisfiable"},
    {417, "Expectation Failed"}, {421, "Misdirected Request"}, {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"}, {500, "Internal Server Error"},
    {501, "Not Implemented"}, {502, "Bad Gateway"}, {503, "Service Temporarily Unavailable"},
    {504, "Gateway Time-out"}, {505, "HTTP Version Not Supported"}, {507, "Insufficient Storage"},
};

const char *hs_http_status_text(int status)
{
    for (size_t i = 0; i < HS_ARRAY_LEN(statuses); i++)
        if (statuses[i].code == status)
            return statuses[i].text;
    return NULL;
}

static bool status_has_body(int status) { return status >= 200 && status != 204 && status != 304; }

static char *put(char *p, const char *s, size_t n)
{
    if (n)
        memcpy(p, s, n);
    return p + n;
}
#define PUT_LIT(p, lit) put((p), (lit), sizeof(lit) - 1)
#define PUT_STR(p, s) put((p), (s).p, (s).n)

static char *put_status_line(char *p, int status)
{
    if (status == 200)
        return PUT_LIT(p, "HTTP/1.1 200 OK\r\n");
    const char *text = hs_http_status_text(status);
    p = PUT_LIT(p, "HTTP/1.1 ");
    p += hs_u64_to_str((uint64_t)(status > 0 && status < 1000 ? status : 500), p);
    *p++ = ' ';
    if (text)
        p = put(p, text, strlen(text));
    return PUT_LIT(p, "\r\n");
}

int hs_h1_build_head(hs_req *r)
{
    hs_resp *rs = &r->resp;
    size_t cap = 512 + rs->content_type.n + rs->etag.n + rs->location.n + rs->www_authenticate.n + rs->extra.n;
    char *head = hs_palloc(r->pool, cap), *p = head;
    if (head == NULL)
        return HS_ERROR;
    p = put_status_line(p, rs->status);
    if (r->loc == NULL || r->loc->server_tokens)
        p = PUT_LIT(p, "Server: " HS_SERVER_TOKEN "\r\n");
    else
        p = PUT_LIT(p, "Server: hush\r\n");
    p = PUT_LIT(p, "Date: ");
    p = put(p, hs_now.http_date, hs_now.http_date_len);
    p = PUT_LIT(p, "\r\n");
    if (rs->content_type.n) {
        p = PUT_LIT(p, "Content-Type: ");
        p = PUT_STR(p, rs->content_type);
        p = PUT_LIT(p, "\r\n");
    }
    if (rs->content_length >= 0 && rs->status != 304) {
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
    if (rs->location.n) {
        p = PUT_LIT(p, "Location: ");
        p = PUT_STR(p, rs->location);
        p = PUT_LIT(p, "\r\n");
    }
    p = rs->keepalive ? PUT_LIT(p, "Connection: keep-alive\r\n") : PUT_LIT(p, "Connection: close\r\n");
    if (rs->etag.n) {
        p = PUT_LIT(p, "ETag: ");
        p = PUT_STR(p, rs->etag);
        p = PUT_LIT(p, "\r\n");
    }
    if (rs->www_authenticate.n) {
        p = PUT_LIT(p, "WWW-Authenticate: ");
        p = PUT_STR(p, rs->www_authenticate);
        p = PUT_LIT(p, "\r\n");
    }
    p = PUT_STR(p, rs->extra);
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
    rs->etag = rs->extra = HS_NULL_STR;
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
