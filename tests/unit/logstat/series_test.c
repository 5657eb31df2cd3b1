/* tools/logstat/series.c: endings per minute, widening past the cap. */
#include "../../../tools/logstat/mem.c"
#include "../../../tools/logstat/series.c"

#include "unit.h"

static uint64_t total(const ls_series *s)
{
    uint64_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        n += ls_bucket_total(&s->b[i]);
    return n;
}

int main(void)
{
    ls_series s;
    ls_series_init(&s, 16);
    int64_t t0 = 1795597200;
    for (int i = 0; i < 600; i++)
        ls_series_add(&s, t0 + i, i % 10 == 0 ? LS_K_DROP : LS_K_OK);
    CHECK_INT(s.width, 60);
    CHECK_INT(s.n, 10);
    CHECK_INT(s.base, t0);
    CHECK_INT(s.b[3].k[LS_K_DROP], 6);
    CHECK_INT(s.b[3].k[LS_K_OK], 54);
    /* earlier lines (a second, older file) extend the series backwards */
    ls_series_add(&s, t0 - 120, LS_K_ABORT);
    CHECK_INT(s.base, t0 - 120);
    CHECK_INT(s.b[0].k[LS_K_ABORT], 1);
    CHECK_INT(s.b[5].k[LS_K_DROP], 6);
    /* a span past the cap doubles the width; nothing is lost */
    ls_series_add(&s, t0 + 3600, LS_K_5XX);
    CHECK(s.n <= 16);
    CHECK(s.width > 60);
    CHECK_INT(s.base % s.width, 0);
    CHECK_INT(total(&s), 602);
    ls_series_add(&s, t0 + 86400 * 30, LS_K_OK);
    CHECK(s.n <= 16);
    CHECK_INT(total(&s), 603);
    ls_series_free(&s);
    UNIT_MAIN_END();
}
