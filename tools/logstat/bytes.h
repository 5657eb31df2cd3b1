/* Small, inlined byte helpers for the per-line hot path, where the fields
 * are short and a libc call costs more than the work it does. */
#ifndef LS_BYTES_H
#define LS_BYTES_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* a[0, n) == b[0, n), comparing eight bytes at a time. */
static inline bool ls_bytes_eq(const char *a, const char *b, size_t n)
{
    while (n >= 8) {
        uint64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        if (x != y)
            return false;
        a += 8, b += 8, n -= 8;
    }
    while (n--)
        if (*a++ != *b++)
            return false;
    return true;
}

/* The first c in [p, e), or NULL.  Fields are mostly short: a plain loop
 * over the first bytes beats a call to memchr, which takes over after. */
static inline const char *ls_find_byte(const char *p, const char *e, char c)
{
    const char *stop = e - p > 16 ? p + 16 : e;
    for (; p < stop; p++)
        if (*p == c)
            return p;
    return p < e ? memchr(p, c, (size_t)(e - p)) : NULL;
}

#endif
