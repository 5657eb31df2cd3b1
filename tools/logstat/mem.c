/* Allocation wrappers: see mem.h for the policy. */
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *check(void *p, size_t n)
{
    if (!p && n) {
        fprintf(stderr, "hush-logstat: out of memory (%zu bytes)\n", n);
        exit(2);
    }
    return p;
}

void *ls_xmalloc(size_t n) { return check(malloc(n ? n : 1), n); }
void *ls_xcalloc(size_t n, size_t size) { return check(calloc(n ? n : 1, size ? size : 1), n * size); }
void *ls_xrealloc(void *p, size_t n) { return check(realloc(p, n ? n : 1), n); }

char *ls_xstrndup(const char *s, size_t n)
{
    char *d = ls_xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}
