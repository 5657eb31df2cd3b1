/* return: a drop (444, by its rule, no byte sent), a redirect (301, 302,
 * 303, 307, 308 with a URL; a path becomes absolute), a text body, or a
 * status whose error_page applies (>= 400 without text). It answers in
 * the rewrite phase, before limits and access rules, through the content
 * phase so that the request body is read first. */
#include "rewrite/rewrite_internal.h"

static bool is_redirect(int code) { return code == 301 || code == 302 || code == 303 || code == 307 || code == 308; }

static void return_send(hs_req *r)
{
    rw_req *rq = hs_http_get_ctx(r, &hs_rewrite_module);
    const rw_return *rt = rq->ret;
    hs_str text = HS_NULL_STR;
    if (rt->text.raw.p && hs_cv_eval(&rt->text, r, r->pool, &text) != HS_OK) {
        hs_http_finalize(r, 500);
        return;
    }
    if (is_redirect(rt->code) && text.p) {
        /* as nginx: the Location is set and the code finalizes, so that an
         * error_page for it applies (and keeps the Location) */
        r->resp.location = text.n && text.p[0] == '/' ? hs_http_absolute_url(r, text) : text;
        hs_http_finalize(r, rt->code);
        return;
    }
    if (text.p == NULL && rt->code >= 400) {
        hs_http_finalize(r, rt->code);
        return;
    }
    hs_http_error_response(r, rt->code);
    if (text.p) {
        r->resp.body = text;
        r->resp.content_length = (int64_t)text.n;
        r->resp.content_type = r->loc->default_type;
    }
    /* in an error page, the error's status is what goes out (nginx's
     * err_status), with this response's body */
    int status = hs_http_response_status(r, rt->code);
    if (status != rt->code) {
        r->resp.status = status;
        if (r->resp.content_length < 0)
            r->resp.content_length = 0;
    }
    hs_http_send_response(r);
}

static const hs_handler return_handler = {.name = "return", .run = return_send};

void rw_return_run(hs_req *r, const rw_return *rt)
{
    if (rt->code == 444) { /* nginx's "close without a response": a drop by its rule */
        hs_http_drop(r, rt->rule);
        return;
    }
    rw_req *rq = rw_req_get(r);
    if (rq == NULL) {
        hs_http_finalize(r, 500);
        return;
    }
    rq->ret = rt;
    hs_http_run_handler(r, &return_handler);
}
