/* tests src/stats/slots.c: slots claimed by processes, folded into the
 * accumulator when they exit (no loss, no double count, also while a reader
 * sums concurrently), and label interning with its bounds. */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stats/region.h"
#include "unit.h"

static void test_claim_fold(void)
{
    hs_stats_region *g = hs_stats_region_create();
    CHECK(g != NULL);
    hs_stats_slot *a = hs_stats_slot_claim(g, 101), *b = hs_stats_slot_claim(g, 102);
    CHECK(a != NULL && b != NULL && a != b);
    a->counts.endings[HS_END_OK] = 5;
    a->counts.bans_active[1] = 2;
    b->counts.endings[HS_END_OK] = 7;
    b->counts.bans_active[1] = -1;
    a->gauges.waiting = 3;
    hs_stats_counts sum;
    hs_stats_gauges gg;
    uint32_t n;
    pid_t pids[4];
    hs_stats_snapshot(g, &sum, &gg, &n, pids, 4);
    CHECK_INT(n, 2);
    CHECK_INT(sum.endings[HS_END_OK], 12);
    CHECK_INT(sum.bans_active[1], 1);
    CHECK_INT(gg.waiting, 3);
    CHECK(hs_stats_slot_release(g, 101));
    CHECK(!hs_stats_slot_release(g, 101));
    hs_stats_snapshot(g, &sum, &gg, &n, pids, 4);
    CHECK_INT(n, 1);
    CHECK_INT(pids[0], 102);
    CHECK_INT(sum.endings[HS_END_OK], 12); /* folded, not lost */
    CHECK_INT(sum.bans_active[1], 1);
    CHECK_INT(gg.waiting, 0);              /* gauges are not folded */
    /* the freed slot comes back zeroed */
    hs_stats_slot *c = hs_stats_slot_claim(g, 103);
    CHECK(c == a);
    CHECK_INT(c->counts.endings[HS_END_OK], 0);
    hs_stats_snapshot(g, &sum, &gg, &n, pids, 4);
    CHECK_INT(sum.endings[HS_END_OK], 12);
    /* all slots taken: NULL */
    int claimed = 0;
    while (hs_stats_slot_claim(g, 200 + claimed))
        claimed++;
    CHECK_INT(claimed, HS_STATS_MAX_SLOTS - 2);
}

/* A child increments while the parent sums, then the parent folds the
 * child's slot; every sum seen must be monotonic and the end exact. */
static void test_concurrent(void)
{
    hs_stats_region *g = hs_stats_region_create();
    enum { N = 2000000 };
    pid_t child = fork();
    if (child == 0) {
        hs_stats_slot *s = hs_stats_slot_claim(g, getpid());
        for (int i = 0; i < N; i++)
            HS_STATS_ADD(s->counts.requests_all, 1);
        _exit(0);
    }
    uint64_t last = 0;
    int backwards = 0;
    for (int i = 0; i < 2000; i++) {
        hs_stats_counts sum;
        hs_stats_gauges gg;
        uint32_t n;
        hs_stats_snapshot(g, &sum, &gg, &n, NULL, 0);
        backwards += sum.requests_all < last;
        last = sum.requests_all;
    }
    int st;
    waitpid(child, &st, 0);
    hs_stats_counts sum;
    hs_stats_gauges gg;
    uint32_t n;
    hs_stats_snapshot(g, &sum, &gg, &n, NULL, 0);
    CHECK_INT(sum.requests_all, N);
    CHECK(hs_stats_slot_release(g, child));
    hs_stats_snapshot(g, &sum, &gg, &n, NULL, 0);
    CHECK_INT(sum.requests_all, N);
    CHECK_INT(n, 0);
    CHECK_INT(backwards, 0);
}

static void test_labels(void)
{
    hs_stats_region *g = hs_stats_region_create();
    uint32_t a = hs_stats_intern_server(g, "example.com", 11);
    CHECK_INT(a, 1);
    CHECK_INT(hs_stats_intern_server(g, "example.com", 11), 1);
    CHECK_INT(hs_stats_intern_server(g, "example.co", 10), 2);
    CHECK_STR(g->servers[2], "example.co");
    /* locations are per server */
    CHECK_INT(hs_stats_intern_loc(g, 1, "/api/", 5), 1);
    CHECK_INT(hs_stats_intern_loc(g, 2, "/api/", 5), 2);
    CHECK_INT(hs_stats_intern_loc(g, 1, "/api/", 5), 1);
    /* long values are cut, and still found again */
    char longname[300];
    memset(longname, 'x', sizeof(longname));
    uint32_t l = hs_stats_intern_rule(g, longname, sizeof(longname));
    CHECK(l > 0);
    CHECK_INT(strlen(g->rules[l]), HS_STATS_LABEL_LEN - 1);
    CHECK_INT(hs_stats_intern_rule(g, longname, sizeof(longname)), l);
    /* bounded: past the table, everything is _overflow (index 0) */
    char name[32];
    uint32_t last = 0;
    for (int i = 0; i < HS_STATS_MAX_ZONES + 10; i++) {
        int n = snprintf(name, sizeof(name), "zone%d", i);
        last = hs_stats_intern_zone(g, name, (size_t)n);
    }
    CHECK_INT(last, 0);
    CHECK_INT(g->nzones, HS_STATS_MAX_ZONES);
    CHECK_STR(g->zones[0], "_overflow");
    /* status codes */
    CHECK_INT(hs_stats_intern_status(g, 200), 1);
    CHECK_INT(hs_stats_intern_status(g, 444), 2);
    CHECK_INT(hs_stats_intern_status(g, 200), 1);
    CHECK_INT(g->status_codes[2], 444);
}

int main(void)
{
    test_claim_fold();
    test_concurrent();
    test_labels();
    UNIT_MAIN_END();
}
