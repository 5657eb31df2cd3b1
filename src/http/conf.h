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
typedef struct hs_access_log hs_access_log;
typedef struct hs_log_format hs_log_format;

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

/* What produces the response in a location. */
typedef enum {
    HS_HANDLER_STATIC = 0, /* files under root/alias (default) */
    HS_HANDLER_RETURN,     /* return CODE [TEXT|URL] */
    HS_HANDLER_STUB_STATUS,
    HS_HANDLER_METRICS,
    HS_HANDLER_PROXY,
} hs_handler_kind;

/* What a drop does to the TCP connection (DESIGN.md §2). */
typedef enum {
    HS_DROP_UNSET = -1,
    HS_DROP_CLOSE = 0, /* FIN, as nginx */
    HS_DROP_RESET,     /* RST: no TIME_WAIT on the server */
    HS_DROP_SILENT,    /* forget it without FIN/RST (TCP_REPAIR) */
    HS_DROP_TARPIT,    /* hold open and silent, then reset */
} hs_drop_mode;

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

    /* content */
    hs_handler_kind handler;   /* what answers */
    int return_code;           /* for HS_HANDLER_RETURN */
    hs_cv return_text;         /* body text or redirect URL; raw.p NULL if none */
    bool return_set;           /* a return directive is here (drops happen before handlers) */
    hs_cv root;                /* root or alias path; raw.p NULL until merged */
    int alias;                 /* 1 when root holds an alias */
    hs_str *index;             /* index file names; NULL = inherit */
    size_t nindex;
    hs_cv *try_files;          /* try_files items; NULL = none */
    size_t ntry_files;
    hs_error_page *error_pages; /* NULL = inherit */
    size_t nerror_pages;
    hs_hash *types;            /* extension -> mime type (hs_str*); NULL = inherit */
    hs_str default_type;       /* default_type */

    /* logging */
    hs_access_log **logs;      /* access_log targets; NULL = inherit */
    size_t nlogs;
    int logs_off;              /* access_log off */

    /* connection and body handling */
    int sendfile;              /* on/off */
    int server_tokens;         /* on/off */
    int64_t keepalive_timeout; /* ms; 0 disables keep-alive */
    int64_t keepalive_requests;
    int64_t client_body_timeout;   /* ms */
    int64_t send_timeout;          /* ms */
    int64_t client_max_body_size;  /* bytes; 0 = unlimited */
    int drop_mode;             /* hs_drop_mode */
    int64_t tarpit_msec;       /* for HS_DROP_TARPIT */
    int open_file_cache;       /* hush's small-file cache: on/off */
    int etag;                  /* etag on/off */
    int if_modified_since;     /* 0 off, 1 exact, 2 before (nginx's values) */
    int log_not_found;         /* log "open() failed" for 404s */
    int tcp_nodelay;           /* TCP_NODELAY on keep-alive connections */
    int tcp_nopush;            /* accepted for nginx compatibility */
    void *mod[HS_MAX_MODULES]; /* modules' settings of this level (HS_MOD_SLOT); NULL = none */
};

/* One listen directive. */
typedef struct {
    struct sockaddr_storage addr; /* bound address */
    socklen_t addrlen;
    char text[64];                /* "127.0.0.1:8080", for messages and $server_addr */
    int port;
    bool wildcard;                /* 0.0.0.0 or [::] */
    bool default_server;
    bool reuseport;
    bool not_deferred;            /* "deferred=off": accept before the first byte */
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
} hs_listen_group;

struct hs_http_conf {
    hs_srv_conf *srv;          /* http-level defaults of server settings */
    hs_loc_conf *loc;          /* http-level defaults of location settings */
    hs_srv_conf **servers;
    size_t nservers;
    hs_listen_group *groups;   /* one per distinct address:port */
    size_t ngroups;
    hs_log_format **formats;   /* log_format definitions incl. combined */
    size_t nformats;
    int server_names_hash_done;
    void *mod[HS_MAX_MODULES]; /* modules' http-wide settings (HS_MOD_SLOT); NULL = none */
};


extern const hs_directive hs_http_core_directives[];
extern hs_module hs_http_module;

/* Merges, builds lookups; called after the http block was read. */
int hs_http_conf_finish(hs_cf *cf, hs_http_conf *http);
hs_loc_conf *hs_loc_conf_create(hs_pool *pool);
hs_srv_conf *hs_srv_conf_create(hs_pool *pool);

#endif
