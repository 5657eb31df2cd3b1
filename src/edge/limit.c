/* limit_req and limit_conn over shared zones (state shared by all workers). */
#include "edge/edge_conf.h"

/* State of one limit_req key. */
typedef struct {
    uint64_t last;   /* monotonic ms of the last accounted request */
    int64_t excess;  /* thousandths of a request above the rate */
} req_state;

/* State of one limit_conn key. */
typedef struct {
    uint32_t conns;  /* requests holding it now, over all workers */
} conn_state;

size_t hs_limit_req_val_size(void) { return sizeof(req_state); }
size_t hs_limit_conn_val_size(void) { return sizeof(conn_state); }

/* Milliseconds since last, clamped when the clock went back. */
static int64_t elapsed_ms(uint64_t last, uint64_t now_ms)
{
    int64_t ms = (int64_t)(now_ms - last);
    if (ms < -60000)
        return 1; /* the clock went back a lot: start over */
    return ms < 0 ? 0 : ms;
}

int64_t hs_leaky_excess(uint64_t last, int64_t excess, uint64_t now_ms, uint64_t rate)
{
    int64_t ex = excess - (int64_t)rate * elapsed_ms(last, now_ms) / 1000 + 1000;
    return ex < 0 ? 0 : ex;
}

int hs_leaky_bucket(uint64_t *last, int64_t *excess, bool is_new, uint64_t now_ms, uint64_t rate,
                    uint64_t burst, uint64_t delay, uint64_t *delay_ms)
{
    int64_t ex = 0;
    *delay_ms = 0;
    if (!is_new) {
        ex = hs_leaky_excess(*last, *excess, now_ms, rate);
        if ((uint64_t)ex > burst)
            return HS_DECLINED;
        if (elapsed_ms(*last, now_ms) == 0) {
            *excess = ex;
            goto delay;
        }
    }
    *excess = ex;
    *last = now_ms;
delay:
    if (delay != UINT64_MAX && (uint64_t)ex > delay)
        *delay_ms = ((uint64_t)ex - delay) * 1000 / rate;
    return HS_OK;
}

int hs_limit_req_account(hs_edge_zone *z, hs_str key, const hs_limit_req *lr, uint64_t now_ms,
                         uint64_t *delay_ms, int64_t *excess, bool commit)
{
    hs_shm_lock(z->shm);
    int created = 1;
    req_state *st = hs_shm_get(z->shm, key, commit, &created);
    req_state was = st ? *st : (req_state){0, 0};
    int rc = hs_leaky_bucket(&was.last, &was.excess, created || st == NULL, now_ms, z->rate, lr->burst,
                             lr->delay, delay_ms);
    if (commit && rc == HS_OK && st)
        *st = was;
    bool counted = commit && rc == HS_OK && st && z->sync_url.p && hs_edge_limit_counted;
    /* what nginx logs: the excess this request came to, refused or not */
    *excess = rc == HS_OK ? was.excess : hs_leaky_excess(was.last, was.excess, now_ms, z->rate);
    hs_shm_unlock(z->shm);
    if (counted)
        hs_edge_limit_counted(z, key); /* the fleet hears of it (src/sync) */
    return rc;
}

void (*hs_edge_limit_counted)(hs_edge_zone *z, hs_str key);

void hs_limit_req_add(hs_edge_zone *z, hs_str key, uint64_t n, uint64_t now_ms)
{
    if (z->shm == NULL || n == 0)
        return;
    if (n > 1000000)
        n = 1000000; /* whatever a peer claims, the excess stays far from overflow */
    hs_shm_lock(z->shm);
    int created = 0;
    req_state *st = hs_shm_get(z->shm, key, 1, &created);
    /* as if the n requests came now: the bucket drains to now, then fills */
    int64_t ex = created ? 0 : hs_leaky_excess(st->last, st->excess, now_ms, z->rate) - 1000;
    st->excess = (ex < 0 ? 0 : ex) + (int64_t)n * 1000 - (created ? 1000 : 0);
    st->last = now_ms;
    hs_shm_unlock(z->shm);
}

int hs_limit_conn_acquire(hs_edge_zone *z, hs_str key, uint32_t max)
{
    hs_shm_lock(z->shm);
    conn_state *st = hs_shm_get(z->shm, key, 1, NULL);
    int rc = HS_DECLINED;
    if (st->conns < max) {
        st->conns++;
        rc = HS_OK;
    }
    hs_shm_unlock(z->shm);
    return rc;
}

void hs_limit_conn_release(hs_edge_zone *z, hs_str key)
{
    hs_shm_lock(z->shm);
    conn_state *st = hs_shm_get(z->shm, key, 0, NULL);
    if (st && st->conns > 0 && --st->conns == 0)
        hs_shm_del(z->shm, st);
    hs_shm_unlock(z->shm);
}
