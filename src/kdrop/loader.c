/* The filter's program and maps: the BPF object is embedded in the binary
 * (the Makefile links kdrop.bpf.o in with ld -r -b binary), so an installed
 * hush needs no file of its own. libbpf opens it from memory and creates
 * the maps; the drop counters are mmap'ed (BPF_F_MMAPABLE) before the
 * workers fork, so a scrape reads memory and makes no bpf() call. */
#include "kdrop/loader.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kdrop/kdrop_maps.h"

/* weak: a build without the object (the fuzzers) reports it missing */
extern const char _binary_kdrop_bpf_o_start[] __attribute__((weak));
extern const char _binary_kdrop_bpf_o_end[] __attribute__((weak));

static struct {
    bool tried, ok;
    char why[256];
    struct bpf_object *obj;
    int prog, deny4, deny6, bans;
    const volatile uint64_t *drops; /* HS_KDROP_RULES counters */
} kd = {.prog = -1, .deny4 = -1, .deny6 = -1, .bans = -1};

/* libbpf's own messages would go to stderr: the reason goes in our one
 * warning instead. */
static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
    (void)level;
    (void)fmt;
    (void)ap;
    return 0;
}

static const char *reason(int err)
{
    err = err < 0 ? -err : err;
    if (err == EPERM || err == EACCES)
        return "no privilege to load BPF programs (needs root or CAP_BPF and CAP_NET_ADMIN)";
    if (err == ENOSYS || err == EINVAL || err == EOPNOTSUPP)
        return "the kernel has no usable BPF support";
    return strerror(err);
}

static struct bpf_object *open_loaded(char *why, size_t whylen)
{
    libbpf_set_print(quiet);
    if (_binary_kdrop_bpf_o_start == NULL || _binary_kdrop_bpf_o_end == NULL) {
        snprintf(why, whylen, "this build has no BPF object");
        return NULL;
    }
    LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "hush_kdrop");
    struct bpf_object *obj = bpf_object__open_mem(_binary_kdrop_bpf_o_start,
                                                  (size_t)(_binary_kdrop_bpf_o_end - _binary_kdrop_bpf_o_start), &opts);
    if (obj == NULL) {
        snprintf(why, whylen, "the BPF object does not open: %s", reason(errno));
        return NULL;
    }
    int rc = bpf_object__load(obj);
    if (rc != 0) {
        snprintf(why, whylen, "%s", reason(rc));
        bpf_object__close(obj);
        return NULL;
    }
    return obj;
}

static int map_fd(const char *name) { return bpf_object__find_map_fd_by_name(kd.obj, name); }

bool hs_kdrop_probe(char *why, size_t whylen)
{
    if (kd.tried) {
        snprintf(why, whylen, "%s", kd.why);
        return kd.ok;
    }
    struct bpf_object *obj = open_loaded(why, whylen);
    if (obj)
        bpf_object__close(obj);
    return obj != NULL;
}

bool hs_kdrop_load(char *why, size_t whylen)
{
    if (!kd.tried) {
        kd.tried = true;
        kd.obj = open_loaded(kd.why, sizeof(kd.why));
        if (kd.obj) {
            struct bpf_program *p = bpf_object__find_program_by_name(kd.obj, "hush_kdrop");
            kd.prog = p ? bpf_program__fd(p) : -1;
            kd.deny4 = map_fd("deny4");
            kd.deny6 = map_fd("deny6");
            kd.bans = map_fd("bans");
            long page = sysconf(_SC_PAGESIZE);
            size_t len = ((HS_KDROP_RULES * sizeof(uint64_t) + (size_t)page - 1) / (size_t)page) * (size_t)page;
            void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, map_fd("drops"), 0);
            kd.drops = m == MAP_FAILED ? NULL : m;
            kd.ok = kd.prog >= 0 && kd.deny4 >= 0 && kd.deny6 >= 0 && kd.bans >= 0 && kd.drops;
            if (!kd.ok)
                snprintf(kd.why, sizeof(kd.why), "the BPF object lacks its program or maps");
        }
    }
    snprintf(why, whylen, "%s", kd.why);
    return kd.ok;
}

int hs_kdrop_prog_fd(void) { return kd.ok ? kd.prog : -1; }

uint64_t hs_kdrop_drops(uint32_t rule) { return kd.ok && rule < HS_KDROP_RULES ? kd.drops[rule] : 0; }

/* ---- deny_addr ---- */

static unsigned prefix_len(const hs_cidr *c, size_t bytes)
{
    unsigned n = 0;
    for (size_t i = 0; i < bytes; i++)
        n += (unsigned)__builtin_popcount(c->mask[i]);
    return n;
}

static bool wanted(const hs_cidr *cidrs, size_t n, int family, const uint8_t *addr, unsigned plen)
{
    size_t bytes = family == AF_INET ? 4 : 16;
    for (size_t i = 0; i < n; i++) {
        const hs_cidr *c = &cidrs[i];
        if ((c->family == family || c->family == 0) && prefix_len(c, c->family ? bytes : 0) == plen &&
            (c->family == 0 || memcmp(c->addr, addr, bytes) == 0))
            return true;
    }
    return false;
}

/* Adds the blocks of one family ("all" is /0 of both), then removes what
 * an older configuration added: no moment without the blocks kept. */
static int fill_trie(int fd, int family, const hs_cidr *cidrs, size_t n)
{
    size_t bytes = family == AF_INET ? 4 : 16;
    uint8_t key[4 + 16], next[4 + 16];
    uint32_t rule = 0;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (cidrs[i].family != family && cidrs[i].family != 0)
            continue;
        uint32_t plen = cidrs[i].family ? prefix_len(&cidrs[i], bytes) : 0;
        memcpy(key, &plen, 4);
        memcpy(key + 4, cidrs[i].addr, bytes);
        if (cidrs[i].family == 0)
            memset(key + 4, 0, bytes);
        if (bpf_map_update_elem(fd, key, &rule, BPF_ANY) != 0)
            rc = -errno;
    }
    void *prev = NULL;
    while (bpf_map_get_next_key(fd, prev, next) == 0) {
        uint32_t plen;
        memcpy(&plen, next, 4);
        memcpy(key, next, 4 + bytes);
        if (!wanted(cidrs, n, family, next + 4, plen)) {
            bpf_map_delete_elem(fd, key);
            prev = NULL; /* start over: the walk's position went with it */
            continue;
        }
        prev = key;
    }
    return rc;
}

int hs_kdrop_set_denied(const hs_cidr *cidrs, size_t n)
{
    if (!kd.ok)
        return -1;
    int rc4 = fill_trie(kd.deny4, AF_INET, cidrs, n);
    int rc6 = fill_trie(kd.deny6, AF_INET6, cidrs, n);
    return rc4 ? rc4 : rc6;
}

/* ---- bans ---- */

static struct hs_kdrop_ban_key ban_key(const uint8_t *addr, size_t len)
{
    struct hs_kdrop_ban_key k = {{0}};
    if (len == 4) {
        k.addr[10] = k.addr[11] = 0xff;
        memcpy(k.addr + 12, addr, 4);
    } else {
        memcpy(k.addr, addr, 16);
    }
    return k;
}

int hs_kdrop_unban(const uint8_t *addr, size_t len)
{
    if (!kd.ok)
        return -1;
    struct hs_kdrop_ban_key k = ban_key(addr, len);
    return bpf_map_delete_elem(kd.bans, &k) == 0 ? 0 : -errno;
}

int hs_kdrop_ban(const uint8_t *addr, size_t len, uint64_t ms, uint32_t rule)
{
    if (!kd.ok)
        return -1;
    struct hs_kdrop_ban_key k = ban_key(addr, len);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* bpf_ktime_get_ns's clock */
    struct hs_kdrop_ban b = {(uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec + ms * 1000000u, rule, 0};
    return bpf_map_update_elem(kd.bans, &k, &b, BPF_ANY) == 0 ? 0 : -errno;
}
