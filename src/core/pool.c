#include "core/pool.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

struct hs_pool_chunk {
    hs_pool_chunk *next; /* next chunk in allocation order */
    char *pos;           /* first free byte */
    char *end;           /* one past the last usable byte */
};

struct hs_pool_cleanup {
    hs_pool_cleanup *next; /* older cleanup */
    void (*fn)(void *);    /* what to run */
    void *data;            /* its argument */
};

#define HS_POOL_ALIGN 16
#define HS_ALIGN_UP(x) (((x) + (HS_POOL_ALIGN - 1)) & ~(uintptr_t)(HS_POOL_ALIGN - 1))

static hs_pool_chunk *chunk_new(size_t size)
{
    hs_pool_chunk *c = malloc(size);
    if (c == NULL)
        return NULL;
    c->next = NULL;
    c->pos = (char *)HS_ALIGN_UP((uintptr_t)(c + 1));
    c->end = (char *)c + size;
    return c;
}

hs_pool *hs_pool_create(size_t chunk_size)
{
    if (chunk_size < 256)
        chunk_size = 256;
    hs_pool_chunk *c = chunk_new(chunk_size);
    if (c == NULL)
        return NULL;
    /* The pool header lives in its own first chunk. */
    hs_pool *pool = (hs_pool *)c->pos;
    c->pos = (char *)HS_ALIGN_UP((uintptr_t)(pool + 1));
    pool->chunk = pool->first = c;
    pool->cleanups = NULL;
    pool->chunk_size = chunk_size;
    return pool;
}

static void run_cleanups(hs_pool *pool)
{
    hs_pool_cleanup *cl = pool->cleanups;
    pool->cleanups = NULL;
    for (; cl; cl = cl->next)
        cl->fn(cl->data);
}

static void free_chunks_after(hs_pool_chunk *c)
{
    hs_pool_chunk *next;
    for (c = c->next; c; c = next) {
        next = c->next;
        free(c);
    }
}

void hs_pool_destroy(hs_pool *pool)
{
    if (pool == NULL)
        return;
    run_cleanups(pool);
    hs_pool_chunk *first = pool->first;
    free_chunks_after(first);
    free(first);
}

void hs_pool_reset(hs_pool *pool)
{
    run_cleanups(pool);
    hs_pool_chunk *first = pool->first;
    free_chunks_after(first);
    first->next = NULL;
    first->pos = (char *)HS_ALIGN_UP((uintptr_t)(pool + 1));
    pool->chunk = first;
}

void *hs_palloc(hs_pool *pool, size_t size)
{
    size = HS_ALIGN_UP(size);
    hs_pool_chunk *c = pool->chunk;
    if ((size_t)(c->end - c->pos) >= size) {
        void *p = c->pos;
        c->pos += size;
        return p;
    }
    size_t need = size + HS_ALIGN_UP(sizeof(hs_pool_chunk));
    hs_pool_chunk *n = chunk_new(need > pool->chunk_size ? need : pool->chunk_size);
    if (n == NULL)
        return NULL;
    if (need > pool->chunk_size) {
        /* A big block gets a chunk of its own behind the current one, so the
         * current chunk's free space stays usable. */
        n->next = c->next;
        c->next = n;
        void *p = n->pos;
        n->pos = n->end;
        return p;
    }
    n->next = c->next;
    c->next = n;
    pool->chunk = n;
    void *p = n->pos;
    n->pos += size;
    return p;
}

void *hs_pcalloc(hs_pool *pool, size_t size)
{
    void *p = hs_palloc(pool, size);
    if (p)
        memset(p, 0, size);
    return p;
}

char *hs_pstrndup(hs_pool *pool, const char *s, size_t n)
{
    char *p = hs_palloc(pool, n + 1);
    if (p == NULL)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

hs_str hs_pstr(hs_pool *pool, hs_str s)
{
    char *p = hs_pstrndup(pool, s.p, s.n);
    return (hs_str){p, p ? s.n : 0};
}

char *hs_psprintf(hs_pool *pool, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = hs_palloc(pool, (size_t)n + 1);
    if (p == NULL)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

int hs_pool_cleanup_add(hs_pool *pool, void (*fn)(void *), void *data)
{
    hs_pool_cleanup *cl = hs_palloc(pool, sizeof(*cl));
    if (cl == NULL)
        return HS_ERROR;
    cl->fn = fn;
    cl->data = data;
    cl->next = pool->cleanups;
    pool->cleanups = cl;
    return HS_OK;
}

void *hs_pvec_push(hs_pool *pool, void **v, size_t *n, size_t sz)
{
    char *nv = hs_palloc(pool, (*n + 1) * sz);
    if (nv == NULL)
        return NULL;
    if (*n)
        memcpy(nv, *v, *n * sz);
    *v = nv;
    memset(nv + *n * sz, 0, sz);
    return nv + (*n)++ * sz;
}

hs_str hs_pjoin(hs_pool *pool, const hs_str *parts, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += parts[i].n;
    char *p = hs_palloc(pool, len + 1);
    if (p == NULL)
        return HS_NULL_STR;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        if (parts[i].n)
            memcpy(p + at, parts[i].p, parts[i].n);
        at += parts[i].n;
    }
    p[at] = '\0';
    return (hs_str){p, at};
}
