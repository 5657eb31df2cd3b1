/* The auth module's pure parts: base64, the password schemes of htpasswd
 * files (vectors from openssl passwd, Python's hashlib and nginx's own
 * tests), and finding a user in a file's text. */
#include <crypt.h>

#include "auth/auth_internal.h"
#include "core/base64.h"
#include "parse/basic_auth.h"
#include "unit.h"

static bool ok(const char *pass, const char *hash) { return hs_auth_verify(hs_cstr(pass), hs_cstr(hash)); }

static void test_base64(void)
{
    unsigned char out[32];
    size_t n = 0;
    CHECK_INT(hs_base64_decode(HS_STR("dXNlcjpwYXNz"), out, &n), HS_OK);
    CHECK_SLICE(((hs_str){(char *)out, n}), "user:pass");
    CHECK_INT(hs_base64_decode(HS_STR("YQ=="), out, &n), HS_OK);
    CHECK_SLICE(((hs_str){(char *)out, n}), "a");
    CHECK_INT(hs_base64_decode(HS_STR("YQ"), out, &n), HS_OK); /* padding is optional */
    CHECK_INT(n, 1);
    CHECK_INT(hs_base64_decode(HS_STR("Y"), out, &n), HS_ERROR);
    CHECK_INT(hs_base64_decode(HS_STR("!!!!"), out, &n), HS_ERROR);
    CHECK_INT(hs_base64_decode(HS_STR(""), out, &n), HS_OK);
    CHECK_INT(n, 0);
}

static void test_basic_header(void)
{
    unsigned char out[64];
    hs_str u, p;
    CHECK_INT(hs_parse_basic_auth(HS_STR("Basic dXNlcjpwYTpzcw=="), out, &u, &p), HS_OK);
    CHECK_SLICE(u, "user");
    CHECK_SLICE(p, "pa:ss"); /* the password runs to the end */
    CHECK_INT(hs_parse_basic_auth(HS_STR("basic   dTo="), out, &u, &p), HS_OK);
    CHECK_SLICE(u, "u");
    CHECK_SLICE(p, "");
    CHECK_INT(hs_parse_basic_auth(HS_STR("Basic OnB3"), out, &u, &p), HS_DECLINED);  /* ":pw" */
    CHECK_INT(hs_parse_basic_auth(HS_STR("Basic dXNlcg=="), out, &u, &p), HS_DECLINED); /* no colon */
    CHECK_INT(hs_parse_basic_auth(HS_STR("Basic !!!!"), out, &u, &p), HS_DECLINED);
    CHECK_INT(hs_parse_basic_auth(HS_STR("Basic "), out, &u, &p), HS_DECLINED);
    CHECK_INT(hs_parse_basic_auth(HS_STR("Bearer dXNlcjpw"), out, &u, &p), HS_DECLINED);
}

static void test_schemes(void)
{
    CHECK(ok("password", "{PLAIN}password"));
    CHECK(!ok("passwor", "{PLAIN}password"));
    CHECK(ok("password", "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g="));
    CHECK(!ok("123", "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g="));
    CHECK(!ok("1", "{SHA}_____Mm5Pz8GgiULbPgzG37mj9g="));
    CHECK(!ok("1", "{SHA}Zm9vCg=="));
    CHECK(ok("password", "{SSHA}yI6cZwQadOA1e+/f+T+H3eCQQhRzYWx0"));
    CHECK(!ok("123", "{SSHA}yI6cZwQadOA1e+/f+T+H3eCQQhRzYWx0"));
    CHECK(!ok("1", "{SSHA}_____wQadOA1e+/f+T+H3eCQQhRzYWx0"));
    CHECK(!ok("1", "{SSHA}Zm9vCg=="));
    CHECK(ok("password", "$apr1$salt$Xxd1irWT9ycqoYxGFn4cb."));
    CHECK(!ok("123", "$apr1$salt$Xxd1irWT9ycqoYxGFn4cb."));
    CHECK(!ok("1", "$apr1$"));
    CHECK(ok("password", "$1$salt$qJH7.N4xYta3aEG/dfqo/0"));
    CHECK(!ok("1", "$1$"));
    CHECK(ok("password", "sa3tHJ3/KuYvI")); /* DES: crypt("password", "salt") */
    CHECK(!ok("x", "sa3tHJ3/KuYvI"));
    CHECK(ok("password", "$5$abcdefgh$ZLdkj8mkc2XVSrPVjskDAgZPGjtj1VGVaa1aUkrMTU/"));
    CHECK(ok("password", "$6$abcdefgh$yVfUwsw5T.JApa8POvClA1pQ5peiq97DUNyXCZN5IrF.BMSkiaLQ5kvpuEm/VQ1Tvh/KV2TcaWh8qinoW5dhA1"));
    CHECK(!ok("Password", "$6$abcdefgh$yVfUwsw5T.JApa8POvClA1pQ5peiq97DUNyXCZN5IrF.BMSkiaLQ5kvpuEm/VQ1Tvh/KV2TcaWh8qinoW5dhA1"));
    CHECK(!ok("bar", "{FOO}bar"));
    CHECK(!ok("", ""));
    /* yescrypt, with a setting libcrypt makes */
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    struct crypt_data cd;
    memset(&cd, 0, sizeof(cd));
    if (crypt_gensalt_rn("$y$", 0, NULL, 0, setting, sizeof(setting))) {
        const char *h = crypt_rn("s3cret", setting, &cd, sizeof(cd));
        CHECK(h && ok("s3cret", h) && !ok("s3cre", h));
    }
}

static void test_md5_crypt(void)
{
    /* $apr1$ and $1$ are one algorithm with two magics: libcrypt does $1$ */
    const char *pws[] = {"", "a", "password", "0123456789abcdef0123456789abcdefXYZ"};
    for (size_t i = 0; i < HS_ARRAY_LEN(pws); i++) {
        char ours[64];
        struct crypt_data cd;
        memset(&cd, 0, sizeof(cd));
        hs_auth_md5_crypt(hs_cstr(pws[i]), HS_STR("$1$abcdefgh"), "$1$", ours);
        CHECK_STR(ours, crypt_rn(pws[i], "$1$abcdefgh", &cd, sizeof(cd)));
    }
}

static void test_find_user(void)
{
    hs_str h;
    hs_str text = HS_STR("# comment:{PLAIN}x\n\nalice:{PLAIN}a:comment\r\n  sp:{PLAIN}s\nbob:{PLAIN}b");
    CHECK_INT(hs_auth_find_user(text, HS_STR("alice"), &h), HS_OK);
    CHECK_SLICE(h, "{PLAIN}a");
    CHECK_INT(hs_auth_find_user(text, HS_STR("bob"), &h), HS_OK); /* no newline at the end */
    CHECK_SLICE(h, "{PLAIN}b");
    CHECK_INT(hs_auth_find_user(text, HS_STR("  sp"), &h), HS_OK);
    CHECK_INT(hs_auth_find_user(text, HS_STR("sp"), &h), HS_DECLINED);
    CHECK_INT(hs_auth_find_user(text, HS_STR("# comment"), &h), HS_DECLINED);
    CHECK_INT(hs_auth_find_user(text, HS_STR("ali"), &h), HS_DECLINED);
    CHECK_INT(hs_auth_find_user(HS_STR(""), HS_STR("a"), &h), HS_DECLINED);
    CHECK_INT(hs_auth_find_user(HS_STR("crlf:{PLAIN}c\r\n"), HS_STR("crlf"), &h), HS_OK);
    CHECK_SLICE(h, "{PLAIN}c");
}

int main(void)
{
    test_base64();
    test_basic_header();
    test_schemes();
    test_md5_crypt();
    test_find_user();
    UNIT_MAIN_END();
}
