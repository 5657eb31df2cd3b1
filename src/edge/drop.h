/* Drop modes: how a dropped connection ends at the TCP level (DESIGN.md §2):
 * close (FIN), reset (RST), silent (no FIN or RST: TCP_REPAIR), tarpit
 * (held open and silent, then reset). No byte is ever sent. */
#ifndef HS_EDGE_DROP_H
#define HS_EDGE_DROP_H

#include "http/http.h"

/* Ends the connection per mode; the request (if any) was already logged. */
void hs_drop_conn(hs_conn *c, int mode, int64_t tarpit_msec);
/* The tarpit time is over: reset. */
void hs_drop_tarpit_expired(hs_conn *c);
/* The client closed a tarpitted connection itself. */
void hs_drop_tarpit_gone(hs_conn *c);
/* Closes fd per mode without a connection object (accept-phase drops). */
void hs_drop_fd(int fd, int mode);
/* The same with tarpit support (accept-phase drops): a tarpitted fd is held
 * open and silent for tarpit_msec while fewer than tarpit_max are held. */
void hs_drop_fd_mode(int fd, int mode, int64_t tarpit_msec, int64_t tarpit_max);
/* Checks once whether TCP_REPAIR works (CAP_NET_ADMIN); logs the fallback. */
void hs_drop_probe_silent(void);

#endif
