/* The redis:// URL of sync= is parsed strictly (src/sync/url.c). */
#include "sync/url.h"
#include "unit.h"

static int parse(const char *s, hs_redis_url *u, char *err)
{
    return hs_redis_url_parse((hs_str){s, strlen(s)}, u, err, 160);
}

static void good(void)
{
    hs_redis_url u;
    char err[160];
    CHECK_INT(parse("redis://127.0.0.1:6379", &u, err), HS_OK);
    CHECK_STR(u.host, "127.0.0.1");
    CHECK_INT(u.port, 6379);
    CHECK_INT(u.db, 0);
    CHECK_INT(parse("redis://redis.example.com:1/15", &u, err), HS_OK);
    CHECK_STR(u.host, "redis.example.com");
    CHECK_INT(u.port, 1);
    CHECK_INT(u.db, 15);
    CHECK_INT(parse("redis://[::1]:65535/0", &u, err), HS_OK);
    CHECK_STR(u.host, "::1");
    CHECK_INT(u.port, 65535);
}

static void bad(const char *s, const char *why)
{
    hs_redis_url u;
    char err[160] = "";
    CHECK_INT(parse(s, &u, err), HS_ERROR);
    if (strstr(err, why) == NULL)
        fprintf(stderr, "%s: \"%s\" does not say \"%s\"\n", s, err, why), unit_failures++;
}

int main(void)
{
    good();
    bad("", "redis://");
    bad("http://127.0.0.1:6379", "redis://");
    bad("rediss://127.0.0.1:6379", "redis://");
    bad("redis://", "no host");
    bad("redis://127.0.0.1", "no port");
    bad("redis://127.0.0.1:", "invalid port");
    bad("redis://127.0.0.1:0", "invalid port");
    bad("redis://127.0.0.1:65536", "invalid port");
    bad("redis://127.0.0.1:63x79", "invalid port");
    bad("redis://127.0.0.1:-1", "invalid port");
    bad("redis://127.0.0.1:6379/", "invalid database");
    bad("redis://127.0.0.1:6379/x", "invalid database");
    bad("redis://127.0.0.1:6379/1/2", "invalid database");
    bad("redis://127.0.0.1:6379/99999999999", "invalid database");
    bad("redis://127.0.0.1:6379?db=1", "invalid port");
    bad("redis://:secret@127.0.0.1:6379", "credentials");
    bad("redis://user:pw@host:6379", "credentials");
    bad("redis://[::1:6379", "IPv6");
    bad("redis://[]:6379", "IPv6");
    bad("redis://ho st:6379", "invalid character");
    bad("redis://host_name:6379", "invalid character");
    UNIT_MAIN_END();
}
