/* Shared zones: lookup, LRU order and eviction when full, deletion, long
 * keys, sharing across fork, and the read-only map used by hush -s bans. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/shm.h"
#include "unit.h"

typedef struct {
    uint64_t a, b;
} val;

static hs_str key(char *buf, int i)
{
    return (hs_str){buf, (size_t)snprintf(buf, 32, "k%d", i)};
}

static void test_basic_and_lru(void)
{
    char err[128], kb[32];
    CHECK(hs_shm_create("tiny", 1024, 1, sizeof(val), err, sizeof(err)) == NULL);
    hs_shm_zone *z = hs_shm_create("t", HS_SHM_MIN_SIZE, 7, sizeof(val), err, sizeof(err));
    CHECK(z != NULL);
    uint32_t cap = hs_shm_capacity(z);
    CHECK(cap > 100 && cap < HS_SHM_MIN_SIZE / 40);
    CHECK_INT(hs_shm_kind(z), 7);
    int created;
    for (uint32_t i = 0; i < cap; i++) {
        val *v = hs_shm_get(z, key(kb, (int)i), 1, &created);
        CHECK(v != NULL && created && v->a == 0);
        v->a = i + 1;
    }
    CHECK_INT(hs_shm_used(z), cap);
    val *v0 = hs_shm_get(z, key(kb, 0), 0, NULL); /* touch k0: now the most recent */
    CHECK(v0 && v0->a == 1);
    val *nv = hs_shm_get(z, key(kb, (int)cap), 1, &created); /* full: evicts k1, the oldest */
    CHECK(nv && created && nv->a == 0);
    CHECK(hs_shm_get(z, key(kb, 1), 0, NULL) == NULL);
    CHECK(hs_shm_get(z, key(kb, 0), 0, NULL) != NULL);
    CHECK_INT(hs_shm_evictions(z), 1);
    hs_shm_del(z, hs_shm_get(z, key(kb, 2), 0, NULL));
    CHECK(hs_shm_get(z, key(kb, 2), 0, NULL) == NULL);
    CHECK_INT(hs_shm_used(z), cap - 1);
    /* long keys are told apart by their digest */
    char l1[100], l2[100];
    memset(l1, 'x', sizeof(l1));
    memset(l2, 'x', sizeof(l2));
    l2[99] = 'y';
    val *a = hs_shm_get(z, (hs_str){l1, 100}, 1, NULL);
    a->b = 11;
    val *b = hs_shm_get(z, (hs_str){l2, 100}, 1, &created);
    CHECK(created && b != a);
    CHECK(((val *)hs_shm_get(z, (hs_str){l1, 100}, 0, NULL))->b == 11);
    hs_shm_destroy(z);
}

static void test_shared_across_fork(void)
{
    char err[128];
    hs_shm_zone *z = hs_shm_create("f", 65536, 1, sizeof(val), err, sizeof(err));
    for (int p = 0; p < 2; p++) {
        if (fork() == 0) {
            for (int i = 0; i < 20000; i++) {
                hs_shm_lock(z);
                val *v = hs_shm_get(z, HS_STR("counter"), 1, NULL);
                v->a++;
                hs_shm_unlock(z);
            }
            _exit(0);
        }
    }
    while (wait(NULL) > 0)
        ;
    val *v = hs_shm_get(z, HS_STR("counter"), 0, NULL);
    CHECK(v && v->a == 40000);
    hs_shm_destroy(z);
}

static int seen;
static void count(void *arg, const uint8_t *k, size_t kl, void *v)
{
    (void)arg;
    (void)k;
    (void)v;
    seen += kl == 2;
}

static void test_read_only_map(void)
{
    char err[128], kb[32], path[64];
    hs_shm_zone *z = hs_shm_create("ro", HS_SHM_MIN_SIZE, 3, sizeof(val), err, sizeof(err));
    for (int i = 0; i < 5; i++)
        hs_shm_get(z, key(kb, i), 1, NULL);
    /* find our own memfd as hush -s bans finds the master's */
    int found = 0;
    for (int fd = 3; fd < 64 && !found; fd++) {
        char target[128];
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        ssize_t n = readlink(path, target, sizeof(target) - 1);
        if (n > 0 && (target[n] = 0, strstr(target, "hush:ro"))) {
            hs_shm_zone *m = hs_shm_map_fd(fd);
            CHECK(m != NULL && strcmp(hs_shm_name(m), "ro") == 0 && hs_shm_kind(m) == 3);
            hs_shm_each(m, count, NULL);
            CHECK_INT(seen, 5);
            hs_shm_unmap(m);
            found = 1;
        }
    }
    CHECK(found);
    hs_shm_destroy(z);
}

/* A "configuration" for the set's sweep: the zones it uses. */
typedef struct {
    hs_shm_zone *uses[4];
} fake_conf;

static bool fake_uses(const void *cfg, const hs_shm_zone *z)
{
    const fake_conf *c = cfg;
    for (size_t i = 0; c && i < 4; i++)
        if (c->uses[i] == z)
            return true;
    return false;
}

static void test_set_sweeps_what_no_configuration_uses(void)
{
    char err[128];
    hs_shm_set set = {0};
    hs_shm_zone *a = hs_shm_set_create(&set, "test", "a", HS_SHM_MIN_SIZE, 4, sizeof(val), err, sizeof(err));
    hs_shm_zone *b = hs_shm_set_create(&set, "test", "b", HS_SHM_MIN_SIZE, 4, sizeof(val), err, sizeof(err));
    hs_shm_zone *c = hs_shm_set_create(&set, "test", "c", HS_SHM_MIN_SIZE, 4, sizeof(val), err, sizeof(err));
    CHECK(a && b && c);
    CHECK_INT(set.n, 3);
    fake_conf now = {{c}}, before = {{a}};
    hs_shm_set_sweep(&set, fake_uses, &now, &before); /* b: used by neither */
    CHECK_INT(set.n, 2);
    CHECK((set.zones[0] == a && set.zones[1] == c) || (set.zones[0] == c && set.zones[1] == a));
    hs_shm_set_sweep(&set, fake_uses, &now, NULL); /* the reload done: a goes */
    CHECK_INT(set.n, 1);
    CHECK(set.zones[0] == c);
    CHECK_STR(hs_shm_name(c), "c"); /* still mapped */
    /* a full set is an error that names what */
    while (set.n < HS_SHM_SET_MAX)
        CHECK(hs_shm_set_create(&set, "test", "x", HS_SHM_MIN_SIZE, 4, sizeof(val), err, sizeof(err)) != NULL);
    CHECK(hs_shm_set_create(&set, "test", "y", HS_SHM_MIN_SIZE, 4, sizeof(val), err, sizeof(err)) == NULL);
    CHECK_STR(err, "too many test zones (at most 64)");
    hs_shm_set_sweep(&set, fake_uses, NULL, NULL);
    CHECK_INT(set.n, 0);
}

int main(void)
{
    test_set_sweeps_what_no_configuration_uses();
    test_basic_and_lru();
    test_shared_across_fork();
    test_read_only_map();
    UNIT_MAIN_END();
}
