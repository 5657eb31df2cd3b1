/* hush: command line, as nginx's: -?hvVtTq, -s signal, -p, -c, -e, -g. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buildinfo.h"
#include "config.h"
#include "conf/tree.h"
#include "core/clock.h"
#include "core/errlog.h"
#include "edge/drop.h"
#include "edge/edge.h"
#include "kdrop/kdrop.h"
#include "modules.h"
#include "proctitle.h"
#include "process.h"
#include "upgrade.h"
#include "core/version.h"

typedef struct {
    const char *conf_file; /* -c */
    const char *prefix;    /* -p */
    const char *globals;   /* -g */
    const char *signal;    /* -s */
    const char *error_log; /* -e */
    bool help, version, build_info;
    bool test;  /* -t, -T */
    bool dump;  /* -T */
    bool quiet; /* -q */
} options;

static void usage(void)
{
    fprintf(stderr,
            "Usage: hush [-?hvVtTq] [-s signal] [-p prefix] [-e filename] [-c filename] [-g directives]\n\n"
            "Options:\n"
            "  -?,-h         : this help\n"
            "  -v            : show version and exit\n"
            "  -V            : show version, build options and paths, and exit\n"
            "  -t            : test configuration and exit\n"
            "  -T            : test configuration, dump it and exit\n"
            "  -q            : suppress non-error messages during configuration testing\n"
            "  -s signal     : send signal to a master process: stop, quit, reopen, reload; bans lists bans\n"
            "  -p prefix     : set prefix path (default: %s)\n"
            "  -e filename   : set error log file (default: %s)\n"
            "  -c filename   : set configuration file (default: %s)\n"
            "  -g directives : set global directives out of configuration file\n",
            hs_default_prefix(), hs_default_error_log(), hs_default_conf());
}

/* The value of -c, -p, -g, -s or -e: the rest of the word ("-cfile") or the
 * next word, as nginx takes it. */
static const char **option_slot(options *o, char opt)
{
    switch (opt) {
    case 'c': return &o->conf_file;
    case 'p': return &o->prefix;
    case 'g': return &o->globals;
    case 's': return &o->signal;
    default: return &o->error_log;
    }
}

static int option_value(int argc, char **argv, int *i, const char *rest, char opt, options *o)
{
    const char **slot = option_slot(o, opt);
    if (*rest)
        *slot = rest;
    else if (*i + 1 < argc)
        *slot = argv[++*i];
    else {
        fprintf(stderr, "hush: option \"-%c\" requires %s\n", opt,
                opt == 'p' ? "directory name" : opt == 'c' || opt == 'e' ? "file name" : "parameter");
        return -1;
    }
    if (opt == 's' && strcmp(*slot, "stop") && strcmp(*slot, "quit") && strcmp(*slot, "reopen") &&
        strcmp(*slot, "reload") && strcmp(*slot, "bans")) {
        fprintf(stderr, "hush: invalid option: \"-s %s\"\n", *slot);
        return -1;
    }
    return 0;
}

static int parse_args(int argc, char **argv, options *o)
{
    for (int i = 1; i < argc; i++) {
        const char *p = argv[i];
        if (*p++ != '-' || *p == '\0') {
            fprintf(stderr, "hush: invalid option: \"%s\"\n", argv[i]);
            return -1;
        }
        while (*p) {
            char c = *p++;
            switch (c) {
            case '?':
            case 'h': o->help = o->version = true; break;
            case 'v': o->version = true; break;
            case 'V': o->version = o->build_info = true; break;
            case 't': o->test = true; break;
            case 'T': o->test = o->dump = true; break;
            case 'q': o->quiet = true; break;
            case 'c':
            case 'p':
            case 'g':
            case 's':
            case 'e':
                if (option_value(argc, argv, &i, p, c, o) != 0)
                    return -1;
                p = "";
                break;
            default: fprintf(stderr, "hush: invalid option: \"%c\"\n", c); return -1;
            }
        }
    }
    return 0;
}

static int send_signal(const hs_config *conf, const char *name)
{
    int signo = strcmp(name, "stop") == 0     ? SIGTERM
                : strcmp(name, "quit") == 0   ? SIGQUIT
                : strcmp(name, "reopen") == 0 ? SIGUSR1
                                              : SIGHUP;
    const char *path = conf->pid_path.p;
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "hush: [error] open() \"%s\" failed (%d: %s)\n", path, errno, strerror(errno));
        return 1;
    }
    char buf[64] = "";
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    char *end;
    long pid = strtol(buf, &end, 10);
    if (buf[0] == '\0' || *end != '\0' || pid <= 0 || pid > INT_MAX) {
        fprintf(stderr, "hush: [error] invalid PID number \"%s\" in \"%s\"\n", buf, path);
        return 1;
    }
    if (kill((pid_t)pid, signo) != 0) {
        fprintf(stderr, "hush: [alert] kill(%ld, %d) failed (%d: %s)\n", pid, signo, errno, strerror(errno));
        return 1;
    }
    return 0;
}

/* -T: every file the configuration read, in order, after the test. */
static FILE *dump_out;
static char *dump_buf;
static size_t dump_len;

static void dump_file(const char *path, const char *text, size_t len)
{
    fprintf(dump_out, "# configuration file %s:\n", path);
    fwrite(text, 1, len, dump_out);
    if (len == 0 || text[len - 1] != '\n')
        fputc('\n', dump_out);
    fputc('\n', dump_out);
}

static void resolve_conf_path(const options *o, char *out, size_t outlen)
{
    if (o->conf_file[0] == '/') {
        snprintf(out, outlen, "%s", o->conf_file);
        return;
    }
    snprintf(out, outlen, "%s/%s", o->prefix, o->conf_file);
    if (access(out, R_OK) != 0 && access(o->conf_file, R_OK) == 0)
        snprintf(out, outlen, "%s", o->conf_file); /* relative to the cwd */
}

static int test_result(const options *o, const char *conf_path, const hs_config *conf)
{
    if (conf == NULL) {
        fprintf(stderr, "hush: configuration file %s test failed\n", conf_path);
        return 1;
    }
    if (!o->quiet)
        fprintf(stderr, "hush: the configuration file %s syntax is ok\n"
                        "hush: configuration file %s test is successful\n",
                conf_path, conf_path);
    if (!o->quiet)
        hs_kdrop_describe(conf, stderr); /* which mode deny_addr_mode will get here */
    if (o->dump) {
        fclose(dump_out);
        fwrite(dump_buf, 1, dump_len, stdout);
        free(dump_buf);
    }
    return 0;
}

static int startup(options *o, const char *conf_path)
{
    hs_clock_update();
    hs_modules_init();
    if (o->error_log)
        hs_config_set_default_error_log(o->error_log);
    if (o->dump && (dump_out = open_memstream(&dump_buf, &dump_len)) != NULL)
        hs_conf_tree_on_file(dump_file);
    char err[1024];
    hs_config *conf = hs_config_load(conf_path, o->prefix, o->globals, err, sizeof(err));
    if (conf == NULL)
        fprintf(stderr, "hush: [emerg] %s\n", err);
    if (o->test)
        return test_result(o, conf_path, conf);
    if (conf == NULL)
        return 1;
    if (o->signal && strcmp(o->signal, "bans") == 0)
        return hs_edge_print_bans(conf->pid_path.p); /* reads the ban zones, sends nothing */
    if (o->signal)
        return send_signal(conf, o->signal);
    if (hs_errlog_open(conf) != 0) {
        fprintf(stderr, "hush: [emerg] open() \"%s\" failed (%d: %s)\n", conf->error_log_path.p, errno,
                strerror(errno));
        return 1;
    }
    hs_drop_probe_silent();
    return hs_master_run(conf, conf_path, o->prefix, o->globals);
}

int main(int argc, char **argv)
{
    options o = {.conf_file = hs_default_conf(), .prefix = hs_default_prefix()};
    argv = hs_proctitle_init(argc, argv); /* a copy: the original area becomes the title */
    hs_upgrade_inherit();                 /* $HUSH's sockets, before any file takes a descriptor */
    if (parse_args(argc, argv, &o) != 0)
        return 1;
    if (o.version)
        fprintf(stderr, "hush version: " HS_SERVER_TOKEN "\n");
    if (o.help)
        usage();
    if (o.build_info)
        hs_build_info_print(stderr);
    if (o.version && !o.test)
        return 0;
    char conf_path[PATH_MAX + 256];
    resolve_conf_path(&o, conf_path, sizeof(conf_path));
    return startup(&o, conf_path);
}
