/* gzip_static: FILE.gz served in the place of FILE, as nginx's
 * gzip_static module: `on` for clients that may get gzip (and, with
 * gzip_vary, Vary on FILE too once FILE.gz exists), `always` for every
 * client. The static module finds and serves the file (its ETag, length,
 * ranges and conditions are FILE.gz's; its type is FILE's). */
#include "gzip/gzip_internal.h"

static bool wanted(hs_req *r)
{
    const gz_loc *c = gz_loc_of(r->loc);
    return c && c->gstatic > 0 && (c->gstatic == 2 || c->vary || gz_request_ok(r, c));
}

static bool found(hs_req *r)
{
    const gz_loc *c = gz_loc_of(r->loc);
    if (c->gstatic == 1) {
        if (c->vary && hs_fields_add(r->pool, &r->resp.headers, HS_STR("Vary"), HS_STR("Accept-Encoding")) != HS_OK)
            return false;
        if (!gz_request_ok(r, c))
            return false;
    }
    return hs_fields_add(r->pool, &r->resp.headers, HS_STR("Content-Encoding"), HS_STR("gzip")) == HS_OK;
}

const hs_static_variant gz_variant = {.suffix = ".gz", .wanted = wanted, .found = found};
