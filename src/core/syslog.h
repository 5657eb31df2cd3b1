/* syslog targets (nginx's "syslog:" log destinations): RFC 3164 datagrams
 *   <PRI>Mmm dd hh:mm:ss host tag: message
 * over UDP to server=ADDR[:PORT] (514 by default) or to a unix datagram
 * socket (server=unix:/path). The access and error logs both use them. */
#ifndef HS_CORE_SYSLOG_H
#define HS_CORE_SYSLOG_H

#include <stdbool.h>
#include <sys/socket.h>

#include "core/str.h"

typedef struct {
    struct sockaddr_storage addr; /* server */
    socklen_t addrlen;
    char text[128];               /* server as written, for messages */
    int facility;                 /* 0..23: local7 (23) unless facility= */
    int severity;                 /* 0..7, or -1: the message's own (error_log), else info */
    char tag[33];                 /* tag=; "nginx" by default, as nginx */
    bool nohostname;              /* nohostname: no host in the header */
    int fd;                       /* -1 until the first message of this process */
} hs_syslog;

/* Is this log destination a syslog one ("syslog:...")? */
static inline bool hs_syslog_is(hs_str where) { return hs_str_has_prefix(where, HS_STR("syslog:")); }
/* Parses "syslog:server=...,facility=...,severity=...,tag=...,nohostname".
 * HS_OK, or HS_ERROR with nginx's message in err (an unknown parameter,
 * facility or severity, no server, a bad tag). */
int hs_syslog_parse(hs_str where, hs_syslog *out, char *err, size_t errlen);
/* Sends one message (without newline) at severity (used when the target
 * has none of its own). Never blocks; a message the socket refuses is lost,
 * as with nginx. */
void hs_syslog_send(hs_syslog *s, int severity, const char *msg, size_t n);
/* Closes the socket (a new process or a new configuration opens its own). */
void hs_syslog_close(hs_syslog *s);

#endif
