/* Turning a raw request path into the one path that selects locations and
 * files: percent-decoded, slashes merged, dot segments resolved. */
#ifndef HS_PARSE_PATH_H
#define HS_PARSE_PATH_H

#include "core/str.h"

/* Normalise raw (an origin-form path, starting with '/') into out, whose
 * capacity is at least raw.n + 1. Percent-escapes are decoded first, so
 * "%2e%2e" and "%2F" count as ".." and "/"; then runs of '/' merge into one
 * (nginx's merge_slashes on), "." segments go and ".." removes the segment
 * before it. A trailing "." or ".." leaves a trailing '/' ("/a/b/.." is
 * "/a/"). The result starts with '/', is NUL-terminated (the NUL is not
 * counted in *out_len) and never climbs above the root.
 * Returns HS_OK, or HS_ERROR (answer 400) for a raw path not starting with
 * '/', a bad or %00 escape, or a ".." above the root. */
int hs_http_normalize_path(hs_str raw, char *out, size_t *out_len);
/* The same; with merge_slashes false, runs of '/' stay as they are (nginx's
 * merge_slashes off), and ".." removes the empty segment before it. */
int hs_http_normalize_path_ex(hs_str raw, char *out, size_t *out_len, bool merge_slashes);
/* A path escaped for a Location as nginx escapes URIs (space, controls,
 * bytes over 0x7e and " # % < > ? \\ ^ ` { | }); out has room for
 * 3 * in.n bytes. Returns the length written. */
size_t hs_uri_escape(hs_str in, char *out);

#endif
