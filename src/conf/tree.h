/* The configuration text as a tree: nginx syntax (directives ending in ';',
 * blocks in '{}', '#' comments, quoted strings, `include` with globs spliced in
 * place). Directive meaning is applied later, by conf/directive.c. */
#ifndef HS_CONF_TREE_H
#define HS_CONF_TREE_H

#include "core/pool.h"
#include "core/str.h"

typedef struct hs_conf_node hs_conf_node;

struct hs_conf_node {
    hs_str *args;           /* args[0] is the directive name; NUL-terminated copies */
    size_t nargs;           /* count including the name */
    const char *file;       /* file the directive came from */
    int line;               /* line of its first token */
    bool block;             /* it had a { } block (maybe empty) */
    hs_conf_node *children; /* the block's directives */
    size_t nchildren;       /* their count */
};

/* Parses path (and its includes, relative to conf_dir) into a root node whose
 * children are the top-level directives. On error returns NULL and writes
 * "FILE:LINE: message" into err. */
/* Called with each configuration file's text as it is read (hush -T). */
typedef void (*hs_conf_file_fn)(const char *path, const char *text, size_t len);
void hs_conf_tree_on_file(hs_conf_file_fn fn);
hs_conf_node *hs_conf_tree_load(hs_pool *pool, const char *path, const char *conf_dir,
                                char *err, size_t errlen);
/* Same from a string (for tests); name is used in messages. */
hs_conf_node *hs_conf_tree_parse_string(hs_pool *pool, const char *text, const char *name,
                                        const char *conf_dir, char *err, size_t errlen);

#endif
