/* hush: command line. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "core/clock.h"
#include "core/errlog.h"
#include "edge/drop.h"
#include "edge/edge.h"
#include "http/http.h"
#include "log/writer.h"
#include "modules.h"
#include "process.h"
#include "core/version.h"

typedef struct {
    const char *conf_file; /* -c */
    const char *prefix;    /* -p */
    const char *globals;   /* -g */
    const char *signal;    /* -s */
    bool test;             /* -t */
    bool quiet;            /* -q */
} options;

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: hush [-?hvtq] [-s signal] [-p prefix] [-c filename] [-g directives]\n\n"
            "Options:\n"
            "  -?,-h         : this help\n"
            "  -v            : show version and exit\n"
            "  -t            : test configuration and exit\n"
            "  -q            : suppress non-error messages during configuration testing\n"
            "  -s signal     : send signal to a master process: stop, quit, reopen, reload; bans lists bans\n"
            "  -p prefix     : set prefix path (default: the current directory)\n"
            "  -c filename   : set configuration file (default: conf/hush.conf)\n"
            "  -g directives : set global directives out of configuration file\n");
}

static int parse_args(int argc, char **argv, options *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] == '\0' || a[2] != '\0') {
            fprintf(stderr, "hush: invalid option: \"%s\"\n", a);
            return -1;
        }
        switch (a[1]) {
        case 'h':
        case '?': usage(stdout); exit(0);
        case 'v':
        case 'V': printf("hush version: " HS_SERVER_TOKEN "\n"); exit(0);
        case 't': o->test = true; break;
        case 'q': o->quiet = true; break;
        case 'c':
        case 'p':
        case 'g':
        case 's':
            if (i + 1 >= argc) {
                fprintf(stderr, "hush: option \"-%c\" requires %s\n", a[1],
                        a[1] == 'c' ? "file name" : a[1] == 'p' ? "directory name" : a[1] == 'g' ? "parameter" : "parameter");
                return -1;
            }
            if (a[1] == 'c') o->conf_file = argv[++i];
            else if (a[1] == 'p') o->prefix = argv[++i];
            else if (a[1] == 'g') o->globals = argv[++i];
            else o->signal = argv[++i];
            break;
        default:
            fprintf(stderr, "hush: invalid option: \"%s\"\n", a);
            return -1;
        }
    }
    return 0;
}

static int send_signal(const hs_config *conf, const char *name)
{
    int signo = strcmp(name, "stop") == 0     ? SIGTERM
                : strcmp(name, "quit") == 0   ? SIGQUIT
                : strcmp(name, "reopen") == 0 ? SIGUSR1
                : strcmp(name, "reload") == 0 ? SIGHUP
                                              : 0;
    if (signo == 0) {
        fprintf(stderr, "hush: invalid option: \"-s %s\"\n", name);
        return 1;
    }
    FILE *f = fopen(conf->pid_path.p, "r");
    long pid = 0;
    if (f == NULL || fscanf(f, "%ld", &pid) != 1 || pid <= 0) {
        fprintf(stderr, "hush: [error] invalid PID number in \"%s\"\n", conf->pid_path.p);
        if (f)
            fclose(f);
        return 1;
    }
    fclose(f);
    if (kill((pid_t)pid, signo) != 0) {
        fprintf(stderr, "hush: [alert] kill(%ld, %d) failed (%d: %s)\n", pid, signo, errno, strerror(errno));
        return 1;
    }
    return 0;
}

static void daemonize(void)
{
    pid_t pid = fork();
    if (pid < 0) {
        perror("hush: fork");
        exit(1);
    }
    if (pid > 0)
        _exit(0);
    setsid();
    int fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
        dup2(fd, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        if (hs_errlog_fd() != STDERR_FILENO)
            dup2(fd, STDERR_FILENO);
        if (fd > 2)
            close(fd);
    }
}

int main(int argc, char **argv)
{
    options o = {.conf_file = "conf/hush.conf"};
    if (parse_args(argc, argv, &o) != 0)
        return 1;
    char cwd[PATH_MAX];
    if (o.prefix == NULL)
        o.prefix = getcwd(cwd, sizeof(cwd)) ? cwd : ".";
    char conf_path[PATH_MAX + 256];
    if (o.conf_file[0] != '/')
        snprintf(conf_path, sizeof(conf_path), "%.*s/%s", PATH_MAX - 1, o.prefix, o.conf_file);
    else
        snprintf(conf_path, sizeof(conf_path), "%s", o.conf_file);
    if (o.conf_file[0] != '/' && access(conf_path, R_OK) != 0 && access(o.conf_file, R_OK) == 0)
        snprintf(conf_path, sizeof(conf_path), "%s", o.conf_file); /* relative to the cwd */
    hs_clock_update();
    hs_modules_init();
    char err[1024];
    hs_config *conf = hs_config_load(conf_path, o.prefix, o.globals, err, sizeof(err));
    if (conf == NULL) {
        fprintf(stderr, "hush: [emerg] %s\n", err);
        if (o.test)
            fprintf(stderr, "hush: configuration file %s test failed\n", conf_path);
        return 1;
    }
    if (o.test) {
        if (!o.quiet)
            fprintf(stderr, "hush: configuration file %s test is successful\nconfiguration ok\n", conf_path);
        return 0;
    }
    if (o.signal && strcmp(o.signal, "bans") == 0)
        return hs_edge_print_bans(conf->pid_path.p); /* reads the ban zones, sends nothing */
    if (o.signal)
        return send_signal(conf, o.signal);
    if (hs_errlog_open(conf) != 0) {
        fprintf(stderr, "hush: [emerg] open() \"%s\" failed (%d: %s)\n", conf->error_log_path.p, errno,
                strerror(errno));
        return 1;
    }
    hs_drop_probe_silent();
    if (conf->daemon)
        daemonize();
    return hs_master_run(conf, conf_path, o.prefix, o.globals);
}
