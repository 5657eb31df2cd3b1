/* What the binary was built with: the compiled-in default paths (nginx's
 * --prefix, --conf-path, ...) that the Makefile passes in, and hush -V. */
#ifndef HS_BUILDINFO_H
#define HS_BUILDINFO_H

#include <stdbool.h>
#include <stdio.h>

/* The defaults below are the compiled-in paths once hush is installed (its
 * prefix exists); before, the current directory and paths under it. */
bool hs_installed(void);                /* the compiled-in prefix exists */
const char *hs_default_prefix(void);    /* -p default */
const char *hs_default_conf(void);      /* -c default */
const char *hs_default_pid(void);       /* "pid" default */
const char *hs_default_error_log(void); /* "error_log" default */
/* hush -V: version, compiler, build options, paths, linked libraries. */
void hs_build_info_print(FILE *out);

#endif
