/* The cache file's header: written when an entry is stored, parsed for
 * every hit and by the loader. All of it is checked: a file is only data
 * that may be damaged. */
#include <string.h>

#include "cache/cache_file.h"
#include "core/str.h"

static void put64(char *p, int64_t v) { memcpy(p, &v, 8); }
static void put32(char *p, uint32_t v) { memcpy(p, &v, 4); }
static void put16(char *p, uint16_t v) { memcpy(p, &v, 2); }
static int64_t get64(const char *p) { int64_t v; memcpy(&v, p, 8); return v; }
static uint32_t get32(const char *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint16_t get16(const char *p) { uint16_t v; memcpy(&v, p, 2); return v; }

size_t hs_cache_header_write(hs_cache_meta *m, char *out)
{
    m->header_len = (uint32_t)(HS_CACHE_FIXED + m->key.n + m->vary.n + m->head.n);
    memcpy(out, HS_CACHE_MAGIC, 4);
    put32(out + 4, m->header_len);
    put64(out + 8, m->valid_until);
    put64(out + 16, m->stored);
    put64(out + 24, m->body_len);
    put16(out + 32, (uint16_t)m->key.n);
    put16(out + 34, (uint16_t)m->vary.n);
    put32(out + 36, (uint32_t)m->head.n);
    memcpy(out + 40, m->vary_hash, 8);
    char *p = out + HS_CACHE_FIXED;
    p = hs_put(p, m->key.p, m->key.n);
    p = hs_put(p, m->vary.p, m->vary.n);
    p = hs_put(p, m->head.p, m->head.n);
    return (size_t)(p - out);
}

void hs_cache_header_set_valid(char *fixed, int64_t valid_until) { put64(fixed + 8, valid_until); }

void hs_cache_header_set_body_len(char *fixed, int64_t body_len) { put64(fixed + 24, body_len); }

int hs_cache_header_parse(const char *buf, size_t len, int64_t file_size, hs_cache_meta *m)
{
    if (len < HS_CACHE_FIXED || memcmp(buf, HS_CACHE_MAGIC, 4) != 0)
        return HS_ERROR;
    m->header_len = get32(buf + 4);
    m->valid_until = get64(buf + 8);
    m->stored = get64(buf + 16);
    m->body_len = get64(buf + 24);
    size_t klen = get16(buf + 32), vlen = get16(buf + 34), hlen = get32(buf + 36);
    memcpy(m->vary_hash, buf + 40, 8);
    if (klen == 0 || vlen > HS_CACHE_VARY_MAX || hlen > HS_CACHE_HEAD_MAX ||
        m->header_len != HS_CACHE_FIXED + klen + vlen + hlen || m->body_len < 0 ||
        file_size < (int64_t)m->header_len || file_size - (int64_t)m->header_len != m->body_len)
        return HS_ERROR;
    if (len < m->header_len)
        return HS_AGAIN;
    const char *p = buf + HS_CACHE_FIXED;
    m->key = (hs_str){p, klen};
    m->vary = (hs_str){p + klen, vlen};
    m->head = (hs_str){p + klen + vlen, hlen};
    size_t pos = 0;
    int status;
    hs_str reason;
    return hs_cache_head_status(m->head, &pos, &status, &reason) ? HS_OK : HS_ERROR;
}

/* The next line of head from *pos, without its "\r\n". */
static bool next_line(hs_str head, size_t *pos, hs_str *line)
{
    if (*pos >= head.n)
        return false;
    const char *s = head.p + *pos;
    const char *e = memchr(s, '\n', head.n - *pos);
    if (e == NULL || e == s || e[-1] != '\r')
        return false;
    *line = (hs_str){s, (size_t)(e - 1 - s)};
    *pos = (size_t)(e + 1 - head.p);
    return true;
}

bool hs_cache_head_status(hs_str head, size_t *pos, int *status, hs_str *reason)
{
    hs_str line;
    if (!next_line(head, pos, &line) || line.n < 3)
        return false;
    int s = 0;
    for (int i = 0; i < 3; i++) {
        if (line.p[i] < '0' || line.p[i] > '9')
            return false;
        s = s * 10 + (line.p[i] - '0');
    }
    if (s < 200 || (line.n > 3 && line.p[3] != ' '))
        return false;
    *status = s;
    *reason = line.n > 4 ? (hs_str){line.p + 4, line.n - 4} : (hs_str){"", 0};
    return true;
}

bool hs_cache_head_next(hs_str head, size_t *pos, hs_str *name, hs_str *value)
{
    hs_str line;
    if (!next_line(head, pos, &line))
        return false;
    const char *colon = memchr(line.p, ':', line.n);
    if (colon == NULL || colon == line.p || (size_t)(colon - line.p) + 2 > line.n || colon[1] != ' ')
        return false;
    *name = (hs_str){line.p, (size_t)(colon - line.p)};
    *value = (hs_str){colon + 2, line.n - (size_t)(colon + 2 - line.p)};
    for (size_t i = 0; i < name->n; i++)
        if ((unsigned char)name->p[i] <= ' ' || name->p[i] == 0x7f)
            return false;
    for (size_t i = 0; i < value->n; i++)
        if (value->p[i] == '\r' || value->p[i] == '\n' || value->p[i] == '\0')
            return false;
    return true;
}
