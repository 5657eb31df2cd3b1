/* The request for a FastCGI responder: FCGI_BEGIN_REQUEST, the
 * parameters (fastcgi_param lines, then the client's header fields as
 * HTTP_* unless a parameter of that name is set) in FCGI_PARAMS records,
 * and the body as FCGI_STDIN records — from memory in the same buffer, or
 * from the body's temporary file piece by piece (body_prefix /
 * body_suffix) — ending with an empty FCGI_STDIN. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "fastcgi/fcgi_internal.h"

#define STDIN_PIECE 32768

/* A parameter to send: its name and value. */
typedef struct {
    hs_str name, value;
} nv;

/* "User-Agent" -> "HTTP_USER_AGENT" in the request's pool. */
static hs_str http_name(hs_pool *pool, hs_str name)
{
    char *p = hs_palloc(pool, name.n + 5);
    if (p == NULL)
        return HS_NULL_STR;
    memcpy(p, "HTTP_", 5);
    for (size_t i = 0; i < name.n; i++)
        p[5 + i] = name.p[i] == '-' ? '_' : (char)toupper((unsigned char)name.p[i]);
    return (hs_str){p, name.n + 5};
}

static bool set_by_param(const fcgi_conf *c, hs_str name)
{
    for (size_t i = 0; i < c->nparams; i++)
        if (hs_str_eq(c->params[i].name, name))
            return true;
    return false;
}

/* $content_length of a chunked body read whole: its length, as nginx
 * gives it once the body is read (PHP reads CONTENT_LENGTH bytes of stdin). */
static hs_str chunked_length(hs_req *r, const hs_up_req *q, hs_str name, hs_str val)
{
    if (val.n || !r->h.chunked || !hs_str_eq(name, HS_STR("CONTENT_LENGTH")))
        return val;
    char *p = hs_psprintf(r->pool, "%lld", (long long)q->body_size);
    return p ? hs_cstr(p) : val;
}

/* Every parameter of r, in *out (the request's pool): HS_OK or HS_ERROR. */
static int collect(hs_req *r, const hs_up_req *q, const fcgi_conf *c, nv **out, size_t *n)
{
    size_t cap = c->nparams + (c->pass_request_headers ? r->h.nheaders : 0);
    nv *v = hs_palloc(r->pool, (cap ? cap : 1) * sizeof(*v));
    if (v == NULL)
        return HS_ERROR;
    size_t k = 0;
    for (size_t i = 0; i < c->nparams; i++) {
        hs_str val;
        if (hs_cv_eval(&c->params[i].value, r, r->pool, &val) != HS_OK)
            return HS_ERROR;
        val = chunked_length(r, q, c->params[i].name, val);
        if (val.n == 0 && c->params[i].if_not_empty)
            continue;
        v[k++] = (nv){c->params[i].name, val};
    }
    for (size_t i = 0; c->pass_request_headers && i < r->h.nheaders; i++) {
        hs_str name = http_name(r->pool, r->headers[i].name);
        if (name.p == NULL)
            return HS_ERROR;
        if (!set_by_param(c, name))
            v[k++] = (nv){name, r->headers[i].value};
    }
    *out = v;
    *n = k;
    return HS_OK;
}

/* The pairs in FCGI_PARAMS records of at most 64 KiB, and the empty one. */
static char *put_params(char *p, const nv *v, size_t n)
{
    size_t i = 0;
    while (i < n) {
        char *head = p;
        p += HS_FCGI_HEADER_LEN;
        size_t len = 0;
        do {
            size_t one = hs_fcgi_pair_len(v[i].name.n, v[i].value.n);
            if (len && len + one > HS_FCGI_MAX_CONTENT)
                break;
            p = hs_fcgi_put_pair(p, v[i].name.p, v[i].name.n, v[i].value.p, v[i].value.n);
            len += one;
            i++;
        } while (i < n);
        hs_fcgi_header(head, HS_FCGI_PARAMS, FCGI_REQUEST_ID, len);
    }
    hs_fcgi_header(p, HS_FCGI_PARAMS, FCGI_REQUEST_ID, 0);
    return p + HS_FCGI_HEADER_LEN;
}

static char *put_stdin(char *p, const char *body, size_t n, bool last)
{
    for (size_t off = 0; off < n; off += STDIN_PIECE) {
        size_t k = n - off < STDIN_PIECE ? n - off : STDIN_PIECE;
        hs_fcgi_header(p, HS_FCGI_STDIN, FCGI_REQUEST_ID, k);
        memcpy(p + HS_FCGI_HEADER_LEN, body + off, k);
        p += HS_FCGI_HEADER_LEN + k;
    }
    if (last) {
        hs_fcgi_header(p, HS_FCGI_STDIN, FCGI_REQUEST_ID, 0);
        p += HS_FCGI_HEADER_LEN;
    }
    return p;
}

static char *put_begin(char *p, bool keep_conn)
{
    hs_fcgi_header(p, HS_FCGI_BEGIN_REQUEST, FCGI_REQUEST_ID, 8);
    p += HS_FCGI_HEADER_LEN;
    memset(p, 0, 8);
    p[1] = HS_FCGI_RESPONDER;
    p[2] = keep_conn ? HS_FCGI_KEEP_CONN : 0;
    return p + 8;
}

/* A try starts: a fresh state for its answer. */
static fcgi_state *fresh_state(hs_req *r)
{
    fcgi_state *st = FC(r);
    if (st == NULL) {
        st = hs_palloc(r->pool, sizeof(*st));
        if (st == NULL || hs_http_set_ctx(r, &hs_fastcgi_module, st) != HS_OK)
            return NULL;
    }
    hs_fcgi_dec_init(&st->dec, FCGI_REQUEST_ID);
    st->head_done = false;
    st->err_len = 0;
    return st;
}

int hs_fcgi_request(hs_req *r, hs_up_req *q)
{
    const fcgi_conf *c = fcgi_conf_of(r->loc);
    nv *v;
    size_t n;
    if (c == NULL || fresh_state(r) == NULL || collect(r, q, c, &v, &n) != HS_OK)
        return HS_ERROR;
    size_t params = 0;
    for (size_t i = 0; i < n; i++)
        params += hs_fcgi_pair_len(v[i].name.n, v[i].value.n);
    size_t body = q->body ? q->body_len : 0;
    size_t cap = 16 + params + (params / HS_FCGI_MAX_CONTENT + 2) * HS_FCGI_HEADER_LEN + body +
                 (body / STDIN_PIECE + 2) * HS_FCGI_HEADER_LEN;
    char *b = hs_palloc(r->pool, cap), *p = b;
    if (b == NULL)
        return HS_ERROR;
    p = put_begin(p, hs_upstream_conf_keep_conn(c->up));
    p = put_params(p, v, n);
    p = put_stdin(p, q->body, body, !q->body_in_file);
    q->out = (hs_str){b, (size_t)(p - b)};
    /* nginx's ", upstream: "fastcgi://addr"" of error-log lines */
    bool unix_path = strncmp(q->addr, "unix:", 5) == 0;
    hs_str parts[] = {HS_STR("fastcgi://"), hs_cstr(q->addr), unix_path ? HS_STR(":") : HS_NULL_STR};
    r->log_upstream = hs_pjoin(r->pool, parts, 3);
    return HS_OK;
}

size_t hs_fcgi_body_prefix(hs_req *r, char *out, size_t n)
{
    (void)r;
    hs_fcgi_header(out, HS_FCGI_STDIN, FCGI_REQUEST_ID, n);
    return HS_FCGI_HEADER_LEN;
}

size_t hs_fcgi_body_suffix(hs_req *r, char *out)
{
    (void)r;
    hs_fcgi_header(out, HS_FCGI_STDIN, FCGI_REQUEST_ID, 0);
    return HS_FCGI_HEADER_LEN;
}
