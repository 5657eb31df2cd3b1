/* Directive tables: each module describes its directives once (name,
 * contexts, argument count, setter, where the value goes); the engine walks a
 * parsed tree, checks context and arity, and calls the setters. Values start
 * UNSET and blocks are merged with their parents afterwards (inheritance). */
#ifndef HS_CONF_DIRECTIVE_H
#define HS_CONF_DIRECTIVE_H

#include <stddef.h>
#include <stdint.h>

#include "conf/tree.h"
#include "core/pool.h"

/* Contexts a directive may appear in. */
enum {
    HS_CTX_MAIN = 1 << 0,
    HS_CTX_EVENTS = 1 << 1,
    HS_CTX_HTTP = 1 << 2,
    HS_CTX_SERVER = 1 << 3,
    HS_CTX_LOCATION = 1 << 4,
    HS_CTX_UPSTREAM = 1 << 5,
    HS_CTX_IF = 1 << 6,     /* if block in a location */
    HS_CTX_TYPES = 1 << 7,  /* free-form: handled by its block's own parser */
    HS_CTX_MAP = 1 << 8,    /* free-form too */
    HS_CTX_LIMIT_EXCEPT = 1 << 9,
    HS_CTX_IF_SERVER = 1 << 10, /* if block in a server: only the rewrite directives */
};
#define HS_CTX_HSL (HS_CTX_HTTP | HS_CTX_SERVER | HS_CTX_LOCATION)
#define HS_CTX_HS (HS_CTX_HTTP | HS_CTX_SERVER)

/* Argument counts (after the name): bit n means "n arguments allowed". */
#define HS_ARGS(n) (1u << (n))
#define HS_ARGS_0 HS_ARGS(0)
#define HS_ARGS_1 HS_ARGS(1)
#define HS_ARGS_2 HS_ARGS(2)
#define HS_ARGS_12 (HS_ARGS(1) | HS_ARGS(2))
#define HS_ARGS_123 (HS_ARGS(1) | HS_ARGS(2) | HS_ARGS(3))
#define HS_ARGS_1MORE 0x7ffffffeu
#define HS_ARGS_2MORE 0x7ffffffcu
#define HS_ARGS_ANY 0x7fffffffu
#define HS_ARGS_BLOCK 0x80000000u /* must have a { } block */

/* Which conf struct of the current context a directive writes into. */
typedef enum { HS_LEVEL_MAIN, HS_LEVEL_HTTP, HS_LEVEL_SRV, HS_LEVEL_LOC, HS_LEVEL_NONE } hs_conf_level;

#define HS_UNSET (-1)
#define HS_UNSET_MSEC ((int64_t)-1)
#define HS_UNSET_SIZE ((int64_t)-1)

typedef struct hs_cf hs_cf;
typedef struct hs_directive hs_directive;

/* Setter: node is the directive (args[0] is its name); conf points into the
 * level's struct (NULL for HS_LEVEL_NONE). Returns HS_OK or HS_ERROR after
 * calling hs_cf_error. */
typedef int (*hs_directive_set)(hs_cf *cf, const hs_conf_node *node, void *conf,
                                const hs_directive *d);

struct hs_directive {
    const char *name;
    uint32_t ctx;          /* HS_CTX_* where it is allowed */
    uint32_t args;         /* HS_ARGS_* */
    hs_directive_set set;  /* generic or own setter */
    hs_conf_level level;   /* which struct conf points to */
    size_t offset;         /* field offset for generic setters */
    const void *post;      /* setter-specific data (enum names, bounds) */
};

/* One value of an enum directive. */
typedef struct {
    const char *name;
    int value;
} hs_conf_enum;

/* The walking context. */
struct hs_cf {
    hs_pool *pool;        /* configuration lifetime */
    uint32_t ctx;         /* current context, one HS_CTX_* bit */
    void *level[4];       /* current main/http/srv/loc conf structs */
    struct hs_module *const *modules; /* whose directive tables apply; NULL-terminated */
    const char *prefix;   /* -p: relative paths resolve against it */
    const char *conf_dir; /* directory of the main config file */
    char *err;            /* "FILE:LINE: message" on failure */
    size_t errlen;
    bool errored;         /* an error was reported */
    void *user;           /* the configuration being built (hs_config) */
    int named_slots;      /* named-capture variables made so far (conf/regex.h) */
};

int hs_cf_error(hs_cf *cf, const hs_conf_node *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Applies every directive of block under context ctx (restored after). */
int hs_cf_block(hs_cf *cf, const hs_conf_node *block, uint32_t ctx);
/* Is name one of nginx's directives (conf/nginx_names.c)? For the message
 * about one that hush does not have. */
bool hs_conf_is_nginx_directive(hs_str name);
/* Absolute path for a config path: as is if it starts with '/', else under prefix. */
char *hs_cf_path(hs_cf *cf, hs_str path);

/* Generic setters. */
int hs_set_flag(hs_cf *, const hs_conf_node *, void *, const hs_directive *);   /* int: on/off */
int hs_set_str(hs_cf *, const hs_conf_node *, void *, const hs_directive *);    /* hs_str */
int hs_set_path(hs_cf *, const hs_conf_node *, void *, const hs_directive *);   /* hs_str, prefixed */
int hs_set_num(hs_cf *, const hs_conf_node *, void *, const hs_directive *);    /* int64_t */
int hs_set_size(hs_cf *, const hs_conf_node *, void *, const hs_directive *);   /* int64_t bytes */
int hs_set_msec(hs_cf *, const hs_conf_node *, void *, const hs_directive *);   /* int64_t ms */
int hs_set_enum(hs_cf *, const hs_conf_node *, void *, const hs_directive *);   /* int; post = hs_conf_enum[] */

#define HS_MERGE(child, parent, dflt)                                                    \
    do {                                                                                 \
        if ((child) == HS_UNSET)                                                         \
            (child) = ((parent) == HS_UNSET) ? (dflt) : (parent);                        \
    } while (0)
#define HS_MERGE_STR(child, parent, dflt)                                                \
    do {                                                                                 \
        if ((child).p == NULL)                                                           \
            (child) = ((parent).p == NULL) ? HS_STR(dflt) : (parent);                    \
    } while (0)
#define HS_MERGE_PTR(child, parent, dflt)                                                \
    do {                                                                                 \
        if ((child) == NULL)                                                             \
            (child) = ((parent) == NULL) ? (dflt) : (parent);                            \
    } while (0)

#endif
