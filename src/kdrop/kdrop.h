/* Kernel drops (deny_addr_mode kernel): deny_addr and the active bans of
 * the ban zones enforced by an eBPF socket filter on every listening
 * socket, so that a SYN from such an address gets no answer and no
 * connection ever exists. The master loads the filter and creates its maps
 * once (they outlive reloads), fills the deny_addr tries per configuration
 * and attaches the filter to the sockets; workers add each ban as it
 * starts or is lifted (edge's hs_edge_ban_changed seam, which also carries
 * the fleet's bans, src/sync); the filter ends it by time.
 * Without the privilege or BPF support, hush warns once and the accept
 * phase drops as before. */
#ifndef HS_KDROP_KDROP_H
#define HS_KDROP_KDROP_H

#include <stdio.h>

#include "conf/module.h"

extern hs_module hs_kdrop_module;

/* hush -t: one line saying which mode the configuration will use (none
 * without deny_addr or address bans). */
void hs_kdrop_describe(const hs_config *conf, FILE *out);

#endif
