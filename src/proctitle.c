#include "proctitle.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static char **saved_argv;
static char cmdline[1024];
static char *area;      /* argv[0]'s bytes, then the rest of argv and environ */
static size_t area_len; /* bytes that may be written, NUL included */

/* The kernel lays argv's strings out back to back, then environ's; the title
 * may take all of that once environ lives elsewhere. */
static size_t contiguous(char **argv, int argc)
{
    char *end = argv[0];
    for (int i = 0; i < argc; i++)
        if (argv[i] == end)
            end = argv[i] + strlen(argv[i]) + 1;
    for (size_t i = 0; environ && environ[i]; i++)
        if (environ[i] == end)
            end = environ[i] + strlen(environ[i]) + 1;
    return (size_t)(end - argv[0]);
}

static void move_environ(void)
{
    size_t n = 0;
    while (environ && environ[n])
        n++;
    char **copy = calloc(n + 1, sizeof(char *));
    if (copy == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        copy[i] = strdup(environ[i]);
    environ = copy;
}

char **hs_proctitle_init(int argc, char **argv)
{
    if (argc < 1 || argv[0] == NULL)
        return argv;
    saved_argv = calloc((size_t)argc + 1, sizeof(char *));
    for (int i = 0; saved_argv && i < argc; i++)
        if ((saved_argv[i] = strdup(argv[i])) == NULL)
            saved_argv = NULL; /* (leaked: out of memory at start) */
    if (saved_argv == NULL)
        return argv;
    size_t used = 0;
    for (int i = 0; i < argc; i++) {
        int w = snprintf(cmdline + used, sizeof(cmdline) - used, "%s%s", i ? " " : "", argv[i]);
        if (w > 0 && (size_t)w < sizeof(cmdline) - used)
            used += (size_t)w;
    }
    area_len = contiguous(argv, argc);
    move_environ();
    area = argv[0];
    return saved_argv;
}

void hs_proctitle_set(const char *fmt, ...)
{
    if (area == NULL || area_len < 2)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(area, area_len, fmt, ap);
    va_end(ap);
    /* the rest is zeroed: /proc/PID/cmdline then ends with the title */
    if (n >= 0 && (size_t)n < area_len)
        memset(area + n, 0, area_len - (size_t)n);
}

char *const *hs_proctitle_argv(void) { return saved_argv; }

const char *hs_proctitle_cmdline(void) { return cmdline; }
