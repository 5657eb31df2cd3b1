/* Log sources: a plain file, a gzip file (detected by its magic bytes, so
 * it works on stdin too, and for concatenated members), or standard input,
 * read in large blocks and cut into lines in place. */
#ifndef LS_INPUT_H
#define LS_INPUT_H

#include <stdint.h>
#include <sys/types.h>
#include <zlib.h>

#include "core/str.h"

/* Called once per complete line, without its "\n" (or "\r\n").  The slice
 * is valid only during the call. */
typedef void (*ls_line_fn)(void *ctx, hs_str line);

typedef struct {
    const char *path;   /* as given; "-" is standard input */
    int fd;
    bool gz;            /* decompressing */
    bool started;       /* the first bytes were seen (gzip detection done) */
    bool zinit;         /* zs is initialised */
    bool skipping;      /* discarding the rest of an over-long line */
    bool regular;       /* a regular file: EOF may grow (follow) */
    bool zmid;          /* inside a gzip member (its end not yet seen) */
    z_stream zs;
    unsigned char *raw; /* compressed bytes not yet inflated */
    size_t raw_cap;
    char *buf;          /* text not yet cut into lines */
    size_t cap, len;
    uint64_t too_long;  /* lines longer than the buffer, skipped */
    uint64_t bytes;     /* bytes read from fd */
    dev_t dev;          /* identity of the open file, to notice rotation */
    ino_t ino;
} ls_input;

/* Opens path.  Returns HS_OK, or HS_ERROR with errno set. */
int ls_input_open(ls_input *in, const char *path);

/* Reads once (blocking) and passes every complete line to fn.  Returns the
 * number of bytes read, 0 at end of input, -1 on error (errno set; EINTR
 * when a signal arrived, EILSEQ for corrupt or truncated gzip data). */
ssize_t ls_input_step(ls_input *in, ls_line_fn fn, void *ctx);

/* Passes the last line if the input did not end with a newline. */
void ls_input_flush(ls_input *in, ls_line_fn fn, void *ctx);

/* For --follow at end of a regular file: if the path now names another
 * file (rotation) the rest of the old one is flushed and the new one opened;
 * if the file shrank (truncation) reading restarts at its start.  Returns 1
 * when it reopened or rewound, 0 when nothing changed. */
int ls_input_follow_check(ls_input *in, ls_line_fn fn, void *ctx);

void ls_input_close(ls_input *in);

#endif
