/* PCRE2 regular expressions, compiled (with JIT when available) at load time.
 * Matching uses one match-data block per process: the event loop is single
 * threaded and a match's captures are copied out before the next match. */
#ifndef HS_CONF_REGEX_H
#define HS_CONF_REGEX_H

#include "conf/vars.h"
#include "core/pool.h"
#include "core/str.h"

#define HS_REGEX_MAX_CAPTURES 10 /* $0..$9 */

typedef struct hs_regex hs_regex;

/* Compiles pattern; on error returns NULL and writes a message into err. */
hs_regex *hs_regex_compile(hs_pool *pool, hs_str pattern, bool caseless, char *err, size_t errlen);
/* Matches subject. Returns the number of capture pairs set in ovec (>= 1) or
 * 0 for no match. ovec holds 2 * HS_REGEX_MAX_CAPTURES offsets, -1 for unset. */
int hs_regex_match(const hs_regex *re, hs_str subject, int *ovec);
int hs_regex_captures(const hs_regex *re);
/* Calls fn(name, group index) for every named group of the pattern. */
void hs_regex_each_name(const hs_regex *re, void (*fn)(const char *name, int index, void *arg), void *arg);
/* Index of a named group, or -1. */
int hs_regex_name_index(const hs_regex *re, const char *name);
/* Named groups as variables, as nginx: each name gets a slot (shared by
 * every regex with that name) and the variable get(ctx, slot); a match
 * stores the groups' values by slot with hs_regex_store_named, where get
 * reads them. */
struct hs_cf;
void hs_regex_define_names(struct hs_cf *cf, hs_regex *re, hs_var_get get);
/* Stores the named groups that matched (ov and n from hs_regex_match) of
 * subject into *vals (grown from pool; *nvals slots). */
void hs_regex_store_named(const hs_regex *re, hs_pool *pool, hs_str subject, const int *ov, int n, hs_str **vals,
                          uint16_t *nvals);

#endif
