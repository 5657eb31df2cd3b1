/* A tiny unit-test harness: each *_test.c is one binary; asserts print both
 * operands and the location, and the binary exits non-zero if any failed. */
#ifndef HS_UNIT_H
#define HS_UNIT_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unit_failures;
static int unit_checks;

#define CHECK(cond)                                                                    \
    do {                                                                               \
        unit_checks++;                                                                 \
        if (!(cond)) {                                                                 \
            unit_failures++;                                                           \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);   \
        }                                                                              \
    } while (0)

#define CHECK_INT(a, b)                                                                \
    do {                                                                               \
        long long _a = (long long)(a), _b = (long long)(b);                            \
        unit_checks++;                                                                 \
        if (_a != _b) {                                                                \
            unit_failures++;                                                           \
            fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__,        \
                    __LINE__, #a, #b, _a, _b);                                         \
        }                                                                              \
    } while (0)

#define CHECK_STR(a, b)                                                                \
    do {                                                                               \
        const char *_a = (a), *_b = (b);                                               \
        unit_checks++;                                                                 \
        if (!_a || !_b || strcmp(_a, _b) != 0) {                                       \
            unit_failures++;                                                           \
            fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__,    \
                    __LINE__, #a, #b, _a ? _a : "(null)", _b ? _b : "(null)");         \
        }                                                                              \
    } while (0)

/* Compare a slice (pointer + length) with a C string. */
#define CHECK_SLICE(s, lit)                                                            \
    do {                                                                               \
        hs_str _s = (s);                                                               \
        const char *_l = (lit);                                                        \
        unit_checks++;                                                                 \
        if (_s.n != strlen(_l) || memcmp(_s.p, _l, _s.n) != 0) {                       \
            unit_failures++;                                                           \
            fprintf(stderr, "%s:%d: %s == \"%s\" failed: got \"%.*s\"\n", __FILE__,    \
                    __LINE__, #s, _l, (int)_s.n, _s.p ? _s.p : "");                    \
        }                                                                              \
    } while (0)

#define UNIT_MAIN_END()                                                                \
    do {                                                                               \
        printf("%d checks, %d failed\n", unit_checks, unit_failures);                  \
        return unit_failures ? 1 : 0;                                                  \
    } while (0)

#endif
