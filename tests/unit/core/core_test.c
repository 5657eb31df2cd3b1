/* Core pieces: pools, hash maps, units, HTTP dates, integer formatting. */
#include <stdlib.h>

#include "core/clock.h"
#include "core/hash.h"
#include "core/pool.h"
#include "core/units.h"
#include "unit.h"

static int cleanups_run;
static void count_cleanup(void *d) { cleanups_run += (int)(intptr_t)d; }

static void test_pool(void)
{
    hs_pool *p = hs_pool_create(512);
    char *a = hs_palloc(p, 10);
    char *b = hs_palloc(p, 10);
    CHECK(((uintptr_t)a & 15) == 0 && ((uintptr_t)b & 15) == 0);
    CHECK(b >= a + 10);
    char *big = hs_palloc(p, 100000); /* larger than a chunk */
    memset(big, 1, 100000);
    char *after = hs_palloc(p, 16);    /* the current chunk is still used */
    CHECK(after != NULL);
    for (int i = 0; i < 1000; i++)
        CHECK(hs_palloc(p, 100) != NULL);
    hs_pool_cleanup_add(p, count_cleanup, (void *)(intptr_t)1);
    hs_pool_cleanup_add(p, count_cleanup, (void *)(intptr_t)10);
    hs_pool_reset(p);
    CHECK_INT(cleanups_run, 11);
    hs_pool_reset(p);
    CHECK_INT(cleanups_run, 11); /* cleanups run once */
    char *s = hs_psprintf(p, "%d-%s", 42, "x");
    CHECK_STR(s, "42-x");
    hs_str c = hs_pstr(p, HS_STR("copy"));
    CHECK_SLICE(c, "copy");
    CHECK(c.p[4] == '\0');
    CHECK(hs_pcalloc(p, 64) != NULL);
    hs_pool_destroy(p);
}

static void test_hash(void)
{
    hs_hash h;
    hs_hash_init(&h);
    char key[32];
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(key, sizeof(key), "key%d", i);
        CHECK_INT(hs_hash_put(&h, (hs_str){key, (size_t)n}, (void *)(intptr_t)(i + 1)), HS_OK);
    }
    CHECK_INT(h.used, 1000);
    CHECK((intptr_t)hs_hash_get(&h, HS_STR("key500")) == 501);
    CHECK(hs_hash_get(&h, HS_STR("key1000")) == NULL);
    CHECK((intptr_t)hs_hash_del(&h, HS_STR("key500")) == 501);
    CHECK(hs_hash_get(&h, HS_STR("key500")) == NULL);
    CHECK((intptr_t)hs_hash_get(&h, HS_STR("key501")) == 502); /* probing past the tombstone */
    hs_hash_put(&h, HS_STR("key1"), (void *)7);
    CHECK((intptr_t)hs_hash_get(&h, HS_STR("key1")) == 7);
    CHECK((intptr_t)hs_hash_get_lower(&h, HS_STR("KEY1")) == 7);
    CHECK_INT(h.used, 999);
    hs_hash_free(&h);
}

static void test_units(void)
{
    CHECK_INT(hs_parse_size(HS_STR("1024")), 1024);
    CHECK_INT(hs_parse_size(HS_STR("8k")), 8192);
    CHECK_INT(hs_parse_size(HS_STR("10m")), 10 * 1024 * 1024);
    CHECK_INT(hs_parse_size(HS_STR("1g")), 1024LL * 1024 * 1024);
    CHECK_INT(hs_parse_size(HS_STR("k")), -1);
    CHECK_INT(hs_parse_size(HS_STR("-1")), -1);
    CHECK_INT(hs_parse_size(HS_STR("12x")), -1);
    CHECK_INT(hs_parse_msec(HS_STR("60")), 60000);
    CHECK_INT(hs_parse_msec(HS_STR("500ms")), 500);
    CHECK_INT(hs_parse_msec(HS_STR("2m")), 120000);
    CHECK_INT(hs_parse_msec(HS_STR("1h 30m")), 5400000);
    CHECK_INT(hs_parse_msec(HS_STR("1h30m")), 5400000); /* nginx: terms need no space */
    CHECK_INT(hs_parse_msec(HS_STR("15h30m10s")), 55810000);
    CHECK_INT(hs_parse_msec(HS_STR("1hx")), -1);
    CHECK_INT(hs_parse_msec(HS_STR("1d")), 86400000);
    CHECK_INT(hs_parse_msec(HS_STR("5x")), -1);
    CHECK_INT(hs_parse_msec(HS_STR("")), -1);
    CHECK_INT(hs_parse_int(HS_STR("99999999999999999999")), -1);
}

static void test_dates(void)
{
    char buf[32];
    size_t n = hs_http_date(784111777, buf);
    CHECK_SLICE(((hs_str){buf, n}), "Sun, 06 Nov 1994 08:49:37 GMT");
    CHECK_INT(hs_parse_http_date(buf, n), 784111777);
    CHECK_INT(hs_parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", 30), 784111777);
    CHECK_INT(hs_parse_http_date("Sun Nov  6 08:49:37 1994", 24), 784111777);
    CHECK_INT(hs_parse_http_date("yesterday", 9), -1);
    CHECK_INT(hs_parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT", 29), -1);
    hs_clock_update();
    CHECK_INT(hs_now.http_date_len, 29);
    CHECK_INT(hs_now.log_local_len, 26);
    CHECK(hs_now.iso8601[10] == 'T');
}

static void test_numbers(void)
{
    char buf[24];
    CHECK_SLICE(((hs_str){buf, hs_u64_to_str(0, buf)}), "0");
    CHECK_SLICE(((hs_str){buf, hs_u64_to_str(1234567890123ULL, buf)}), "1234567890123");
    CHECK_SLICE(((hs_str){buf, hs_u64_to_str(UINT64_MAX, buf)}), "18446744073709551615");
}

int main(void)
{
    test_pool();
    test_hash();
    test_units();
    test_dates();
    test_numbers();
    UNIT_MAIN_END();
}
