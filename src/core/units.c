#include "core/units.h"

int64_t hs_parse_int(hs_str s)
{
    if (s.n == 0 || s.n > 18)
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return -1;
        v = v * 10 + (s.p[i] - '0');
    }
    return v;
}

int64_t hs_parse_size(hs_str s)
{
    if (s.n == 0)
        return -1;
    int64_t mult = 1;
    switch (s.p[s.n - 1]) {
    case 'k': case 'K': mult = 1024; s.n--; break;
    case 'm': case 'M': mult = 1024 * 1024; s.n--; break;
    case 'g': case 'G': mult = 1024LL * 1024 * 1024; s.n--; break;
    }
    int64_t v = hs_parse_int(s);
    if (v < 0 || v > INT64_MAX / mult)
        return -1;
    return v * mult;
}

/* One "<number><unit>" term; returns milliseconds or -1. */
static int64_t parse_time_term(hs_str s)
{
    size_t i = 0;
    while (i < s.n && s.p[i] >= '0' && s.p[i] <= '9')
        i++;
    int64_t v = hs_parse_int((hs_str){s.p, i});
    if (v < 0)
        return -1;
    hs_str unit = {s.p + i, s.n - i};
    int64_t mult;
    if (unit.n == 0 || hs_str_eq_lit(unit, "s"))
        mult = 1000;
    else if (hs_str_eq_lit(unit, "ms"))
        mult = 1;
    else if (hs_str_eq_lit(unit, "m"))
        mult = 60 * 1000;
    else if (hs_str_eq_lit(unit, "h"))
        mult = 3600 * 1000;
    else if (hs_str_eq_lit(unit, "d"))
        mult = 86400LL * 1000;
    else if (hs_str_eq_lit(unit, "w"))
        mult = 7 * 86400LL * 1000;
    else if (hs_str_eq_lit(unit, "M"))
        mult = 30 * 86400LL * 1000;
    else if (hs_str_eq_lit(unit, "y"))
        mult = 365 * 86400LL * 1000;
    else
        return -1;
    if (v > INT64_MAX / mult)
        return -1;
    return v * mult;
}

int64_t hs_parse_msec(hs_str s)
{
    int64_t total = 0;
    size_t i = 0;
    bool any = false;
    while (i < s.n) {
        while (i < s.n && s.p[i] == ' ')
            i++;
        size_t start = i;
        /* one term: digits, then its unit's letters ("1h30m" is two terms, as nginx) */
        while (i < s.n && s.p[i] >= '0' && s.p[i] <= '9')
            i++;
        while (i < s.n && s.p[i] != ' ' && (s.p[i] < '0' || s.p[i] > '9'))
            i++;
        if (i == start)
            break;
        int64_t t = parse_time_term((hs_str){s.p + start, i - start});
        if (t < 0 || total > INT64_MAX - t)
            return -1;
        total += t;
        any = true;
    }
    return any ? total : -1;
}
