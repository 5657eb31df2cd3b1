/* Growable byte buffers. */
#include <stdlib.h>

#include "core/buf.h"

int hs_buf_add(hs_buf *b, const char *data, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 16384;
        while (cap < b->len + n)
            cap *= 2;
        char *nb = realloc(b->p, cap);
        if (nb == NULL)
            return HS_ERROR;
        b->p = nb;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->len, data, n);
    b->len += n;
    return HS_OK;
}

void hs_buf_free(hs_buf *b)
{
    free(b->p);
    *b = (hs_buf){0};
}
