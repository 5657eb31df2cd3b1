/* The master process (signals, workers, reload) and the worker's loop. */
#ifndef HS_PROCESS_H
#define HS_PROCESS_H

#include "http/conf.h"

/* Runs the master until it is told to stop; returns the exit status. */
int hs_master_run(hs_config *conf, const char *conf_file, const char *prefix, const char *globals);
/* Opens the error log named by the configuration; -1 on failure. */
int hs_errlog_open(const hs_config *conf);

#endif
