/* src/log/tokenize.c: log_format text split into literals and variables,
 * with the name scanner conf/vars uses (core/varname.c). */
#include "conf/vars.h"
#include "core/varname.h"
#include "log/format.h"
#include "log/tokenize.h"

#include "unit.h"

/* Tokens as "L:literal|V:name|...", and checks on each token's slice. */
typedef struct {
    char out[512];
    size_t n;
    hs_str text;   /* the input: every token must be a slice of it */
    size_t calls;
    size_t stop_at; /* return HS_DONE at this call (1-based); 0: never */
    int last_kind;  /* -1 before the first token */
} collect;

static int collect_tok(void *arg, const hs_log_tok *tok)
{
    collect *c = arg;
    c->calls++;
    CHECK(tok->text.n > 0);
    CHECK(tok->text.p >= c->text.p && tok->text.p + tok->text.n <= c->text.p + c->text.n);
    /* literal runs are maximal: never two literals in a row */
    CHECK(!(tok->kind == HS_LOG_TOK_LIT && c->last_kind == HS_LOG_TOK_LIT));
    c->last_kind = (int)tok->kind;
    c->n += (size_t)snprintf(c->out + c->n, sizeof(c->out) - c->n, "%s%s%.*s", c->n ? "|" : "",
                             tok->kind == HS_LOG_TOK_VAR ? "V:" : "L:", (int)tok->text.n, tok->text.p);
    if (c->calls == c->stop_at)
        return HS_DONE;
    return HS_OK;
}

static const char *tokens(const char *s)
{
    static collect c;
    memset(&c, 0, sizeof(c));
    c.text = hs_cstr(s);
    c.last_kind = -1;
    CHECK_INT(hs_log_tokenize(c.text, collect_tok, &c), HS_OK);
    return c.out;
}

static void test_literals(void)
{
    CHECK_STR(tokens(""), "");
    CHECK_INT(hs_log_tokenize(HS_NULL_STR, collect_tok, NULL), HS_OK); /* no token, no call */
    CHECK_STR(tokens("plain text"), "L:plain text");
    CHECK_STR(tokens("[\"] - {x}"), "L:[\"] - {x}");
}

static void test_variables(void)
{
    CHECK_STR(tokens("$status"), "V:status");
    CHECK_STR(tokens("${status}"), "V:status");
    CHECK_STR(tokens("a $remote_addr b"), "L:a |V:remote_addr|L: b");
    CHECK_STR(tokens("\"${request}\" x"), "L:\"|V:request|L:\" x");
    /* a name ends at the first byte that is not [A-Za-z0-9_] */
    CHECK_STR(tokens("$host:$server_port"), "V:host|L::|V:server_port");
    CHECK_STR(tokens("$a.b"), "V:a|L:.b");
    CHECK_STR(tokens("$a-b"), "V:a|L:-b");
    CHECK_STR(tokens("${a}b"), "V:a|L:b");
    CHECK_STR(tokens("$request_time;"), "V:request_time|L:;");
}

static void test_dollar_without_name(void)
{
    /* '$' followed by a byte that starts no name is literal */
    CHECK_STR(tokens("a $ b"), "L:a $ b");
    CHECK_STR(tokens("$-x"), "L:$-x");
    CHECK_STR(tokens("100$."), "L:100$.");
    CHECK_STR(tokens("$\"$status"), "L:$\"|V:status");
    CHECK_STR(tokens("$\xc3\xa9"), "L:$\xc3\xa9");
    CHECK_STR(tokens("$$status"), "L:$|V:status");
    /* trailing '$' */
    CHECK_STR(tokens("$"), "L:$");
    CHECK_STR(tokens("abc$"), "L:abc$");
    CHECK_STR(tokens("$status$"), "V:status|L:$");
    /* '{' without a name and a '}' right after it */
    CHECK_STR(tokens("${}"), "L:${}");
    CHECK_STR(tokens("${"), "L:${");
    CHECK_STR(tokens("${host"), "L:${host");
    CHECK_STR(tokens("${a-b}"), "L:${a-b}");
    CHECK_STR(tokens("${ host}"), "L:${ host}");
    CHECK_STR(tokens("${host $status"), "L:${host |V:status");
}

static void test_adjacent(void)
{
    CHECK_STR(tokens("$a$b"), "V:a|V:b");
    CHECK_STR(tokens("${a}${b}"), "V:a|V:b");
    CHECK_STR(tokens("$a${b}c$d"), "V:a|V:b|L:c|V:d");
    CHECK_STR(tokens("$status$remote_addr"), "V:status|V:remote_addr");
}

static void test_names_nginx_accepts(void)
{
    CHECK_STR(tokens("$http_x_forwarded_for"), "V:http_x_forwarded_for");
    CHECK_STR(tokens("$HTTP_Upper_9"), "V:HTTP_Upper_9");
    CHECK_STR(tokens("$_"), "V:_");
    CHECK_STR(tokens("$_a1"), "V:_a1");
    CHECK_STR(tokens("$0abc"), "V:0abc");
    CHECK_STR(tokens("${x_1}"), "V:x_1");
    /* $1..$9 are one digit (regex captures), unless in braces */
    CHECK_STR(tokens("$1"), "V:1");
    CHECK_STR(tokens("$12"), "V:1|L:2");
    CHECK_STR(tokens("$1a"), "V:1|L:a");
    CHECK_STR(tokens("${12}"), "V:12");
    CHECK_STR(tokens("$9$1"), "V:9|V:1");
}

static void test_stop(void)
{
    collect c;
    memset(&c, 0, sizeof(c));
    c.text = HS_STR("a $b c $d");
    c.last_kind = -1;
    c.stop_at = 2;
    CHECK_INT(hs_log_tokenize(c.text, collect_tok, &c), HS_DONE);
    CHECK_INT(c.calls, 2);
    CHECK_STR(c.out, "L:a |V:b");
    memset(&c, 0, sizeof(c));
    c.text = HS_STR("a $b c");
    c.last_kind = -1;
    c.stop_at = 3; /* the last token */
    CHECK_INT(hs_log_tokenize(c.text, collect_tok, &c), HS_DONE);
    CHECK_INT(c.calls, 3);
}

/* Tokens laid end to end in source form give the text back. */
static int rebuild_tok(void *arg, const hs_log_tok *tok)
{
    char *out = arg;
    size_t n = strlen(out);
    if (tok->kind == HS_LOG_TOK_LIT)
        snprintf(out + n, 256 - n, "%.*s", (int)tok->text.n, tok->text.p);
    else if (tok->text.p[-1] == '{')
        snprintf(out + n, 256 - n, "${%.*s}", (int)tok->text.n, tok->text.p);
    else
        snprintf(out + n, 256 - n, "$%.*s", (int)tok->text.n, tok->text.p);
    return HS_OK;
}

static const char *const samples[] = {
    HS_LOG_FORMAT_COMBINED,
    "$remote_addr [$time_local] \"$request\" $status ${host}:$server_port $",
    "${}${a}$$$1$12${12}${x $-$_ $0b $\xff",
    "{\"s\":$status,\"x\":\"${pipe}\"}",
    "$a$b${c}d$",
};

static void test_cover_text(void)
{
    for (size_t i = 0; i < HS_ARRAY_LEN(samples); i++) {
        char out[256] = "";
        CHECK_INT(hs_log_tokenize(hs_cstr(samples[i]), rebuild_tok, out), HS_OK);
        CHECK_STR(out, samples[i]);
    }
}

/* The first token at a '$' is a variable exactly when conf's hs_var_scan
 * (complex values, map, if=) finds one there, with the same name. */
static int first_tok(void *arg, const hs_log_tok *tok)
{
    *(hs_log_tok *)arg = *tok;
    return HS_DONE;
}

static void test_same_names_as_conf(void)
{
    for (size_t i = 0; i < HS_ARRAY_LEN(samples); i++) {
        hs_str s = hs_cstr(samples[i]);
        for (size_t j = 0; j < s.n; j++) {
            if (s.p[j] != '$')
                continue;
            hs_str at = {s.p + j, s.n - j}, name = HS_NULL_STR, core_name = HS_NULL_STR;
            size_t used = hs_var_scan(at, &name);
            CHECK_INT(hs_varname_scan(at, &core_name), used);
            hs_log_tok tok = {HS_LOG_TOK_LIT, HS_NULL_STR};
            CHECK_INT(hs_log_tokenize(at, first_tok, &tok), HS_DONE);
            CHECK_INT(tok.kind == HS_LOG_TOK_VAR, used != 0);
            if (used) {
                CHECK(hs_str_eq(tok.text, name));
                CHECK(hs_str_eq(core_name, name));
            }
        }
    }
}

int main(void)
{
    test_literals();
    test_variables();
    test_dollar_without_name();
    test_adjacent();
    test_names_nginx_accepts();
    test_stop();
    test_cover_text();
    test_same_names_as_conf();
    UNIT_MAIN_END();
}
