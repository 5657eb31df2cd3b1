/* Buffered log files, one buffer per worker per file. Lines are appended in
 * memory and written when the buffer fills, when the flush time passes, and —
 * for logs without an explicit buffer= — whenever the worker has nothing else
 * to do, so a quiet server's log is current while a busy one writes in blocks.
 * Always flushed on exit and before reopen. */
#ifndef HS_LOG_WRITER_H
#define HS_LOG_WRITER_H

#include "core/errlog.h"
#include "core/pool.h"
#include "event/loop.h"

typedef struct hs_log_file hs_log_file;

struct hs_log_file {
    hs_timer flush_timer; /* armed while the buffer holds lines */
    hs_log_file *next;    /* all files of this configuration */
    char *path;           /* absolute path */
    int fd;               /* O_APPEND; opened by the master, inherited */
    char *buf;            /* this worker's buffer, allocated on first use */
    size_t len;           /* bytes waiting */
    size_t cap;           /* buffer size */
    int64_t flush_msec;   /* longest a line may wait */
    bool explicit_buffer; /* buffer= given: no flush-when-idle */
    bool is_stderr;       /* path "stderr" */
    int gzip_level;       /* gzip=N: each flush is written as one gzip member; 0 off */
    hs_log_limit lost_log; /* failed writes: one alert a second */
    uint64_t lost_lines;  /* lines lost since the last alert */
};

/* Finds or opens the file (shared by every access_log naming it). Returns
 * NULL with errno set when it cannot be opened. */
hs_log_file *hs_log_file_open(hs_pool *pool, const char *path);
/* Applies buffer=/flush= (the largest buffer wins if set twice). */
void hs_log_file_set_buffer(hs_log_file *f, size_t size, int64_t flush_msec);
/* Appends one line (a newline is added). */
void hs_log_file_write(hs_log_file *f, const char *line, size_t n);
/* Room to render a line in place: returns a pointer to at least want bytes
 * at the end of the buffer (flushing first if needed), or NULL if want
 * exceeds the buffer. Commit the bytes used with hs_log_file_commit. */
char *hs_log_file_reserve(hs_log_file *f, size_t want);
void hs_log_file_commit(hs_log_file *f, size_t n);

/* n bytes of lines (p) the file did not take (err): counted in
 * hush_log_lines_lost_total{file}, an alert at most once a second. */
void hs_log_file_lost(hs_log_file *f, const char *p, size_t n, int err);
void hs_log_file_flush(hs_log_file *f);
void hs_log_files_flush_all(void);
/* Flush, then open each path anew (USR1 / log rotation). */
void hs_log_files_reopen_all(void);
/* Detaches the list of open files (before loading a new configuration) and
 * returns it; hs_log_files_restore puts one back (the new one failed). */
hs_log_file *hs_log_files_detach(void);
void hs_log_files_restore(hs_log_file *list);
/* Registers the idle hook with the event loop (once per worker). */
void hs_log_files_attach_loop(void);

/* USR1: the descriptors open_log_file_cache keeps are opened again when
 * next used (varpath.c). */
void hs_log_varpath_reopen(void);

#endif
