/* The event loop of one worker: edge-triggered epoll plus a min-heap of
 * timers. Single threaded; everything registered here belongs to this
 * process. */
#ifndef HS_EVENT_LOOP_H
#define HS_EVENT_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

typedef struct hs_ev hs_ev;
typedef struct hs_timer hs_timer;

/* Embedded first in every object registered with epoll. */
struct hs_ev {
    void (*on_event)(hs_ev *ev, uint32_t events); /* EPOLLIN/OUT/RDHUP/HUP/ERR bits */
};

/* Embedded in objects that need a deadline. */
struct hs_timer {
    uint64_t when;                   /* monotonic ms deadline */
    uint32_t slot;                   /* heap index + 1; 0 when not armed */
    void (*on_timer)(hs_timer *t);   /* called once when it expires */
};

#include <signal.h>

int hs_loop_init(void);
/* Signals blocked outside epoll_wait are delivered only while waiting, so a
 * signal can never slip in between checking flags and going to sleep. */
void hs_loop_set_wait_mask(const sigset_t *mask);
void hs_loop_close(void);
/* Registers fd edge-triggered with the given events. */
int hs_ev_add(int fd, hs_ev *ev, uint32_t events);
int hs_ev_mod(int fd, hs_ev *ev, uint32_t events);
/* Level-triggered registration (listening sockets). */
int hs_ev_add_level(int fd, hs_ev *ev, uint32_t events);
int hs_ev_mod_level(int fd, hs_ev *ev, uint32_t events);
int hs_ev_del(int fd);

/* Arms (or re-arms) t to fire after delay_ms. */
void hs_timer_set(hs_timer *t, uint64_t delay_ms);
void hs_timer_cancel(hs_timer *t);
static inline bool hs_timer_armed(const hs_timer *t) { return t->slot != 0; }
/* Number of armed timers (for tests and stats). */
uint32_t hs_timer_count(void);

/* free(p) at the end of this iteration: events for p may still be queued. */
void hs_loop_free_later(void *p);

/* Called at the end of every iteration (deferred frees). */
void hs_loop_on_post(void (*fn)(void));

/* Called once when the loop is about to sleep (nothing else to do). */
void hs_loop_on_idle(void (*fn)(void));
/* Ask for the idle callbacks to run before the next sleep. */
void hs_loop_want_idle(void);

/* One iteration: waits for events (at most max_wait_ms, -1 = until a timer),
 * dispatches them, runs due timers. Returns the number of events handled or
 * -1 on an epoll error other than EINTR. */
int hs_loop_once(int max_wait_ms);

#endif
