/* The request body read whole before a handler goes on (nginx's
 * client_body_buffer_size, client_body_in_file_only,
 * client_body_temp_path): up to client_body_buffer_size in memory, all of
 * it in a temporary file beyond, so the memory a request holds is bounded
 * whatever the body's size. The handler (the proxy) calls hs_body_read from
 * its run and from its client events until it is done. */
#ifndef HS_REQUEST_BODY_H
#define HS_REQUEST_BODY_H

#include "http/http.h"

typedef struct {
    hs_str mem;          /* the body, when it is in memory (empty otherwise) */
    int fd;              /* the temporary file that holds it; -1: none */
    const char *path;    /* that file's name ($request_body_file) */
    int64_t size;        /* bytes of body read so far */
    bool done;           /* the whole body is read */
} hs_body;

/* Reads what has arrived of r's body. HS_OK: the whole body is read
 * (hs_body_of); HS_AGAIN: wait for the client (the caller arms its
 * client_body_timeout); HS_DECLINED: the client left in the middle; else an
 * HTTP status: 400 (malformed), 413 (too large), 500 (the temporary file
 * could not be written: logged). */
int hs_body_read(hs_req *r);
/* A handler that streams the body on (the proxy, unbuffered) tells what
 * went: a copy is kept while it fits client_body_buffer_size, so that
 * $request_body has it as nginx's does; a larger body is not kept. */
void hs_body_streamed(hs_req *r, const char *data, size_t n, bool last);
/* The body read so far, or NULL when hs_body_read was not called. */
const hs_body *hs_body_of(const hs_req *r);

#endif
