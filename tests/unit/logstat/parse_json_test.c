/* tools/logstat/parse_json.c: hush's JSON access-log lines. */
#include "../../../tools/logstat/mem.c"
#include "../../../tools/logstat/parse_json.c"
#include "../../../tools/logstat/record.c"
#include "../../../tools/logstat/timeparse.c"

#include "unit.h"

static ls_json_scratch sc;

static int parse(const char *s, ls_rec *r)
{
    ls_rec_clear(r);
    return ls_json_parse(hs_cstr(s), r, &sc);
}

int main(void)
{
    ls_rec r;
    CHECK_INT(parse("{\"time_iso8601\":\"2026-11-25T09:00:05+00:00\",\"remote_addr\":\"1.2.3.4\","
                    "\"request\":\"GET /x HTTP/1.1\",\"status\":444,\"request_time\":0.250,"
                    "\"upstream_response_time\":\"0.1, 0.2\",\"close_reason\":\"drop\","
                    "\"drop_rule\":\"ua\",\"http_user_agent\":\"a\\\"b\\\\c\\u00e9\\ud83d\\ude00\"}",
                    &r),
              HS_OK);
    CHECK_INT(r.time, 1795597205);
    CHECK_INT(r.status, 444);
    CHECK(r.request_time == 0.25);
    CHECK(r.upstream_time > 0.299 && r.upstream_time < 0.301);
    CHECK_INT(r.close_reason, LS_CR_DROP);
    CHECK_SLICE(r.drop_rule, "ua");
    CHECK_SLICE(r.user_agent, "a\"b\\c\xc3\xa9\xf0\x9f\x98\x80");
    /* status as a string, null values, unknown and nested keys */
    CHECK_INT(parse(" { \"status\" : \"499\" , \"x\" : {\"a\":[1,\"]}\"]}, \"host\": null, \"y\": true } ", &r),
              HS_OK);
    CHECK_INT(r.status, 499);
    CHECK_SLICE(r.host, "-");
    CHECK_INT(parse("{}", &r), HS_OK);
    CHECK_INT(r.status, -1);
    /* broken objects and fields that must parse */
    CHECK_INT(parse("{\"status\":200", &r), HS_DECLINED);
    CHECK_INT(parse("{\"status\":20x}", &r), HS_DECLINED);
    CHECK_INT(parse("{\"status\":200} trailing", &r), HS_DECLINED);
    CHECK_INT(parse("{\"time_iso8601\":\"yesterday\"}", &r), HS_DECLINED);
    CHECK_INT(parse("{\"a\":\"\\q\"}", &r), HS_DECLINED);
    CHECK_INT(parse("{\"a\" 1}", &r), HS_DECLINED);
    CHECK_INT(parse("[1,2]", &r), HS_DECLINED);
    /* every prefix of a valid line is declined without reading past it */
    const char *ok = "{\"status\":200,\"request\":\"GET / HTTP/1.1\",\"x\":[{\"y\":\"\\\"\"}]}";
    for (size_t i = 0; i < strlen(ok); i++) {
        char *copy = malloc(i ? i : 1);
        memcpy(copy, ok, i);
        ls_rec_clear(&r);
        CHECK_INT(ls_json_parse(hs_str_from(copy, i), &r, &sc), HS_DECLINED);
        free(copy);
    }
    ls_json_scratch_free(&sc);
    UNIT_MAIN_END();
}
