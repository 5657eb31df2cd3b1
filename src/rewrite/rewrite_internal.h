/* What the files of src/rewrite share: a level's script (the rewrite
 * directives of a server or a location, in config order, its if blocks'
 * directives inline) and the compiled pieces it runs. Built at load time,
 * read-only afterwards. */
#ifndef HS_REWRITE_REWRITE_INTERNAL_H
#define HS_REWRITE_REWRITE_INTERNAL_H

#include "http/phase.h"
#include "rewrite/rewrite.h"

/* ---- conditions (if) ---- */

typedef enum {
    RW_COND_TRUE,     /* ($var): not empty and not "0" */
    RW_COND_EQ,       /* = */
    RW_COND_NE,       /* != */
    RW_COND_MATCH,    /* ~ and ~* */
    RW_COND_NOMATCH,  /* !~ and !~* */
    RW_COND_FILE,     /* -f -d -e -x and their ! forms */
} rw_cond_op;

typedef struct {
    hs_cv subject;    /* the variable, or the path of a file test */
    uint8_t op;       /* rw_cond_op */
    char file_test;   /* 'f', 'd', 'e' or 'x' */
    bool negate;      /* !-f ... */
    hs_cv value;      /* for = and != */
    hs_regex *regex;  /* for the regex operators */
    hs_str pattern;   /* the regex as written, for rewrite_log */
} rw_cond;

/* Compiles the arguments of an if (args[1..]); HS_OK or an error at n. */
int rw_cond_compile(hs_cf *cf, const hs_conf_node *n, rw_cond *out);
/* Evaluates for r; a regex match sets $1..$9 (and named captures). */
bool rw_cond_eval(const rw_cond *c, hs_req *r, bool log);

/* ---- the script ---- */

typedef enum { RW_OP_IF, RW_OP_REWRITE, RW_OP_SET, RW_OP_RETURN, RW_OP_BREAK } rw_op_kind;

typedef enum { RW_FLAG_NONE, RW_FLAG_LAST, RW_FLAG_BREAK, RW_FLAG_REDIRECT, RW_FLAG_PERMANENT } rw_flag;

/* A rewrite's replacement: text, $1..$9 (escaped as nginx when the
 * request's path came escaped), other variables (template.c). */
enum { RW_PART_LIT, RW_PART_CAP, RW_PART_VAR };
typedef struct {
    uint8_t kind;
    uint8_t cap;        /* RW_PART_CAP: 1..9 */
    hs_str lit;         /* RW_PART_LIT */
    hs_var_ref var;     /* RW_PART_VAR */
} rw_part;
typedef struct {
    rw_part *parts;
    size_t n;
} rw_tpl;

int rw_tpl_compile(hs_cf *cf, const hs_conf_node *n, hs_str text, rw_tpl *t);
/* The replacement for r; captures escaped by the bitmap esc (NULL: as they are). */
int rw_tpl_eval(const rw_tpl *t, hs_req *r, const uint32_t *esc, hs_str *out);
extern const uint32_t rw_escape_args[8];

/* rewrite REGEX REPLACEMENT [flag] */
typedef struct {
    hs_regex *regex;
    hs_str pattern;     /* as written, for rewrite_log */
    rw_tpl uri;         /* the replacement up to its first literal '?' */
    rw_tpl args;        /* what follows that '?' */
    bool has_args;      /* the replacement has a '?' */
    bool add_args;      /* the request's args are appended (no '?' at its end) */
    bool redirect;      /* redirect, permanent, or an http://, https://, $scheme replacement */
    uint8_t flag;       /* rw_flag */
} rw_rewrite;

/* return CODE [TEXT] | URL */
typedef struct {
    int code;
    hs_cv text;         /* raw.p NULL: none */
    hs_loc_conf *level; /* where it is written (its drop_rule_name names a 444) */
    const char *rule;   /* $drop_rule of a 444, fixed once the http block is read */
} rw_return;

typedef struct {
    uint8_t kind;       /* rw_op_kind */
    union {
        struct {
            rw_cond cond;
            hs_loc_conf *level; /* the if block's settings, r->loc while it holds */
            size_t next;        /* the op after the block */
        } ifb;
        rw_rewrite rw;
        struct {
            uint32_t index;     /* the user variable; RW_SET_ARGS: $args */
            hs_var_setter setter; /* a built-in that can be set ($limit_rate); NULL: index */
            hs_cv value;
        } set;
        rw_return ret;
    } u;
} rw_op;

#define RW_SET_ARGS UINT32_MAX

/* The rewrite settings of a level (http, server, location or if block). */
typedef struct {
    rw_op *ops;           /* the level's script (a server or location; not inherited) */
    size_t nops;
    int rewrite_log;      /* HS_UNSET: inherit; off */
    int uninit_warn;      /* uninitialized_variable_warn: a warning for a set variable read unset; on */
    bool internal;        /* `internal;`: external requests get 404 */
    const char *drop_rule_name; /* $drop_rule of this level's return 444 */
    const char *if_rule;  /* an if block: "if@FILE:LINE" when it has no drop_rule_name */
} rw_loc;

/* The settings of the http block. */
typedef struct {
    bool has_script;      /* some level has a rewrite directive */
    bool has_internal;    /* some location is internal */
    uint32_t nvars;       /* user variables (set) */
} rw_http;

static inline rw_loc *rw_loc_of(const hs_loc_conf *lc) { return HS_MOD_SLOT(lc->mod, &hs_rewrite_module); }
rw_loc *rw_loc_get(hs_cf *cf, hs_loc_conf *lc);
rw_http *rw_http_get(hs_cf *cf);

/* ---- running (script.c, replace.c, answer.c, vars.c) ---- */

/* Per-request state, from the request pool on first use. */
typedef struct {
    hs_str *vals;         /* user variables by index; p NULL: not set */
    uint32_t cap;
    const rw_return *ret; /* the return answering the request */
} rw_req;

rw_req *rw_req_get(hs_req *r);

/* The rewrite of op on r: HS_DECLINED (no match), HS_OK ($uri changed),
 * or HS_DONE (r was answered: a redirect, an error). */
int rw_rewrite_run(hs_req *r, const rw_rewrite *op, bool log);
/* Answers r as the return rt says; the hook then returns HS_DONE. */
void rw_return_run(hs_req *r, const rw_return *rt);
/* set: stores value as user variable index of r. */
int rw_var_set(hs_req *r, uint32_t index, hs_str value);
/* The user variable name, defined on first use; HS_OK or an error at n. */
int rw_var_define(hs_cf *cf, const hs_conf_node *n, hs_str name, uint32_t *index);
/* A notice line for rewrite_log, with the request's context. */
void rw_log(hs_req *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rw_log_at(hs_req *r, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The hooks, registered when the configuration uses them. */
int rw_register(hs_cf *cf, hs_http_conf *http, rw_http *rh);

extern const hs_directive rw_directives[];

#endif
