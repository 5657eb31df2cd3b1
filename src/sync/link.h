/* One connection to Redis, driven by this worker's event loop through
 * hiredis's non-blocking API: never a blocking call, never a thread.
 *
 * A link connects, reconnects with backoff (100 ms doubling to 5 s), and
 * judges Redis by its answers: a command unanswered for 2 s, or (for a
 * subscriber) no message for 3.5 s, means Redis is stuck, and the link
 * starts over. While it is down, what the caller asks to keep waits in a
 * bounded queue (the oldest dropped and counted); the rest is not sent. */
#ifndef HS_SYNC_LINK_H
#define HS_SYNC_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event/loop.h"

struct redisAsyncContext;
typedef struct hs_sync_link hs_sync_link;

/* A reply (NULL when the link went away first). */
typedef void hs_sync_reply_fn(hs_sync_link *l, void *reply, void *arg);

#define HS_SYNC_QUEUE 1024 /* commands kept while down */

struct hs_sync_link {
    hs_ev ev;                  /* first member: epoll dispatch */
    hs_timer retry;            /* the next connection attempt */
    hs_timer tick;             /* health checks, every 250 ms */
    struct redisAsyncContext *ac; /* NULL while down */
    const char *ip;            /* numeric: hiredis never resolves */
    int port, db;
    const char *label;         /* "HOST:PORT" for the log */
    const char *channel;       /* set: a subscriber of this channel */
    bool up;                   /* connected (and subscribed) */
    bool stopping;             /* the worker stops: no reconnecting */
    int reported;              /* state last reported: -1 none yet, 0 down, 1 up */
    uint32_t events;           /* registered with epoll */
    uint64_t backoff_ms;
    uint32_t outstanding;      /* commands sent, not answered */
    uint64_t progress_ms;      /* last answer, or when the oldest went out */
    struct {
        char *cmd[HS_SYNC_QUEUE]; /* formatted commands */
        int len[HS_SYNC_QUEUE];
        size_t head, n;
    } queue;
    void (*on_up)(hs_sync_link *l);                       /* connected (subscribed) */
    void (*on_state)(hs_sync_link *l, int up, const char *reason); /* up or down, once per change */
    void (*on_message)(hs_sync_link *l, const char *msg, size_t len); /* subscriber */
    void *user;
};

/* Sets the link up (not connected yet). */
void hs_sync_link_init(hs_sync_link *l, const char *ip, int port, int db, const char *label);
void hs_sync_link_start(hs_sync_link *l);
void hs_sync_link_stop(hs_sync_link *l);
/* Sends a command (argv form). fn (may be NULL) gets the reply. keep:
 * while down, queue it (fn must be NULL); else it is not sent and false
 * is returned. */
bool hs_sync_send(hs_sync_link *l, int argc, const char **argv, const size_t *lens, bool keep,
                  hs_sync_reply_fn *fn, void *arg);

/* A command formatted already (redisFormatCommand); false when down. */
bool hs_sync_send_formatted(hs_sync_link *l, const char *cmd, int len);

/* Counters every link adds to (this worker's). */
void hs_sync_count_error(void);
void hs_sync_count_dropped(uint64_t n);

#endif
