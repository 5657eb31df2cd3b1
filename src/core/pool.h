/* Arenas ("pools"): bump allocation from chunks, freed all at once.
 * A pool lives as long as its owner (the configuration, a connection or one
 * request); hs_pool_reset() keeps the first chunk for the next request.
 * Cleanups run on reset/destroy, so fds and foreign memory tied to a request
 * can never leak. Allocation failure returns NULL; request code turns that
 * into a 500 (or a closed connection), configuration code into an error. */
#ifndef HS_CORE_POOL_H
#define HS_CORE_POOL_H

#include "core/str.h"

typedef struct hs_pool_chunk hs_pool_chunk;
typedef struct hs_pool_cleanup hs_pool_cleanup;

typedef struct {
    hs_pool_chunk *chunk;      /* current chunk, allocation happens here */
    hs_pool_chunk *first;      /* first chunk; kept by reset */
    hs_pool_cleanup *cleanups; /* run in reverse order of registration */
    size_t chunk_size;         /* size of new chunks */
} hs_pool;

hs_pool *hs_pool_create(size_t chunk_size);
void hs_pool_destroy(hs_pool *pool);
/* The n strings one after another, NUL-terminated, in the pool (no printf:
 * cheap enough for every request); {NULL, 0} when out of memory. */
hs_str hs_pjoin(hs_pool *pool, const hs_str *parts, size_t n);
/* Frees every chunk but the first and runs the cleanups. */
void hs_pool_reset(hs_pool *pool);
void *hs_palloc(hs_pool *pool, size_t size);  /* 16-byte aligned */
void *hs_pcalloc(hs_pool *pool, size_t size); /* zeroed */
char *hs_pstrndup(hs_pool *pool, const char *s, size_t n); /* NUL-terminated copy */
hs_str hs_pstr(hs_pool *pool, hs_str s);                   /* copy, NUL-terminated */
char *hs_psprintf(hs_pool *pool, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends one zeroed element of size sz to the vector *v of *n elements
 * (configuration lists: the vector is copied into a larger block from the
 * pool each time). Returns the new element, or NULL when out of memory. */
void *hs_pvec_push(hs_pool *pool, void **v, size_t *n, size_t sz);
/* Registers fn(data) to run when the pool is reset or destroyed. */
int hs_pool_cleanup_add(hs_pool *pool, void (*fn)(void *), void *data);

#endif
