/* tests src/stats/spike.c: the moving baseline, the trigger (ratio and
 * floor), the one-minute window and the clearing. */
#include "stats/spike.h"
#include "unit.h"

static void test_fresh_flood(void)
{
    hs_spike s = {0};
    uint64_t total = 0, t = 100;
    CHECK_INT(hs_spike_update(&s, total, 0, t, 3, 10), 0);
    /* 9 aborts: under the floor */
    total += 9;
    CHECK_INT(hs_spike_update(&s, total, t, t + 1, 3, 10), 0);
    t++;
    total += 1; /* 10 in the last minute, baseline ~0: a spike */
    CHECK_INT(hs_spike_update(&s, total, t, t + 1, 3, 10), 1);
    t++;
    CHECK(s.active);
    CHECK_INT(s.window, 10);
    /* still inside the minute: stays on, no second warning */
    CHECK_INT(hs_spike_update(&s, total, t, t + 30, 3, 10), 0);
    t += 30;
    /* the minute passes: the window empties, it clears after the calm */
    int rc = 0, secs = 0;
    while (rc == 0 && secs < 200) {
        rc = hs_spike_update(&s, total, t, t + 1, 3, 10);
        t++;
        secs++;
    }
    CHECK_INT(rc, -1);
    CHECK(!s.active);
    CHECK_INT(s.window, 0);
    CHECK(secs > 20 && secs < 60);
}

static void test_baseline(void)
{
    hs_spike s = {0};
    uint64_t total = 0, t = 1000;
    hs_spike_update(&s, total, 0, t, 3, 10);
    int starts = 0;
    /* a steady 1 per second (60 per minute) for an hour: one start at the
     * beginning at most, then the baseline follows and it stays quiet */
    for (int i = 0; i < 3600; i++) {
        total += 1;
        int rc = hs_spike_update(&s, total, t, t + 1, 3, 10);
        t++;
        starts += rc > 0;
    }
    CHECK(starts <= 1);
    CHECK(!s.active);
    CHECK(s.baseline > 50 && s.baseline < 61);
    /* twice the rate: under 3x, no spike */
    for (int i = 0; i < 120; i++) {
        total += 2;
        CHECK(hs_spike_update(&s, total, t, t + 1, 3, 10) <= 0);
        t++;
    }
    /* ten times the rate: a spike within the minute */
    int fired = 0;
    for (int i = 0; i < 60 && !fired; i++) {
        total += 10;
        fired = hs_spike_update(&s, total, t, t + 1, 3, 10) > 0;
        t++;
    }
    CHECK(fired);
}

static void test_gaps_and_off(void)
{
    hs_spike s = {0};
    hs_spike_update(&s, 0, 0, 10, 3, 5);
    /* 50 events, then no tick for 2 minutes: the window forgets them */
    CHECK_INT(hs_spike_update(&s, 50, 10, 11, 3, 5), 1);
    hs_spike_update(&s, 50, 11, 131, 3, 5);
    CHECK_INT(s.window, 0);
    /* ratio 0: never fires, still counts */
    hs_spike off = {0};
    hs_spike_update(&off, 0, 0, 10, 0, 1);
    CHECK_INT(hs_spike_update(&off, 1000, 10, 11, 0, 1), 0);
    CHECK_INT(off.window, 1000);
    CHECK(off.seen);
    /* a counter going backwards (cannot happen; must not underflow) */
    CHECK_INT(hs_spike_update(&off, 10, 11, 12, 0, 1), 0);
    CHECK_INT(off.window, 1000);
}

int main(void)
{
    test_fresh_flood();
    test_baseline();
    test_gaps_and_off();
    UNIT_MAIN_END();
}
