/* Timestamp parsing for the time variables nginx can log. */
#include "timeparse.h"

#include <stdio.h>
#include <string.h>

#include "bytes.h"

int64_t ls_days_from_civil(int y, int m, int d)
{
    /* Howard Hinnant's algorithm: count from March so leap days come last. */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int digits(const char *p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        unsigned c = (unsigned char)p[i] - '0';
        if (c > 9)
            return -1;
        v = v * 10 + (int)c;
    }
    return v;
}

static int month_by_name(const char *p)
{
    static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    for (int i = 0; i < 12; i++)
        if (memcmp(names + 3 * i, p, 3) == 0)
            return i + 1;
    return -1;
}

/* "+0000" or "+00:00" (colon optional); returns seconds or INT32_MIN. */
static int parse_offset(const char *p, size_t n)
{
    if (n == 1 && p[0] == 'Z')
        return 0;
    if (n < 5 || (p[0] != '+' && p[0] != '-'))
        return INT32_MIN;
    int h = digits(p + 1, 2);
    int m = digits(p + (p[3] == ':' ? 4 : 3), 2);
    if (h < 0 || m < 0 || n != (size_t)(p[3] == ':' ? 6 : 5))
        return INT32_MIN;
    int s = h * 3600 + m * 60;
    return p[0] == '-' ? -s : s;
}

/* The last minute converted, per format: the key is the text up to the
 * minute plus the offset text, the value that minute's UTC epoch. */
typedef struct {
    char key[24];
    size_t keylen;
    int64_t minute;
    int tz;
} minute_cache;

static bool cache_hit(const minute_cache *c, const char *a, size_t an, const char *b,
                      size_t bn)
{
    return c->keylen == an + bn && ls_bytes_eq(c->key, a, an) && ls_bytes_eq(c->key + an, b, bn);
}

static void cache_put(minute_cache *c, const char *a, size_t an, const char *b, size_t bn)
{
    if (an + bn > sizeof(c->key)) {
        c->keylen = 0;
        return;
    }
    memcpy(c->key, a, an);
    memcpy(c->key + an, b, bn);
    c->keylen = an + bn;
}

int ls_time_local(hs_str v, int64_t *t, int *tz)
{
    static minute_cache cache;
    /* 25/Nov/2026:10:00:00 +0000 */
    if (v.n < 26 || v.p[2] != '/' || v.p[6] != '/' || v.p[11] != ':' || v.p[14] != ':' ||
        v.p[17] != ':' || v.p[20] != ' ')
        return HS_ERROR;
    int sec = digits(v.p + 18, 2);
    if (sec < 0 || sec > 60)
        return HS_ERROR;
    const char *off = v.p + 21;
    size_t offn = v.n - 21;
    if (!cache_hit(&cache, v.p, 17, off, offn)) {
        int d = digits(v.p, 2), mon = month_by_name(v.p + 3), y = digits(v.p + 7, 4);
        int h = digits(v.p + 12, 2), mi = digits(v.p + 15, 2);
        int o = parse_offset(off, offn);
        if (d < 1 || d > 31 || mon < 0 || y < 0 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
            o == INT32_MIN)
            return HS_ERROR;
        cache.minute = ls_days_from_civil(y, mon, d) * 86400 + h * 3600 + mi * 60 - o;
        cache.tz = o;
        cache_put(&cache, v.p, 17, off, offn);
    }
    *t = cache.minute + sec;
    *tz = cache.tz;
    return HS_OK;
}

int ls_time_iso8601(hs_str v, int64_t *t, int *tz)
{
    static minute_cache cache;
    /* 2026-11-25T10:00:00+00:00, maybe with ".123" before the offset */
    if (v.n < 20 || v.p[4] != '-' || v.p[7] != '-' || (v.p[10] != 'T' && v.p[10] != ' ') ||
        v.p[13] != ':' || v.p[16] != ':')
        return HS_ERROR;
    int sec = digits(v.p + 17, 2);
    if (sec < 0 || sec > 60)
        return HS_ERROR;
    size_t i = 19;
    if (i < v.n && v.p[i] == '.')
        for (i++; i < v.n && v.p[i] >= '0' && v.p[i] <= '9'; i++)
            ;
    const char *off = v.p + i;
    size_t offn = v.n - i;
    if (!cache_hit(&cache, v.p, 16, off, offn)) {
        int y = digits(v.p, 4), mon = digits(v.p + 5, 2), d = digits(v.p + 8, 2);
        int h = digits(v.p + 11, 2), mi = digits(v.p + 14, 2);
        int o = parse_offset(off, offn);
        if (y < 0 || mon < 1 || mon > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 ||
            mi > 59 || o == INT32_MIN)
            return HS_ERROR;
        cache.minute = ls_days_from_civil(y, mon, d) * 86400 + h * 3600 + mi * 60 - o;
        cache.tz = o;
        cache_put(&cache, v.p, 16, off, offn);
    }
    *t = cache.minute + sec;
    *tz = cache.tz;
    return HS_OK;
}

int ls_time_msec(hs_str v, int64_t *t, int *tz)
{
    int64_t s = 0;
    size_t i = 0;
    for (; i < v.n && v.p[i] >= '0' && v.p[i] <= '9'; i++) {
        if (i > 15)
            return HS_ERROR;
        s = s * 10 + (v.p[i] - '0');
    }
    if (i == 0 || (i < v.n && v.p[i] != '.'))
        return HS_ERROR;
    *t = s;
    *tz = 0;
    return HS_OK;
}

void ls_time_format(int64_t t, int tz, bool iso, char out[32])
{
    int64_t lt = t + tz;
    int64_t days = lt >= 0 ? lt / 86400 : (lt - 86399) / 86400;
    int64_t rem = lt - days * 86400;
    /* civil_from_days, the inverse of ls_days_from_civil */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    int y = (int)(yoe + era * 400 + (m <= 2));
    int h = (int)(rem / 3600), mi = (int)(rem / 60 % 60), s = (int)(rem % 60);
    if (!iso) {
        snprintf(out, 32, "%04d-%02d-%02d %02d:%02d:%02d", y, m, d, h, mi, s);
        return;
    }
    int a = tz < 0 ? -tz : tz;
    snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", y, m, d, h, mi, s,
             tz < 0 ? '-' : '+', a / 3600, a / 60 % 60);
}
