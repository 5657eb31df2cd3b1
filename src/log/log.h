/* The log module: owns every log directive — log_format, access_log and
 * connection_log — their files (log/writer.h), and writes one access-log
 * line per request (from the log phase) and one connection-log line per
 * connection (when it closes), both rendered with the one variable table of
 * the HTTP core through log/format.h. */
#ifndef HS_LOG_LOG_H
#define HS_LOG_LOG_H

#include "conf/module.h"

extern hs_module hs_log_module;

#endif
