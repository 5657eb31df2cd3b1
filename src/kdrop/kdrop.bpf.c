/* The kernel filter (compiled with clang -target bpf, embedded in hush):
 * a socket filter on each listening socket. A SYN from an address in
 * deny_addr or banned now is dropped before the kernel answers it, so no
 * connection ever exists; every other packet passes untouched. Accepted
 * sockets inherit the filter: for them it only looks at the TCP flags. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "kdrop_maps.h"

struct {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(max_entries, HS_KDROP_CIDRS);
    __type(key, struct hs_kdrop_v4);
    __type(value, __u32);
} deny4 SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(max_entries, HS_KDROP_CIDRS);
    __type(key, struct hs_kdrop_v6);
    __type(value, __u32);
} deny6 SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, HS_KDROP_BANS);
    __type(key, struct hs_kdrop_ban_key);
    __type(value, struct hs_kdrop_ban);
} bans SEC(".maps");

/* Packets dropped per rule slot; mmap'ed by hush for the metrics. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(map_flags, BPF_F_MMAPABLE);
    __uint(max_entries, HS_KDROP_RULES);
    __type(key, __u32);
    __type(value, __u64);
} drops SEC(".maps");

#define TCP_SYN 0x02
#define TCP_ACK 0x10

static __always_inline int dropped(__u32 rule)
{
    __u64 *n = bpf_map_lookup_elem(&drops, &rule);
    if (n)
        __sync_fetch_and_add(n, 1);
    return 0;
}

static __always_inline int judge_ban(struct hs_kdrop_ban_key *k, __u32 len)
{
    struct hs_kdrop_ban *b = bpf_map_lookup_elem(&bans, k);
    if (b == NULL)
        return len;
    if (b->until_ns > bpf_ktime_get_ns())
        return dropped(b->rule);
    bpf_map_delete_elem(&bans, k); /* the ban is over */
    return len;
}

SEC("socket")
int hush_kdrop(struct __sk_buff *skb)
{
    __u32 len = skb->len;
    __u8 vihl, flags;
    struct hs_kdrop_ban_key k = {};
    if (skb->protocol == bpf_htons(ETH_P_IP)) {
        struct hs_kdrop_v4 c4 = {32};
        if (bpf_skb_load_bytes_relative(skb, 0, &vihl, 1, BPF_HDR_START_NET) != 0 ||
            bpf_skb_load_bytes_relative(skb, (vihl & 0xf) * 4 + 13, &flags, 1, BPF_HDR_START_NET) != 0)
            return len;
        if ((flags & (TCP_SYN | TCP_ACK)) != TCP_SYN)
            return len; /* only a connection's first packet is judged */
        if (bpf_skb_load_bytes_relative(skb, 12, c4.addr, 4, BPF_HDR_START_NET) != 0)
            return len;
        __u32 *rule = bpf_map_lookup_elem(&deny4, &c4);
        if (rule)
            return dropped(*rule);
        k.addr[10] = k.addr[11] = 0xff;
        __builtin_memcpy(&k.addr[12], c4.addr, 4);
        return judge_ban(&k, len);
    }
    if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
        struct hs_kdrop_v6 c6 = {128};
        __u8 next;
        if (bpf_skb_load_bytes_relative(skb, 6, &next, 1, BPF_HDR_START_NET) != 0 || next != IPPROTO_TCP ||
            bpf_skb_load_bytes_relative(skb, 40 + 13, &flags, 1, BPF_HDR_START_NET) != 0)
            return len; /* extension headers: not judged here (hush judges at accept) */
        if ((flags & (TCP_SYN | TCP_ACK)) != TCP_SYN)
            return len;
        if (bpf_skb_load_bytes_relative(skb, 8, c6.addr, 16, BPF_HDR_START_NET) != 0)
            return len;
        __u32 *rule = bpf_map_lookup_elem(&deny6, &c6);
        if (rule)
            return dropped(*rule);
        __builtin_memcpy(k.addr, c6.addr, 16);
        return judge_ban(&k, len);
    }
    return len;
}

char LICENSE[] SEC("license") = "GPL";
