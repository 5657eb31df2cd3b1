/* Fuzz target for hush-logstat's line parsers: nginx's combined and main,
 * a --log-format with every field the analyzer reads (times in each form,
 * lists of upstream times, $close_reason), and hush's JSON lines (tried for
 * a line starting with '{'). The first byte picks whether the custom format
 * is set; the rest is split into lines, each in an exact-size heap block.
 * Besides "no crash, no over-read" it checks the contract: a known format
 * or HS_DECLINED, slices inside the line or the JSON scratch buffer (or the
 * static "-" a JSON null reads as, or the static "/" of an absolute
 * request target without a path), a
 * declined line leaves the record empty, and the derived values (ending,
 * location) stay inside their ranges. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "parser.h"

#define MAX_INPUT 16384

static const char custom_format[] =
    "$remote_addr - $remote_user [$time_local] $time_iso8601 $msec \"$request\" $request_method "
    "$request_uri $uri $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\" "
    "\"$http_x_forwarded_for\" $host $request_time $upstream_response_time $close_reason $drop_rule";

static void check_slice(hs_str s, hs_str line, const ls_json_scratch *sc)
{
    if (s.n == 0)
        return;
    bool in_line = s.p >= line.p && s.p + s.n <= line.p + line.n;
    bool in_scratch = sc->buf && s.p >= sc->buf && s.p + s.n <= sc->buf + sc->cap;
    bool null_dash = s.n == 1 && s.p[0] == '-'; /* a JSON null reads as nginx's "-", a static string */
    REQUIRE(in_line || in_scratch || null_dash);
}

static void check_record(const ls_rec *r, hs_str line, const ls_json_scratch *sc)
{
    const hs_str *slices[] = {&r->remote_addr, &r->request, &r->method, &r->request_uri, &r->uri,
                              &r->host, &r->referer, &r->user_agent, &r->xff, &r->drop_rule};
    for (size_t i = 0; i < sizeof(slices) / sizeof(slices[0]); i++)
        check_slice(*slices[i], line, sc);
    REQUIRE(r->close_reason == LS_CR_NONE || (r->close_reason >= 0 && r->close_reason < LS_CR_COUNT));
    REQUIRE(r->status >= -1);
    ls_kind k = ls_rec_kind(r);
    REQUIRE(k >= 0 && k < LS_K_COUNT);
    hs_str loc = ls_rec_location(r);
    if (!(loc.n == 1 && loc.p[0] == '/')) /* an absolute target without a path is the static "/" */
        check_slice(loc, line, sc);
    if (r->close_reason != LS_CR_NONE)
        REQUIRE(ls_close_reason_name(r->close_reason) != NULL);
}

static void one_line(ls_parser *ps, const uint8_t *p, size_t n)
{
    char *buf = malloc(n ? n : 1);
    memcpy(buf, p, n);
    hs_str line = {buf, n};
    ls_rec r;
    int rc = ls_parser_line(ps, line, &r);
    REQUIRE(rc == HS_DECLINED || (rc >= 0 && rc < LS_FMT_COUNT));
    if (rc == HS_DECLINED)
        REQUIRE(r.have == 0);
    else
        check_record(&r, line, &ps->json);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > MAX_INPUT)
        return 0;
    ls_parser ps;
    char err[256];
    REQUIRE(ls_parser_init(&ps, (data[0] & 1) ? custom_format : NULL, err, sizeof(err)) == HS_OK);
    const uint8_t *p = data + 1, *end = data + size;
    while (p < end) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        one_line(&ps, p, n);
        p += n + (nl != NULL);
    }
    ls_parser_free(&ps);
    return 0;
}
