#!/usr/bin/env bash
# scripts/check-layers.sh — which folder may include which (make check-layers).
#
# Checks every `#include "..."` in src/**/*.{c,h} and tools/**/*.{c,h}
# against the table below. Prints each violation as
#   FILE:LINE: <folder> may not include <header> (allowed: ...)
# and exits 1 if there is any; otherwise prints
#   layers ok: N files, M includes checked
# and exits 0. <header> is written as in the include; it is looked up as the
# compiler does with -Isrc: next to the including file first, then under src/.
#
# Rules:
#   - a folder may include its own headers, and those of the folders on its
#     line of the table (a name X there means src/X); "*" means anything;
#   - an include the table cannot place is a violation: a folder with no line
#     (a new folder), on either side of the include, needs a line first;
#   - private headers (named internal.h or *_internal.h) may only be included
#     from their own folder, whatever the table says;
#   - the top level of src/ (main.c, process.c, config.c, ...) is the folder
#     "src"; tools/logstat includes its own headers without a folder
#     ("record.h"): those are same-folder includes.
#
# Usage: scripts/check-layers.sh [ROOT]     (ROOT: the tree, default: this
# script's parent folder's parent, i.e. the repository)

# ---------------------------------------------------------------- the table
# folder          may include, besides itself ("-": nothing else)
LAYERS='
src/core          -
src/event         core
src/conf          core
src/parse         core
src/transport     core event conf
src/http          core event conf parse transport
src/log           core event conf parse transport http stats
src/stats         core event conf parse transport http
src/static        core event conf parse transport http
src/request       core event conf parse transport http
src/rewrite       core event conf parse transport http
src/realip        core event conf parse transport http stats
src/edge          core event conf parse transport http stats
src/kdrop         core event conf parse transport http stats edge
src/proxy         core event conf parse transport http stats request resolver
src/resolver      core event conf
src/fastcgi       core event conf parse transport http stats request proxy static
src/cache         core event conf parse transport http stats proxy
src/tls           core event conf parse transport http stats
src/auth          core event conf parse transport http
src/headers       core event conf parse transport http static
src/gzip          core event conf parse transport http static
src/h2            core event conf parse transport http stats
src/sync          core event conf parse transport http stats edge
src               *
tools/logstat     core log
'
# ----------------------------------------------------------------

set -u -o pipefail
ROOT=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
cd "$ROOT" || { echo "check-layers: no tree at $ROOT" >&2; exit 2; }

declare -A ALLOWED=()
while read -r folder deps; do
    [ -n "$folder" ] || continue
    case $deps in
    '*') ALLOWED[$folder]='*' ;;
    -) ALLOWED[$folder]='' ;;
    *) ALLOWED[$folder]=$deps ;;
    esac
done <<<"$LAYERS"

# The folder a path (relative to ROOT) belongs to: src/X for anything under
# src/X/, src for src's own files, tools/X for anything under tools/X/.
folder_of() {
    case $1 in
    src/*/*) local r=${1#src/}; echo "src/${r%%/*}" ;;
    src/*) echo src ;;
    tools/*/*) local r=${1#tools/}; echo "tools/${r%%/*}" ;;
    */*) echo "${1%/*}" ;;
    *) echo . ;;
    esac
}

# The table's short name of a folder: src/X -> X (the names of the allowed lists).
short_name() { case $1 in src/*) echo "${1#src/}" ;; *) echo "$1" ;; esac; }

# Where `#include "INC"` in a file of folder DIR leads: DIR/INC when it
# exists, else src/INC (-Isrc); an include found in neither place is taken
# at its word (src/INC when it names a folder, DIR/INC when it does not).
resolve() {
    local dir=$1 inc=$2 p
    if [ -e "$dir/$inc" ]; then p=$dir/$inc
    elif [ -e "src/$inc" ]; then p=src/$inc
    elif [ "${inc#*/}" != "$inc" ]; then p=src/$inc
    else p=$dir/$inc
    fi
    case $p in */../* | */./*) p=$(realpath -m --relative-to=. "$p") ;; esac
    echo "$p"
}

mapfile -t FILES < <( { [ -d src ] && find src -type f \( -name '*.c' -o -name '*.h' \)
                        [ -d tools ] && find tools -type f \( -name '*.c' -o -name '*.h' \); } | LC_ALL=C sort)

nfiles=${#FILES[@]} nincs=0 nbad=0
violation() { # FILE LINE FOLDER HEADER WHY
    printf '%s:%s: %s may not include %s (allowed: %s)\n' "$1" "$2" "$3" "$4" "$5"
    nbad=$((nbad + 1))
}

if [ "$nfiles" -gt 0 ]; then
    while IFS= read -r hit; do
        file=${hit%%:*} rest=${hit#*:}
        line=${rest%%:*} text=${rest#*:}
        [[ $text =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]] || continue
        inc=${BASH_REMATCH[1]}
        nincs=$((nincs + 1))
        from=$(folder_of "$file")
        target=$(resolve "${file%/*}" "$inc")
        to=$(folder_of "$target")
        [ "$to" = "$from" ] && continue                   # same folder: always allowed
        base=${target##*/}
        case $base in
        internal.h | *_internal.h)
            violation "$file" "$line" "$from" "$inc" "from $to only: a private header"
            continue ;;
        esac
        if [ -z "${ALLOWED[$from]+set}" ]; then
            violation "$file" "$line" "$from" "$inc" "nothing yet: $from has no line in the table of scripts/check-layers.sh, add one"
            continue
        fi
        allowed=${ALLOWED[$from]}
        shown=${allowed:-"its own folder only"}
        if [ -z "${ALLOWED[$to]+set}" ]; then
            violation "$file" "$line" "$from" "$inc" "$shown; $to has no line in the table of scripts/check-layers.sh, add one"
            continue
        fi
        [ "$allowed" = '*' ] && continue
        case " $allowed " in *" $(short_name "$to") "*) continue ;; esac
        violation "$file" "$line" "$from" "$inc" "$shown"
    done < <(grep -nHE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "${FILES[@]}")
fi

if [ "$nbad" -gt 0 ]; then
    echo "layers: $nbad violations ($nfiles files, $nincs includes checked)" >&2
    exit 1
fi
echo "layers ok: $nfiles files, $nincs includes checked"
