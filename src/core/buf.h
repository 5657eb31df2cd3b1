/* A growable byte buffer in malloc'd memory: bytes queued for a socket
 * (a streamed response), written from `sent` on. */
#ifndef HS_CORE_BUF_H
#define HS_CORE_BUF_H

#include "core/str.h"

typedef struct {
    char *p;
    size_t len;  /* bytes held */
    size_t sent; /* of them, already written */
    size_t cap;
} hs_buf;

/* Appends n bytes (growing by doubling); HS_OK or HS_ERROR. */
int hs_buf_add(hs_buf *b, const char *data, size_t n);
/* Frees the memory; the buffer is empty again. */
void hs_buf_free(hs_buf *b);

#endif
