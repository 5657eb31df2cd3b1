#include "event/loop.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/errlog.h"

#define MAX_EVENTS 512
#define MAX_IDLE_HOOKS 8
#define IDLE_GRACE_MSEC 20

static int epfd = -1;
static hs_timer **heap;    /* min-heap by when */
static uint32_t heap_len, heap_cap;
static void (*idle_hooks[MAX_IDLE_HOOKS])(void);
static int n_idle_hooks;
static bool idle_wanted;
static void (*post_hooks[MAX_IDLE_HOOKS])(void);
static int n_post_hooks;
static sigset_t wait_mask;
static bool have_wait_mask;

void hs_loop_set_wait_mask(const sigset_t *mask)
{
    wait_mask = *mask;
    have_wait_mask = true;
}

static int wait_events(struct epoll_event *evs, int timeout)
{
    return epoll_pwait(epfd, evs, MAX_EVENTS, timeout, have_wait_mask ? &wait_mask : NULL);
}

int hs_loop_init(void)
{
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) {
        hs_log_errno(HS_LOG_EMERG, errno, "epoll_create1() failed");
        return -1;
    }
    hs_clock_update();
    return 0;
}

void hs_loop_close(void)
{
    if (epfd >= 0)
        close(epfd);
    epfd = -1;
    free(heap);
    heap = NULL;
    heap_len = heap_cap = 0;
    n_idle_hooks = 0;
    n_post_hooks = 0;
}

int hs_ev_add(int fd, hs_ev *ev, uint32_t events)
{
    struct epoll_event e = {.events = events | EPOLLET, .data.ptr = ev};
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e);
}

int hs_ev_mod(int fd, hs_ev *ev, uint32_t events)
{
    struct epoll_event e = {.events = events | EPOLLET, .data.ptr = ev};
    return epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &e);
}

int hs_ev_add_level(int fd, hs_ev *ev, uint32_t events)
{
    struct epoll_event e = {.events = events, .data.ptr = ev};
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e);
}

int hs_ev_mod_level(int fd, hs_ev *ev, uint32_t events)
{
    struct epoll_event e = {.events = events, .data.ptr = ev};
    return epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &e);
}

int hs_ev_del(int fd) { return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL); }

/* ---- timers: binary min-heap, each timer knows its slot ---- */

static void heap_place(uint32_t i, hs_timer *t)
{
    heap[i] = t;
    t->slot = i + 1;
}

static void sift_up(uint32_t i)
{
    hs_timer *t = heap[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (heap[parent]->when <= t->when)
            break;
        heap_place(i, heap[parent]);
        i = parent;
    }
    heap_place(i, t);
}

static void sift_down(uint32_t i)
{
    hs_timer *t = heap[i];
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        uint64_t mw = t->when;
        if (l < heap_len && heap[l]->when < mw) {
            m = l;
            mw = heap[l]->when;
        }
        if (r < heap_len && heap[r]->when < mw)
            m = r;
        if (m == i)
            break;
        heap_place(i, heap[m]);
        i = m;
    }
    heap_place(i, t);
}

void hs_timer_cancel(hs_timer *t)
{
    if (t->slot == 0)
        return;
    uint32_t i = t->slot - 1;
    t->slot = 0;
    heap_len--;
    if (i == heap_len)
        return;
    heap_place(i, heap[heap_len]);
    if (i > 0 && heap[(i - 1) / 2]->when > heap[i]->when)
        sift_up(i);
    else
        sift_down(i);
}

void hs_timer_set(hs_timer *t, uint64_t delay_ms)
{
    uint64_t when = hs_now.mono_msec + delay_ms;
    if (t->slot) {
        uint64_t old = t->when;
        t->when = when;
        if (when < old)
            sift_up(t->slot - 1);
        else if (when > old)
            sift_down(t->slot - 1);
        return;
    }
    if (heap_len == heap_cap) {
        uint32_t cap = heap_cap ? heap_cap * 2 : 256;
        hs_timer **nh = realloc(heap, cap * sizeof(*nh));
        if (nh == NULL) {
            hs_log(HS_LOG_ALERT, "out of memory for timers");
            return;
        }
        heap = nh;
        heap_cap = cap;
    }
    t->when = when;
    heap_place(heap_len, t);
    heap_len++;
    sift_up(heap_len - 1);
}

uint32_t hs_timer_count(void) { return heap_len; }

static void run_timers(void)
{
    while (heap_len && heap[0]->when <= hs_now.mono_msec) {
        hs_timer *t = heap[0];
        hs_timer_cancel(t);
        t->on_timer(t);
    }
}

static int next_timeout(int max_wait_ms)
{
    if (heap_len == 0)
        return max_wait_ms;
    uint64_t when = heap[0]->when;
    int64_t d = when > hs_now.mono_msec ? (int64_t)(when - hs_now.mono_msec) : 0;
    if (max_wait_ms >= 0 && d > max_wait_ms)
        d = max_wait_ms;
    return (int)d;
}

void hs_loop_on_idle(void (*fn)(void))
{
    if (n_idle_hooks < MAX_IDLE_HOOKS)
        idle_hooks[n_idle_hooks++] = fn;
}

static void **later;          /* pointers to free after this iteration */
static size_t nlater, caplater;

void hs_loop_free_later(void *p)
{
    if (nlater == caplater) {
        size_t cap = caplater ? caplater * 2 : 64;
        void **nl = realloc(later, cap * sizeof(*nl));
        if (nl == NULL)
            return; /* leak rather than risk a use after free */
        later = nl;
        caplater = cap;
    }
    later[nlater++] = p;
}

static void free_later(void)
{
    for (size_t i = 0; i < nlater; i++)
        free(later[i]);
    nlater = 0;
}

void hs_loop_on_post(void (*fn)(void))
{
    if (n_post_hooks < MAX_IDLE_HOOKS)
        post_hooks[n_post_hooks++] = fn;
}

void hs_loop_want_idle(void) { idle_wanted = true; }

static void run_idle(void)
{
    idle_wanted = false;
    for (int i = 0; i < n_idle_hooks; i++)
        idle_hooks[i]();
}

int hs_loop_once(int max_wait_ms)
{
    struct epoll_event evs[MAX_EVENTS];
    int n;
    if (idle_wanted) {
        /* Something (buffered log lines) wants doing once we have nothing
         * else to do. "Nothing" means no event for IDLE_GRACE_MSEC: a busy
         * worker that sleeps a few hundred microseconds between events must
         * not pay a write() each time, a quiet one is current within it. */
        int grace = next_timeout(IDLE_GRACE_MSEC);
        n = wait_events(evs, grace);
        if (n == 0) {
            run_idle();
            n = wait_events(evs, next_timeout(max_wait_ms));
        }
    } else {
        n = wait_events(evs, next_timeout(max_wait_ms));
    }
    hs_clock_update();
    if (n < 0) {
        if (errno == EINTR)
            return 0;
        hs_log_errno(HS_LOG_ALERT, errno, "epoll_wait() failed");
        return -1;
    }
    for (int i = 0; i < n; i++) {
        hs_ev *ev = evs[i].data.ptr;
        ev->on_event(ev, evs[i].events);
    }
    run_timers();
    for (int i = 0; i < n_post_hooks; i++)
        post_hooks[i]();
    free_later();
    return n;
}
