/* The upstream machinery's face to a second protocol (upstream.h): its
 * settings made, set, inherited and resolved here, so that a protocol's
 * module never sees the proxy's structures. */
#include "core/units.h"
#include "proxy/proxy_internal.h"

hs_upstream_conf *hs_upstream_conf_new(hs_cf *cf, const hs_up_proto *proto)
{
    hs_proxy_conf *pc = hs_proxy_conf_new(cf->pool);
    if (pc)
        pc->proto = proto;
    return pc;
}

/* fastcgi_buffer_size and fastcgi_buffers both size the one relay buffer: the larger wins. */
static int set_buffer(hs_cf *cf, const hs_conf_node *n, hs_upstream_conf *c, bool buffers, const hs_directive *d)
{
    int64_t v = HS_UNSET_SIZE;
    int rc = buffers ? hs_proxy_set_buffers(cf, n, &v, d) : hs_set_size(cf, n, &v, d);
    if (rc != HS_OK)
        return rc;
    if (c->buffer_size == HS_UNSET_SIZE || v > c->buffer_size)
        c->buffer_size = v;
    return HS_OK;
}

int hs_upstream_conf_set(hs_cf *cf, const hs_conf_node *n, hs_upstream_conf *c, hs_up_setting which)
{
    hs_directive dd = {.name = n->args[0].p}, *d = &dd; /* the setters name it in their errors */
#define set_flag(cf, n, v) hs_set_flag(cf, n, v, d)
    switch (which) {
    case HS_UP_CONNECT_TIMEOUT: return hs_set_msec(cf, n, &c->connect_timeout, d);
    case HS_UP_READ_TIMEOUT: return hs_set_msec(cf, n, &c->read_timeout, d);
    case HS_UP_SEND_TIMEOUT: return hs_set_msec(cf, n, &c->send_timeout, d);
    case HS_UP_NEXT_UPSTREAM: return hs_proxy_set_next_upstream(cf, n, &c->next_upstream, d);
    case HS_UP_NEXT_UPSTREAM_TRIES: return hs_set_num(cf, n, &c->next_upstream_tries, d);
    case HS_UP_NEXT_UPSTREAM_TIMEOUT: return hs_set_msec(cf, n, &c->next_upstream_timeout, d);
    case HS_UP_IGNORE_CLIENT_ABORT: return set_flag(cf, n, &c->ignore_client_abort);
    case HS_UP_INTERCEPT_ERRORS: return set_flag(cf, n, &c->intercept_errors);
    case HS_UP_BUFFERING: return set_flag(cf, n, &c->buffering);
    case HS_UP_BUFFER_SIZE: return set_buffer(cf, n, c, false, d);
    case HS_UP_BUFFERS: return set_buffer(cf, n, c, true, d);
    case HS_UP_HIDE_HEADER: return hs_proxy_add_header_name(cf, &c->hide, &c->nhide, n->args[1]);
    case HS_UP_PASS_HEADER: return hs_proxy_add_header_name(cf, &c->pass, &c->npass, n->args[1]);
    case HS_UP_KEEP_CONN: return set_flag(cf, n, &c->keep_conn);
    }
#undef set_flag
    return hs_cf_error(cf, n, "unknown setting");
}

int hs_upstream_conf_target(hs_cf *cf, const hs_conf_node *n, hs_upstream_conf *c, hs_str target)
{
    if (c->upstream || c->proxy_host.n)
        return hs_cf_error(cf, n, "\"%s\" directive is duplicate", n->args[0].p);
    if (target.n == 0)
        return hs_cf_error(cf, n, "invalid address \"%s\"", target.p);
    if (memchr(target.p, '$', target.n))
        return hs_cf_error(cf, n, "variables in \"%s\" are not supported yet", n->args[0].p);
    c->proxy_host = target;
    c->pass_file = n->file;
    c->pass_line = n->line;
    return HS_OK;
}

bool hs_upstream_conf_has_target(const hs_upstream_conf *c)
{
    return c && c->proxy_host.n > 0;
}

void hs_upstream_conf_merge(hs_upstream_conf *c, const hs_upstream_conf *p)
{
    hs_proxy_merge_common(c, p);
    c->request_buffering = 1; /* the body is read whole before a try: a retry can send it again */
    if (c->proxy_host.n == 0 && p) {
        c->proxy_host = p->proxy_host;
        c->pass_file = p->pass_file;
        c->pass_line = p->pass_line;
    }
}

int hs_upstream_conf_resolve(hs_cf *cf, hs_http_conf *http, hs_upstream_conf *c)
{
    if (c->upstream)
        return HS_OK;
    hs_conf_node at = {.file = c->pass_file, .line = c->pass_line};
    c->upstream = hs_proxy_group_for(cf, http, c->proxy_host, &at, false, "80");
    return c->upstream ? HS_OK : HS_ERROR;
}

bool hs_upstream_conf_keep_conn(const hs_upstream_conf *c)
{
    return c->keep_conn > 0;
}
