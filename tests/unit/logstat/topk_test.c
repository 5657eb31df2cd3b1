/* tools/logstat/topk.c: the capped counting table. */
#include "../../../tools/logstat/mem.c"
#include "../../../tools/logstat/topk.c"

#include "unit.h"

static void add(ls_topk *t, const char *key, uint64_t n)
{
    ls_tk_entry *e = ls_topk_get(t, hs_cstr(key));
    e->c[0] += n;
    e->c[1] += 2 * n;
}

static void test_exact_below_cap(void)
{
    ls_topk t;
    ls_topk_init(&t, 100, NULL);
    char key[16];
    for (int i = 0; i < 90; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        add(&t, key, (uint64_t)i + 1);
    }
    add(&t, "k5", 1000);
    CHECK_INT(t.n, 90);
    CHECK_INT(t.others_keys, 0);
    const ls_tk_entry *top[3];
    CHECK_INT(ls_topk_top(&t, 0, top, 3), 3);
    CHECK_STR(top[0]->key, "k5");
    CHECK_INT(top[0]->c[0], 1006);
    CHECK_INT(top[0]->c[1], 2012);
    CHECK_STR(top[1]->key, "k89");
    CHECK_STR(top[2]->key, "k88");
    ls_topk_free(&t);
}

/* Past the cap the light keys fold into others; the heavy ones stay exact
 * and totals still add up. */
static void test_fold(void)
{
    ls_topk t;
    ls_topk_init(&t, 64, free);
    uint64_t total = 0;
    char key[16];
    for (int round = 0; round < 50; round++) {
        add(&t, "heavy", 10);
        total += 10;
        for (int i = 0; i < 40; i++) {
            snprintf(key, sizeof(key), "light%d", round * 40 + i);
            ls_tk_entry *e = ls_topk_get(&t, hs_cstr(key));
            e->c[0]++;
            if (!e->ext)
                e->ext = malloc(8); /* freed by the table when folded */
            total++;
        }
    }
    CHECK(t.n <= 64);
    CHECK(t.others_keys > 0);
    uint64_t kept = 0;
    for (size_t i = 0; i < t.n; i++)
        kept += t.entries[i].c[0];
    CHECK_INT(kept + t.others[0], total);
    const ls_tk_entry *top[1];
    ls_topk_top(&t, 0, top, 1);
    CHECK_STR(top[0]->key, "heavy");
    CHECK_INT(top[0]->c[0], 500);
    ls_topk_free(&t);
}

static void test_long_keys_and_zero(void)
{
    ls_topk t;
    ls_topk_init(&t, 8, NULL);
    char big[3000];
    memset(big, 'a', sizeof(big));
    ls_tk_entry *e = ls_topk_get(&t, hs_str_from(big, sizeof(big)));
    CHECK_INT(e->keylen, LS_TK_MAX_KEY);
    ls_tk_entry *z = ls_topk_get(&t, HS_STR("zero"));
    CHECK_INT(z->c[0], 0);
    const ls_tk_entry *top[4];
    CHECK_INT(ls_topk_top(&t, 0, top, 4), 0); /* zero counters are not listed */
    CHECK(ls_hash("abc", 3) != ls_hash("abd", 3));
    CHECK(ls_hash("", 0) != ls_hash("a", 1));
    ls_topk_free(&t);
}

int main(void)
{
    test_exact_below_cap();
    test_fold();
    test_long_keys_and_zero();
    UNIT_MAIN_END();
}
