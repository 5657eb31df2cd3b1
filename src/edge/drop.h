/* Drop modes: how a dropped connection ends at the TCP level (docs/design.md
 * §2): close (FIN), reset (RST), silent (no FIN or RST: TCP_REPAIR), tarpit
 * (held open and silent, then reset). No byte is ever sent. The edge owns
 * them: the HTTP core only says "drop with rule R", and calls
 * hs_edge_drop_conn (registered as its drop decider) for the connection. */
#ifndef HS_EDGE_DROP_H
#define HS_EDGE_DROP_H

#include "http/phase.h"

/* Ends the connection of a dropped request per the drop_mode of lc. */
void hs_edge_drop_conn(hs_conn *c, hs_loc_conf *lc);
/* Ends a socket dropped at accept (no connection object) per mode; a
 * tarpitted one is held open and silent for tarpit_msec while fewer than
 * tarpit_max are held, else reset. */
void hs_edge_drop_fd(int fd, int mode, int64_t tarpit_msec, int64_t tarpit_max);
/* Sockets held in the tarpit now (a metrics gauge). */
uint32_t hs_edge_tarpitted(void);
/* Checks once whether silent drops work (CAP_NET_ADMIN); logs the fallback. */
void hs_drop_probe_silent(void);
/* A configuration asks for drop_mode silent: the probe warns only then. */
void hs_drop_note_silent(void);

#endif
