/* HTTP/2's floods, each a named drop (docs/design.md §2): frames are
 * counted as their headers arrive, before libnghttp2 does any work for
 * them, against http2_flood_limit's thresholds (count per window, or per
 * header block). One too many ends the connection: a GOAWAY
 * (ENHANCE_YOUR_CALM) when nothing else is half-written, then the drop
 * decider (drop_mode), with $drop_rule "h2:NAME" for the connection log,
 * hush_drops_total and the bans. */
#include "core/clock.h"
#include "core/errlog.h"
#include "h2/h2_internal.h"
#include "stats/counters.h"

bool h2_abuse(h2_conn *hc, int rule)
{
    const h2_limit *lim = &hc->conf->limits[rule];
    uint64_t now = hs_now.mono_msec;
    if (lim->window > 0 && now - hc->window_start[rule] >= (uint64_t)lim->window) {
        hc->window_start[rule] = now;
        hc->counts[rule] = 0;
    }
    if (rule != H2_HPACK && ++hc->counts[rule] <= (uint64_t)lim->count)
        return true;
    if (hc->drop == 0)
        hc->drop = rule + 1; /* dropped once out of libnghttp2 (read_frames) */
    return false;
}

static int on_begin_frame(nghttp2_session *session, const nghttp2_frame_hd *hd, void *user)
{
    (void)session;
    h2_conn *hc = user;
    bool ok = true, ack = hd->flags & NGHTTP2_FLAG_ACK;
    switch (hd->type) {
    case NGHTTP2_HEADERS:
        hc->cont_frames = 0;
        hc->counts[H2_CONTINUATION] = 0;
        break;
    case NGHTTP2_CONTINUATION:
        ok = h2_abuse(hc, H2_CONTINUATION);
        break;
    case NGHTTP2_DATA:
        if (hd->length == 0 && !(hd->flags & NGHTTP2_FLAG_END_STREAM))
            ok = h2_abuse(hc, H2_EMPTY);
        break;
    case NGHTTP2_SETTINGS:
        if (!ack)
            ok = h2_abuse(hc, H2_SETTINGS);
        break;
    case NGHTTP2_PING:
        if (!ack)
            ok = h2_abuse(hc, H2_PING);
        break;
    case NGHTTP2_RST_STREAM:
        ok = h2_abuse(hc, H2_RAPID_RESET);
        break;
    default:
        break;
    }
    return ok ? 0 : NGHTTP2_ERR_CALLBACK_FAILURE;
}

/* A GOAWAY written straight to the socket (we are not inside libnghttp2
 * here, but the session must not write anything more). */
static void goaway(h2_conn *hc)
{
    if (hc->out_sent < hc->out_len)
        return; /* a frame is half-written: nothing can follow it */
    uint32_t last = (uint32_t)nghttp2_session_get_last_proc_stream_id(hc->s);
    uint8_t f[17] = {0, 0, 8, NGHTTP2_GOAWAY, 0, 0, 0, 0, 0, (uint8_t)(last >> 24) & 0x7f, (uint8_t)(last >> 16),
                     (uint8_t)(last >> 8), (uint8_t)last, 0, 0, 0, NGHTTP2_ENHANCE_YOUR_CALM};
    struct iovec iov = {f, sizeof(f)};
    if (hs_io_writev(&hc->c->io, &iov, 1) > 0)
        hc->c->bytes_out += sizeof(f);
}

void h2_drop(h2_conn *hc, int rule)
{
    hs_conn *c = hc->c;
    if (hc->ending)
        return;
    const char *name = h2_rule_names[rule];
    hs_log(HS_LOG_INFO, "*%llu HTTP/2 flood dropped by rule \"%s\" while processing HTTP/2 connection, client: %s, server: %s",
           (unsigned long long)c->number, name, hs_conn_peer_text(c), c->group->listen->text);
    hs_stats_drop(name);
    hs_tcp_drain(c->io.fd); /* what the client sent is not read: the close is a FIN after the GOAWAY */
    goaway(hc);
    hc->ending = true;
    hs_conn_drop(c, HS_END_DROP, name, hc->srv->loc);
}

void h2_ban_drop(h2_conn *hc)
{
    hs_conn *c = hc->c;
    if (hc->ending)
        return;
    hs_tcp_drain(c->io.fd);
    hc->ending = true;
    c->ending = HS_END_DROP;
    c->drop_rule = hc->ban;
    hs_drop_fn drop = c->group->hooks->drop;
    if (drop)
        drop(c, hc->srv->loc); /* drop_mode */
    else
        hs_conn_close(c);
}

void h2_callbacks_abuse(nghttp2_session_callbacks *cb)
{
    nghttp2_session_callbacks_set_on_begin_frame_callback(cb, on_begin_frame);
}
