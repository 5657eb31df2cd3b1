#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "core/clock.h"
#include "core/errlog.h"
#include "event/loop.h"
#include "http/http.h"
#include "log/writer.h"
#include "modules.h"

#define MAX_WORKERS 256

/* One generation: a configuration with its sockets and workers. */
typedef struct {
    hs_config *conf;
    int *fds;              /* nworkers * per sockets */
    size_t per;            /* sockets per worker */
    int nworkers;
    pid_t pids[MAX_WORKERS];
} generation;

static volatile sig_atomic_t sig_reload, sig_reopen, sig_quit, sig_term, sig_child;

static void on_signal(int signo)
{
    switch (signo) {
    case SIGHUP: sig_reload = 1; break;
    case SIGUSR1: sig_reopen = 1; break;
    case SIGQUIT: sig_quit = 1; break;
    case SIGTERM:
    case SIGINT: sig_term = 1; break;
    case SIGCHLD: sig_child = 1; break;
    }
}

static void install_signals(sigset_t *blocked)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    int sigs[] = {SIGHUP, SIGUSR1, SIGQUIT, SIGTERM, SIGINT, SIGCHLD};
    sigemptyset(blocked);
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        sigaction(sigs[i], &sa, NULL);
        sigaddset(blocked, sigs[i]);
    }
    signal(SIGPIPE, SIG_IGN);
    sigprocmask(SIG_BLOCK, blocked, NULL);
}

int hs_errlog_open(const hs_config *conf)
{
    int level = conf->error_log_level;
    if (hs_str_eq_lit(conf->error_log_path, "stderr")) {
        hs_errlog_set(-1, level, NULL);
        return 0;
    }
    int fd = open(conf->error_log_path.p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    hs_errlog_set(fd, level, conf->error_log_path.p);
    return 0;
}

/* ---- worker ---- */

/* worker_rlimit_nofile sets the limit (up or down, as nginx); without it
 * the limit is only raised to fit worker_connections. */
static void raise_nofile(const hs_config *conf)
{
    bool exact = conf->worker_rlimit_nofile > 0;
    rlim_t want = exact ? (rlim_t)conf->worker_rlimit_nofile : (rlim_t)conf->worker_connections * 2 + 64;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == want || (!exact && rl.rlim_cur > want))
        return;
    rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
    if (conf->worker_rlimit_nofile > 0 && rl.rlim_max < want)
        rl.rlim_max = rl.rlim_cur = want; /* root may raise the hard limit */
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        hs_log_errno(HS_LOG_WARN, errno, "setrlimit(RLIMIT_NOFILE, %llu) failed", (unsigned long long)want);
}

static void on_shutdown_deadline(hs_timer *t)
{
    (void)t;
    hs_log(HS_LOG_NOTICE, "worker_shutdown_timeout passed: closing %zu connections", hs_http_active_connections());
    hs_http_close_all(HS_END_SHUTDOWN);
}

static void worker_loop(const hs_config *conf)
{
    bool stopping = false;
    hs_timer deadline = {.on_timer = on_shutdown_deadline};
    while (!sig_term) {
        if (sig_reopen) {
            sig_reopen = 0;
            hs_modules_reopen();
            hs_errlog_reopen();
        }
        if (sig_quit && !stopping) {
            stopping = true;
            hs_http_graceful_stop();
            if (conf->worker_shutdown_timeout > 0)
                hs_timer_set(&deadline, (uint64_t)conf->worker_shutdown_timeout);
        }
        if (stopping && hs_http_active_connections() == 0)
            break;
        if (hs_loop_once(stopping ? 200 : -1) < 0)
            break;
    }
    if (sig_term)
        hs_http_close_all(HS_END_SHUTDOWN);
    hs_timer_cancel(&deadline);
    hs_modules_worker_stop();
}

/* During a reload: the generation being replaced. Its listening sockets are
 * still open in the master when the new workers fork; a new worker that kept
 * them would hold sockets of the SO_REUSEPORT group that nobody accepts on,
 * and the connections the kernel hashes to them would hang. */
static generation *replaced_gen;
static void generation_close_sockets(generation *g);

static void worker_main(generation *g, int index, const sigset_t *blocked)
{
    hs_config *conf = g->conf;
    if (replaced_gen)
        generation_close_sockets(replaced_gen);
    for (int w = 0; w < g->nworkers; w++)
        if (w != index)
            for (size_t s = 0; s < g->per; s++)
                close(g->fds[w * g->per + s]);
    raise_nofile(conf);
    sig_reload = sig_reopen = sig_quit = sig_term = sig_child = 0;
    signal(SIGHUP, SIG_IGN);
    sigset_t wait_mask;
    sigprocmask(SIG_BLOCK, NULL, &wait_mask);
    sigdelset(&wait_mask, SIGQUIT);
    sigdelset(&wait_mask, SIGTERM);
    sigdelset(&wait_mask, SIGINT);
    sigdelset(&wait_mask, SIGUSR1);
    (void)blocked;
    if (hs_loop_init() != 0)
        _exit(2);
    hs_loop_set_wait_mask(&wait_mask);
    hs_conn_set_worker_connections(conf->worker_connections);
    hs_modules_worker_start(conf);
    if (hs_http_listeners_start(conf->http, g->fds + (size_t)index * g->per, (uint64_t)index,
                                (uint64_t)g->nworkers) != HS_OK) {
        hs_log(HS_LOG_EMERG, "worker cannot start its listeners");
        _exit(2);
    }
    worker_loop(conf);
    _exit(0);
}

static pid_t spawn_worker(generation *g, int index, const sigset_t *blocked)
{
    pid_t pid = fork();
    if (pid < 0) {
        hs_log_errno(HS_LOG_ALERT, errno, "fork() failed");
        return -1;
    }
    if (pid == 0)
        worker_main(g, index, blocked);
    g->pids[index] = pid;
    return pid;
}

/* ---- master ---- */

static int generation_start(generation *g, hs_config *conf, const sigset_t *blocked, bool first_start)
{
    char err[512];
    memset(g, 0, sizeof(*g));
    g->conf = conf;
    g->nworkers = hs_config_workers(conf);
    if (g->nworkers > MAX_WORKERS)
        g->nworkers = MAX_WORKERS;
    g->per = hs_http_bound_count(conf->http);
    g->fds = calloc((size_t)g->nworkers * (g->per ? g->per : 1), sizeof(int));
    if (g->fds == NULL || hs_http_sockets_create(conf->http, g->nworkers, g->fds, first_start, err, sizeof(err)) != HS_OK) {
        hs_log(HS_LOG_EMERG, "%s", g->fds ? err : "out of memory");
        if (first_start && hs_errlog_fd() != STDERR_FILENO)
            fprintf(stderr, "hush: [emerg] %s\n", g->fds ? err : "out of memory");
        free(g->fds);
        g->fds = NULL;
        return -1;
    }
    for (int i = 0; i < g->nworkers; i++)
        spawn_worker(g, i, blocked);
    return 0;
}

static void generation_close_sockets(generation *g)
{
    for (size_t i = 0; g->fds && i < (size_t)g->nworkers * g->per; i++)
        close(g->fds[i]);
    free(g->fds);
    g->fds = NULL;
}

static void signal_workers(generation *g, int signo)
{
    for (int i = 0; i < g->nworkers; i++)
        if (g->pids[i] > 0)
            kill(g->pids[i], signo);
}

static int live_workers(generation *g)
{
    int n = 0;
    for (int i = 0; i < g->nworkers; i++)
        n += g->pids[i] > 0;
    return n;
}

/* Old generations still finishing their requests after a reload. */
#define MAX_OLD 8
static generation old_gens[MAX_OLD];
static int n_old;

static bool forget_pid(generation *g, pid_t pid, int *slot)
{
    for (int i = 0; i < g->nworkers; i++) {
        if (g->pids[i] == pid) {
            g->pids[i] = 0;
            *slot = i;
            return true;
        }
    }
    return false;
}

static void reap_children(generation *cur, const sigset_t *blocked, bool stopping)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        int slot;
        hs_modules_worker_exited(pid); /* e.g. its counters move to the accumulator */
        if (forget_pid(cur, pid, &slot)) {
            bool crashed = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
            if (crashed)
                hs_log(HS_LOG_ALERT, "worker process %d exited %s %d", (int)pid,
                       WIFSIGNALED(status) ? "on signal" : "with code",
                       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
            if (!stopping && crashed && cur->fds)
                spawn_worker(cur, slot, blocked);
            continue;
        }
        for (int i = 0; i < n_old; i++)
            if (forget_pid(&old_gens[i], pid, &slot))
                break;
    }
    for (int i = 0; i < n_old;) {
        if (live_workers(&old_gens[i]) == 0) {
            hs_config_free(old_gens[i].conf);
            old_gens[i] = old_gens[--n_old];
        } else {
            i++;
        }
    }
}

static void reload(generation *cur, const char *file, const char *prefix, const char *globals,
                   const sigset_t *blocked)
{
    char err[1024];
    hs_log(HS_LOG_NOTICE, "reloading configuration \"%s\"", file);
    hs_log_file *old_files = hs_log_files_detach();
    hs_config *conf = hs_config_load(file, prefix, globals, err, sizeof(err));
    if (conf == NULL) {
        hs_log_files_restore(old_files);
        hs_log(HS_LOG_EMERG, "%s; the old configuration keeps serving", err);
        return;
    }
    if (hs_modules_master_init(conf, cur->conf, err, sizeof(err)) != HS_OK) {
        hs_log_files_restore(old_files);
        hs_config_free(conf);
        hs_log(HS_LOG_EMERG, "%s; the old configuration keeps serving", err);
        return;
    }
    generation next;
    replaced_gen = cur;
    int started = generation_start(&next, conf, blocked, false);
    replaced_gen = NULL;
    if (started != 0) {
        hs_log_files_restore(old_files);
        hs_config_free(conf);
        hs_log(HS_LOG_EMERG, "reload failed; the old configuration keeps serving");
        return;
    }
    generation_close_sockets(cur);
    signal_workers(cur, SIGQUIT);
    if (n_old == MAX_OLD) {
        signal_workers(&old_gens[0], SIGTERM);
        old_gens[0] = old_gens[--n_old];
    }
    old_gens[n_old++] = *cur;
    *cur = next;
    hs_errlog_open(conf);
}

static void write_pid(const hs_config *conf)
{
    FILE *f = fopen(conf->pid_path.p, "w");
    if (f == NULL) {
        hs_log_errno(HS_LOG_ALERT, errno, "open() \"%s\" failed", conf->pid_path.p);
        return;
    }
    fprintf(f, "%d\n", (int)getpid());
    fclose(f);
}

static void stop_all(generation *cur, int signo)
{
    signal_workers(cur, signo);
    for (int i = 0; i < n_old; i++)
        signal_workers(&old_gens[i], signo);
}

static int all_live(generation *cur)
{
    int n = live_workers(cur);
    for (int i = 0; i < n_old; i++)
        n += live_workers(&old_gens[i]);
    return n;
}

int hs_master_run(hs_config *conf, const char *conf_file, const char *prefix, const char *globals)
{
    sigset_t blocked, empty;
    install_signals(&blocked);
    sigemptyset(&empty);
    char err[512];
    if (hs_modules_master_init(conf, NULL, err, sizeof(err)) != HS_OK) {
        hs_log(HS_LOG_EMERG, "%s", err);
        fprintf(stderr, "hush: [emerg] %s\n", err);
        return 1;
    }
    write_pid(conf);
    generation cur;
    if (generation_start(&cur, conf, &blocked, true) != 0)
        return 1;
    hs_log(HS_LOG_NOTICE, "hush started: %d worker(s)", cur.nworkers);
    bool stopping = false;
    for (;;) {
        sigsuspend(&empty);
        hs_clock_update();
        if (sig_child) {
            sig_child = 0;
            reap_children(&cur, &blocked, stopping);
            if (stopping && all_live(&cur) == 0)
                break;
        }
        if (stopping)
            continue;
        if (sig_term || sig_quit) {
            stopping = true;
            stop_all(&cur, sig_term ? SIGTERM : SIGQUIT);
            generation_close_sockets(&cur);
            if (all_live(&cur) == 0)
                break;
            continue;
        }
        if (sig_reload) {
            sig_reload = 0;
            reload(&cur, conf_file, prefix, globals, &blocked);
        }
        if (sig_reopen) {
            sig_reopen = 0;
            hs_errlog_reopen();
            hs_modules_reopen();
            stop_all(&cur, SIGUSR1);
        }
    }
    unlink(cur.conf->pid_path.p);
    hs_log(HS_LOG_NOTICE, "hush stopped");
    hs_config_free(cur.conf); /* else only a stale stack slot points at it when LeakSanitizer looks */
    return 0;
}
