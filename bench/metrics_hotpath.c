/* bench/metrics_hotpath.c: the cost of counting one request (hs_stats_request:
 * status, ending, latency histogram), timed in a loop against a real shared
 * slot. Built and run by bench/metrics.sh; immune to a busy machine in a way
 * that requests/s are not. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include "stats/region.h"
#include "core/clock.h"
int main(void) {
    hs_stats_shm = hs_stats_region_create();
    hs_stats_cur = &hs_stats_slot_claim(hs_stats_shm, getpid())->counts;
    static hs_srv_conf srv; static hs_loc_conf loc; static hs_conn c; static hs_req r;
    srv.name = HS_STR("example.com"); loc.name = HS_STR("/"); loc.match = HS_LOC_PREFIX; loc.server = &srv;
    r.srv = &srv; r.loc = &loc; r.conn = &c; r.ending = HS_END_OK; r.resp.status = 200;
    struct timespec a, b; int N = 20000000;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < N; i++) { hs_now.mono_usec += 37; hs_stats_request(&r); }
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("%.1f ns per hs_stats_request\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / N);
}
