/* The modules of this build (src/modules.c lists them) and the calls that
 * run one hook of every module, in list order. */
#ifndef HS_MODULES_H
#define HS_MODULES_H

#include "conf/module.h"

/* NULL-terminated, in the order hooks run. */
extern hs_module *const hs_modules[];

/* Numbers the modules and registers their variables (once; later calls do
 * nothing). */
void hs_modules_init(void);
int hs_modules_master_init(hs_config *conf, hs_config *old, char *err, size_t errlen);
void hs_modules_master_sockets(hs_config *conf, const int *fds, size_t n);
void hs_modules_worker_exited(pid_t pid);
void hs_modules_worker_start(const hs_config *conf);
void hs_modules_worker_stop(void);
void hs_modules_reopen(void);

#endif
