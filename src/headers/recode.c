/* charset_map and the recoding it allows: a response in source_charset sent
 * as charset, byte by byte through a table, as nginx's charset filter. A map
 * between two single-byte charsets serves both directions; one into UTF-8
 * (Debian's koi-utf, win-utf) is read, but recoding through it is an error
 * at -t for now (its lengths change, ranges would be wrong). */
#include "headers/headers_internal.h"

struct hd_charset_map {
    hs_str src, dst;            /* as written */
    bool utf8;                  /* dst is utf-8 */
    unsigned char table[256];   /* single-byte: src -> dst (others unchanged) */
    unsigned char back[256];    /* dst -> src */
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

static int map_line(hs_cf *cf, struct hd_charset_map *m, const hs_conf_node *t)
{
    hs_str k = t->args[0], v = t->nargs == 2 ? t->args[1] : HS_NULL_STR;
    int from = k.n == 2 ? hex_byte(k, 0) : -1;
    bool ok_len = m->utf8 ? v.n >= 2 && v.n <= 8 && v.n % 2 == 0 : v.n == 2;
    if (t->block || t->nargs != 2 || from < 0 || !ok_len)
        return hs_cf_error(cf, t, "invalid line in \"charset_map\"");
    for (size_t i = 0; i < v.n; i += 2)
        if (hex_byte(v, i) < 0)
            return hs_cf_error(cf, t, "invalid value \"%s\" in \"charset_map\"", v.p);
    if (!m->utf8) {
        int to = hex_byte(v, 0);
        m->table[from] = (unsigned char)to;
        m->back[to] = (unsigned char)from;
    }
    return HS_OK;
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
    for (int i = 0; i < 256; i++)
        m->table[i] = m->back[i] = (unsigned char)i;
    for (size_t i = 0; i < n->nchildren; i++)
        if (map_line(cf, m, &n->children[i]) != HS_OK)
            return HS_ERROR;
    m->next = maps;
    maps = m;
    return HS_OK;
}

const char *hd_recode_plan(hs_str source, hs_str charset, const unsigned char **table)
{
    for (const struct hd_charset_map *m = maps; m; m = m->next) {
        bool fwd = hs_str_caseeq(m->src, source) && hs_str_caseeq(m->dst, charset);
        bool rev = hs_str_caseeq(m->src, charset) && hs_str_caseeq(m->dst, source);
        if (!fwd && !rev)
            continue;
        if (m->utf8)
            return "recoding through a utf-8 \"charset_map\" is not supported yet";
        *table = fwd ? m->table : m->back;
        return NULL;
    }
    return "no \"charset_map\" between them";
}

int hd_recode_body(hs_req *r, unsigned next, const char *data, size_t n, bool last)
{
    hd_req *hr = hs_http_get_ctx(r, &hs_headers_module);
    if (hr == NULL || hr->recode == NULL || n == 0)
        return hs_http_body_pass(r, next, data, n, last);
    char out[4096]; /* the next filters take what they are given at once */
    for (size_t at = 0; at < n;) {
        size_t k = n - at < sizeof(out) ? n - at : sizeof(out);
        for (size_t i = 0; i < k; i++)
            out[i] = (char)hr->recode[(unsigned char)data[at + i]];
        at += k;
        if (hs_http_body_pass(r, next, out, k, last && at == n) != HS_OK)
            return HS_ERROR;
    }
    return HS_OK;
}
