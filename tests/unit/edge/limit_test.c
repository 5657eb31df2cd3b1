/* The leaky bucket against nginx's limit_req arithmetic, and CIDR matching. */
#include <arpa/inet.h>

#include "edge/edge_conf.h"
#include "unit.h"

static void test_nodelay_burst(void)
{
    /* rate=10r/s burst=3 nodelay: 4 at once pass, the 5th is refused */
    uint64_t last = 0, d;
    int64_t ex = 0;
    CHECK_INT(hs_leaky_bucket(&last, &ex, true, 1000, 10000, 3000, UINT64_MAX, &d), HS_OK);
    for (int i = 0; i < 3; i++) {
        CHECK_INT(hs_leaky_bucket(&last, &ex, false, 1000, 10000, 3000, UINT64_MAX, &d), HS_OK);
        CHECK_INT(d, 0);
    }
    CHECK_INT(ex, 3000);
    CHECK_INT(hs_leaky_bucket(&last, &ex, false, 1000, 10000, 3000, UINT64_MAX, &d), HS_DECLINED);
    CHECK_INT(ex, 3000); /* a refusal does not count */
    /* 100 ms later one request drained */
    CHECK_INT(hs_leaky_bucket(&last, &ex, false, 1100, 10000, 3000, UINT64_MAX, &d), HS_OK);
    CHECK_INT(ex, 3000);
    CHECK_INT(hs_leaky_bucket(&last, &ex, false, 1100, 10000, 3000, UINT64_MAX, &d), HS_DECLINED);
}

static void test_delays(void)
{
    /* rate=10r/s burst=4 delay=2: excess 1,2 pass, 3 waits 100 ms, 4 waits 200 ms */
    uint64_t last = 0, d;
    int64_t ex = 0;
    uint64_t want[] = {0, 0, 0, 100, 200};
    CHECK_INT(hs_leaky_bucket(&last, &ex, true, 5, 10000, 4000, 2000, &d), HS_OK);
    for (int i = 1; i < 5; i++) {
        CHECK_INT(hs_leaky_bucket(&last, &ex, false, 5, 10000, 4000, 2000, &d), HS_OK);
        CHECK_INT(d, want[i]);
    }
    CHECK_INT(hs_leaky_bucket(&last, &ex, false, 5, 10000, 4000, 2000, &d), HS_DECLINED);
    /* no nodelay (delay 0), 30r/m: the second request waits 2 s */
    last = 0;
    ex = 0;
    hs_leaky_bucket(&last, &ex, true, 0, 500, 5000, 0, &d);
    CHECK_INT(hs_leaky_bucket(&last, &ex, false, 0, 500, 5000, 0, &d), HS_OK);
    CHECK_INT(d, 2000);
    /* the clock going back a little changes nothing */
    CHECK_INT(hs_leaky_bucket(&last, &ex, false, 0, 500, 5000, 0, &d), HS_OK);
}

static struct sockaddr_storage addr(const char *text)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    if (strchr(text, ':')) {
        ss.ss_family = AF_INET6;
        inet_pton(AF_INET6, text, &((struct sockaddr_in6 *)&ss)->sin6_addr);
    } else {
        ss.ss_family = AF_INET;
        inet_pton(AF_INET, text, &((struct sockaddr_in *)&ss)->sin_addr);
    }
    return ss;
}

static bool in(const char *cidr, const char *a)
{
    hs_cidr c;
    if (hs_cidr_parse(hs_cstr(cidr), &c) != HS_OK)
        return false;
    struct sockaddr_storage ss = addr(a);
    return hs_cidr_match(&c, (struct sockaddr *)&ss);
}

static void test_cidr(void)
{
    CHECK(in("10.0.0.0/8", "10.200.1.1"));
    CHECK(!in("10.0.0.0/8", "11.0.0.1"));
    CHECK(in("192.168.1.77", "192.168.1.77"));
    CHECK(!in("192.168.1.77", "192.168.1.78"));
    CHECK(in("192.168.1.77/24", "192.168.1.1")); /* low bits cleared */
    CHECK(in("all", "::1") && in("all", "1.2.3.4"));
    CHECK(in("2001:db8::/32", "2001:db8:ffff::1"));
    CHECK(!in("2001:db8::/32", "2001:db9::1"));
    CHECK(in("127.0.0.0/8", "::ffff:127.0.0.1")); /* v4-mapped counts as v4 */
    CHECK(!in("::1", "127.0.0.1"));
    CHECK(in("0.0.0.0/0", "8.8.8.8"));
    hs_cidr c;
    CHECK_INT(hs_cidr_parse(HS_STR("10.0.0.0/33"), &c), HS_ERROR);
    CHECK_INT(hs_cidr_parse(HS_STR("nonsense"), &c), HS_ERROR);
    CHECK_INT(hs_cidr_parse(HS_STR("1.2.3.4/"), &c), HS_ERROR);
}

int main(void)
{
    test_nodelay_burst();
    test_delays();
    test_cidr();
    UNIT_MAIN_END();
}
