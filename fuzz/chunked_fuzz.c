/* Fuzz target for the chunked decoder. The first four bytes seed where the
 * rest is cut into pieces; decoding it whole, in those pieces and (when
 * short) one byte per call must agree on the outcome, the payload and the
 * leftover. Each piece is an exact-size heap block, so over-reads trip ASan. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "parse/chunked.h"

typedef struct {
    ssize_t rc;        /* HS_AGAIN, HS_ERROR, or 0 once done */
    char *payload;     /* decoded bytes, concatenated */
    size_t payload_len; /* bytes in payload */
    char *rest;        /* input left after the end of the body */
    size_t rest_len;   /* bytes in rest */
} outcome;

static uint32_t next_rand(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* Feed in[0..n) in pieces of random length (max_piece 0: all at once). */
static void decode(const char *in, size_t n, uint32_t seed, size_t max_piece, outcome *o)
{
    hs_chunked d;
    hs_chunked_init(&d);
    *o = (outcome){.rc = HS_AGAIN, .payload = malloc(n + 1), .rest = malloc(n + 1)};
    size_t from = 0;
    while (from < n) {
        size_t k = n - from;
        if (max_piece && k > 1)
            k = 1 + next_rand(&seed) % (k < max_piece ? k : max_piece);
        if (o->rc != HS_AGAIN) {
            memcpy(o->rest + o->rest_len, in + from, k);
            o->rest_len += k;
            from += k;
            continue;
        }
        char *piece = malloc(k);
        memcpy(piece, in + from, k);
        size_t len = k;
        ssize_t rc = hs_chunked_decode(&d, piece, &len);
        REQUIRE(rc == HS_AGAIN || rc == HS_ERROR || (rc >= 0 && (size_t)rc <= k));
        if (rc != HS_ERROR) {
            REQUIRE(len <= k - (rc > 0 ? (size_t)rc : 0));
            memcpy(o->payload + o->payload_len, piece, len);
            o->payload_len += len;
            REQUIRE(d.total == o->payload_len);
        }
        if (rc >= 0) {
            memcpy(o->rest, piece + k - rc, (size_t)rc);
            o->rest_len = (size_t)rc;
            o->rc = 0;
        } else {
            o->rc = rc;
        }
        free(piece);
        from += k;
        if (rc == HS_ERROR)
            break;
    }
}

static void same(const outcome *a, const outcome *b)
{
    REQUIRE(a->rc == b->rc);
    if (a->rc == HS_ERROR)
        return;
    REQUIRE(a->payload_len == b->payload_len);
    REQUIRE(memcmp(a->payload, b->payload, a->payload_len) == 0);
    REQUIRE(a->rest_len == b->rest_len);
    REQUIRE(memcmp(a->rest, b->rest, a->rest_len) == 0);
}

static void release(outcome *o)
{
    free(o->payload);
    free(o->rest);
}

/* libFuzzer's entry point; no header declares it (-Wmissing-prototypes). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    uint32_t seed;
    memcpy(&seed, data, 4);
    seed |= 1; /* xorshift must not start at 0 */
    const char *in = (const char *)data + 4;
    size_t n = size - 4;
    outcome whole, split, bytes;
    decode(in, n, seed, 0, &whole);
    if (whole.rc == 0) /* leftover is exactly the tail of the input */
        REQUIRE(memcmp(whole.rest, in + n - whole.rest_len, whole.rest_len) == 0);
    decode(in, n, seed, 1 + seed % 64, &split);
    same(&whole, &split);
    release(&split);
    if (n <= 4096) {
        decode(in, n, seed, 1, &bytes);
        same(&whole, &bytes);
        release(&bytes);
    }
    release(&whole);
    return 0;
}
