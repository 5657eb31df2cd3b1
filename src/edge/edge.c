/* Edge hooks: no rules yet (filled in by the edge-rules work). */
#include "edge/edge.h"

const hs_directive hs_edge_directives[] = {
    {NULL, 0, 0, NULL, 0, 0, NULL},
};

int hs_edge_conf_finish(hs_cf *cf, hs_http_conf *http)
{
    (void)cf;
    (void)http;
    return HS_OK;
}

void hs_edge_merge_loc(hs_loc_conf *child, const hs_loc_conf *parent)
{
    (void)child;
    (void)parent;
}

int hs_edge_master_init(hs_config *conf, hs_config *old, char *err, size_t errlen)
{
    (void)conf;
    (void)old;
    (void)err;
    (void)errlen;
    return HS_OK;
}

int hs_edge_accept(hs_listener *l, int fd, const struct sockaddr_storage *peer, socklen_t len)
{
    (void)l;
    (void)fd;
    (void)peer;
    (void)len;
    return HS_OK;
}

int hs_edge_server_phase(hs_req *r)
{
    (void)r;
    return HS_OK;
}

int hs_edge_location_phase(hs_req *r)
{
    (void)r;
    return HS_OK;
}

void hs_edge_request_ended(hs_req *r) { (void)r; }

void hs_edge_conn_closed(hs_conn *c) { (void)c; }
