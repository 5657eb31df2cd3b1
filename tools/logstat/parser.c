/* Format detection per line. */
#include "parser.h"

const char *const ls_fmt_names[LS_FMT_COUNT] = {"combined", "main", "custom", "json", "connection"};

/* hush's default connection_log format, after "$remote_addr:$remote_port "
 * (split by hand: an IPv6 address has colons). */
#define LS_FORMAT_CONN                                                                          \
    "[$time_local] $connection $connection_requests $connection_time $bytes_received $bytes_sent " \
    "$close_reason $drop_rule"

int ls_parser_init(ls_parser *ps, const char *log_format, char *err, size_t errlen)
{
    memset(ps, 0, sizeof(*ps));
    if (ls_format_compile(&ps->combined, LS_FORMAT_COMBINED, err, errlen) != HS_OK ||
        ls_format_compile(&ps->xff_tail, " \"$http_x_forwarded_for\"", err, errlen) != HS_OK ||
        ls_format_compile(&ps->conn, LS_FORMAT_CONN, err, errlen) != HS_OK)
        return HS_ERROR;
    if (log_format) {
        if (ls_format_compile(&ps->custom, log_format, err, errlen) != HS_OK)
            return HS_ERROR;
        ps->has_custom = true;
    }
    return HS_OK;
}

void ls_parser_free(ls_parser *ps)
{
    ls_format_free(&ps->combined);
    ls_format_free(&ps->xff_tail);
    ls_format_free(&ps->conn);
    if (ps->has_custom)
        ls_format_free(&ps->custom);
    ls_json_scratch_free(&ps->json);
}

/* Combined, then main's extra field if it follows.  Further trailing fields
 * (many sites append $request_time and the like) are tolerated. */
static int parse_combined(ls_parser *ps, hs_str line, ls_rec *r)
{
    size_t used, tail;
    if (ls_format_match(&ps->combined, line, r, &used) != HS_OK)
        return HS_DECLINED;
    hs_str rest = hs_str_from(line.p + used, line.n - used);
    if (rest.n >= 3 && rest.p[0] == ' ' && rest.p[1] == '"' &&
        ls_format_match(&ps->xff_tail, rest, r, &tail) == HS_OK)
        return LS_FMT_MAIN;
    return LS_FMT_COMBINED;
}

/* "addr:port [time] ...": the address is before the last colon of the
 * first field, the port (digits) after it. */
static int parse_conn(ls_parser *ps, hs_str line, ls_rec *r)
{
    const char *sp = memchr(line.p, ' ', line.n);
    if (!sp || sp == line.p)
        return HS_DECLINED;
    size_t colon = (size_t)(sp - line.p);
    while (colon && line.p[colon - 1] != ':')
        colon--;
    if (!colon)
        return HS_DECLINED;
    for (const char *d = line.p + colon; d < sp; d++)
        if (*d < '0' || *d > '9')
            return HS_DECLINED;
    size_t used;
    hs_str rest = hs_str_from(sp + 1, line.n - (size_t)(sp + 1 - line.p));
    if (ls_format_match(&ps->conn, rest, r, &used) != HS_OK || used != rest.n)
        return HS_DECLINED;
    ls_rec_set(r, LS_F_REMOTE_ADDR, hs_str_from(line.p, colon - 1));
    return LS_FMT_CONN;
}

int ls_parser_line(ls_parser *ps, hs_str line, ls_rec *r)
{
    size_t used;
    ls_rec_clear(r);
    if (line.n && line.p[0] == '{') {
        if (ls_json_parse(line, r, &ps->json) == HS_OK)
            return LS_FMT_JSON;
        ls_rec_clear(r);
    }
    if (ps->has_custom) {
        if (ls_format_match(&ps->custom, line, r, &used) == HS_OK)
            return LS_FMT_CUSTOM;
        ls_rec_clear(r);
    }
    int rc = parse_combined(ps, line, r);
    if (rc >= 0)
        return rc;
    ls_rec_clear(r);
    rc = parse_conn(ps, line, r);
    if (rc < 0)
        ls_rec_clear(r);
    return rc;
}
