/* Slices: a pointer and a length, used everywhere text is parsed in place.
 * A slice never owns its bytes; whoever holds the buffer does. */
#ifndef HS_CORE_STR_H
#define HS_CORE_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

typedef struct {
    const char *p; /* first byte, not NUL-terminated in general */
    size_t n;      /* length in bytes */
} hs_str;

/* Return codes shared by every layer. */
enum {
    HS_OK = 0,
    HS_ERROR = -1,    /* failed; the caller ends the request or connection */
    HS_AGAIN = -2,    /* needs more I/O before it can go on */
    HS_DECLINED = -3, /* not mine: let the next handler try */
    HS_DONE = -4,     /* handled completely here: stop */
};

#define HS_STR(lit) ((hs_str){(lit), sizeof(lit) - 1})
#define HS_NULL_STR ((hs_str){NULL, 0})
#define HS_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static inline hs_str hs_str_from(const char *p, size_t n) { return (hs_str){p, n}; }
static inline hs_str hs_cstr(const char *s) { return (hs_str){s, s ? strlen(s) : 0}; }

static inline bool hs_str_eq(hs_str a, hs_str b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

static inline bool hs_str_eq_lit(hs_str a, const char *lit)
{
    size_t n = strlen(lit);
    return a.n == n && memcmp(a.p, lit, n) == 0;
}

static inline bool hs_str_caseeq(hs_str a, hs_str b)
{
    return a.n == b.n && (a.n == 0 || strncasecmp(a.p, b.p, a.n) == 0);
}

static inline bool hs_str_caseeq_lit(hs_str a, const char *lit)
{
    size_t n = strlen(lit);
    return a.n == n && strncasecmp(a.p, lit, n) == 0;
}

static inline bool hs_str_has_prefix(hs_str s, hs_str prefix)
{
    return s.n >= prefix.n && memcmp(s.p, prefix.p, prefix.n) == 0;
}

/* Decimal digits of v into out (at least 20 bytes); returns the length. */
static inline size_t hs_u64_to_str(uint64_t v, char *out)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

/* Writing text into a buffer sized beforehand: copies, returns the end. */
static inline char *hs_put(char *p, const char *s, size_t n)
{
    if (n)
        memcpy(p, s, n);
    return p + n;
}
#define HS_PUT_LIT(p, lit) hs_put((p), (lit), sizeof(lit) - 1)
#define HS_PUT_STR(p, s) hs_put((p), (s).p, (s).n)

static inline char hs_lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c | 0x20) : c; }

#endif
