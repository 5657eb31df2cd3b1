/* nginx's stub_status variables: $connections_active, _reading, _writing,
 * _waiting, the numbers of the page (all workers, this one's current). */
#include <stdio.h>
#include <stdlib.h>

#include "stats/region.h"
#include "stats/stats.h"

enum { CONN_ACTIVE, CONN_READING, CONN_WRITING, CONN_WAITING };

static unsigned gauge(const hs_stats_gauges *g, uintptr_t which)
{
    switch (which) {
    case CONN_READING: return g->reading;
    case CONN_WRITING: return g->writing;
    case CONN_WAITING: return g->waiting;
    default: return g->reading + g->writing + g->waiting + g->tarpit;
    }
}

static int v_connections(void *ctx, uintptr_t which, hs_str *out, char *scratch)
{
    (void)ctx;
    hs_stats_counts *c = malloc(sizeof(*c)); /* large; the gauges are what is read */
    if (c == NULL)
        return HS_DECLINED;
    hs_stats_gauges g = {0};
    uint32_t nprocs = 0;
    hs_stats_refresh_gauges();
    if (hs_stats_shm)
        hs_stats_snapshot(hs_stats_shm, c, &g, &nprocs, NULL, 0);
    free(c);
    out->p = scratch;
    out->n = (size_t)snprintf(scratch, HS_VAR_SCRATCH, "%u", gauge(&g, which));
    return HS_OK;
}

const hs_var_def hs_stats_variables[] = {
    {"connections_active", v_connections, CONN_ACTIVE, false, true},
    {"connections_reading", v_connections, CONN_READING, false, true},
    {"connections_writing", v_connections, CONN_WRITING, false, true},
    {"connections_waiting", v_connections, CONN_WAITING, false, true},
    {NULL, NULL, 0, false, false},
};
