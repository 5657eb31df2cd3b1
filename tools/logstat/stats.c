/* The per-line aggregation. */
#include "stats.h"

#include <stdlib.h>

#include "mem.h"

void ls_stats_init(ls_stats *st, size_t max_keys, size_t max_buckets)
{
    memset(st, 0, sizeof(*st));
    st->t_first = st->t_last = LS_TIME_NONE;
    ls_series_init(&st->series, max_buckets);
    ls_topk_init(&st->sources, max_keys, NULL);
    ls_topk_init(&st->drop_hosts, max_keys, NULL);
    ls_topk_init(&st->drop_uas, max_keys, NULL);
    ls_topk_init(&st->drop_requests, max_keys, NULL);
    ls_topk_init(&st->drop_rules, max_keys, NULL);
    ls_topk_init(&st->locations, max_keys, free);
    ls_topk_init(&st->upstreams, max_keys, free);
}

void ls_stats_free(ls_stats *st)
{
    ls_series_free(&st->series);
    ls_topk_free(&st->sources);
    ls_topk_free(&st->drop_hosts);
    ls_topk_free(&st->drop_uas);
    ls_topk_free(&st->drop_requests);
    ls_topk_free(&st->drop_rules);
    ls_topk_free(&st->locations);
    ls_topk_free(&st->upstreams);
}

void ls_stats_malformed(ls_stats *st, hs_str line)
{
    st->lines++;
    st->malformed++;
    if (st->nexamples == LS_MAX_EXAMPLES)
        return;
    ls_example *ex = &st->examples[st->nexamples++];
    ex->file = st->cur_file;
    ex->line = st->cur_line;
    size_t n = line.n < LS_EXAMPLE_LEN - 1 ? line.n : LS_EXAMPLE_LEN - 1;
    memcpy(ex->text, line.p, n);
    ex->text[n] = '\0';
}

/* The client: $remote_addr, or with --real-ip the first address of
 * $http_x_forwarded_for when a proxy in front of the server set it. */
static hs_str source_of(const ls_stats *st, const ls_rec *r)
{
    if (st->real_ip && r->xff.n && !(r->xff.n == 1 && r->xff.p[0] == '-')) {
        hs_str x = r->xff;
        const char *comma = memchr(x.p, ',', x.n);
        if (comma)
            x.n = (size_t)(comma - x.p);
        while (x.n && x.p[x.n - 1] == ' ')
            x.n--;
        if (x.n)
            return x;
    }
    return r->remote_addr;
}

static void count_key(ls_topk *t, hs_str key)
{
    if (key.n == 0)
        key = HS_STR("-");
    ls_topk_get(t, key)->c[0]++;
}

static bool is_bad(ls_kind k)
{
    return k == LS_K_DROP || k == LS_K_TIMEOUT || k == LS_K_BADREQ || k == LS_K_BARE;
}

/* Every line of a source: its requests, its 444/400/408s, when it came. */
static void count_source(ls_stats *st, const ls_rec *r, ls_kind k)
{
    ls_tk_entry *e = ls_topk_get(&st->sources, source_of(st, r));
    e->c[LS_SRC_REQ]++;
    if (r->time != LS_TIME_NONE) {
        if (!e->t_first || r->time < e->t_first)
            e->t_first = r->time;
        if (r->time > e->t_last)
            e->t_last = r->time;
    }
    if (!is_bad(k))
        return;
    e->c[LS_SRC_BAD]++;
    e->c[k == LS_K_DROP ? LS_SRC_444 : k == LS_K_TIMEOUT ? LS_SRC_408 : LS_SRC_400]++;
}

/* Who is dropped. */
static void count_dropped(ls_stats *st, const ls_rec *r, ls_kind k)
{
    if (k != LS_K_DROP)
        return;
    if (r->have & LS_HAVE(LS_F_HOST))
        count_key(&st->drop_hosts, r->host);
    if (r->have & LS_HAVE(LS_F_USER_AGENT))
        count_key(&st->drop_uas, r->user_agent);
    if (r->have & LS_HAVE(LS_F_REQUEST))
        count_key(&st->drop_requests, r->request);
    if (r->have & LS_HAVE(LS_F_DROP_RULE))
        count_key(&st->drop_rules, r->drop_rule);
}

/* Who gives up: requests and 499s per location, with request times. */
static void count_location(ls_stats *st, const ls_rec *r, ls_kind k)
{
    hs_str loc = ls_rec_location(r);
    if (loc.n == 0)
        return;
    ls_tk_entry *e = ls_topk_get(&st->locations, loc);
    e->c[LS_LOC_REQ]++;
    if (k == LS_K_ABORT)
        e->c[LS_LOC_499]++;
    else if (k == LS_K_DROP)
        e->c[LS_LOC_444]++;
    else if (k == LS_K_5XX)
        e->c[LS_LOC_5XX]++;
    else if (r->status == 404)
        e->c[LS_LOC_404]++;
    if (r->request_time < 0)
        return;
    if (!e->ext)
        e->ext = ls_xcalloc(1, sizeof(ls_loc_lat));
    ls_loc_lat *lat = e->ext;
    ls_hist_add(&lat->all, r->request_time);
    if (k == LS_K_ABORT)
        ls_hist_add(&lat->aborted, r->request_time);
}

/* 5xx and 499 per upstream, with the request times of its requests. */
static void count_upstream(ls_stats *st, const ls_rec *r, ls_kind k)
{
    if (!r->upstream_addr.n)
        return;
    ls_tk_entry *e = ls_topk_get(&st->upstreams, r->upstream_addr);
    e->c[LS_UP_REQ]++;
    e->c[LS_UP_5XX] += k == LS_K_5XX;
    e->c[LS_UP_499] += k == LS_K_ABORT;
    if (r->request_time < 0)
        return;
    if (!e->ext)
        e->ext = ls_xcalloc(1, sizeof(ls_hist));
    ls_hist_add(e->ext, r->request_time);
}

static void count_time(ls_stats *st, const ls_rec *r, ls_kind k)
{
    if (r->time == LS_TIME_NONE) {
        st->no_time++;
        return;
    }
    if (st->t_first == LS_TIME_NONE) {
        st->t_first = st->t_last = r->time;
        st->tz = r->tz_offset;
    }
    if (r->time < st->t_first)
        st->t_first = r->time;
    if (r->time > st->t_last)
        st->t_last = r->time;
    ls_series_add(&st->series, r->time, k);
    int64_t day = (r->time + r->tz_offset) % 86400;
    st->hours[(day < 0 ? day + 86400 : day) / 3600][k]++;
}

const char *const ls_proto_names[LS_PROTO_COUNT] = {"HTTP/1.0", "HTTP/1.1", "HTTP/2.0", "other"};

/* HTTP/1.0, 1.1 or 2.0 from the end of a $request; nothing for "-". An
 * HTTP/2 stream logged 499 is one the client reset (or left with its
 * connection). */
static void count_protocol(ls_stats *st, hs_str req, int status)
{
    if (req.n < 9 || memcmp(req.p + req.n - 9, " HTTP/", 6) != 0) {
        if (req.n > 1)
            st->protocols[LS_PROTO_OTHER]++;
        return;
    }
    const char *v = req.p + req.n - 3;
    int i = memcmp(v, "1.0", 3) == 0 ? LS_PROTO_10 : memcmp(v, "1.1", 3) == 0 ? LS_PROTO_11
          : memcmp(v, "2.0", 3) == 0 ? LS_PROTO_20 : LS_PROTO_OTHER;
    st->protocols[i]++;
    if (i == LS_PROTO_20 && status == 499)
        st->h2_aborts++;
}

void ls_stats_add(ls_stats *st, const ls_rec *r, int fmt)
{
    st->lines++;
    if (ls_rec_is_conn(r)) {
        /* a connection log: its connections that carried requests are in
         * the access log already; the others (accept-phase drops, bare
         * connections, TLS rejections) never reach it */
        st->conn_lines++;
        if (r->conn_requests != 0) {
            st->conn_skipped++;
            return;
        }
    }
    st->parsed++;
    st->formats[fmt]++;
    st->have |= r->have;
    ls_kind k = ls_rec_kind(r);
    st->kinds[k]++;
    if (r->status >= 0)
        st->status[r->status < 600 ? r->status : 0]++;
    else
        st->no_status++;
    if (r->close_reason != LS_CR_NONE)
        st->close_reasons[r->close_reason]++;
    count_protocol(st, r->request, r->status);
    count_time(st, r, k);
    if (r->request_time >= 0) {
        ls_hist_add(&st->lat_all, r->request_time);
        if (k == LS_K_ABORT)
            ls_hist_add(&st->lat_abort, r->request_time);
    }
    if (r->upstream_time >= 0)
        ls_hist_add(&st->lat_upstream, r->upstream_time);
    count_source(st, r, k);
    count_dropped(st, r, k);
    count_location(st, r, k);
    count_upstream(st, r, k);
}
