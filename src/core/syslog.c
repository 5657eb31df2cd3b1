#include "core/syslog.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/clock.h"

static const char *const facilities[] = {"kern",   "user",   "mail",   "daemon", "auth",   "intern",
                                         "lpr",    "news",   "uucp",   "clock",  "authpriv", "ftp",
                                         "ntp",    "audit",  "alert",  "cron",   "local0", "local1",
                                         "local2", "local3", "local4", "local5", "local6", "local7"};
static const char *const severities[] = {"emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"};

static int name_index(const char *const *names, int n, hs_str v)
{
    for (int i = 0; i < n; i++)
        if (hs_str_eq_lit(v, names[i]))
            return i;
    return -1;
}

/* server=unix:/path, server=[v6]:port, server=host[:port]. */
static int parse_server(hs_str v, hs_syslog *s, char *err, size_t errlen)
{
    snprintf(s->text, sizeof(s->text), "%.*s", (int)v.n, v.p);
    if (hs_str_has_prefix(v, HS_STR("unix:"))) {
        struct sockaddr_un *un = (struct sockaddr_un *)&s->addr;
        if (v.n - 5 == 0 || v.n - 5 >= sizeof(un->sun_path))
            return snprintf(err, errlen, "invalid syslog server \"%s\"", s->text), HS_ERROR;
        un->sun_family = AF_UNIX;
        memcpy(un->sun_path, v.p + 5, v.n - 5);
        s->addrlen = sizeof(*un);
        return HS_OK;
    }
    char host[128], port[8] = "514";
    const char *colon = memrchr(v.p, ':', v.n), *close = memchr(v.p, ']', v.n);
    size_t hn = colon && (!close || colon > close) ? (size_t)(colon - v.p) : v.n;
    if (colon && hn < v.n)
        snprintf(port, sizeof(port), "%.*s", (int)(v.n - hn - 1), colon + 1);
    bool v6 = hn >= 2 && v.p[0] == '[' && v.p[hn - 1] == ']';
    snprintf(host, sizeof(host), "%.*s", (int)(v6 ? hn - 2 : hn), v6 ? v.p + 1 : v.p);
    struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV}, *res = NULL;
    int port_n = atoi(port);
    if (hn == 0 || port_n < 1 || port_n > 65535 || getaddrinfo(host, port, &hints, &res) != 0 || res == NULL)
        return snprintf(err, errlen, "invalid syslog server \"%s\"", s->text), HS_ERROR;
    memcpy(&s->addr, res->ai_addr, res->ai_addrlen);
    s->addrlen = res->ai_addrlen;
    freeaddrinfo(res);
    return HS_OK;
}

static int parse_tag(hs_str v, hs_syslog *s, char *err, size_t errlen)
{
    if (v.n > 32)
        return snprintf(err, errlen, "syslog tag length exceeds 32"), HS_ERROR;
    for (size_t i = 0; i < v.n; i++)
        if (!isalnum((unsigned char)v.p[i]) && v.p[i] != '_')
            return snprintf(err, errlen, "syslog \"tag\" only allows alphanumeric characters and underscore"),
                   HS_ERROR;
    snprintf(s->tag, sizeof(s->tag), "%.*s", (int)v.n, v.p);
    return HS_OK;
}

/* One "name=value" (or "nohostname") of the list. */
static int parse_param(hs_str a, hs_syslog *s, bool *have_server, char *err, size_t errlen)
{
    const char *eq = memchr(a.p, '=', a.n);
    hs_str name = {a.p, eq ? (size_t)(eq - a.p) : a.n}, v = {eq ? eq + 1 : "", eq ? a.n - name.n - 1 : 0};
    if (!eq && hs_str_eq_lit(name, "nohostname")) {
        s->nohostname = true;
        return HS_OK;
    }
    if (eq && hs_str_eq_lit(name, "server")) {
        if (*have_server)
            return snprintf(err, errlen, "duplicate syslog \"server\""), HS_ERROR;
        *have_server = true;
        return parse_server(v, s, err, errlen);
    }
    if (eq && hs_str_eq_lit(name, "facility")) {
        if ((s->facility = name_index(facilities, 24, v)) < 0)
            return snprintf(err, errlen, "unknown syslog facility \"%.*s\"", (int)v.n, v.p), HS_ERROR;
        return HS_OK;
    }
    if (eq && hs_str_eq_lit(name, "severity")) {
        if ((s->severity = name_index(severities, 8, v)) < 0)
            return snprintf(err, errlen, "unknown syslog severity \"%.*s\"", (int)v.n, v.p), HS_ERROR;
        return HS_OK;
    }
    if (eq && hs_str_eq_lit(name, "tag"))
        return parse_tag(v, s, err, errlen);
    return snprintf(err, errlen, "unknown syslog parameter \"%.*s\"", (int)a.n, a.p), HS_ERROR;
}

int hs_syslog_parse(hs_str where, hs_syslog *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof(*s));
    s->facility = 23;
    s->severity = -1;
    s->fd = -1;
    strcpy(s->tag, "nginx");
    hs_str rest = {where.p + 7, where.n - 7};
    bool have_server = false;
    while (rest.n) {
        const char *comma = memchr(rest.p, ',', rest.n);
        hs_str a = {rest.p, comma ? (size_t)(comma - rest.p) : rest.n};
        if (parse_param(a, s, &have_server, err, errlen) != HS_OK)
            return HS_ERROR;
        rest = comma ? (hs_str){comma + 1, rest.n - a.n - 1} : (hs_str){rest.p + rest.n, 0};
    }
    if (!have_server)
        return snprintf(err, errlen, "no syslog server specified"), HS_ERROR;
    return HS_OK;
}

/* "Nov 30 09:05:01" from the cached $time_local ("30/Nov/2026:09:05:01 +0000"). */
static void syslog_time(char out[16])
{
    if (hs_now.log_local_len == 0)
        hs_clock_update();
    const char *t = hs_now.log_local;
    snprintf(out, 16, "%.3s %c%c %.8s", t + 3, t[0] == '0' ? ' ' : t[0], t[1], t + 12);
}

static const char *hostname(void)
{
    static char name[256];
    if (name[0] == '\0') {
        if (gethostname(name, sizeof(name) - 1) != 0)
            strcpy(name, "localhost");
        for (char *p = name; *p; p++) /* lowercased, as nginx */
            *p = (char)tolower((unsigned char)*p);
    }
    return name;
}

static bool open_socket(hs_syslog *s)
{
    s->fd = socket(s->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->fd >= 0 && connect(s->fd, (struct sockaddr *)&s->addr, s->addrlen) == 0)
        return true;
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    return false;
}

void hs_syslog_send(hs_syslog *s, int severity, const char *msg, size_t n)
{
    if (s->fd < 0 && !open_socket(s))
        return; /* e.g. a unix socket not there yet: the next message tries again */
    char head[400], tm[16];
    syslog_time(tm);
    int pri = s->facility * 8 + (s->severity >= 0 ? s->severity : severity);
    int h = s->nohostname ? snprintf(head, sizeof(head), "<%d>%s %s: ", pri, tm, s->tag)
                          : snprintf(head, sizeof(head), "<%d>%s %s %s: ", pri, tm, hostname(), s->tag);
    struct iovec iov[2] = {{head, (size_t)h}, {(void *)msg, n}};
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
    if (sendmsg(s->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno != EAGAIN && errno != ENOBUFS) {
        close(s->fd); /* the server went away (ECONNREFUSED, a removed unix socket): reconnect next time */
        s->fd = -1;
    }
}

void hs_syslog_close(hs_syslog *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
}
