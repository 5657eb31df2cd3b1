/* charset_map and the recoding it allows: a response in source_charset sent
 * as charset, as nginx's charset filter. A map between two single-byte
 * charsets serves both directions, byte by byte. A map into UTF-8 (Debian's
 * koi-utf, win-utf) recodes a single-byte body into UTF-8 and a UTF-8 body
 * back: the length changes, so the response loses its Content-Length (and
 * a range, as nginx decides ranges after this filter). As nginx: bytes
 * 80-FF the map does not list become '?'; a UTF-8 character the single-byte
 * charset lacks becomes "&#N;", and a malformed sequence '?'. */
#include <stdio.h>
#include <stdlib.h>

#include "headers/headers_internal.h"

/* A UTF-8 character of the map and the single byte it stands for. */
typedef struct {
    uint32_t cp;
    unsigned char byte;
} u8_pair;

struct hd_charset_map {
    hs_str src, dst;            /* as written */
    bool utf8;                  /* dst is utf-8 */
    unsigned char table[256];   /* single-byte: src -> dst */
    unsigned char back[256];    /* dst -> src */
    unsigned char u8[256][4];   /* utf-8: src byte -> its UTF-8 bytes, */
    uint8_t u8len[256];         /* ... and how many */
    u8_pair rev[256];           /* utf-8: the listed characters, by cp */
    size_t nrev;
    hd_recode fwd, bwd;         /* the plans: src -> dst, dst -> src */
    struct hd_charset_map *next;
};

static struct hd_charset_map *maps; /* of the configuration being read */

void hd_recode_init(void) { maps = NULL; }

static int hex_byte(hs_str s, size_t at)
{
    int v = 0;
    for (size_t i = at; i < at + 2; i++) {
        char c = s.p[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* How long the UTF-8 character a lead byte begins is: 0 when it begins none. */
static size_t seq_len(unsigned char b)
{
    return b < 0x80 ? 1 : b >= 0xC2 && b <= 0xDF ? 2 : b >= 0xE0 && b <= 0xEF ? 3 : b >= 0xF0 && b <= 0xF4 ? 4 : 0;
}

/* One well-formed UTF-8 character in b[0..n): its code point and length
 * (*len), or -1. */
static int64_t utf8_decode(const unsigned char *b, size_t n, size_t *len)
{
    size_t want = seq_len(b[0]);
    if (want == 0 || n < want)
        return -1;
    uint32_t cp = want == 1 ? b[0] : b[0] & (0x7F >> want);
    for (size_t i = 1; i < want; i++) {
        if ((b[i] & 0xC0) != 0x80)
            return -1;
        cp = cp << 6 | (b[i] & 0x3F);
    }
    static const uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < least[want] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return -1; /* overlong, beyond Unicode, a surrogate */
    *len = want;
    return cp;
}

static int map_line(hs_cf *cf, struct hd_charset_map *m, const hs_conf_node *t)
{
    hs_str k = t->args[0], v = t->nargs == 2 ? t->args[1] : HS_NULL_STR;
    int from = k.n == 2 ? hex_byte(k, 0) : -1;
    bool ok_len = m->utf8 ? v.n >= 2 && v.n <= 8 && v.n % 2 == 0 : v.n == 2;
    if (t->block || t->nargs != 2 || from < 0 || !ok_len)
        return hs_cf_error(cf, t, "invalid line in \"charset_map\"");
    unsigned char bytes[4];
    for (size_t i = 0; i < v.n; i += 2) {
        int b = hex_byte(v, i);
        if (b < 0)
            return hs_cf_error(cf, t, "invalid value \"%s\" in \"charset_map\"", v.p);
        bytes[i / 2] = (unsigned char)b;
    }
    if (!m->utf8) {
        m->table[from] = bytes[0];
        m->back[bytes[0]] = (unsigned char)from;
        return HS_OK;
    }
    size_t len = 0;
    int64_t cp = utf8_decode(bytes, v.n / 2, &len);
    if (cp < 0 || len != v.n / 2)
        return hs_cf_error(cf, t, "invalid value \"%s\" in \"charset_map\"", v.p);
    memcpy(m->u8[from], bytes, len);
    m->u8len[from] = (uint8_t)len;
    m->rev[m->nrev++] = (u8_pair){(uint32_t)cp, (unsigned char)from};
    return HS_OK;
}

static int by_cp(const void *a, const void *b)
{
    uint32_t x = ((const u8_pair *)a)->cp, y = ((const u8_pair *)b)->cp;
    return x < y ? -1 : x > y;
}

/* As nginx: ASCII as it is, the bytes 80-FF the map does not list '?'. */
static void map_defaults(struct hd_charset_map *m)
{
    for (int i = 0; i < 256; i++) {
        unsigned char c = i < 0x80 ? (unsigned char)i : '?';
        m->table[i] = m->back[i] = c;
        m->u8[i][0] = c;
        m->u8len[i] = 1;
    }
}

int hd_charset_map(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf, (void)d;
    struct hd_charset_map *m = hs_pcalloc(cf->pool, sizeof(*m));
    if (m == NULL)
        return hs_cf_error(cf, n, "out of memory");
    m->src = n->args[1];
    m->dst = n->args[2];
    m->utf8 = hs_str_caseeq(m->dst, HS_STR("utf-8"));
    if (hs_str_caseeq(m->src, HS_STR("utf-8")))
        return hs_cf_error(cf, n, "\"charset_map\" from utf-8 is not supported");
    map_defaults(m);
    for (size_t i = 0; i < n->nchildren; i++)
        if (map_line(cf, m, &n->children[i]) != HS_OK)
            return HS_ERROR;
    qsort(m->rev, m->nrev, sizeof(m->rev[0]), by_cp);
    m->fwd = (hd_recode){m->utf8 ? HD_RC_TO_UTF8 : HD_RC_BYTES, m->table, m};
    m->bwd = (hd_recode){m->utf8 ? HD_RC_FROM_UTF8 : HD_RC_BYTES, m->back, m};
    m->next = maps;
    maps = m;
    return HS_OK;
}

const struct hd_charset_map *hd_recode_maps(void) { return maps; }

const char *hd_recode_plan(const struct hd_charset_map *list, hs_str source, hs_str charset, const hd_recode **plan)
{
    for (const struct hd_charset_map *m = list; m; m = m->next) {
        bool fwd = hs_str_caseeq(m->src, source) && hs_str_caseeq(m->dst, charset);
        bool rev = hs_str_caseeq(m->src, charset) && hs_str_caseeq(m->dst, source);
        if (fwd || rev) {
            *plan = fwd ? &m->fwd : &m->bwd;
            return NULL;
        }
    }
    return "no \"charset_map\" between them";
}

/* ---- the body ---- */

typedef struct {
    hs_req *r;
    unsigned next;
    char buf[4096];
    size_t n;
} sink;

static int sink_flush(sink *s, bool last)
{
    size_t n = s->n;
    s->n = 0;
    return n || last ? hs_http_body_pass(s->r, s->next, s->buf, n, last) : HS_OK;
}

static int sink_put(sink *s, const void *p, size_t n)
{
    if (s->n + n > sizeof(s->buf) && sink_flush(s, false) != HS_OK)
        return HS_ERROR;
    memcpy(s->buf + s->n, p, n);
    s->n += n;
    return HS_OK;
}

static int to_utf8(sink *s, const struct hd_charset_map *m, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (sink_put(s, m->u8[p[i]], m->u8len[p[i]]) != HS_OK)
            return HS_ERROR;
    return HS_OK;
}

/* One decoded character (or -1: malformed) in the single-byte charset. */
static int put_char(sink *s, const struct hd_charset_map *m, int64_t cp)
{
    if (cp < 0)
        return sink_put(s, "?", 1);
    if (cp < 0x80) {
        unsigned char c = (unsigned char)cp;
        return sink_put(s, &c, 1);
    }
    u8_pair key = {(uint32_t)cp, 0};
    const u8_pair *hit = bsearch(&key, m->rev, m->nrev, sizeof(*hit), by_cp);
    if (hit)
        return sink_put(s, &hit->byte, 1);
    char ent[16];
    int k = snprintf(ent, sizeof(ent), "&#%u;", (unsigned)cp);
    return sink_put(s, ent, (size_t)k);
}

/* b[0..k) is the start of a character cut by the end of the piece. */
static bool cut_short(const unsigned char *b, size_t k)
{
    if (k >= seq_len(b[0]))
        return false;
    for (size_t i = 1; i < k; i++)
        if ((b[i] & 0xC0) != 0x80)
            return false;
    return true;
}

/* UTF-8 into the single-byte charset; a character cut at the end of one
 * piece waits in hr->pend for the next. */
static int from_utf8(sink *s, hd_req *hr, const unsigned char *p, size_t n, bool last)
{
    const struct hd_charset_map *m = hr->recode->map;
    size_t i = 0, len;
    while (hr->npend && i < n) { /* complete the character begun before */
        if ((p[i] & 0xC0) != 0x80) { /* it never ends: one '?', p[i] is read anew */
            hr->npend = 0;
            if (put_char(s, m, -1) != HS_OK)
                return HS_ERROR;
            break;
        }
        hr->pend[hr->npend++] = p[i++];
        if (hr->npend == seq_len(hr->pend[0])) {
            int64_t cp = utf8_decode(hr->pend, hr->npend, &len);
            hr->npend = 0;
            if (put_char(s, m, cp) != HS_OK)
                return HS_ERROR;
        }
    }
    while (i < n) {
        int64_t cp = p[i] < 0x80 ? p[i] : utf8_decode(p + i, n - i, &len);
        if (p[i] < 0x80)
            len = 1;
        else if (cp < 0 && cut_short(p + i, n - i)) {
            memcpy(hr->pend, p + i, n - i);
            hr->npend = (uint8_t)(n - i);
            break;
        } else if (cp < 0)
            len = 1;
        if (put_char(s, m, cp) != HS_OK)
            return HS_ERROR;
        i += len;
    }
    if (last && hr->npend) { /* the body ended inside a character */
        hr->npend = 0;
        return put_char(s, m, -1);
    }
    return HS_OK;
}

int hd_recode_body(hs_req *r, unsigned next, const char *data, size_t n, bool last)
{
    hd_req *hr = hs_http_get_ctx(r, &hs_headers_module);
    if (hr == NULL || hr->recode == NULL || (n == 0 && !(last && hr->npend)))
        return hs_http_body_pass(r, next, data, n, last);
    sink s = {.r = r, .next = next};
    const unsigned char *p = (const unsigned char *)data;
    int rc;
    if (hr->recode->kind == HD_RC_TO_UTF8)
        rc = to_utf8(&s, hr->recode->map, p, n);
    else if (hr->recode->kind == HD_RC_FROM_UTF8)
        rc = from_utf8(&s, hr, p, n, last);
    else {
        rc = HS_OK;
        for (size_t i = 0; i < n && rc == HS_OK; i++) {
            unsigned char c = hr->recode->table[p[i]];
            rc = sink_put(&s, &c, 1);
        }
    }
    return rc == HS_OK ? sink_flush(&s, last) : HS_ERROR;
}
