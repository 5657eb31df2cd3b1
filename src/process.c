#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "core/clock.h"
#include "daemon.h"
#include "handover.h"
#include "core/errlog.h"
#include "core/owner.h"
#include "event/loop.h"
#include "http/http.h"
#include "log/writer.h"
#include "modules.h"
#include "proctitle.h"
#include "upgrade.h"

#define MAX_WORKERS 256

/* One generation: a configuration with its sockets and workers. */
typedef struct {
    hs_config *conf;
    int *fds;              /* nworkers * per sockets */
    size_t per;            /* sockets per worker */
    int nworkers;
    pid_t pids[MAX_WORKERS];
} generation;

static volatile sig_atomic_t sig_reload, sig_reopen, sig_quit, sig_term, sig_child, sig_upgrade, sig_winch;

static void on_signal(int signo)
{
    switch (signo) {
    case SIGHUP: sig_reload = 1; break;
    case SIGUSR1: sig_reopen = 1; break;
    case SIGQUIT: sig_quit = 1; break;
    case SIGTERM:
    case SIGINT: sig_term = 1; break;
    case SIGCHLD: sig_child = 1; break;
    case SIGUSR2: sig_upgrade = 1; break;
    case SIGWINCH: sig_winch = 1; break;
    }
}

static void install_signals(sigset_t *blocked)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    int sigs[] = {SIGHUP, SIGUSR1, SIGQUIT, SIGTERM, SIGINT, SIGCHLD, SIGUSR2, SIGWINCH};
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
    int fd = -1;
    if (!hs_str_eq_lit(conf->error_log_path, "stderr")) {
        fd = open(conf->error_log_path.p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            return -1;
    }
    hs_errlog_set(fd, level, fd < 0 ? NULL : conf->error_log_path.p);
    hs_errlog_set_syslog(conf->error_syslog, conf->error_syslog_level, conf->nerror_syslog);
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

/* After setuid: CAP_NET_ADMIN and CAP_BPF alone may stay, each only when
 * the configuration needs it: drop_mode silent (TCP_REPAIR), and bans put
 * in the kernel's map (kernels before 6.5 refuse any bpf() call, even on a
 * map the worker inherited, without CAP_BPF when unprivileged BPF is off). */
#ifndef CAP_BPF
#define CAP_BPF 39
#endif
static void keep_caps(const hs_config *conf)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct caps[2] = {{0, 0, 0}, {0, 0, 0}};
    if (conf->keep_net_admin)
        caps[0].effective = caps[0].permitted = 1u << CAP_NET_ADMIN;
    if (conf->keep_bpf)
        caps[1].effective = caps[1].permitted = 1u << (CAP_BPF - 32);
    if (syscall(SYS_capset, &h, caps) != 0)
        hs_log_errno(HS_LOG_WARN, errno, "capset(%s) failed: %s", conf->keep_net_admin ? "CAP_NET_ADMIN" : "CAP_BPF",
                     conf->keep_net_admin ? "silent drops fall back to reset" : "bans are enforced at accept");
    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
}

/* `user`: the worker gives up root before it serves, as nginx's (group,
 * supplementary groups, user); the master keeps root to bind, reopen logs
 * and reload. A worker that cannot change identity must not serve as root. */
static void drop_privileges(const hs_config *conf)
{
    if (conf->user == (uid_t)-1 || geteuid() != 0)
        return;
    if (setgid(conf->group) != 0) {
        hs_log_errno(HS_LOG_EMERG, errno, "setgid(%d) failed", (int)conf->group);
        _exit(2);
    }
    if (conf->keep_net_admin || conf->keep_bpf)
        prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
    if (initgroups(conf->user_name, conf->group) != 0) {
        hs_log_errno(HS_LOG_EMERG, errno, "initgroups(%s, %d) failed", conf->user_name, (int)conf->group);
        _exit(2);
    }
    if (setuid(conf->user) != 0) {
        hs_log_errno(HS_LOG_EMERG, errno, "setuid(%d) failed", (int)conf->user);
        _exit(2);
    }
    if (conf->keep_net_admin || conf->keep_bpf)
        keep_caps(conf);
    /* as nginx: a changed identity makes the process undumpable, and its
     * /proc entries root's; the worker's own user may read them again */
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
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
            hs_proctitle_set("hush: worker process is shutting down");
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

/* A worker outlives no master: when the master dies (SIGKILL, a crash) the
 * kernel sends the worker SIGQUIT, and it stops as on a graceful stop (its
 * requests finish, then it exits), where nginx's would keep serving as
 * orphans nobody can reload or stop. Set after the identity change, which
 * clears it; a master already gone before that is seen by getppid(). */
static void watch_master(pid_t master)
{
    if (prctl(PR_SET_PDEATHSIG, SIGQUIT, 0, 0, 0) != 0)
        hs_log_errno(HS_LOG_WARN, errno, "prctl(PR_SET_PDEATHSIG) failed");
    if (getppid() != master)
        sig_quit = 1;
}

static void worker_main(generation *g, int index, pid_t master)
{
    hs_config *conf = g->conf;
    hs_proctitle_set("hush: worker process");
    if (replaced_gen)
        generation_close_sockets(replaced_gen);
    for (int w = 0; w < g->nworkers; w++)
        if (w != index)
            for (size_t s = 0; s < g->per; s++)
                close(g->fds[w * g->per + s]);
    raise_nofile(conf); /* before the identity changes: root may raise the hard limit */
    if (replaced_gen) /* a reload's worker: the new error log (file, syslog), which the master takes later */
        hs_errlog_open(conf);
    drop_privileges(conf);
    sig_reload = sig_reopen = sig_quit = sig_term = sig_child = 0;
    watch_master(master);
    signal(SIGHUP, SIG_IGN);
    sigset_t wait_mask;
    sigprocmask(SIG_BLOCK, NULL, &wait_mask);
    sigdelset(&wait_mask, SIGQUIT);
    sigdelset(&wait_mask, SIGTERM);
    sigdelset(&wait_mask, SIGINT);
    sigdelset(&wait_mask, SIGUSR1);
    if (hs_loop_init() != 0)
        _exit(2);
    hs_loop_set_wait_mask(&wait_mask);
    hs_conn_set_worker_connections(conf->worker_connections);
    hs_worker_index = index;
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
    (void)blocked;
    pid_t master = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        hs_log_errno(HS_LOG_ALERT, errno, "fork() failed");
        return -1;
    }
    if (pid == 0)
        worker_main(g, index, master);
    g->pids[index] = pid;
    return pid;
}

/* ---- master ---- */

/* The generation's sockets: taken over from those offered (the current
 * generation's on a reload, the old binary's on an upgrade) or bound. */
static int generation_open(generation *g, hs_config *conf, bool first_start)
{
    char err[512];
    memset(g, 0, sizeof(*g));
    g->conf = conf;
    g->nworkers = hs_config_workers(conf);
    if (g->nworkers > MAX_WORKERS)
        g->nworkers = MAX_WORKERS;
    g->per = hs_http_bound_count(conf->http);
    g->fds = calloc((size_t)g->nworkers * (g->per ? g->per : 1), sizeof(int));
    if (g->fds == NULL || hs_http_sockets_create(conf->http, g->nworkers, g->fds, first_start, hs_handover_take, err,
                                                     sizeof(err)) != HS_OK) {
        hs_log(HS_LOG_EMERG, "%s", g->fds ? err : "out of memory");
        if (first_start && hs_errlog_fd() != STDERR_FILENO)
            fprintf(stderr, "hush: [emerg] %s\n", g->fds ? err : "out of memory");
        free(g->fds);
        g->fds = NULL;
        return -1;
    }
    hs_modules_master_sockets(conf, g->fds, (size_t)g->nworkers * g->per);
    return 0;
}

static void generation_spawn(generation *g, const sigset_t *blocked)
{
    for (int i = 0; i < g->nworkers; i++)
        spawn_worker(g, i, blocked);
}

static int generation_start(generation *g, hs_config *conf, const sigset_t *blocked)
{
    /* the current sockets are offered (dup'ed) for the addresses kept */
    for (size_t i = 0; replaced_gen && replaced_gen->fds && i < (size_t)replaced_gen->nworkers * replaced_gen->per; i++) {
        int fd = fcntl(replaced_gen->fds[i], F_DUPFD_CLOEXEC, 3);
        if (fd >= 0)
            hs_handover_offer(&fd, 1);
    }
    int rc = generation_open(g, conf, false);
    hs_handover_end();
    if (rc == 0)
        generation_spawn(g, blocked);
    return rc;
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

/* Old generations still finishing their requests after a reload. They are
 * never killed to make room: past MAX_OLD a reload waits (and says so) until
 * one of them is done. */
#define MAX_OLD 32
static generation old_gens[MAX_OLD];
static int n_old;
static bool reload_postponed;

/* true when n_old leaves no room: the caller waits, the log says why */
static bool old_gens_full(const char *what)
{
    if (n_old < MAX_OLD)
        return false;
    if (!reload_postponed)
        hs_log(HS_LOG_WARN, "%s postponed: %d old generations still finish their requests; "
                            "it runs when one of them is done", what, n_old);
    reload_postponed = true;
    return true;
}

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
        if (hs_upgrade_reaped(pid, cur->conf->pid_path.p))
            continue;
        hs_modules_worker_exited(pid); /* e.g. its counters move to the accumulator */
        bool crashed = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
        if (crashed) /* a worker of an old generation too */
            hs_log(HS_LOG_ALERT, "worker process %d exited %s %d", (int)pid,
                   WIFSIGNALED(status) ? "on signal" : "with code",
                   WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
        if (forget_pid(cur, pid, &slot)) {
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
    if (old_gens_full("reload"))
        return;
    reload_postponed = false;
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
    int started = generation_start(&next, conf, blocked);
    replaced_gen = NULL;
    if (started != 0) {
        hs_log_files_restore(old_files);
        hs_config_free(conf);
        hs_log(HS_LOG_EMERG, "reload failed; the old configuration keeps serving");
        return;
    }
    generation_close_sockets(cur);
    hs_owner_set(conf->user);
    signal_workers(cur, SIGQUIT);
    old_gens[n_old++] = *cur;
    *cur = next;
    hs_errlog_open(conf);
}

/* The pid file is written once the sockets are bound, so a start that
 * fails (bind) leaves no pid file behind, nor removes another master's. */
static int write_pid(const hs_config *conf)
{
    FILE *f = fopen(conf->pid_path.p, "w");
    if (f == NULL) {
        int e = errno;
        hs_log_errno(HS_LOG_EMERG, e, "open() \"%s\" failed", conf->pid_path.p);
        if (hs_errlog_fd() != STDERR_FILENO)
            fprintf(stderr, "hush: [emerg] open() \"%s\" failed (%d: %s)\n", conf->pid_path.p, e, strerror(e));
        return -1;
    }
    fprintf(f, "%d\n", (int)getpid());
    fclose(f);
    return 0;
}

static void stop_all(generation *cur, int signo)
{
    signal_workers(cur, signo);
    for (int i = 0; i < n_old; i++)
        signal_workers(&old_gens[i], signo);
}

typedef struct {
    const char *conf_file, *prefix, *globals;
} hs_run_args;

static int all_live(generation *cur)
{
    int n = live_workers(cur);
    for (int i = 0; i < n_old; i++)
        n += live_workers(&old_gens[i]);
    return n;
}

/* WINCH (after an upgrade): the workers stop gracefully, the master keeps
 * its sockets and stays, ready to start workers again on HUP. */
static void stop_workers(generation *cur)
{
    if (live_workers(cur) == 0 || old_gens_full("WINCH"))
        return;
    hs_log(HS_LOG_NOTICE, "gracefully shutting down worker processes");
    signal_workers(cur, SIGQUIT);
    old_gens[n_old] = *cur;
    old_gens[n_old].conf = NULL; /* still the current one */
    old_gens[n_old++].fds = NULL;
    memset(cur->pids, 0, sizeof(cur->pids));
}

/* One wake-up of the master: the signals that arrived. Returns true when
 * the master is done. */
static bool master_step(generation *cur, const hs_run_args *a, const sigset_t *blocked, bool *stopping)
{
    hs_clock_update();
    if (sig_child) {
        sig_child = 0;
        reap_children(cur, blocked, *stopping);
        if (*stopping && all_live(cur) == 0)
            return true;
        sig_reload |= reload_postponed && n_old < MAX_OLD; /* an old generation is done: its turn */
    }
    if (*stopping)
        return false;
    if (sig_term || sig_quit) {
        *stopping = true;
        stop_all(cur, sig_term ? SIGTERM : SIGQUIT);
        generation_close_sockets(cur);
        return all_live(cur) == 0;
    }
    if (sig_upgrade) {
        sig_upgrade = 0;
        hs_upgrade_start(cur->conf->pid_path.p, cur->fds, (size_t)cur->nworkers * cur->per);
    }
    if (sig_winch) {
        sig_winch = 0;
        stop_workers(cur);
    }
    if (sig_reload) {
        sig_reload = 0;
        if (live_workers(cur) == 0 && cur->fds) {
            hs_log(HS_LOG_NOTICE, "start worker processes");
            generation_spawn(cur, blocked);
        } else {
            reload(cur, a->conf_file, a->prefix, a->globals, blocked);
        }
    }
    if (sig_reopen) {
        sig_reopen = 0;
        hs_errlog_reopen();
        hs_modules_reopen();
        stop_all(cur, SIGUSR1);
    }
    return false;
}

/* Sockets first (taken over from an old binary, or bound), then the
 * background, the pid file and the workers: a failed start is reported on
 * the terminal with exit status 1 and leaves nothing behind. */
static int master_start(generation *cur, hs_config *conf, const sigset_t *blocked)
{
    bool inherited = hs_upgrade_inherited() > 0;
    int rc = generation_open(cur, conf, !inherited);
    hs_handover_end();
    if (rc != 0)
        return -1;
    /* connections queue from now on, as nginx's, though the workers are not
     * running yet; each worker's listen() then sets the configured backlog */
    for (size_t i = 0; i < (size_t)cur->nworkers * cur->per; i++)
        if (listen(cur->fds[i], SOMAXCONN) != 0)
            hs_log_errno(HS_LOG_WARN, errno, "listen() failed");
    int ready = -1;
    if (conf->daemon && !inherited && (ready = hs_daemon_start()) < 0)
        return -1;
    if (write_pid(conf) != 0)
        return -1;
    if (conf->daemon && !inherited)
        hs_daemon_ready(ready);
    generation_spawn(cur, blocked);
    return 0;
}

/* At exit: the files of the unix sockets listened on go, as nginx's. */
static void unlink_unix_sockets(hs_http_conf *http)
{
    for (size_t i = 0; http && i < http->ngroups; i++)
        if (http->groups[i].listen->addr.ss_family == AF_UNIX)
            unlink(http->groups[i].listen->text + 5);
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
    hs_proctitle_set("hush: master process %s", hs_proctitle_cmdline());
    hs_owner_set(conf->user);
    generation cur;
    if (master_start(&cur, conf, &blocked) != 0)
        return 1;
    hs_log(HS_LOG_NOTICE, "hush started: %d worker(s)", cur.nworkers);
    hs_run_args a = {conf_file, prefix, globals};
    bool stopping = false;
    while (!master_step(&cur, &a, &blocked, &stopping))
        sigsuspend(&empty);
    hs_upgrade_unlink_pid(cur.conf->pid_path.p);
    if (!hs_upgrade_handed_over())
        unlink_unix_sockets(cur.conf->http); /* else a new binary has them */
    hs_log(HS_LOG_NOTICE, "hush stopped");
    hs_config_free(cur.conf); /* else only a stale stack slot points at it when LeakSanitizer looks */
    return 0;
}
