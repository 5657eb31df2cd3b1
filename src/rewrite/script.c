/* Running a level's script: the server's in the server rewrite phase, the
 * location's in the rewrite phase, each in config order as nginx does. An
 * if block whose condition holds makes its settings the request's
 * (r->loc) and runs its directives; rewrite ... last (or a changed $uri
 * at the end of a location's script) searches the location again; break
 * stops the script; return answers. */
#include <stdarg.h>
#include <stdio.h>

#include "core/errlog.h"
#include "rewrite/rewrite_internal.h"

/* The line in nginx's shape, with the request's context (the log module's). */
static void log_v(hs_req *r, int level, const char *fmt, va_list ap)
{
    char msg[1024];
    if (!hs_log_enabled(level))
        return;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    hs_log_ctx(level, r, 0, "%s", msg);
}

void rw_log(hs_req *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_v(r, HS_LOG_NOTICE, fmt, ap);
    va_end(ap);
}

void rw_log_at(hs_req *r, int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_v(r, level, fmt, ap);
    va_end(ap);
}

/* What the script did: went through (HS_OK, *changed when a rewrite
 * changed $uri and should search the location again) or answered r (HS_DONE). */
static int run_script(hs_req *r, const rw_loc *rl, bool *changed)
{
    bool log = rl->rewrite_log == 1;
    for (size_t i = 0; i < rl->nops;) {
        const rw_op *op = &rl->ops[i];
        switch (op->kind) {
        case RW_OP_IF:
            if (rw_cond_eval(&op->u.ifb.cond, r, log)) {
                r->loc = op->u.ifb.level;
                i++;
            } else {
                i = op->u.ifb.next;
            }
            continue;
        case RW_OP_SET: {
            hs_str v;
            if (hs_cv_eval(&op->u.set.value, r, r->pool, &v) != HS_OK)
                v = HS_STR("");
            if (op->u.set.setter)
                op->u.set.setter(r, v);
            else if (op->u.set.index == RW_SET_ARGS)
                r->args = v;
            else
                rw_var_set(r, op->u.set.index, v);
            break;
        }
        case RW_OP_RETURN:
            rw_return_run(r, &op->u.ret);
            return HS_DONE;
        case RW_OP_BREAK:
            r->location_stale |= *changed;
            *changed = false;
            return HS_OK;
        default: {
            int rc = rw_rewrite_run(r, &op->u.rw, log);
            if (rc == HS_DONE)
                return HS_DONE;
            if (rc == HS_OK) {
                *changed = op->u.rw.flag != RW_FLAG_BREAK;
                r->location_stale |= op->u.rw.flag == RW_FLAG_BREAK;
                if (op->u.rw.flag == RW_FLAG_LAST || op->u.rw.flag == RW_FLAG_BREAK)
                    return HS_OK;
            }
            break;
        }
        }
        i++;
    }
    return HS_OK;
}

/* The server's script; a changed $uri is what the location search uses. */
static int server_rewrite(hs_req *r)
{
    const rw_loc *rl = rw_loc_of(r->srv->loc);
    bool changed = false;
    if (rl == NULL || rl->nops == 0)
        return HS_OK;
    return run_script(r, rl, &changed);
}

static int location_rewrite(hs_req *r)
{
    const rw_loc *rl = rw_loc_of(r->loc);
    bool changed = false;
    if (rl == NULL)
        return HS_OK;
    if (rl->internal && !r->internal) {
        hs_http_finalize(r, 404); /* an internal location, asked for from outside */
        return HS_DONE;
    }
    if (rl->nops == 0)
        return HS_OK;
    if (run_script(r, rl, &changed) != HS_OK)
        return HS_DONE;
    if (!changed)
        return HS_OK;
    hs_http_location_changed(r);
    return HS_DONE;
}

int rw_register(hs_cf *cf, hs_http_conf *http, rw_http *rh)
{
    int rc = HS_OK;
    if (rh->has_script)
        rc |= hs_http_add_phase(cf, http, HS_PHASE_SERVER_REWRITE, server_rewrite);
    if (rh->has_script || rh->has_internal)
        rc |= hs_http_add_phase(cf, http, HS_PHASE_REWRITE, location_rewrite);
    return rc == HS_OK ? HS_OK : hs_cf_error(cf, NULL, "too many hooks");
}
