#define PCRE2_CODE_UNIT_WIDTH 8
#include "conf/regex.h"

#include <pcre2.h>
#include <stdio.h>

struct hs_regex {
    pcre2_code *code; /* compiled pattern */
    int captures;     /* capture groups in the pattern */
    int slots[HS_REGEX_MAX_CAPTURES]; /* named group -> its variable's slot; -1 none */
};

static pcre2_match_data *match_data; /* shared by all matches of this process */

static void regex_free(void *data) { pcre2_code_free(((hs_regex *)data)->code); }

hs_regex *hs_regex_compile(hs_pool *pool, hs_str pattern, bool caseless, char *err, size_t errlen)
{
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)pattern.p, pattern.n, caseless ? PCRE2_CASELESS : 0,
                                     &ec, &eo, NULL);
    if (code == NULL) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(ec, msg, sizeof(msg));
        snprintf(err, errlen, "pcre2_compile() failed: %s in \"%.*s\" at \"%.*s\"", (char *)msg,
                 (int)pattern.n, pattern.p, (int)(pattern.n - eo), pattern.p + eo);
        return NULL;
    }
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); /* optional: falls back to the interpreter */
    hs_regex *re = hs_palloc(pool, sizeof(*re));
    if (re == NULL || hs_pool_cleanup_add(pool, regex_free, re) != HS_OK) {
        pcre2_code_free(code);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    re->code = code;
    uint32_t n = 0;
    pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &n);
    re->captures = (int)n;
    for (int i = 0; i < HS_REGEX_MAX_CAPTURES; i++)
        re->slots[i] = -1;
    return re;
}

typedef struct {
    struct hs_cf *cf;
    hs_regex *re;
    hs_var_get get;
} names_ctx;

static void define_name(const char *name, int index, void *arg)
{
    names_ctx *nc = arg;
    if (index >= HS_REGEX_MAX_CAPTURES)
        return;
    hs_var_ref *cell = hs_vars_defined(hs_cstr(name)), ref;
    if (cell && cell->get == nc->get) {
        ref = *cell;
    } else {
        ref = (hs_var_ref){nc->get, (uintptr_t)nc->cf->named_slots++};
        hs_vars_define(nc->cf->pool, hs_cstr(name), ref.get, ref.data);
    }
    nc->re->slots[index] = (int)ref.data;
}

void hs_regex_define_names(struct hs_cf *cf, hs_regex *re, hs_var_get get)
{
    names_ctx nc = {cf, re, get};
    hs_regex_each_name(re, define_name, &nc);
}

void hs_regex_store_named(const hs_regex *re, hs_pool *pool, hs_str subject, const int *ov, int n, hs_str **vals,
                          uint16_t *nvals)
{
    for (int i = 1; i < n && i < HS_REGEX_MAX_CAPTURES; i++) {
        int slot = re->slots[i];
        if (slot < 0 || ov[2 * i] < 0)
            continue;
        if (slot >= *nvals) {
            uint16_t cap = (uint16_t)(slot < 8 ? 8 : 2 * slot);
            hs_str *v = hs_pcalloc(pool, cap * sizeof(*v));
            if (v == NULL)
                return;
            if (*nvals)
                memcpy(v, *vals, *nvals * sizeof(*v));
            *vals = v;
            *nvals = cap;
        }
        (*vals)[slot] = (hs_str){subject.p + ov[2 * i], (size_t)(ov[2 * i + 1] - ov[2 * i])};
    }
}

int hs_regex_match(const hs_regex *re, hs_str subject, int *ovec)
{
    if (match_data == NULL) {
        match_data = pcre2_match_data_create(HS_REGEX_MAX_CAPTURES, NULL);
        if (match_data == NULL)
            return 0;
    }
    int rc = pcre2_match(re->code, (PCRE2_SPTR)(subject.p ? subject.p : ""), subject.n, 0, 0,
                         match_data, NULL);
    if (rc <= 0)
        return rc == 0 ? HS_REGEX_MAX_CAPTURES : 0; /* rc 0: ovector too small, all pairs set */
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(match_data);
    for (int i = 0; i < HS_REGEX_MAX_CAPTURES; i++) {
        bool set = i < rc && ov[2 * i] != PCRE2_UNSET;
        ovec[2 * i] = set ? (int)ov[2 * i] : -1;
        ovec[2 * i + 1] = set ? (int)ov[2 * i + 1] : -1;
    }
    return rc;
}

int hs_regex_captures(const hs_regex *re) { return re->captures; }

void hs_regex_each_name(const hs_regex *re, void (*fn)(const char *name, int index, void *arg), void *arg)
{
    uint32_t count = 0, entry = 0;
    PCRE2_SPTR table = NULL;
    pcre2_pattern_info(re->code, PCRE2_INFO_NAMECOUNT, &count);
    pcre2_pattern_info(re->code, PCRE2_INFO_NAMEENTRYSIZE, &entry);
    pcre2_pattern_info(re->code, PCRE2_INFO_NAMETABLE, &table);
    for (uint32_t i = 0; table && i < count; i++) {
        const unsigned char *e = table + i * entry;
        fn((const char *)e + 2, (e[0] << 8) | e[1], arg);
    }
}

int hs_regex_name_index(const hs_regex *re, const char *name)
{
    int n = pcre2_substring_number_from_name(re->code, (PCRE2_SPTR)name);
    return n < 0 ? -1 : n;
}
