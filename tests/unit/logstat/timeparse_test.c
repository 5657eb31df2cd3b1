/* tools/logstat/timeparse.c: nginx's time variables to unix seconds. */
#include "../../../tools/logstat/timeparse.c"

#include "unit.h"

static int64_t local(const char *s)
{
    int64_t t;
    int tz;
    return ls_time_local(hs_cstr(s), &t, &tz) == HS_OK ? t : -1;
}

static int64_t iso(const char *s)
{
    int64_t t;
    int tz;
    return ls_time_iso8601(hs_cstr(s), &t, &tz) == HS_OK ? t : -1;
}

int main(void)
{
    CHECK_INT(ls_days_from_civil(1970, 1, 1), 0);
    CHECK_INT(ls_days_from_civil(2000, 3, 1), 11017);
    CHECK_INT(local("25/Nov/2026:09:00:05 +0000"), 1795597205);
    CHECK_INT(local("25/Nov/2026:10:00:05 +0100"), 1795597205);
    CHECK_INT(local("25/Nov/2026:04:30:05 -0430"), 1795597205);
    /* the minute cache must not confuse offsets or seconds */
    CHECK_INT(local("25/Nov/2026:09:00:59 +0000"), 1795597259);
    CHECK_INT(local("29/Feb/2024:23:59:60 +0000"), 1709251200);
    CHECK_INT(local("25/Foo/2026:09:00:05 +0000"), -1);
    CHECK_INT(local("25/Nov/2026:09:00:05"), -1);
    CHECK_INT(local("25/Nov/2026:25:00:05 +0000"), -1);
    CHECK_INT(local("25/Nov/2026:09:00:05 +00x0"), -1);
    CHECK_INT(iso("2026-11-25T09:00:05+00:00"), 1795597205);
    CHECK_INT(iso("2026-11-25T10:00:05+01:00"), 1795597205);
    CHECK_INT(iso("2026-11-25T09:00:05Z"), 1795597205);
    CHECK_INT(iso("2026-11-25T09:00:05.123Z"), 1795597205);
    CHECK_INT(iso("2026-11-25 09:00:05+0000"), 1795597205);
    CHECK_INT(iso("2026-13-25T09:00:05Z"), -1);
    CHECK_INT(iso("2026-11-25T09:00:05"), -1);
    int64_t t;
    int tz;
    CHECK_INT(ls_time_msec(HS_STR("1795597205.123"), &t, &tz), HS_OK);
    CHECK_INT(t, 1795597205);
    CHECK_INT(ls_time_msec(HS_STR("x"), &t, &tz), HS_ERROR);
    char buf[32];
    ls_time_format(1795597205, 3600, true, buf);
    CHECK_STR(buf, "2026-11-25T10:00:05+01:00");
    ls_time_format(1795597205, -16200, false, buf);
    CHECK_STR(buf, "2026-11-25 04:30:05");
    ls_time_format(-1, 0, false, buf);
    CHECK_STR(buf, "1969-12-31 23:59:59");
    UNIT_MAIN_END();
}
