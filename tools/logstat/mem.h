/* Allocation with one failure policy: a log analyzer that cannot get memory
 * cannot give a correct report, so it says so and exits. */
#ifndef LS_MEM_H
#define LS_MEM_H

#include <stddef.h>

void *ls_xmalloc(size_t n);
void *ls_xcalloc(size_t n, size_t size);
void *ls_xrealloc(void *p, size_t n);
char *ls_xstrndup(const char *s, size_t n);

#endif
