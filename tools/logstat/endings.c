/* Ending names and meanings.  The wording is what an operator reading a
 * report at 3 a.m. needs: who ended it, and whether to act. */
#include "endings.h"

const ls_ending_info ls_class_info[LS_CLASS_COUNT] = {
    {"1xx", 0, "1xx info", "informational responses (protocol switches)"},
    {"2xx", 0, "2xx success", "served: the response was sent"},
    {"3xx", 0, "3xx redirect", "redirected, or not modified since the client's copy"},
    {"4xx", 0, "4xx client", "refused or not found; includes 444/499/408/400 below"},
    {"5xx", 0, "5xx server", "the server or its upstream failed: check the upstreams"},
};

static const ls_ending_info special[] = {
    [LS_K_DROP] = {"drop", 444, "444 drop",
                   "dropped by a rule: closed without a byte sent (bots, scanners, bad Host)"},
    [LS_K_ABORT] = {"client_abort", 499, "499 client abort",
                    "client gave up before the response: usually a slow upstream"},
    [LS_K_TIMEOUT] = {"timeout", 408, "408 timeout",
                      "client too slow to send its request head or body (slowloris, bad links)"},
    [LS_K_BADREQ] = {"bad_request", 400, "400 malformed",
                     "a request arrived but was broken: scanners, TLS to a plain port, bad clients"},
    [LS_K_BARE] = {"bare_connection", 400, "400 no request",
                   "connection opened and closed without a request: preconnects, port scans"},
};

const ls_ending_info *ls_kind_info(ls_kind k)
{
    if (k < LS_SPECIAL_FIRST || k > LS_SPECIAL_LAST)
        return NULL;
    return &special[k];
}

static const char *const cr_meanings[] = {
    "response completed",
    "dropped by a rule ($drop_rule says which); nothing sent",
    "client closed before the response head was sent (499)",
    "client closed while the body was being sent",
    "request head not complete within client_header_timeout (408)",
    "request body stalled past client_body_timeout (408)",
    "client stopped reading the response for send_timeout",
    "malformed request or limits exceeded (400, 414, 431, 413...)",
    "connection opened and closed with no byte received",
    "idle keep-alive connection closed",
    "closed by a graceful stop or reload deadline",
    "TLS handshake refused (ssl_reject_handshake or a ClientHello rule)",
    "TLS handshake failed (no shared protocol or cipher, bad record, alert)",
    "TLS handshake not finished within client_header_timeout",
    "an HTTP/2 connection error (a malformed frame, a broken header block)",
    "listen ... proxy_protocol: no valid PROXY header came first; closed, nothing sent",
    "upstream refused the connection (502): is it running?",
    "no live upstreams: every server marked down by max_fails (502)",
    "upstream reset the connection: 502, or a response cut short",
    "upstream closed before a complete response head (502)",
    "upstream closed mid-body: the client got a cut response",
    "upstream answered something that is not HTTP (502, or a cut response)",
    "upstream too slow: proxy_*_timeout passed (504, or a cut response)",
    "WebSocket/Upgrade tunnel (101) closed by the client",
    "WebSocket/Upgrade tunnel (101) closed by the upstream",
    "WebSocket/Upgrade tunnel idle for proxy_read_timeout",
    "a tunnel's reader took nothing for send_timeout / proxy_send_timeout",
    "a close reason this version does not know",
};
_Static_assert(sizeof(cr_meanings) / sizeof(cr_meanings[0]) == LS_CR_COUNT, "one entry per close reason");

const char *ls_close_reason_meaning(int cr)
{
    return cr >= 0 && cr < LS_CR_COUNT ? cr_meanings[cr] : "";
}
