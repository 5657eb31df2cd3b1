/* The http{} configuration: servers, locations, listen groups, and the
 * location-level settings inherited http -> server -> location. */
#ifndef HS_HTTP_CONF_H
#define HS_HTTP_CONF_H

#include <netinet/in.h>
#include <sys/socket.h>

#include "conf/directive.h"
#include "conf/module.h"
#include "conf/regex.h"
#include "conf/vars.h"
#include "core/hash.h"

typedef struct hs_loc_conf hs_loc_conf;
typedef struct hs_srv_conf hs_srv_conf;
typedef struct hs_http_conf hs_http_conf;

/* How a location matches ($uri). */
typedef enum {
    HS_LOC_SERVER,   /* the server's own settings, not a location */
    HS_LOC_EXACT,    /* location = /x */
    HS_LOC_PREFIX,   /* location /x */
    HS_LOC_NOREGEX,  /* location ^~ /x: longest prefix, no regex check */
    HS_LOC_REGEX,    /* location ~ re */
    HS_LOC_REGEX_I,  /* location ~* re */
    HS_LOC_NAMED,    /* location @name */
} hs_loc_match;

typedef struct {
    int code;          /* e.g. 404 */
    int overwrite;     /* =CODE: answer with this status; 0 keep; -1 "=" alone: the target's */
    hs_cv uri;         /* "/50x.html", "@named" or an absolute URL (redirect) */
} hs_error_page;

struct hs_loc_conf {
    /* identity and tree */
    hs_str name;               /* the location's pattern as written */
    hs_loc_match match;        /* kind of match */
    hs_regex *regex;           /* for ~ and ~* */
    hs_loc_conf *parent;       /* enclosing location or the server's conf */
    hs_srv_conf *server;       /* owning server */
    hs_loc_conf **children;    /* nested locations, in config order */
    size_t nchildren;
    const char *file;          /* where it was defined, for $drop_rule and errors */
    int line;
    bool anonymous;            /* an if block: no URI selects it (hs_http_add_anonymous) */

    /* content */
    const struct hs_handler *handler; /* what answers (http/phase.h); NULL: the default (files) */
    hs_cv root;                /* root or alias path; raw.p NULL until merged */
    int alias;                 /* 1 when root holds an alias */
    const struct hs_loc_conf *alias_at; /* the location that set it: its prefix is what the alias replaces */
    hs_error_page *error_pages; /* NULL = inherit */
    size_t nerror_pages;
    hs_hash *types;            /* extension -> mime type (hs_str*); NULL = inherit */
    hs_str default_type;       /* default_type */

    /* connection and body handling */
    int sendfile;              /* on/off */
    int server_tokens;         /* on/off */
    int64_t keepalive_timeout; /* ms; 0 disables keep-alive */
    int64_t keepalive_requests;
    int64_t client_body_timeout;   /* ms */
    int64_t send_timeout;          /* ms */
    int64_t client_max_body_size;  /* bytes; 0 = unlimited */
    int tcp_nodelay;           /* TCP_NODELAY on keep-alive connections */
    int tcp_nopush;            /* accepted for nginx compatibility */
    int reset_timedout;        /* reset_timedout_connection: RST on timeouts and 444 */
    int satisfy_any;           /* satisfy any: one access hook letting the request in is enough */
    int absolute_redirect;     /* the core's redirects carry scheme://host[:port] */
    int port_in_redirect;      /* ... with the port when it is not the scheme's */
    int server_name_in_redirect; /* ... with the server's first name, not the Host */
    hs_loc_conf *limit_except; /* limit_except's level (merged with this one); NULL none */
    void *mod[HS_MAX_MODULES]; /* modules' settings of this level (HS_MOD_SLOT); NULL = none */
};

/* One listen directive. */
typedef struct {
    struct sockaddr_storage addr; /* bound address */
    socklen_t addrlen;
    char text[120];               /* "127.0.0.1:8080", "unix:/path" (sun_path + 5), for messages and $server_addr */
    int port;
    bool wildcard;                /* 0.0.0.0 or [::] */
    bool default_server;
    bool reuseport;
    bool not_deferred;            /* "deferred=off": accept before the first byte */
    bool ssl;                     /* "ssl": TLS (a module provides the transport) */
    bool http2;                   /* "http2": HTTP/2 (h2 by ALPN, h2c by prior knowledge) */
    bool proxy_protocol;          /* "proxy_protocol": a PROXY header comes first (a module reads it) */
    int backlog;
    const char *file;             /* where it was written */
    int line;
} hs_listen_conf;

typedef enum { HS_NAME_EXACT, HS_NAME_WILD_HEAD, HS_NAME_WILD_TAIL, HS_NAME_REGEX } hs_name_kind;

typedef struct {
    hs_str name;          /* lowercase; for wildcards without the '*' part ("example.com" of *.example.com) */
    hs_name_kind kind;
    hs_regex *regex;      /* HS_NAME_REGEX */
    hs_srv_conf *server;
} hs_server_name;

struct hs_srv_conf {
    hs_listen_conf *listens;   /* its listen directives */
    size_t nlistens;
    hs_server_name *names;     /* server_name entries */
    size_t nnames;
    hs_str name;               /* first name: $server_name */
    hs_loc_conf *loc;          /* server-level settings and the root of its locations */
    int64_t client_header_timeout;      /* ms */
    int64_t client_header_buffer_size;  /* bytes */
    int64_t large_header_buffers_num;
    int64_t large_header_buffers_size;
    int log_empty_connections;          /* log no_request connections as 400 */
    const char *file;
    int line;
};

/* Servers sharing one address:port, with their name lookup. */
typedef struct {
    hs_listen_conf *listen;    /* the address (first listen seen for it) */
    hs_srv_conf *default_srv;  /* default_server or the first */
    bool explicit_default;     /* default_srv was marked default_server */
    hs_hash exact;             /* name -> hs_srv_conf* */
    hs_server_name *wild_head; /* *.example.com, longest first */
    size_t nwild_head;
    hs_server_name *wild_tail; /* www.example.*, longest first */
    size_t nwild_tail;
    hs_server_name *regex;     /* in config order */
    size_t nregex;
    bool has_empty_name;       /* server_name "" present */
    hs_srv_conf *empty_srv;
    struct hs_http_hooks *hooks; /* the http block's phase hooks (http/phase.h) */
    bool ssl;                  /* a listen of this address has "ssl" */
    bool http2;                /* a listen has "http2" (or its module set it: `http2 on`) */
    bool proxy_protocol;       /* a listen has "proxy_protocol" */
    const struct hs_proto *proto; /* HTTP/2's, set by its module where http2 is on; NULL: none */
    const struct hs_transport *transport; /* set by the module of `listen ... ssl`; NULL: TCP */
    void *transport_conf;      /* that module's settings for the address */
} hs_listen_group;

struct hs_http_conf {
    hs_srv_conf *srv;          /* http-level defaults of server settings */
    hs_loc_conf *loc;          /* http-level defaults of location settings */
    hs_srv_conf **servers;
    size_t nservers;
    hs_listen_group *groups;   /* one per distinct address:port */
    size_t ngroups;
    int server_names_hash_done;
    struct hs_http_hooks *hooks; /* phase hooks the modules registered (http/phase.h) */
    void *mod[HS_MAX_MODULES]; /* modules' http-wide settings (HS_MOD_SLOT); NULL = none */
};


extern const hs_directive hs_http_core_directives[];
extern hs_module hs_http_module;

/* Merges, builds lookups; called after the http block was read. */
int hs_http_conf_finish(hs_cf *cf, hs_http_conf *http);
hs_loc_conf *hs_loc_conf_create(hs_pool *pool);
/* An anonymous level under the current one (an if block, nginx's
 * "noname" location): created, linked for inheritance, and the block n
 * applied in context ctx with it as the current level. NULL after an
 * error (reported). */
hs_loc_conf *hs_http_add_anonymous(hs_cf *cf, const hs_conf_node *n, uint32_t ctx);
hs_srv_conf *hs_srv_conf_create(hs_pool *pool);

#endif
