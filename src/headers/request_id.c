/* $request_id: 32 hex digits of randomness, made once per request on first
 * use and the same for the rest of it (log lines, proxy_set_header). */
#include <sys/random.h>

#include "headers/headers_internal.h"

static unsigned char pool[4096]; /* random bytes of this worker, used 16 at a time */
static size_t pool_used = sizeof(pool);

static int random16(unsigned char out[16])
{
    if (pool_used + 16 > sizeof(pool)) {
        size_t got = 0;
        while (got < sizeof(pool)) {
            ssize_t n = getrandom(pool + got, sizeof(pool) - got, 0);
            if (n <= 0)
                return HS_ERROR;
            got += (size_t)n;
        }
        pool_used = 0;
    }
    memcpy(out, pool + pool_used, 16);
    pool_used += 16;
    return HS_OK;
}

/* A forked worker must not reuse bytes its parent drew. */
void hd_request_id_worker_start(const hs_config *conf)
{
    (void)conf;
    pool_used = sizeof(pool);
}

int hd_request_id_var(void *ctx, uintptr_t d, hs_str *out, char *scratch)
{
    (void)d, (void)scratch;
    hd_req *hr = hd_req_of(ctx);
    if (hr == NULL)
        return HS_DECLINED;
    char *id = hr->request_id;
    if (id == NULL) {
        static const char hex[] = "0123456789abcdef";
        unsigned char b[16];
        if (random16(b) != HS_OK || (id = hr->request_id = hs_palloc(((hs_req *)ctx)->pool, 32)) == NULL)
            return HS_DECLINED;
        for (int i = 0; i < 16; i++) {
            id[2 * i] = hex[b[i] >> 4];
            id[2 * i + 1] = hex[b[i] & 15];
        }
    }
    *out = (hs_str){id, 32};
    return HS_OK;
}
