/* The one scanner of variable names in configuration text: "$name" and
 * "${name}", with nginx's rules.  Used by conf/ (hs_var_scan: complex values,
 * map, if=) and by log/tokenize (log_format, read by the server and by
 * hush-logstat), so every reader of a format agrees on where a name ends. */
#ifndef HS_CORE_VARNAME_H
#define HS_CORE_VARNAME_H

#include "core/str.h"

/* True for the bytes a name is made of: [A-Za-z0-9_]. */
static inline bool hs_varname_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Scans a variable at text.p[0] == '$'.  Returns the bytes it covers
 * (including '$' and braces) and sets *name to the name (a slice of text,
 * without '$' and braces); returns 0, leaving *name alone, when no variable
 * starts there: text not starting with '$', a '$' at the end, a '$' followed
 * by a byte that is neither a name byte nor '{', and a '{' without name bytes
 * and a closing '}' right after them ("${}", "${x", "${a-b}").
 *   $name    the longest run of name bytes, except that
 *   $1..$9   a leading digit 1-9 is a whole name (regex captures, as nginx):
 *            "$12" is $1 then "2"; "$0x" is the name "0x"
 *   ${name}  any run of name bytes, digits first included ("${12}" is "12") */
size_t hs_varname_scan(hs_str text, hs_str *name);

#endif
