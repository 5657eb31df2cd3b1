/* The filter's program and maps (libbpf): loaded once in the master,
 * inherited by the workers. */
#ifndef HS_KDROP_LOADER_H
#define HS_KDROP_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cidr.h"

/* Loads the program and creates the maps (once; later calls return the
 * first result). false: why says why (no privilege, no BPF ...). */
bool hs_kdrop_load(char *why, size_t whylen);
/* Loads and unloads, for hush -t: would the filter load here? */
bool hs_kdrop_probe(char *why, size_t whylen);
/* The program's descriptor (SO_ATTACH_BPF); -1 before a load. */
int hs_kdrop_prog_fd(void);
/* Makes the deny_addr tries hold these blocks (rule slot 0), and no other. */
int hs_kdrop_set_denied(const hs_cidr *cidrs, size_t n);
/* A ban of addr (4 or 16 bytes) for ms milliseconds more, counted in slot rule. */
int hs_kdrop_ban(const uint8_t *addr, size_t len, uint64_t ms, uint32_t rule);
/* The ban of addr is lifted. */
int hs_kdrop_unban(const uint8_t *addr, size_t len);
/* Packets dropped in slot rule so far (0 before a load). */
uint64_t hs_kdrop_drops(uint32_t rule);

#endif
