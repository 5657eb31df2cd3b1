#include "core/clock.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

hs_clock hs_now;

static const char *const day_names[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const month_names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

size_t hs_http_date(time_t t, char *out)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    return (size_t)snprintf(out, 32, "%s, %02d %s %04d %02d:%02d:%02d GMT", day_names[tm.tm_wday],
                            tm.tm_mday, month_names[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
                            tm.tm_min, tm.tm_sec);
}

static void format_strings(time_t sec)
{
    struct tm lt;
    localtime_r(&sec, &lt);
    long off = lt.tm_gmtoff / 60;
    char sign = off < 0 ? '-' : '+';
    if (off < 0)
        off = -off;
    hs_now.http_date_len = hs_http_date(sec, hs_now.http_date);
    hs_now.log_local_len = (size_t)snprintf(
        hs_now.log_local, sizeof(hs_now.log_local), "%02d/%s/%04d:%02d:%02d:%02d %c%02ld%02ld",
        lt.tm_mday, month_names[lt.tm_mon], lt.tm_year + 1900, lt.tm_hour, lt.tm_min, lt.tm_sec,
        sign, off / 60, off % 60);
    hs_now.iso8601_len = (size_t)snprintf(
        hs_now.iso8601, sizeof(hs_now.iso8601), "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld",
        lt.tm_year + 1900, lt.tm_mon + 1, lt.tm_mday, lt.tm_hour, lt.tm_min, lt.tm_sec, sign,
        off / 60, off % 60);
    hs_now.errlog_len = (size_t)snprintf(hs_now.errlog, sizeof(hs_now.errlog),
                                         "%04d/%02d/%02d %02d:%02d:%02d", lt.tm_year + 1900,
                                         lt.tm_mon + 1, lt.tm_mday, lt.tm_hour, lt.tm_min, lt.tm_sec);
}

void hs_clock_update(void)
{
    struct timespec ts, ms;
    clock_gettime(CLOCK_REALTIME, &ts);
    clock_gettime(CLOCK_MONOTONIC, &ms);
    hs_now.msec = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    hs_now.mono_usec = (uint64_t)ms.tv_sec * 1000000 + (uint64_t)ms.tv_nsec / 1000;
    hs_now.mono_msec = hs_now.mono_usec / 1000;
    if (ts.tv_sec != hs_now.sec || hs_now.http_date_len == 0) {
        hs_now.sec = ts.tv_sec;
        format_strings(ts.tv_sec);
    }
}

static int month_index(const char *p)
{
    for (int i = 0; i < 12; i++)
        if (strncasecmp(p, month_names[i], 3) == 0)
            return i;
    return -1;
}

time_t hs_parse_http_date(const char *p, size_t n)
{
    char buf[64], mon[4] = {0};
    if (n == 0 || n >= sizeof(buf))
        return -1;
    memcpy(buf, p, n);
    buf[n] = '\0';
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    int d, y, H, M, S, used = 0;
    const char *comma = strchr(buf, ',');
    if (comma && sscanf(comma + 1, " %d %3s %d %d:%d:%d GMT%n", &d, mon, &y, &H, &M, &S, &used) == 6 &&
        used) {
        /* IMF-fixdate */
    } else if (comma && sscanf(comma + 1, " %d-%3s-%d %d:%d:%d GMT%n", &d, mon, &y, &H, &M, &S,
                               &used) == 6 && used) {
        y += y < 70 ? 2000 : 1900; /* RFC 850 */
    } else if (sscanf(buf, "%*3s %3s %d %d:%d:%d %d%n", mon, &d, &H, &M, &S, &y, &used) == 6 &&
               used) {
        /* asctime */
    } else {
        return -1;
    }
    int m = month_index(mon);
    if (m < 0 || d < 1 || d > 31 || H > 23 || M > 59 || S > 60 || y < 1970)
        return -1;
    tm.tm_mday = d;
    tm.tm_mon = m;
    tm.tm_year = y - 1900;
    tm.tm_hour = H;
    tm.tm_min = M;
    tm.tm_sec = S;
    return timegm(&tm);
}
