/* The maps the kernel filter and hush share (kdrop.bpf.c reads them, the
 * master creates and fills them, workers add bans). Plain C types only:
 * this header is compiled for both the BPF target and the host. */
#ifndef HS_KDROP_KDROP_MAPS_H
#define HS_KDROP_KDROP_MAPS_H

#define HS_KDROP_RULES 64        /* rule slots: 0 is deny_addr, then one per ban zone */
#define HS_KDROP_CIDRS 16384     /* deny_addr blocks per family */
#define HS_KDROP_BANS 65536      /* banned addresses (LRU: the oldest go when full) */

/* deny_addr block of one family (LPM trie key: prefix length, then the
 * network in network byte order). */
struct hs_kdrop_v4 {
    unsigned int prefixlen;
    unsigned char addr[4];
};
struct hs_kdrop_v6 {
    unsigned int prefixlen;
    unsigned char addr[16];
};

/* A banned address: IPv4 as ::ffff:a.b.c.d. */
struct hs_kdrop_ban_key {
    unsigned char addr[16];
};
struct hs_kdrop_ban {
    unsigned long long until_ns; /* CLOCK_MONOTONIC: the ban ends then */
    unsigned int rule;           /* counter slot */
    unsigned int pad;
};

#endif
