/* Header field lists in a pool. */
#include "parse/fields.h"

int hs_fields_reserve(hs_pool *pool, hs_fields *f, uint32_t n)
{
    if (f->n + n <= f->cap)
        return HS_OK;
    uint32_t cap = f->cap ? f->cap * 2 : 8;
    while (cap < f->n + n)
        cap *= 2;
    hs_header *v = hs_palloc(pool, cap * sizeof(*v));
    if (v == NULL)
        return HS_ERROR;
    if (f->n)
        memcpy(v, f->v, f->n * sizeof(*v));
    f->v = v;
    f->cap = cap;
    return HS_OK;
}

int hs_fields_add(hs_pool *pool, hs_fields *f, hs_str name, hs_str value)
{
    if (hs_fields_reserve(pool, f, 1) != HS_OK)
        return HS_ERROR;
    f->v[f->n++] = (hs_header){name, value};
    return HS_OK;
}

hs_header *hs_fields_find(hs_fields *f, hs_str name)
{
    for (uint32_t i = 0; i < f->n; i++)
        if (hs_str_caseeq(f->v[i].name, name))
            return &f->v[i];
    return NULL;
}

void hs_fields_del(hs_fields *f, hs_str name)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < f->n; i++)
        if (!hs_str_caseeq(f->v[i].name, name))
            f->v[k++] = f->v[i];
    f->n = k;
}

int hs_fields_var(hs_pool *pool, const hs_header *h, size_t n, hs_str suffix, hs_str *out)
{
    size_t count = 0, len = 0, first = 0;
    for (size_t i = 0; i < n; i++)
        if (hs_field_is(h[i].name, suffix)) {
            first = count++ ? first : i;
            len += h[i].value.n + 2;
        }
    if (count == 0)
        return HS_DECLINED;
    if (count == 1) {
        *out = h[first].value;
        return HS_OK;
    }
    const char *sep = hs_field_is(HS_STR("cookie"), suffix) ? "; " : ", ";
    char *p = hs_palloc(pool, len);
    if (p == NULL)
        return HS_DECLINED;
    out->p = p;
    out->n = 0;
    for (size_t i = first; i < n; i++) {
        if (!hs_field_is(h[i].name, suffix))
            continue;
        if (out->n)
            memcpy(p + out->n, sep, 2), out->n += 2;
        memcpy(p + out->n, h[i].value.p, h[i].value.n);
        out->n += h[i].value.n;
    }
    return HS_OK;
}

/* The value of name in one "a=1; b=2" list (only its first pair when
 * first_only). */
static bool cookie_in(hs_str list, bool first_only, hs_str name, hs_str *out)
{
    const char *p = list.p, *end = list.p + list.n;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == ';'))
            p++;
        const char *pair = p;
        while (p < end && *p != ';')
            p++;
        const char *eq = memchr(pair, '=', (size_t)(p - pair));
        if (eq && (size_t)(eq - pair) == name.n && memcmp(pair, name.p, name.n) == 0) {
            *out = (hs_str){eq + 1, (size_t)(p - eq - 1)};
            return true;
        }
        if (first_only)
            return false;
    }
    return false;
}

int hs_cookie_var(const hs_header *h, size_t n, bool set_cookie, hs_str name, hs_str *out)
{
    hs_str field = set_cookie ? HS_STR("set_cookie") : HS_STR("cookie");
    for (size_t i = 0; i < n; i++)
        if (hs_field_is(h[i].name, field) && cookie_in(h[i].value, set_cookie, name, out))
            return HS_OK;
    return HS_DECLINED;
}

bool hs_field_is(hs_str field, hs_str suffix)
{
    if (field.n != suffix.n)
        return false;
    for (size_t k = 0; k < field.n; k++)
        if ((field.p[k] == '-' ? '_' : hs_lower(field.p[k])) != hs_lower(suffix.p[k]))
            return false;
    return true;
}
