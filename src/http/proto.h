/* A protocol other than HTTP/1.1 under a connection (HTTP/2, src/h2): what
 * the core calls instead of its h1*.c when c->proto is set, and the core's
 * request functions it drives. Its requests are hs_reqs with r->stream set. */
#ifndef HS_HTTP_PROTO_H
#define HS_HTTP_PROTO_H

#include "http/http.h"

typedef struct hs_proto {
    const char *name;
    /* The address speaks it: take connection c at its first readable moment
     * (after the TLS handshake). true: taken (c->proto set) or waiting for
     * more of its first bytes; false: HTTP/1.1 goes on. */
    bool (*start)(hs_conn *c);
    bool (*serves)(const hs_listen_group *g, const hs_srv_conf *srv); /* may srv speak it (ALPN)? */
    void (*on_event)(hs_conn *c, uint32_t events); /* the connection's events */
    void (*on_timeout)(hs_conn *c);                /* its deadline (c->timer) */
    void (*retire)(hs_conn *c);                    /* it closes: end what it carries */
    int (*head)(hs_req *r);   /* the request side: the header filters ran, prepare the head */
    int (*write)(hs_req *r);  /* HS_OK when r->resp went out whole, HS_AGAIN, HS_ERROR */
    int (*flush)(hs_req *r);  /* hs_http_stream_flush */
    int (*body_take)(hs_req *r, const char **data, size_t *n);
    void (*body_untake)(hs_req *r, size_t n);
    void (*ignore)(hs_req *r); /* hs_http_ignore_client */
    /* The response is complete (its producer is done): the protocol ends the
     * request with hs_http_end_request once its last byte is out. */
    void (*done)(hs_req *r);
    /* hs_http_end and hs_http_drop (why HS_END_DROP, 444): the request ends
     * without (more of) a response; the connection goes on. */
    void (*end)(hs_req *r, hs_ending why, int status);
    /* At the connection limit: c, idle (on the idle list), is closed to
     * make room, after telling the client so (HTTP/2: a GOAWAY). */
    void (*reap)(hs_conn *c);
} hs_proto;

hs_req *hs_req_new(hs_conn *c);
void hs_req_free(hs_req *r);
/* The head of r is complete and parsed: select its server and run it. */
void hs_http_process_request(hs_req *r);
/* Ends the request here, logged and counted, and detaches it from its
 * connection (which the caller closes or keeps). */
void hs_http_end_request(hs_req *r, hs_ending why, int status);
/* The client's events while a request past its head is in progress. */
void hs_http_request_event(hs_req *r, uint32_t events);
/* Its connection closes under it: its owner lets go, it ends as why. */
void hs_http_request_abandon(hs_req *r, hs_ending why);
/* The idle list: connections that wait (a TLS handshake, a first or next
 * request, HTTP/2 without an open stream), which may be closed to make room
 * for new ones, the one waiting the longest first. */
void hs_conn_idle(hs_conn *c, bool idle);
/* limit_rate: how many bytes of r's response may go now (SIZE_MAX: all);
 * 0: none, a timer wakes r (EPOLLOUT) when some may. */
size_t hs_http_rate_allowance(hs_req *r);
/* A connection without a request ended: counted, logged if asked, closed. */
void hs_conn_ended(hs_conn *c, hs_ending why);

#endif
