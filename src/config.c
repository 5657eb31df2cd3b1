#include "config.h"

#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buildinfo.h"
#include "conf/vars.h"
#include "core/errlog.h"
#include "core/units.h"
#include "modules.h"

#define MAIN(field) HS_LEVEL_MAIN, offsetof(hs_config, field)

static int worker_processes(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    hs_config *c = cf->level[HS_LEVEL_MAIN];
    if (hs_str_eq_lit(n->args[1], "auto")) {
        c->worker_processes = 0;
        return HS_OK;
    }
    int64_t v = hs_parse_int(n->args[1]);
    if (v < 1 || v > 256)
        return hs_cf_error(cf, n, "invalid value \"%s\" in \"worker_processes\"", n->args[1].p);
    c->worker_processes = (int)v;
    return HS_OK;
}

static void close_syslog(void *s) { hs_syslog_close(s); }

/* error_log syslog:server=... [level]: beside the file, as nginx (which
 * still writes its default file when no file is named). */
static int error_log_syslog(hs_cf *cf, const hs_conf_node *n, hs_config *c, int level)
{
    char err[256];
    if (c->nerror_syslog == HS_ERRLOG_SYSLOGS)
        return hs_cf_error(cf, n, "too many syslog error logs (at most %d)", HS_ERRLOG_SYSLOGS);
    hs_syslog *s = hs_palloc(cf->pool, sizeof(*s));
    if (s == NULL || hs_syslog_parse(n->args[1], s, err, sizeof(err)) != HS_OK)
        return hs_cf_error(cf, n, "%s", s ? err : "out of memory");
    s->severity = -1; /* an error line's severity is its level: severity= is access_log's, as nginx */
    c->error_syslog[c->nerror_syslog] = s;
    c->error_syslog_level[c->nerror_syslog++] = level;
    return hs_pool_cleanup_add(cf->pool, close_syslog, s);
}

static int error_log_directive(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    hs_config *c = cf->level[HS_LEVEL_MAIN];
    int level = n->nargs == 3 ? hs_log_level_parse(n->args[2].p) : HS_LOG_ERR;
    if (level < 0)
        return hs_cf_error(cf, n, "invalid log level \"%s\"", n->args[2].p);
    if (hs_syslog_is(n->args[1]))
        return error_log_syslog(cf, n, c, level);
    c->error_log_path = hs_str_eq_lit(n->args[1], "stderr") ? HS_STR("stderr") : hs_cstr(hs_cf_path(cf, n->args[1]));
    c->error_log_level = level;
    return HS_OK;
}

/* The workers' user and group, looked up at load (so -t reports a missing one). */
static int set_user(hs_cf *cf, const hs_conf_node *n, hs_config *c, const char *user, const char *group)
{
    struct passwd *pw = getpwnam(user);
    if (pw == NULL)
        return hs_cf_error(cf, n, "getpwnam(\"%s\") failed", user);
    struct group *gr = getgrnam(group);
    if (gr == NULL)
        return hs_cf_error(cf, n, "getgrnam(\"%s\") failed", group);
    c->user = pw->pw_uid;
    c->group = gr->gr_gid;
    c->user_name = hs_pstrndup(cf->pool, user, strlen(user));
    return HS_OK;
}

/* user USER [GROUP]: the group defaults to the one named like the user
 * (nginx's rule). Only root can change identity: otherwise ignored with
 * nginx's warning. */
static int user_directive(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    hs_config *c = cf->level[HS_LEVEL_MAIN];
    if (c->user_name)
        return hs_cf_error(cf, n, "\"user\" directive is duplicate");
    if (geteuid() != 0) {
        hs_log(HS_LOG_WARN, "the \"user\" directive makes sense only if the master process runs with "
                            "super-user privileges, ignored in %s:%d", n->file, n->line);
        c->user_name = "";
        return HS_OK;
    }
    return set_user(cf, n, c, n->args[1].p, n->args[n->nargs == 3 ? 2 : 1].p);
}

/* Started as root without `user`: nginx's default, nobody (group nogroup,
 * as Debian's nginx is built, or nobody where there is no nogroup) — for an
 * installed hush. A hush that was never installed (a checkout's binary, run
 * from its directory) keeps its workers as the user who started it, as it
 * always did: its files are that user's, often under a private home. */
static int default_user(hs_cf *cf, hs_config *c)
{
    if (c->user_name || geteuid() != 0 || !hs_installed())
        return HS_OK;
    hs_conf_node where = {.file = c->file, .line = 0};
    return set_user(cf, &where, c, "nobody", getgrnam("nogroup") ? "nogroup" : "nobody");
}

static int events_block(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    return hs_cf_block(cf, n, HS_CTX_EVENTS);
}

static int use_directive(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    (void)conf;
    (void)d;
    if (!hs_str_eq_lit(n->args[1], "epoll"))
        return hs_cf_error(cf, n, "invalid event type \"%s\": hush uses epoll", n->args[1].p);
    return HS_OK;
}

static int accepted_flag(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d)
{
    /* accept_mutex / multi_accept: hush accepts until EAGAIN on a per-worker
     * SO_REUSEPORT socket, so both are moot; the value is still checked */
    (void)conf;
    (void)d;
    if (!hs_str_eq_lit(n->args[1], "on") && !hs_str_eq_lit(n->args[1], "off"))
        return hs_cf_error(cf, n, "invalid value \"%s\", it must be \"on\" or \"off\"", n->args[1].p);
    return HS_OK;
}

static const hs_directive main_directives[] = {
    {"worker_processes", HS_CTX_MAIN, HS_ARGS_1, worker_processes, HS_LEVEL_NONE, 0, NULL},
    {"worker_rlimit_nofile", HS_CTX_MAIN, HS_ARGS_1, hs_set_num, MAIN(worker_rlimit_nofile), NULL},
    {"worker_shutdown_timeout", HS_CTX_MAIN, HS_ARGS_1, hs_set_msec, MAIN(worker_shutdown_timeout), NULL},
    {"user", HS_CTX_MAIN, HS_ARGS_12, user_directive, HS_LEVEL_NONE, 0, NULL},
    {"daemon", HS_CTX_MAIN, HS_ARGS_1, hs_set_flag, MAIN(daemon), NULL},
    {"master_process", HS_CTX_MAIN, HS_ARGS_1, hs_set_flag, MAIN(master_process), NULL},
    {"pid", HS_CTX_MAIN, HS_ARGS_1, hs_set_path, MAIN(pid_path), NULL},
    {"error_log", HS_CTX_MAIN, HS_ARGS_12, error_log_directive, /* http, server, location: the log module's */
     HS_LEVEL_NONE, 0, NULL},
    {"events", HS_CTX_MAIN, HS_ARGS_0 | HS_ARGS_BLOCK, events_block, HS_LEVEL_NONE, 0, NULL},
    {"worker_connections", HS_CTX_EVENTS, HS_ARGS_1, hs_set_num, MAIN(worker_connections), NULL},
    {"use", HS_CTX_EVENTS, HS_ARGS_1, use_directive, HS_LEVEL_NONE, 0, NULL},
    {"multi_accept", HS_CTX_EVENTS, HS_ARGS_1, accepted_flag, HS_LEVEL_NONE, 0, NULL},
    {"accept_mutex", HS_CTX_EVENTS, HS_ARGS_1, accepted_flag, HS_LEVEL_NONE, 0, NULL},
    {NULL, 0, 0, NULL, 0, 0, NULL},
};

hs_module hs_main_module = {
    .name = "main",
    .directives = {main_directives},
};

static void init_main(hs_config *c)
{
    c->worker_processes = 1;
    c->worker_connections = HS_UNSET;
    c->worker_rlimit_nofile = HS_UNSET;
    c->worker_shutdown_timeout = HS_UNSET_MSEC;
    c->daemon = HS_UNSET;
    c->master_process = HS_UNSET;
    c->error_log_level = HS_LOG_ERR;
    c->user = (uid_t)-1;
    c->group = (gid_t)-1;
}

/* hush -e: the error log when the configuration names none. */
static const char *default_error_log;

void hs_config_set_default_error_log(const char *path) { default_error_log = path; }

static void finish_main(hs_cf *cf, hs_config *c)
{
    HS_MERGE(c->worker_connections, (int64_t)HS_UNSET, 512);
    HS_MERGE(c->daemon, HS_UNSET, 1);
    HS_MERGE(c->master_process, HS_UNSET, 1);
    HS_MERGE(c->worker_shutdown_timeout, HS_UNSET_MSEC, 0);
    if (c->pid_path.p == NULL)
        c->pid_path = hs_cstr(hs_cf_path(cf, hs_cstr(hs_default_pid())));
    if (c->error_log_path.p == NULL && strcmp(default_error_log, "stderr") == 0)
        c->error_log_path = HS_STR("stderr");
    else if (c->error_log_path.p == NULL)
        c->error_log_path = hs_cstr(hs_cf_path(cf, hs_cstr(default_error_log)));
}

/* Directives named on the command line win over the file's. */
static bool overridden(const hs_conf_node *g, hs_str name)
{
    for (size_t i = 0; g && i < g->nchildren; i++)
        if (hs_str_eq(g->children[i].args[0], name))
            return true;
    return false;
}

static int apply_root(hs_cf *cf, const hs_conf_node *root, const hs_conf_node *g)
{
    if (g && hs_cf_block(cf, g, HS_CTX_MAIN) != HS_OK)
        return HS_ERROR;
    hs_conf_node filtered = *root;
    filtered.children = hs_palloc(cf->pool, (root->nchildren + 1) * sizeof(hs_conf_node));
    filtered.nchildren = 0;
    for (size_t i = 0; i < root->nchildren; i++)
        if (!overridden(g, root->children[i].args[0]))
            filtered.children[filtered.nchildren++] = root->children[i];
    return hs_cf_block(cf, &filtered, HS_CTX_MAIN);
}

static void ensure_logs_dir(const char *prefix)
{
    /* for a prefix given with -p (a checkout, a test); the installed
     * prefix is left as the package made it */
    if (hs_installed() && strcmp(prefix, hs_default_prefix()) == 0)
        return;
    char path[4096];
    snprintf(path, sizeof(path), "%s/logs", prefix);
    mkdir(path, 0755); /* the defaults live there, as nginx's; EEXIST is fine */
}

hs_config *hs_config_load(const char *file, const char *prefix, const char *global_directives,
                          char *err, size_t errlen)
{
    hs_pool *pool = hs_pool_create(16384);
    if (pool == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    hs_config *c = hs_pcalloc(pool, sizeof(*c));
    c->pool = pool;
    c->file = hs_pstrndup(pool, file, strlen(file));
    c->prefix = hs_pstrndup(pool, prefix, strlen(prefix));
    init_main(c);
    if (default_error_log == NULL)
        default_error_log = hs_default_error_log();
    char *dir_copy = hs_pstrndup(pool, file, strlen(file));
    hs_modules_init();
    hs_cf cf = {.pool = pool, .ctx = HS_CTX_MAIN, .modules = hs_modules,
                .prefix = c->prefix, .conf_dir = dirname(dir_copy), .err = err, .errlen = errlen, .user = c};
    cf.level[HS_LEVEL_MAIN] = c;
    ensure_logs_dir(prefix);
    hs_vars_reset_defined();
    hs_conf_node *root = hs_conf_tree_load(pool, file, cf.conf_dir, err, errlen);
    hs_conf_node *g = NULL;
    if (root && global_directives)
        g = hs_conf_tree_parse_string(pool, global_directives, "command line", cf.conf_dir, err, errlen);
    if (root == NULL || (global_directives && g == NULL) || apply_root(&cf, root, g) != HS_OK ||
        hs_vars_check_forward(&cf) != HS_OK) {
        hs_pool_destroy(pool);
        return NULL;
    }
    finish_main(&cf, c);
    if (default_user(&cf, c) != HS_OK) {
        hs_pool_destroy(pool);
        return NULL;
    }
    if (c->http == NULL) {
        snprintf(err, errlen, "%s: no \"http\" block: nothing to serve", file);
        hs_pool_destroy(pool);
        return NULL;
    }
    return c;
}

void hs_config_free(hs_config *c)
{
    if (c)
        hs_pool_destroy(c->pool);
}

int hs_config_workers(const hs_config *c)
{
    if (c->worker_processes > 0)
        return c->worker_processes;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}
