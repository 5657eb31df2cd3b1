/* hush-logstat: reads hush's or nginx's access logs and explains how the
 * requests and connections ended.  This file is the command line: options,
 * the read loop (once, or --follow), and choosing the renderers. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "input.h"
#include "parser.h"
#include "report.h"
#include "stats.h"

#ifndef LS_VERSION
#define LS_VERSION "0.1"
#endif

typedef struct {
    const char *log_format;  /* --log-format, or NULL */
    bool json;               /* --json on stdout instead of text */
    const char *html;        /* --html FILE */
    bool quiet;              /* no text report */
    bool follow;
    int interval;            /* seconds between reports when following */
    int color;               /* -1 auto, 0 never, 1 always */
    size_t max_keys;
    bool real_ip;
    ls_report_opts ro;
    char **files;
    size_t nfiles;
} options;

typedef struct {
    options o;
    ls_parser ps;
    ls_stats st;
    ls_rec rec;
} app;

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void usage(FILE *out)
{
    fputs("usage: hush-logstat [options] [FILE...]   (FILE may be .gz, or - for stdin)\n"
          "  -f, --log-format STR  the nginx log_format string of the log (default: combined,\n"
          "                        main and hush JSON lines, detected per line)\n"
          "      --json            write the report as JSON on stdout\n"
          "      --html FILE       also write a self-contained HTML report to FILE\n"
          "  -q, --quiet           no text report (with --html)\n"
          "  -n, --top N           rows in each ranked list (10)\n"
          "      --min-requests N  requests a location needs to rank by 499 rate (20)\n"
          "      --offender-min N  444+400+408 endings a source needs to be suggested (20)\n"
          "      --offender-share F  and the share of its requests they must be (0.5)\n"
          "      --group-min N     qualifying addresses that make a /24 or /64 suggested (3)\n"
          "      --spike-p P       significance of a spike, Bonferroni over the buckets (1e-4)\n"
          "      --spike-min N     endings a spike bucket needs at least (5)\n"
          "      --max-keys N      distinct keys kept per table, the rest as others (10000)\n"
          "      --real-ip         the client is the first $http_x_forwarded_for address\n"
          "  -F, --follow          keep reading a growing file (rotation-aware) or stdin,\n"
          "                        reporting every --interval seconds and at SIGINT/SIGTERM\n"
          "      --interval SECS   seconds between reports with --follow (5)\n"
          "      --color WHEN      auto, always or never (auto: only on a terminal)\n"
          "  -V, --version         print the version\n"
          "  -h, --help            this help\n",
          out);
}

static double fraction_arg(const char *name, const char *v)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || *end || end == v || !(d > 0 && d <= 1)) {
        fprintf(stderr, "hush-logstat: %s wants a number in (0, 1], not \"%s\"\n", name, v);
        exit(2);
    }
    return d;
}

static long number_arg(const char *name, const char *v, long min)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end || n < min) {
        fprintf(stderr, "hush-logstat: %s wants a number >= %ld, not \"%s\"\n", name, min, v);
        exit(2);
    }
    return n;
}

enum { OPT_JSON = 256, OPT_HTML, OPT_MIN_REQ, OPT_OFFENDER, OPT_MAX_KEYS, OPT_REAL_IP,
       OPT_INTERVAL, OPT_COLOR, OPT_OFF_SHARE, OPT_GROUP_MIN, OPT_SPIKE_P, OPT_SPIKE_MIN };

static void parse_options(options *o, int argc, char **argv)
{
    static const struct option longs[] = {
        {"log-format", required_argument, 0, 'f'}, {"json", no_argument, 0, OPT_JSON},
        {"html", required_argument, 0, OPT_HTML},  {"quiet", no_argument, 0, 'q'},
        {"top", required_argument, 0, 'n'},        {"min-requests", required_argument, 0, OPT_MIN_REQ},
        {"offender-min", required_argument, 0, OPT_OFFENDER},
        {"offender-share", required_argument, 0, OPT_OFF_SHARE},
        {"group-min", required_argument, 0, OPT_GROUP_MIN},
        {"spike-p", required_argument, 0, OPT_SPIKE_P},
        {"spike-min", required_argument, 0, OPT_SPIKE_MIN},
        {"max-keys", required_argument, 0, OPT_MAX_KEYS},
        {"real-ip", no_argument, 0, OPT_REAL_IP},  {"follow", no_argument, 0, 'F'},
        {"interval", required_argument, 0, OPT_INTERVAL},
        {"color", required_argument, 0, OPT_COLOR}, {"colour", required_argument, 0, OPT_COLOR},
        {"version", no_argument, 0, 'V'},          {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    *o = (options){.interval = 5, .color = -1, .max_keys = 10000,
                   .ro = {.top = 10, .min_requests = 20, .offender_min = 20, .offender_share = 0.5,
                          .group_min = 3, .spike_alpha = 1e-4, .spike_min = 5, .max_spikes = 10}};
    int c;
    while ((c = getopt_long(argc, argv, "f:qn:FVh", longs, NULL)) != -1) {
        switch (c) {
        case 'f': o->log_format = optarg; break;
        case OPT_JSON: o->json = true; break;
        case OPT_HTML: o->html = optarg; break;
        case 'q': o->quiet = true; break;
        case 'n': o->ro.top = (size_t)number_arg("--top", optarg, 1); break;
        case OPT_MIN_REQ: o->ro.min_requests = (uint64_t)number_arg("--min-requests", optarg, 1); break;
        case OPT_OFFENDER: o->ro.offender_min = (uint64_t)number_arg("--offender-min", optarg, 1); break;
        case OPT_OFF_SHARE: o->ro.offender_share = fraction_arg("--offender-share", optarg); break;
        case OPT_GROUP_MIN: o->ro.group_min = (size_t)number_arg("--group-min", optarg, 2); break;
        case OPT_SPIKE_P: o->ro.spike_alpha = fraction_arg("--spike-p", optarg); break;
        case OPT_SPIKE_MIN: o->ro.spike_min = (uint64_t)number_arg("--spike-min", optarg, 1); break;
        case OPT_MAX_KEYS: o->max_keys = (size_t)number_arg("--max-keys", optarg, 2); break;
        case OPT_REAL_IP: o->real_ip = true; break;
        case 'F': o->follow = true; break;
        case OPT_INTERVAL: o->interval = (int)number_arg("--interval", optarg, 1); break;
        case OPT_COLOR:
            if (strcmp(optarg, "auto") && strcmp(optarg, "always") && strcmp(optarg, "never")) {
                fprintf(stderr, "hush-logstat: --color wants auto, always or never\n");
                exit(2);
            }
            o->color = !strcmp(optarg, "always") ? 1 : !strcmp(optarg, "never") ? 0 : -1;
            break;
        case 'V': printf("hush-logstat %s\n", LS_VERSION); exit(0);
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); exit(2);
        }
    }
    static char *dash[] = {"-"};
    o->files = optind < argc ? argv + optind : dash;
    o->nfiles = optind < argc ? (size_t)(argc - optind) : 1;
    if (o->nfiles == 1 && !strcmp(o->files[0], "-") && isatty(0)) {
        fputs("hush-logstat: no FILE given and stdin is a terminal\n", stderr);
        usage(stderr);
        exit(2);
    }
    if (o->follow && o->nfiles != 1) {
        fputs("hush-logstat: --follow reads exactly one FILE (or -)\n", stderr);
        exit(2);
    }
}

static void on_line(void *ctx, hs_str line)
{
    app *a = ctx;
    a->st.cur_line++;
    if (line.n == 0)
        return;
    int f = ls_parser_line(&a->ps, line, &a->rec);
    if (f < 0)
        ls_stats_malformed(&a->st, line);
    else
        ls_stats_add(&a->st, &a->rec, f);
}

static bool use_color(const options *o)
{
    if (o->color >= 0)
        return o->color;
    const char *term = getenv("TERM");
    return isatty(1) && !getenv("NO_COLOR") && !(term && !strcmp(term, "dumb"));
}

/* Writes the HTML to a temporary file renamed over FILE, so a browser (or
 * a reload with --follow) never sees half a page. */
static int write_html(const ls_report *rp, const char *path)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "hush-logstat: %s: %s\n", tmp, strerror(errno));
        return HS_ERROR;
    }
    ls_report_html(rp, f);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "hush-logstat: %s: %s\n", path, strerror(errno));
        unlink(tmp);
        return HS_ERROR;
    }
    return HS_OK;
}

static int emit(app *a, bool live)
{
    ls_report rp;
    ls_report_opts ro = a->o.ro;
    ro.refresh = live ? a->o.interval : 0;
    ls_report_build(&rp, &a->st, &ro, (const char *const *)a->o.files, a->o.nfiles);
    int rc = HS_OK;
    if (a->o.json)
        ls_report_json(&rp, stdout);
    else if (!a->o.quiet) {
        bool color = use_color(&a->o);
        if (live && isatty(1))
            fputs("\033[H\033[2J", stdout);
        ls_report_text(&rp, stdout, color);
    }
    fflush(stdout);
    if (a->o.html)
        rc = write_html(&rp, a->o.html);
    ls_report_free(&rp);
    return rc;
}

static int read_file(app *a, const char *path)
{
    ls_input in;
    a->st.cur_file = path;
    a->st.cur_line = 0;
    if (ls_input_open(&in, path) != HS_OK) {
        fprintf(stderr, "hush-logstat: %s: %s\n", path, strerror(errno));
        return HS_ERROR;
    }
    ssize_t n;
    while ((n = ls_input_step(&in, on_line, a)) > 0 || (n < 0 && errno == EINTR))
        ;
    int rc = HS_OK;
    if (n < 0) {
        fprintf(stderr, "hush-logstat: %s: %s (report covers what was read)\n", path,
                errno == EILSEQ ? "corrupt or truncated gzip data" : strerror(errno));
        rc = HS_ERROR;
    }
    ls_input_flush(&in, on_line, a);
    a->st.malformed += in.too_long;
    a->st.lines += in.too_long;
    ls_input_close(&in);
    return rc;
}

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits for input: poll() on pipes and terminals; regular files never
 * block at EOF, so they are polled by sleeping (and checked for rotation). */
static void follow_wait(app *a, ls_input *in, double deadline)
{
    double left = deadline - now_sec();
    int ms = left <= 0 ? 0 : left > 0.2 ? 200 : (int)(left * 1000);
    if (in->regular) {
        if (!ls_input_follow_check(in, on_line, a))
            poll(NULL, 0, ms);
        return;
    }
    struct pollfd p = {in->fd, POLLIN, 0};
    poll(&p, 1, ms);
}

static int follow(app *a, const char *path)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_signal; /* no SA_RESTART: a signal interrupts read() */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    ls_input in;
    a->st.cur_file = path;
    if (ls_input_open(&in, path) != HS_OK) {
        fprintf(stderr, "hush-logstat: %s: %s\n", path, strerror(errno));
        return HS_ERROR;
    }
    double next = now_sec() + a->o.interval;
    bool eof = false;
    while (!stop_requested && !eof) {
        bool readable = in.regular;
        if (!readable) {
            struct pollfd p = {in.fd, POLLIN, 0};
            readable = poll(&p, 1, 0) > 0;
        }
        ssize_t n = readable ? ls_input_step(&in, on_line, a) : 0;
        if (n == 0 && readable && !in.regular)
            eof = true; /* the writer closed the pipe */
        else if (n <= 0)
            follow_wait(a, &in, next);
        if (now_sec() >= next) {
            emit(a, true);
            next = now_sec() + a->o.interval;
        }
    }
    ls_input_flush(&in, on_line, a);
    a->st.malformed += in.too_long;
    a->st.lines += in.too_long;
    ls_input_close(&in);
    return HS_OK;
}

int main(int argc, char **argv)
{
    static app a;
    char err[256];
    parse_options(&a.o, argc, argv);
    if (ls_parser_init(&a.ps, a.o.log_format, err, sizeof(err)) != HS_OK) {
        fprintf(stderr, "hush-logstat: --log-format: %s\n", err);
        return 2;
    }
    ls_stats_init(&a.st, a.o.max_keys, 1u << 16);
    a.st.real_ip = a.o.real_ip;
    static char outbuf[1 << 16];
    setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
    int failed = 0;
    if (a.o.follow)
        failed |= follow(&a, a.o.files[0]) != HS_OK;
    else
        for (size_t i = 0; i < a.o.nfiles; i++)
            failed |= read_file(&a, a.o.files[i]) != HS_OK;
    failed |= emit(&a, false) != HS_OK;
    ls_stats_free(&a.st);
    ls_parser_free(&a.ps);
    return failed ? 1 : 0;
}
