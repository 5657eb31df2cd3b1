/* tools/logstat/format.c: compiling log_format strings and matching lines. */
#include "../../../tools/logstat/format.c"
#include "../../../tools/logstat/mem.c"
#include "../../../tools/logstat/record.c"
#include "../../../tools/logstat/timeparse.c"

#include "unit.h"

static const char line[] =
    "203.0.113.7 - bob [25/Nov/2026:10:00:05 +0100] \"GET /a/b?x=1 HTTP/1.1\" 444 0 "
    "\"https://r.test/\" \"sqlmap/1.7 (\\x22x\\x22)\"";

static int match(const ls_format *f, const char *s, ls_rec *r)
{
    size_t used;
    ls_rec_clear(r);
    return ls_format_match(f, hs_cstr(s), r, &used);
}

static void test_combined(void)
{
    ls_format f;
    char err[128];
    ls_rec r;
    CHECK_INT(ls_format_compile(&f, LS_FORMAT_COMBINED, err, sizeof(err)), HS_OK);
    CHECK_INT(match(&f, line, &r), HS_OK);
    CHECK_SLICE(r.remote_addr, "203.0.113.7");
    CHECK_SLICE(r.request, "GET /a/b?x=1 HTTP/1.1");
    CHECK_INT(r.status, 444);
    CHECK_SLICE(r.referer, "https://r.test/");
    CHECK_SLICE(r.user_agent, "sqlmap/1.7 (\\x22x\\x22)");
    CHECK_INT(r.time, 1795597205); /* 2026-11-25T09:00:05Z */
    CHECK_INT(r.tz_offset, 3600);
    CHECK_SLICE(ls_rec_location(&r), "/a/b");
    CHECK_INT(ls_rec_kind(&r), LS_K_DROP);
    CHECK(f.have & LS_HAVE(LS_F_USER_AGENT));
    CHECK(!(f.have & LS_HAVE(LS_F_REQUEST_TIME)));
    ls_format_free(&f);
}

/* Every proper prefix of a valid line is declined, never read past. */
static void test_prefixes_declined(void)
{
    ls_format f;
    char err[128];
    ls_rec r;
    size_t used;
    ls_format_compile(&f, LS_FORMAT_COMBINED, err, sizeof(err));
    size_t n = strlen(line);
    for (size_t i = 0; i < n; i++) {
        char *copy = malloc(i ? i : 1); /* exactly i bytes: ASan sees overreads */
        memcpy(copy, line, i);
        ls_rec_clear(&r);
        CHECK_INT(ls_format_match(&f, hs_str_from(copy, i), &r, &used), HS_DECLINED);
        free(copy);
    }
    ls_format_free(&f);
}

static void test_escaped_quote_and_list(void)
{
    ls_format f;
    char err[128];
    ls_rec r;
    CHECK_INT(ls_format_compile(&f, "\"$http_user_agent\" $upstream_response_time $status", err, sizeof(err)), HS_OK);
    CHECK_INT(match(&f, "\"a \\\" b\" 0.5, 0.25 : 1.0 499", &r), HS_OK);
    CHECK_SLICE(r.user_agent, "a \\\" b");
    CHECK(r.upstream_time > 1.749 && r.upstream_time < 1.751);
    CHECK_INT(r.status, 499);
    CHECK_INT(match(&f, "\"a\" - 200", &r), HS_OK);
    CHECK(r.upstream_time < 0);
    CHECK_INT(match(&f, "\"a\" - 2x0", &r), HS_DECLINED);
    ls_format_free(&f);
}

static void test_config_quoting_and_unknown(void)
{
    ls_format f;
    char err[128];
    ls_rec r;
    CHECK_INT(ls_format_compile(&f, "escape=json '{\"s\":$status,' '\"x\":\"${pipe}\",\"h\":\"$host\"}'", err,
                                sizeof(err)),
              HS_OK);
    CHECK_INT(match(&f, "{\"s\":200,\"x\":\"p\",\"h\":\"a.test\"}", &r), HS_OK);
    CHECK_INT(r.status, 200);
    CHECK_SLICE(r.host, "a.test");
    ls_format_free(&f);
    CHECK_INT(ls_format_compile(&f, "'unclosed", err, sizeof(err)), HS_ERROR);
    CHECK_INT(ls_format_compile(&f, "${open", err, sizeof(err)), HS_ERROR);
    CHECK_INT(ls_format_compile(&f, "", err, sizeof(err)), HS_ERROR);
    /* a bare format may start with a double quote */
    CHECK_INT(ls_format_compile(&f, "\"$request\" $status", err, sizeof(err)), HS_OK);
    CHECK_INT(match(&f, "\"GET / HTTP/1.1\" 404", &r), HS_OK);
    CHECK_INT(r.status, 404);
    ls_format_free(&f);
}

static void test_adjacent_variables(void)
{
    ls_format f;
    char err[128];
    ls_rec r;
    CHECK_INT(ls_format_compile(&f, "$status$remote_addr", err, sizeof(err)), HS_OK);
    CHECK_INT(match(&f, "200 1.2.3.4", &r), HS_OK);
    CHECK_INT(r.status, 200);
    ls_format_free(&f);
}

static void test_kinds(void)
{
    ls_rec r;
    ls_rec_clear(&r);
    CHECK_INT(ls_rec_kind(&r), LS_K_NONE);
    ls_rec_set(&r, LS_F_REQUEST, HS_STR("-"));
    ls_rec_set(&r, LS_F_STATUS, HS_STR("400"));
    CHECK_INT(ls_rec_kind(&r), LS_K_BARE);
    ls_rec_set(&r, LS_F_BODY_BYTES, HS_STR("155")); /* an error page was sent */
    CHECK_INT(ls_rec_kind(&r), LS_K_BADREQ);
    ls_rec_set(&r, LS_F_BODY_BYTES, HS_STR("0"));
    ls_rec_set(&r, LS_F_REQUEST, HS_STR("GET /"));
    CHECK_INT(ls_rec_kind(&r), LS_K_BADREQ);
    ls_rec_set(&r, LS_F_CLOSE_REASON, HS_STR("no_request"));
    CHECK_INT(ls_rec_kind(&r), LS_K_BARE);
    ls_rec_set(&r, LS_F_STATUS, HS_STR("-"));
    CHECK_INT(ls_rec_kind(&r), LS_K_BARE);
    ls_rec_set(&r, LS_F_CLOSE_REASON, HS_STR("header_timeout"));
    CHECK_INT(ls_rec_kind(&r), LS_K_TIMEOUT);
    ls_rec_set(&r, LS_F_STATUS, HS_STR("503"));
    CHECK_INT(ls_rec_kind(&r), LS_K_5XX);
    ls_rec_set(&r, LS_F_STATUS, HS_STR("301"));
    CHECK_INT(ls_rec_kind(&r), LS_K_OK);
    ls_rec_clear(&r);
    ls_rec_set(&r, LS_F_REQUEST, HS_STR("GET http://a.test/x/y?z HTTP/1.1"));
    CHECK_SLICE(ls_rec_location(&r), "/x/y");
    ls_rec_set(&r, LS_F_REQUEST, HS_STR("CONNECT a.test:443 HTTP/1.1"));
    CHECK_SLICE(ls_rec_location(&r), "a.test:443");
    ls_rec_set(&r, LS_F_REQUEST, HS_STR("GET https://a.test HTTP/1.1"));
    CHECK_SLICE(ls_rec_location(&r), "/");
    ls_rec_set(&r, LS_F_REQUEST, HS_STR("GARBAGE"));
    CHECK_INT(ls_rec_location(&r).n, 0);
    CHECK_INT(ls_close_reason_parse(HS_STR("client_abort_body")), LS_CR_CLIENT_ABORT_BODY);
    CHECK_INT(ls_close_reason_parse(HS_STR("nonsense")), LS_CR_OTHER);
    CHECK_INT(ls_field_by_name(HS_STR("http_host")), LS_F_HOST);
    CHECK_INT(ls_field_by_name(HS_STR("connection")), LS_F_SKIP);
}

int main(void)
{
    test_combined();
    test_prefixes_declined();
    test_escaped_quote_and_list();
    test_config_quoting_and_unknown();
    test_adjacent_variables();
    test_kinds();
    UNIT_MAIN_END();
}
