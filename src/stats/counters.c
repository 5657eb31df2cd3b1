#include "stats/counters.h"

hs_counters hs_stats;

void hs_stats_request(hs_ending e, int status)
{
    hs_stats.endings[e]++;
    hs_stats.requests++;
    int d = status / 100;
    hs_stats.status[(d >= 1 && d <= 5) ? d : 0]++;
    switch (status) {
    case 444: hs_stats.status_444++; break;
    case 499: hs_stats.status_499++; break;
    case 408: hs_stats.status_408++; break;
    case 400: hs_stats.status_400++; break;
    }
}
