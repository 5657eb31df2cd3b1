/* tests src/stats/expo.c and hist.h: exposition text, escaping, histograms,
 * quantiles. */
#include "stats/expo.h"
#include "stats/hist.h"
#include "unit.h"

static char *text(hs_expo *e)
{
    static char buf[8192];
    size_t n = e->len < sizeof(buf) - 1 ? e->len : sizeof(buf) - 1;
    memcpy(buf, e->p, n);
    buf[n] = '\0';
    return buf;
}

static void test_samples(void)
{
    hs_expo e = {0};
    hs_expo_head(&e, "hush_x_total", "counter", "Help with \\ and\nnewline.");
    const char *labels[] = {"server", "a\"b\\c\nd", "status", "200", NULL};
    hs_expo_u64(&e, "hush_x_total", labels, 18446744073709551615ull);
    hs_expo_u64(&e, "hush_y", NULL, 0);
    hs_expo_i64(&e, "hush_z", NULL, -3);
    CHECK_STR(text(&e), "# HELP hush_x_total Help with \\\\ and\\nnewline.\n"
                        "# TYPE hush_x_total counter\n"
                        "hush_x_total{server=\"a\\\"b\\\\c\\nd\",status=\"200\"} 18446744073709551615\n"
                        "hush_y 0\n"
                        "hush_z -3\n");
    hs_expo_free(&e);
}

static void test_hist(void)
{
    hs_stats_hist h = {0};
    hs_hist_observe(&h, 0);        /* 0.001 */
    hs_hist_observe(&h, 1000);     /* 0.001: bounds are inclusive */
    hs_hist_observe(&h, 1001);     /* 0.0025 */
    hs_hist_observe(&h, 61000000); /* +Inf */
    CHECK_INT(hs_hist_bucket(1000), 0);
    CHECK_INT(hs_hist_bucket(1001), 1);
    CHECK_INT(hs_hist_bucket(60000000), 14);
    CHECK_INT(hs_hist_bucket(60000001), 15);
    hs_expo e = {0};
    const char *labels[] = {"server", "s", NULL};
    hs_expo_hist(&e, "h", labels, &h);
    const char *t = text(&e);
    CHECK(strstr(t, "h_bucket{server=\"s\",le=\"0.001\"} 2\n") != NULL);
    CHECK(strstr(t, "h_bucket{server=\"s\",le=\"0.0025\"} 3\n") != NULL);
    CHECK(strstr(t, "h_bucket{server=\"s\",le=\"60\"} 3\n") != NULL);
    CHECK(strstr(t, "h_bucket{server=\"s\",le=\"+Inf\"} 4\n") != NULL);
    CHECK(strstr(t, "h_sum{server=\"s\"} 61.002001\n") != NULL);
    CHECK(strstr(t, "h_count{server=\"s\"} 4\n") != NULL);
    hs_expo_free(&e);
    hs_expo e2 = {0};
    hs_expo_hist(&e2, "n", NULL, &h);
    CHECK(strstr(text(&e2), "n_bucket{le=\"0.001\"} 2\n") != NULL);
    hs_expo_free(&e2);
}

static void test_quantile(void)
{
    hs_stats_hist h = {0};
    CHECK(hs_hist_quantile(&h, 0.9) < 0);
    for (int i = 0; i < 10; i++)
        hs_hist_observe(&h, 200000); /* all in (0.1, 0.25] */
    double q = hs_hist_quantile(&h, 0.9);
    CHECK(q > 0.1 && q <= 0.25);
    CHECK(hs_hist_quantile(&h, 0.5) < q);
    hs_stats_hist inf = {0};
    hs_hist_observe(&inf, 100000000);
    CHECK(hs_hist_quantile(&inf, 0.9) == 60.0);
}

int main(void)
{
    test_samples();
    test_hist();
    test_quantile();
    UNIT_MAIN_END();
}
