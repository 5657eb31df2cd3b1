/* A Redis connection on the worker's event loop (link.h). hiredis does the
 * protocol; this file is its event-library adapter (epoll, level-triggered,
 * since hiredis reads once per call), the health checks and the backoff. */
#include "sync/link.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/errlog.h"
#include "core/str.h"
#include "stats/counters.h"

#define TICK_MS 250
#define STUCK_MS 2000        /* a command or a connection unanswered this long: stuck */
#define STALE_MS 3500        /* a subscriber that heard nothing (heartbeats are 1 s apart) */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define MAX_OUTSTANDING 4096 /* in flight at once: hiredis's buffers stay bounded */

static void went_down(hs_sync_link *l, const char *reason);

/* ---- hiredis's event hooks ---- */

static void want_events(hs_sync_link *l, uint32_t add, uint32_t del)
{
    if (l->ac == NULL)
        return;
    uint32_t want = (l->events | add) & ~del;
    int fd = l->ac->c.fd;
    if (want == l->events || fd < 0)
        return;
    if (l->events == 0)
        hs_ev_add_level(fd, &l->ev, want);
    else if (want == 0)
        hs_ev_del(fd);
    else
        hs_ev_mod_level(fd, &l->ev, want);
    l->events = want;
}

static void add_read(void *p) { want_events(p, EPOLLIN, 0); }
static void del_read(void *p) { want_events(p, 0, EPOLLIN); }
static void add_write(void *p) { want_events(p, EPOLLOUT, 0); }
static void del_write(void *p) { want_events(p, 0, EPOLLOUT); }

/* The context is going away (an error, Redis closed, or we freed it). */
static void cleanup(void *p)
{
    hs_sync_link *l = p;
    if (l->ac == NULL)
        return;
    if (l->events && l->ac->c.fd >= 0)
        hs_ev_del(l->ac->c.fd);
    const char *reason = l->ac->err ? l->ac->errstr : "connection closed";
    char copy[128];
    snprintf(copy, sizeof(copy), "%s", reason);
    l->ac = NULL;
    l->events = 0;
    went_down(l, copy);
}

static void on_event(hs_ev *ev, uint32_t events)
{
    hs_sync_link *l = (hs_sync_link *)ev;
    if (l->ac && (events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)))
        redisAsyncHandleRead(l->ac);
    if (l->ac && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
        redisAsyncHandleWrite(l->ac);
}

/* ---- state ---- */

void hs_sync_count_error(void) { hs_stats_sync_error(); }
void hs_sync_count_dropped(uint64_t n) { hs_stats_sync_dropped(n); }

/* A change of this link's state goes to its owner (which writes the one
 * log line the instance's fleet state deserves). */
static void report(hs_sync_link *l, int state, const char *reason)
{
    if (l->reported == state)
        return;
    l->reported = state;
    if (l->on_state)
        l->on_state(l, state, reason);
}

static void flush_queue(hs_sync_link *l)
{
    while (l->ac && l->up && l->queue.n && l->outstanding < MAX_OUTSTANDING) {
        size_t i = l->queue.head;
        char *cmd = l->queue.cmd[i];
        l->queue.cmd[i] = NULL;
        l->queue.head = (i + 1) % HS_SYNC_QUEUE;
        l->queue.n--;
        hs_sync_send_formatted(l, cmd, l->queue.len[i]);
        free(cmd);
    }
}

static void mark_up(hs_sync_link *l)
{
    l->up = true;
    l->backoff_ms = BACKOFF_MIN_MS;
    l->progress_ms = hs_now.mono_msec;
    report(l, 1, NULL);
    flush_queue(l);
    if (l->on_up)
        l->on_up(l);
}

static void went_down(hs_sync_link *l, const char *reason)
{
    l->up = false;
    l->outstanding = 0;
    if (l->stopping)
        return;
    hs_sync_count_error();
    report(l, 0, reason);
    hs_timer_set(&l->retry, l->backoff_ms);
    l->backoff_ms = l->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : l->backoff_ms * 2;
}

/* ---- replies ---- */

typedef struct {
    hs_sync_reply_fn *fn;
    void *arg;
} waiter;

static void on_reply(redisAsyncContext *ac, void *reply, void *priv)
{
    hs_sync_link *l = ac->data;
    waiter *w = priv;
    if (reply == NULL) {
        l->up = false; /* the context is being freed: nothing more goes out on it */
    } else {
        if (l->outstanding)
            l->outstanding--;
        l->progress_ms = hs_now.mono_msec;
        if (((redisReply *)reply)->type == REDIS_REPLY_ERROR)
            hs_sync_count_error(); /* OOM (full), a wrong type ...: counted, traffic untouched */
        if (l->queue.n)
            flush_queue(l); /* what waited for room in flight */
    }
    if (w) {
        w->fn(l, reply, w->arg);
        free(w);
    }
}

static void on_subscribed(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)priv;
    hs_sync_link *l = ac->data;
    redisReply *r = reply;
    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements < 3 || r->element[0]->type != REDIS_REPLY_STRING)
        return;
    l->progress_ms = hs_now.mono_msec;
    if (strcmp(r->element[0]->str, "subscribe") == 0) {
        l->outstanding = 0;
        mark_up(l);
    } else if (strcmp(r->element[0]->str, "message") == 0 && r->element[2]->type == REDIS_REPLY_STRING &&
               l->on_message) {
        l->on_message(l, r->element[2]->str, r->element[2]->len);
    }
}

static void on_connected(const redisAsyncContext *ac, int status)
{
    hs_sync_link *l = ac->data;
    if (status == REDIS_OK && l->channel == NULL && l->ac == ac)
        mark_up(l);
    /* a failure: hiredis frees the context, cleanup() reports it */
}

/* ---- life ---- */

static void connect_now(hs_sync_link *l)
{
    redisAsyncContext *ac = redisAsyncConnect(l->ip, l->port);
    if (ac == NULL || ac->err) {
        char reason[128];
        snprintf(reason, sizeof(reason), "%s", ac ? ac->errstr : "out of memory");
        if (ac)
            redisAsyncFree(ac);
        went_down(l, reason);
        return;
    }
    l->ac = ac;
    ac->data = l;
    ac->ev.data = l;
    ac->ev.addRead = add_read;
    ac->ev.delRead = del_read;
    ac->ev.addWrite = add_write;
    ac->ev.delWrite = del_write;
    ac->ev.cleanup = cleanup;
    add_read(l);
    redisAsyncSetConnectCallback(ac, on_connected);
    l->progress_ms = hs_now.mono_msec;
    l->outstanding = 1; /* the connection itself must answer in time */
    if (l->channel) {
        redisAsyncCommand(ac, on_subscribed, NULL, "SUBSCRIBE %s", l->channel);
    } else {
        l->outstanding = 0;
        if (l->db) {
            redisAsyncCommand(ac, on_reply, NULL, "SELECT %d", l->db);
            l->outstanding = 1;
        } else {
            redisAsyncCommand(ac, on_reply, NULL, "PING");
            l->outstanding = 1;
        }
    }
}

static void on_retry(hs_timer *t)
{
    hs_sync_link *l = (hs_sync_link *)((char *)t - offsetof(hs_sync_link, retry));
    if (l->ac == NULL && !l->stopping)
        connect_now(l);
}

/* Frees the context from outside hiredis's callbacks: cleanup() follows. */
static void kill_link(hs_sync_link *l, const char *reason)
{
    redisAsyncContext *ac = l->ac;
    ac->err = REDIS_ERR_OTHER;
    snprintf(ac->c.errstr, sizeof(ac->c.errstr), "%s", reason);
    ac->errstr = ac->c.errstr;
    redisAsyncFree(ac);
}

static void on_tick(hs_timer *t)
{
    hs_sync_link *l = (hs_sync_link *)((char *)t - offsetof(hs_sync_link, tick));
    uint64_t idle = hs_now.mono_msec - l->progress_ms;
    if (l->ac && l->outstanding && idle > STUCK_MS)
        kill_link(l, "no answer for 2 s");
    else if (l->ac && l->up && l->channel && idle > STALE_MS)
        kill_link(l, "no message for 3.5 s");
    hs_timer_set(&l->tick, TICK_MS);
}

void hs_sync_link_init(hs_sync_link *l, const char *ip, int port, int db, const char *label)
{
    memset(l, 0, sizeof(*l));
    l->ev.on_event = on_event;
    l->retry.on_timer = on_retry;
    l->tick.on_timer = on_tick;
    l->ip = ip;
    l->port = port;
    l->db = db;
    l->label = label;
    l->reported = -1;
    l->backoff_ms = BACKOFF_MIN_MS;
}

void hs_sync_link_start(hs_sync_link *l)
{
    l->stopping = false;
    connect_now(l);
    hs_timer_set(&l->tick, TICK_MS);
}

void hs_sync_link_stop(hs_sync_link *l)
{
    l->stopping = true;
    hs_timer_cancel(&l->retry);
    hs_timer_cancel(&l->tick);
    if (l->ac)
        redisAsyncFree(l->ac);
    while (l->queue.n) {
        free(l->queue.cmd[l->queue.head]);
        l->queue.head = (l->queue.head + 1) % HS_SYNC_QUEUE;
        l->queue.n--;
    }
}

/* ---- commands ---- */

bool hs_sync_send_formatted(hs_sync_link *l, const char *cmd, int len)
{
    if (l->ac == NULL || !l->up)
        return false;
    if (redisAsyncFormattedCommand(l->ac, on_reply, NULL, cmd, (size_t)len) != REDIS_OK)
        return false;
    if (l->outstanding++ == 0)
        l->progress_ms = hs_now.mono_msec;
    return true;
}

static void enqueue(hs_sync_link *l, char *cmd, int len)
{
    if (l->queue.n == HS_SYNC_QUEUE) { /* full: the oldest goes */
        free(l->queue.cmd[l->queue.head]);
        l->queue.head = (l->queue.head + 1) % HS_SYNC_QUEUE;
        l->queue.n--;
        hs_sync_count_dropped(1);
    }
    size_t i = (l->queue.head + l->queue.n) % HS_SYNC_QUEUE;
    l->queue.cmd[i] = cmd;
    l->queue.len[i] = len;
    l->queue.n++;
}

bool hs_sync_send(hs_sync_link *l, int argc, const char **argv, const size_t *lens, bool keep,
                  hs_sync_reply_fn *fn, void *arg)
{
    if (l->ac && l->up && l->outstanding < MAX_OUTSTANDING && l->queue.n == 0) {
        waiter *w = NULL;
        if (fn && (w = malloc(sizeof(*w))) == NULL)
            return false;
        if (w)
            *w = (waiter){fn, arg};
        if (redisAsyncCommandArgv(l->ac, on_reply, w, argc, argv, lens) != REDIS_OK) {
            free(w);
            return false;
        }
        if (l->outstanding++ == 0)
            l->progress_ms = hs_now.mono_msec;
        return true;
    }
    if (!keep) {
        if (l->up)
            hs_sync_count_dropped(1); /* Redis is slower than we talk: not sent */
        return false;
    }
    char *cmd = NULL;
    int len = redisFormatCommandArgv(&cmd, argc, argv, lens);
    if (len < 0)
        return false;
    enqueue(l, cmd, len);
    flush_queue(l);
    return true;
}
