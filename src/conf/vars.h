/* Variables ($name) and complex values (text with variables), compiled at
 * configuration time into references, evaluated per request. The variable
 * set itself is registered by the modules that know the request (http). */
#ifndef HS_CONF_VARS_H
#define HS_CONF_VARS_H

#include "conf/directive.h"
#include "core/pool.h"

#define HS_VAR_SCRATCH 64 /* room a getter may use for a formatted number */

/* Getter: ctx is the module's request; data is the definition's (or, for a
 * prefix variable, a pointer to an hs_str suffix). Sets out and returns HS_OK,
 * or HS_DECLINED when the variable has no value ("-" in logs). out may point
 * into scratch (HS_VAR_SCRATCH bytes) or into memory living as long as ctx. */
typedef int (*hs_var_get)(void *ctx, uintptr_t data, hs_str *out, char *scratch);

typedef struct {
    const char *name;  /* without '$'; for a prefix variable the prefix ("http_") */
    hs_var_get get;    /* computes the value */
    uintptr_t data;    /* passed to get */
    bool prefix;       /* matches name + anything: $http_x_forwarded_for */
    bool conn;         /* has a value without a request (a connection-log line) */
} hs_var_def;

/* A resolved variable reference, what compiled code stores. */
typedef struct {
    hs_var_get get;
    uintptr_t data;
} hs_var_ref;

/* Adds a NULL-name-terminated static table (once, at startup). */
void hs_vars_register(const hs_var_def *table);
/* Adds one variable defined by the configuration (map, set); name is kept. */
int hs_vars_define(hs_pool *pool, hs_str name, hs_var_get get, uintptr_t data);
/* A built-in variable that `set` may change (nginx's $limit_rate): its
 * module registers a setter (ctx: the request); `set` finds it by name. */
typedef void (*hs_var_setter)(void *ctx, hs_str value);
void hs_vars_register_setter(const char *name, hs_var_setter fn);
hs_var_setter hs_var_find_setter(hs_str name);
/* Makes *used true whenever a configuration refers to the variable `name`
 * (from then on), so that a module prepares a costly value only when
 * something reads it. Call at startup (a module's init). */
void hs_var_watch(const char *name, bool *used);
/* What a configuration-defined variable of that name is computed by (the
 * newest definition), or NULL for a built-in or unknown one. A directive
 * may replace it: every reference, earlier ones too, then reads the new
 * getter. */
hs_var_ref *hs_vars_defined(hs_str name);
/* Forgets configuration-defined variables (before loading a new config). */
void hs_vars_reset_defined(void);
/* Is name a registered variable that has a value without a request? */
bool hs_var_is_conn(hs_str name);
/* Resolves a name (without '$'); HS_OK or HS_DECLINED (unknown). */
int hs_var_lookup(hs_pool *pool, hs_str name, hs_var_ref *out);
/* As hs_var_lookup, but a name not defined yet becomes a forward reference
 * that a later definition (a map below) fills, as nginx allows; what stays
 * unfilled is reported by hs_vars_check_forward, at node. */
int hs_var_resolve(hs_cf *cf, const hs_conf_node *node, hs_str name, hs_var_ref *out);
/* After the whole configuration is read: an error for the first variable
 * used but never defined. */
int hs_vars_check_forward(hs_cf *cf);
static inline int hs_var_get_value(const hs_var_ref *v, void *ctx, hs_str *out, char *scratch)
{
    return v->get(ctx, v->data, out, scratch);
}

/* The clock's variables, the same for every request and connection:
 * $time_local, $time_iso8601, $msec. */
int hs_var_time_local(void *ctx, uintptr_t d, hs_str *out, char *scratch);
int hs_var_time_iso8601(void *ctx, uintptr_t d, hs_str *out, char *scratch);
int hs_var_msec_now(void *ctx, uintptr_t d, hs_str *out, char *scratch);

/* Getter helpers: a number into scratch, and milliseconds as "12.345". */
int hs_var_u64(hs_str *out, char *scratch, uint64_t v);
int hs_var_msec(hs_str *out, char *scratch, uint64_t ms);
/* An IPv4/IPv6 socket address as text ("192.0.2.1", "2001:db8::1"), and its
 * port, into scratch. */
struct sockaddr;
int hs_var_addr(hs_str *out, char *scratch, const struct sockaddr *sa);
int hs_var_port(hs_str *out, char *scratch, const struct sockaddr *sa);

/* Scans a variable name at text[0] == '$'; returns the bytes used (including
 * '$' and braces) and the name, or 0 if there is no valid name there. */
size_t hs_var_scan(hs_str text, hs_str *name);

/* A complex value: literal text with $variables. */
typedef struct {
    bool is_var;     /* this part is a variable */
    hs_str lit;      /* literal text when !is_var */
    hs_var_ref var;  /* variable when is_var */
} hs_cv_part;

typedef struct {
    hs_cv_part *parts; /* in order */
    size_t nparts;
    hs_str raw;        /* the source text; also the value when there are no variables */
    bool literal;      /* no variables: raw is the value */
} hs_cv;

/* Compiles text; unknown variables are configuration errors at node. */
int hs_cv_compile(hs_cf *cf, const hs_conf_node *node, hs_str text, hs_cv *out);
/* Evaluates into memory from pool (NUL-terminated); missing variables are empty. */
int hs_cv_eval(const hs_cv *cv, void *ctx, hs_pool *pool, hs_str *out);

#endif
