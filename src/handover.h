/* Listening sockets handed from one generation to the next (a reload's
 * current sockets, dup'ed; a binary upgrade's inherited ones): the master
 * offers them, and hs_http_sockets_create takes one for an address it has
 * instead of binding anew. */
#ifndef HS_HANDOVER_H
#define HS_HANDOVER_H

#include <stdbool.h>
#include <stddef.h>

#include "http/conf.h"

void hs_handover_offer(const int *fds, size_t n);
/* Closes the offered sockets nobody took. */
void hs_handover_end(void);
/* An offered socket bound to lc's address (-1: none); take: it is removed
 * from the offer and set as lc asks (hs_listen_take_fn). */
int hs_handover_take(const hs_listen_conf *lc, bool take);

#endif
