/* Functions shared by the files of src/http: the connection (conn.c,
 * listen.c), the HTTP/1.1 protocol (h1*.c) and the request's life
 * (request.c, phase.c). Private to src/http. */
#ifndef HS_HTTP_INTERNAL_H
#define HS_HTTP_INTERNAL_H

#include "parse/chunked.h"
#include "http/counts.h"
#include "http/phase.h"
#include "http/proto.h"

/* The hooks of the http block a connection belongs to. */
static inline hs_http_hooks *hs_conn_hooks(hs_conn *c) { return c->group->hooks; }
static inline hs_srv_conf *hs_conn_default_srv(hs_conn *c) { return c->group->default_srv; }

/* ---- connection (conn.c) ---- */

/* A new connection on listener l for address group g (accepted, not
 * dropped at accept), numbered number ($connection). */
void hs_conn_start(hs_listener *l, int fd, const struct sockaddr_storage *peer, socklen_t plen,
                   hs_listen_group *g, uint64_t number);
/* Closes after a response: shut our side, drain the client's bytes for a
 * moment so an RST cannot destroy the response in flight, then close. */
void hs_conn_linger_close(hs_conn *c);
void hs_conn_buf_release(hs_conn *c);
/* Reads what the transport has into the connection buffer. Returns bytes
 * read, 0 for EOF, HS_AGAIN, or HS_ERROR (reset). */
ssize_t hs_conn_recv(hs_conn *c);
/* The accounting of the worker's connections (listen.c). */
bool hs_conn_room(void);
/* Closes some idle connections, oldest first, when the worker is nearly
 * full or (force) out of descriptors; returns how many. */
size_t hs_conn_reap_idle(bool force);
void hs_conn_free_graveyard(void);

/* ---- HTTP/1.1 (h1.c, h1_body.c, h1_write.c) ---- */

/* The connection has input (or EOF) for whoever reads it now. */
void hs_h1_on_readable(hs_conn *c);
/* The connection's deadline passed (head, keep-alive, linger). */
void hs_h1_on_timeout(hs_conn *c);
/* The request is over (logged): keep-alive, the next pipelined request, or close. */
void hs_h1_request_done(hs_conn *c, bool keepalive, int64_t keepalive_msec, bool nodelay);
/* The framing of r's body, from its head (Content-Length, chunked). */
void hs_h1_body_init(hs_req *r);
/* Reads and discards the body of r, then runs its handler; and the client
 * events while it does. */
void hs_h1_discard_body(hs_req *r);
void hs_h1_body_event(hs_req *r);
/* Copies the head out of the connection buffer, so that body bytes can
 * reuse the buffer (slices into it are rebased). */
int hs_h1_head_detach(hs_req *r);
/* Builds the head of r->resp into r->pool; HS_OK or HS_ERROR (response.c). */
int hs_h1_build_head(hs_req *r);
/* A core response whose body the body filters asked for: the head and the
 * memory body go through hs_http_stream_* (h1_write.c). */
int hs_h1_filter_body(hs_req *r);
/* Writes what is pending of r->resp: HS_OK done, HS_AGAIN, HS_ERROR. */
int hs_h1_write_pending(hs_req *r);
/* A malformed request: answer with status and close (why: for the error log). */
void hs_h1_bad_request(hs_req *r, int status, const char *why);

/* ---- the request's life (request.c, phase.c) ---- */

/* The location is chosen: rewrite, limits, access, then content. */
void hs_http_run_location(hs_req *r);
/* The content phase: the body (read or left to the handler), then the handler. */
void hs_http_run_content(hs_req *r);
/* The request's deadline passed. */
void hs_http_request_timeout(hs_req *r);
/* Sends what is left of r->resp (the client became writable). */
void hs_http_write_step(hs_req *r);
/* The header filters, then the framing and keep-alive, then the head. */
int hs_http_response_head(hs_req *r);
/* Runs the LOG phase once (metrics, the access log line, bans). */
void hs_http_log_and_count(hs_req *r);
void hs_http_requests_attach_loop(void);
/* One more internal redirect to uri is allowed; else the request was
 * answered with 500 (a redirection cycle). */
bool hs_http_redirect_allowed(hs_req *r, hs_str uri);

#endif
