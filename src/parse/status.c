/* The reason phrases hush sends with each status, and its built-in error
 * pages (nginx's). */
#include "parse/status.h"

#include <stdio.h>

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

char *hs_http_error_page(hs_pool *pool, int status, const char *reason, const char *token)
{
    if (reason)
        return hs_psprintf(pool,
                           "<html>\r\n<head><title>400 %s</title></head>\r\n<body>\r\n"
                           "<center><h1>400 Bad Request</h1></center>\r\n<center>%s</center>\r\n"
                           "<hr><center>%s</center>\r\n</body>\r\n</html>\r\n",
                           reason, reason, token);
    /* nginx's 401 page says what is wanted; its 302 page says "Found"
     * under a "302 Moved Temporarily" status line */
    const char *text = status == 401 ? "Authorization Required" : status == 302 ? "Found" : hs_http_status_text(status);
    return hs_psprintf(pool,
                       "<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n"
                       "<center><h1>%d %s</h1></center>\r\n<hr><center>%s</center>\r\n"
                       "</body>\r\n</html>\r\n",
                       status, text ? text : "", status, text ? text : "", token);
}
