/* Format detection per line. */
#include "parser.h"

const char *const ls_fmt_names[LS_FMT_COUNT] = {"combined", "main", "custom", "json"};

int ls_parser_init(ls_parser *ps, const char *log_format, char *err, size_t errlen)
{
    memset(ps, 0, sizeof(*ps));
    if (ls_format_compile(&ps->combined, LS_FORMAT_COMBINED, err, errlen) != HS_OK ||
        ls_format_compile(&ps->xff_tail, " \"$http_x_forwarded_for\"", err, errlen) != HS_OK)
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
    if (rc < 0)
        ls_rec_clear(r);
    return rc;
}
