/* tools/logstat/hist.c: latency histograms and their quantiles. */
#include "../../../tools/logstat/hist.c"

#include <stdbool.h>

#include "unit.h"

static bool near(double got, double want, double rel)
{
    return got >= want * (1 - rel) && got <= want * (1 + rel);
}

int main(void)
{
    static ls_hist h, g, big;
    CHECK(ls_hist_quantile(&h, 0.5) < 0);
    /* below 16 ms values are exact */
    for (int i = 0; i < 10; i++)
        ls_hist_add(&h, 0.001 * i);
    CHECK(ls_hist_quantile(&h, 0.5) == 0.004);
    CHECK(ls_hist_quantile(&h, 1.0) == 0.009);
    ls_hist_add(&h, -1); /* unknown: ignored */
    CHECK_INT(h.n, 10);
    /* above, within 1/16 of the truth */
    for (int i = 1; i <= 10000; i++)
        ls_hist_add(&g, i * 0.001);
    CHECK(near(ls_hist_quantile(&g, 0.5), 5.0, 0.0625));
    CHECK(near(ls_hist_quantile(&g, 0.9), 9.0, 0.0625));
    CHECK(near(ls_hist_quantile(&g, 0.99), 9.9, 0.0625));
    CHECK(ls_hist_quantile(&g, 1.0) <= 10.0);
    /* huge values land in the last bucket, capped by the max seen */
    ls_hist_add(&big, 1e6);
    CHECK(ls_hist_quantile(&big, 0.5) <= 1e6);
    ls_hist_merge(&g, &h);
    CHECK_INT(g.n, 10010);
    CHECK(g.max == 10.0);
    UNIT_MAIN_END();
}
