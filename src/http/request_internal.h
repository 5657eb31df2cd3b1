/* Functions shared by the connection and request files of src/http. */
#ifndef HS_HTTP_REQUEST_INTERNAL_H
#define HS_HTTP_REQUEST_INTERNAL_H

#include "http/chunked.h"
#include "http/http.h"

/* Closes now (fd, timer, buffers); the struct is freed after the current
 * loop iteration, so callers up the stack may still look at c->state. */
void hs_conn_close(hs_conn *c);
/* Closes after a response: shut our side, drain the client's bytes for a
 * moment so an RST cannot destroy the response in flight, then close. */
void hs_conn_linger_close(hs_conn *c);
void hs_conn_linger_read(hs_conn *c);
void hs_conn_buf_release(hs_conn *c);
/* "127.0.0.1" for log messages (static buffer). */
const char *hs_conn_peer_text(hs_conn *c);

/* Ends the request without a response; logs and counts it. The caller
 * closes or drops the connection. */
void hs_http_end_request(hs_req *r, hs_ending why, int status);
void hs_http_run_location(hs_req *r);
/* Host for an absolute redirect (request Host, server name, or local address). */
hs_str hs_http_redirect_host(hs_req *r);
/* Sends "HTTP/1.1 100 Continue" (Expect: 100-continue, body not yet here). */
void hs_http_send_continue(hs_req *r);
/* Decodes the chunked body bytes the connection buffer holds (in place):
 * returns how many decoded bytes now start at the old buf_pos, advances
 * buf_pos and request_length; *rc is HS_OK (body ended), HS_AGAIN or HS_ERROR. */
size_t hs_http_take_chunked(hs_req *r, hs_chunked *d, int *rc);
/* The response went out completely: log, then keep-alive or close. */
void hs_http_response_done(hs_req *r);
bool hs_http_want_keepalive(hs_req *r);
/* An error_page would handle this status now. */
bool hs_http_has_error_page(hs_req *r, int status);
/* The status a handler's successful response gets (error_page =code). */
int hs_http_response_status(hs_req *r, int status);

#endif
