/* A cache file on disk: a fixed header, the cache key, the response head
 * as the client gets it ("STATUS REASON" then "Name: value" lines), then
 * the body. Files can be corrupt or cut short (a crash, a full disk, a
 * hand): the parser checks every length, and anything wrong is a miss. */
#ifndef HS_CACHE_CACHE_FILE_H
#define HS_CACHE_CACHE_FILE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/str.h"

#define HS_CACHE_MAGIC "HSC1"
#define HS_CACHE_FIXED 48          /* the fixed part of the header */
#define HS_CACHE_HEAD_MAX 65536    /* key + response head at most */
#define HS_CACHE_VARY_MAX 1024     /* the Vary field's names kept */

typedef struct {
    int64_t valid_until;  /* wall seconds: fresh until then */
    int64_t stored;       /* wall seconds when it was stored */
    int64_t body_len;     /* bytes after the header */
    uint32_t header_len;  /* bytes before the body */
    hs_str key;           /* the cache key (slices of the parsed buffer) */
    hs_str vary;          /* the Vary names of the response, "" none */
    uint8_t vary_hash[8]; /* the request's values of them when it was stored */
    hs_str head;          /* the response head lines */
} hs_cache_meta;

/* The header for m (m->header_len is set) into out, which has room for
 * HS_CACHE_FIXED + key + vary + head bytes: the bytes written. */
size_t hs_cache_header_write(hs_cache_meta *m, char *out);
/* Sets the validity in a header's fixed part (HS_CACHE_FIXED bytes). */
void hs_cache_header_set_valid(char *fixed, int64_t valid_until);
/* Sets the body's length in a header's fixed part (HS_CACHE_FIXED bytes). */
void hs_cache_header_set_body_len(char *fixed, int64_t body_len);
/* Parses the header at the start of a file of file_size bytes, whose first
 * len bytes are buf: HS_OK (m filled), HS_AGAIN (the header is longer than
 * len: read m->header_len bytes and call again), HS_ERROR (not a cache
 * file, or corrupt, or cut short). */
int hs_cache_header_parse(const char *buf, size_t len, int64_t file_size, hs_cache_meta *m);

/* One field of the stored head: *pos walks the lines. The first line is
 * the status ("200 OK"): hs_cache_head_status. Returns false at the end or
 * on a malformed line. */
bool hs_cache_head_status(hs_str head, size_t *pos, int *status, hs_str *reason);
bool hs_cache_head_next(hs_str head, size_t *pos, hs_str *name, hs_str *value);

#endif
