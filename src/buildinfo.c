#include "buildinfo.h"

#include <limits.h>
#include <link.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "core/version.h"

/* The Makefile defines these for this file only (from PREFIX, CONF_PATH,
 * ...); the fallbacks are for a compiler run by hand. */
#ifndef HS_PREFIX
#define HS_PREFIX "/usr/local/share/hush"
#endif
#ifndef HS_CONF_PATH
#define HS_CONF_PATH "/usr/local/etc/hush/hush.conf"
#endif
#ifndef HS_PID_PATH
#define HS_PID_PATH "/usr/local/var/run/hush.pid"
#endif
#ifndef HS_ERROR_LOG_PATH
#define HS_ERROR_LOG_PATH "/usr/local/var/log/hush/error.log"
#endif
#ifndef HS_SBIN_PATH
#define HS_SBIN_PATH "/usr/local/sbin/hush"
#endif
#ifndef HS_BUILD_CFLAGS
#define HS_BUILD_CFLAGS ""
#endif
#ifndef HS_BUILD_LIBS
#define HS_BUILD_LIBS ""
#endif

/* A hush that was never installed (its compiled-in prefix does not exist:
 * the binary of a checkout) runs from the current directory with the paths
 * under it (conf/hush.conf, logs/hush.pid, logs/error.log), as it did before
 * it had compiled-in paths; an installed one uses the compiled-in paths. */
bool hs_installed(void)
{
    static int known = -1;
    if (known < 0) {
        struct stat st;
        known = stat(HS_PREFIX, &st) == 0 && S_ISDIR(st.st_mode);
    }
    return known == 1;
}

static char cwd[PATH_MAX];

const char *hs_default_prefix(void)
{
    if (hs_installed())
        return HS_PREFIX;
    return cwd[0] || getcwd(cwd, sizeof(cwd)) ? cwd : ".";
}
const char *hs_default_conf(void) { return hs_installed() ? HS_CONF_PATH : "conf/hush.conf"; }
const char *hs_default_pid(void) { return hs_installed() ? HS_PID_PATH : "logs/hush.pid"; }
const char *hs_default_error_log(void) { return hs_installed() ? HS_ERROR_LOG_PATH : "logs/error.log"; }

/* The shared libraries this process really runs with. */
static int print_library(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    const char *name = info->dlpi_name, *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    if (*base && strncmp(base, "linux-vdso", 10) != 0 && strncmp(base, "ld-linux", 8) != 0)
        fprintf((FILE *)data, " %s", base);
    return 0;
}

void hs_build_info_print(FILE *out)
{
    char pcre[64] = "";
    pcre2_config(PCRE2_CONFIG_VERSION, pcre);
    fprintf(out, "hush version: " HS_SERVER_TOKEN "\n");
#ifdef __VERSION__
    fprintf(out, "built by %s %s\n",
#ifdef __clang__
            "clang",
#else
            "gcc",
#endif
            __VERSION__);
#endif
    fprintf(out, "built with " OPENSSL_VERSION_TEXT " (running with %s)\n", OpenSSL_version(OPENSSL_VERSION));
    fprintf(out, "built with PCRE2 %d.%d (running with %s)\n", PCRE2_MAJOR, PCRE2_MINOR, pcre);
    fprintf(out, "TLS SNI support enabled\n");
    fprintf(out, "linked libraries (%s):", HS_BUILD_LIBS);
    dl_iterate_phdr(print_library, out);
    fputc('\n', out);
    fprintf(out, "configure arguments: --prefix=" HS_PREFIX " --sbin-path=" HS_SBIN_PATH
                 " --conf-path=" HS_CONF_PATH " --pid-path=" HS_PID_PATH " --error-log-path=" HS_ERROR_LOG_PATH
                 " --with-cc-opt='%s'\n",
            HS_BUILD_CFLAGS);
}
