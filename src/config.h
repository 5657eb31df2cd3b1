/* Loading a whole configuration (main, events, http) from a file, with the
 * -g directives of the command line applied first. */
#ifndef HS_CONFIG_H
#define HS_CONFIG_H

#include "http/conf.h"

extern hs_module hs_main_module; /* worker_processes, events, pid, error_log ... */

/* Returns the configuration or NULL with "FILE:LINE: message" in err. */
hs_config *hs_config_load(const char *file, const char *prefix, const char *global_directives,
                          char *err, size_t errlen);
/* hush -e FILE: the error log used when the configuration names none. */
void hs_config_set_default_error_log(const char *path);
void hs_config_free(hs_config *cf);
/* Effective worker count (auto = CPUs). */
int hs_config_workers(const hs_config *c);

#endif
