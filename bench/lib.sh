# bench/lib.sh — the common pieces of hush's side-by-side benchmarks.
#
# Sourced by each scenario script (bench/static.sh, ...).  It provides:
#   setup      bench_init (deps, client build, output dir, traps)
#   servers    srv_prepare / srv_launch / srv_start / srv_stop / srv_pids
#   measures   cpu_ns, cpu_ticks, rss_kb (from /proc), wrk_run, idle_run
#   figures    record, median, summarize (table with medians and hush/nginx ratios)
#
# Two "sides" are compared: "nginx" (NGINX_BIN, tuned config) and "hush"
# (HUSH_BIN, a user's config with hush's defaults).  Either binary can be
# any nginx-compatible server: HUSH_BIN=$(command -v nginx) checks the
# machinery with nginx on both sides.
#
# HUSH2_BIN=/path/to/other/hush adds a third side, "hush2": that binary with
# hush's config, in the same trials (the order still alternates), so an old
# and a new build are compared in one run; every hush side of a scenario gets
# its hush2 twin (drop: hush2, hush2-accept).  The tables get the columns
# hush2/hush and hush2/nginx after hush/nginx.  Unset: two sides, as before.
#
# Environment (defaults in brackets):
#   TRIALS [5]  DURATION [10] s  WARMUP [2] s  CONNS [64]  IDLE_CONNS [10000]
#   SERVER_CPU [0]  CLIENT_CPU [1]  NGINX_BIN [nginx]  HUSH_BIN [build/hush]
#   HUSH2_BIN [unset]: a second hush binary, side "hush2" (see above)
#   KEEP [0]: 1 keeps the servers' temp prefixes (configs, logs) for inspection

set -u -o pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT_DIR=$(cd "$BENCH_DIR/.." && pwd)
OUT_DIR=$BENCH_DIR/out

TRIALS=${TRIALS:-5}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNS=${CONNS:-64}
IDLE_CONNS=${IDLE_CONNS:-10000}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
# open files for the servers: 65536, or the hard limit when we may not raise it
# (containers without CAP_SYS_RESOURCE); 10,000 idle connections need ~10,100.
NOFILE=${NOFILE:-$(h=$(ulimit -Hn); if [ "$h" = unlimited ] || [ "$h" -ge 65536 ]; then echo 65536; else echo "$h"; fi)}
KEEP=${KEEP:-0}
NGINX_BIN=${NGINX_BIN:-$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)}
HUSH_BIN=${HUSH_BIN:-$ROOT_DIR/build/hush}
HUSH2_BIN=${HUSH2_BIN:-}

# with_hush2 SIDE...: the sides given, each hush side (hush, hush-accept)
# followed by its twin running HUSH2_BIN (hush2, hush2-accept) when it is set.
with_hush2() {
    local s out=""
    for s in "$@"; do
        out+=" $s"
        case $s in hush*) [ -n "$HUSH2_BIN" ] && out+=" hush2${s#hush}" ;; esac
    done
    echo "${out# }"
}

# trial_order T SIDE...: the sides as given on odd trials, reversed on even
# ones, so that slow drift (CPU frequency, neighbours) hits all sides alike.
trial_order() {
    local t=$1 s out=""
    shift
    if [ $((t % 2)) = 1 ]; then echo "$*"; return; fi
    for s in "$@"; do out="$s $out"; done
    echo "${out% }"
}

# The sides of a scenario (columns of its tables), and the ratios of medians
# its tables show (A/B: side A's median over side B's).
SIDES=$(with_hush2 nginx hush)
RATIOS="hush/nginx${HUSH2_BIN:+ hush2/hush hush2/nginx}"

declare -A SRV_PID=() SRV_PORT=() SRV_PREFIX=() SRV_CONF=() SRV_KIDS=()
BG_PIDS=""   # helper processes (clients) to stop on exit

log() { printf '%s\n' "bench: $*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------- setup

# Install nginx/wrk if missing, build the C clients, create the run dir, set traps.
# RUN_DIR (raw outputs of this run) may be given by run.sh so that all
# scenarios of one run share it.
bench_init() {
    local i
    for i in 1 2 3 4 5 6; do   # apt may be busy (another install): retry a little
        "$ROOT_DIR/scripts/deps.sh" bench && break
        [ "$i" = 6 ] && die "scripts/deps.sh bench failed"
        log "deps.sh failed, retrying in 10s"; sleep 10
    done
    for i in gcc taskset prlimit curl wrk python3 getconf; do
        command -v "$i" >/dev/null || die "$i not found"
    done
    [ -x "$NGINX_BIN" ] || die "NGINX_BIN=$NGINX_BIN is not executable"
    [ -x "$HUSH_BIN" ] || die "HUSH_BIN=$HUSH_BIN is not executable (run make, or set HUSH_BIN=\$(command -v nginx) to check the machinery with nginx on both sides)"
    [ -z "$HUSH2_BIN" ] || [ -x "$HUSH2_BIN" ] || die "HUSH2_BIN=$HUSH2_BIN is not executable"
    [ "$(nproc)" -ge 2 ] || log "warning: fewer than 2 CPUs: server and client share one"
    CLK_TCK=$(getconf CLK_TCK)
    mkdir -p "$OUT_DIR"
    RUN_STAMP=${RUN_STAMP:-$(date +%Y%m%d-%H%M%S)}
    RUN_DIR=${RUN_DIR:-$OUT_DIR/run-$RUN_STAMP}
    mkdir -p "$RUN_DIR"
    build_client idleconns
    trap bench_cleanup EXIT
    trap 'log "interrupted"; exit 130' INT TERM
}

# build_client NAME [LIB...]: compile bench/NAME.c into bench/out/NAME when
# the source is newer, linking the libraries given (e.g. -lssl -lcrypto).
build_client() {
    local src=$BENCH_DIR/$1.c bin=$OUT_DIR/$1
    if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ]; then
        gcc -O2 -Wall -Wextra -o "$bin" "$src" "${@:2}" || die "cannot build $src"
    fi
}

# Stop everything this script started (by PID only).
bench_cleanup() {
    local side p
    trap - EXIT INT TERM
    for p in $BG_PIDS; do kill -TERM "$p" 2>/dev/null; done
    for side in "${!SRV_PID[@]}"; do srv_stop "$side"; done
    [ "$KEEP" = 1 ] || for side in "${!SRV_PREFIX[@]}"; do srv_remove "$side"; done
}

free_port() {
    python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'
}

# Sides named nginx* run NGINX_BIN, hush2* HUSH2_BIN, the others HUSH_BIN.
side_bin() { case $1 in nginx*) echo "$NGINX_BIN" ;; hush2*) echo "$HUSH2_BIN" ;; *) echo "$HUSH_BIN" ;; esac; }

# "; nginx: BIN (version); hush: ...": what runs on each side, for a scenario's log.
sides_desc() {
    local s out=""
    for s in nginx hush ${HUSH2_BIN:+hush2}; do out+="; $(side_desc "$s")"; done
    echo "${out#; }"
}

# One line naming what runs on a side, for the report.
side_desc() {
    local bin v
    bin=$(side_bin "$1")
    v=$(timeout 5 "$bin" -v 2>&1 </dev/null | head -n 1)
    echo "$1: $bin${v:+ ($v)}"
}

# ---------------------------------------------------------------- servers

# srv_prepare SIDE TEMPLATE [KEY=VALUE ...]
# Make a fresh temp prefix (conf/, html/, logs/, tmp/), pick a free port and
# render TEMPLATE into PREFIX/conf/server.conf, replacing @PREFIX@, @PORT@ and
# each @KEY@ given.  The document root holds 100b.html (exactly 100 bytes) and
# index.html; scenarios may add files before srv_launch.
srv_prepare() {
    local side=$1 tmpl=$2 prefix port kv mime
    shift 2
    [ -f "$tmpl" ] || die "no template $tmpl"
    prefix=$(mktemp -d /tmp/hush-bench-"$side".XXXXXX)
    chmod 755 "$prefix"    # nginx workers run as nobody: they must reach html/
    mkdir -p "$prefix"/{conf,html,logs,tmp}
    port=$(free_port)
    for mime in "$ROOT_DIR/conf/mime.types" /etc/nginx/mime.types; do
        [ -f "$mime" ] && { cp "$mime" "$prefix/conf/mime.types"; break; }
    done
    [ -f "$prefix/conf/mime.types" ] || echo 'types { text/html html; }' >"$prefix/conf/mime.types"
    head -c 99 /dev/zero | tr '\0' 'x' >"$prefix/html/100b.html"
    echo >>"$prefix/html/100b.html"
    echo '<h1>hush bench</h1>' >"$prefix/html/index.html"
    local sedargs=(-e "s|@PREFIX@|$prefix|g" -e "s|@PORT@|$port|g")
    for kv in "$@"; do sedargs+=(-e "s|@${kv%%=*}@|${kv#*=}|g"); done
    sed "${sedargs[@]}" "$tmpl" >"$prefix/conf/server.conf"
    if grep -q '@[A-Z_]*@' "$prefix/conf/server.conf"; then
        die "unrendered placeholder in $tmpl: $(grep -o '@[A-Z_]*@' "$prefix/conf/server.conf" | head -n 1)"
    fi
    SRV_PREFIX[$side]=$prefix SRV_PORT[$side]=$port SRV_CONF[$side]=$prefix/conf/server.conf
}

# srv_launch SIDE [READY_PATH]
# Test the config (-t), start the server in the foreground of a background job
# (master + workers), pinned to SERVER_CPU with a raised open-file limit, and
# wait until GET READY_PATH answers.
srv_launch() {
    local side=$1 ready=${2:-/100b.html} bin prefix conf port pid i
    bin=$(side_bin "$side") prefix=${SRV_PREFIX[$side]} conf=${SRV_CONF[$side]} port=${SRV_PORT[$side]}
    if ! timeout 20 "$bin" -t -c "$conf" -p "$prefix/" >"$prefix/logs/configtest" 2>&1 </dev/null; then
        cat "$prefix/logs/configtest" >&2
        die "$side: config test failed ($conf)"
    fi
    taskset -c "$SERVER_CPU" prlimit --nofile="$NOFILE:$NOFILE" \
        "$bin" -c "$conf" -p "$prefix/" -g 'daemon off;' >"$prefix/logs/stdout" 2>&1 </dev/null &
    pid=$!
    SRV_PID[$side]=$pid
    for i in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || { cat "$prefix/logs/stdout" "$prefix/logs/error.log" >&2 2>/dev/null; die "$side exited at start"; }
        curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$port$ready" 2>/dev/null && break
        [ "$i" = 100 ] && die "$side does not answer on 127.0.0.1:$port$ready"
        sleep 0.1
    done
    # master_process on: wait for the worker, remember it so stop can reap it.
    for i in $(seq 20); do
        SRV_KIDS[$side]=$(pgrep -P "$pid" | tr '\n' ' ')
        [ -n "${SRV_KIDS[$side]}" ] && break
        sleep 0.1
    done
    [ -n "${SRV_KIDS[$side]}" ] || log "warning: $side has no worker process; measuring the master alone"
}

srv_start() { srv_prepare "$@"; srv_launch "$1"; }

# The server's processes: master first, then its children.
srv_pids() {
    local pid=${SRV_PID[$1]:-}
    [ -n "$pid" ] || return 0
    echo "$pid" $(pgrep -P "$pid")
}

# Stop gracefully (QUIT, so buffered logs are flushed), then TERM, then KILL.
srv_stop() {
    local side=$1 pid=${SRV_PID[$1]:-} p i
    [ -n "$pid" ] || return 0
    kill -QUIT "$pid" 2>/dev/null
    for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { log "$side: no exit on QUIT, sending TERM"; kill -TERM "$pid" 2>/dev/null; sleep 1; }
    kill -0 "$pid" 2>/dev/null && { log "$side: no exit on TERM, sending KILL"; kill -KILL "$pid" 2>/dev/null; }
    for p in ${SRV_KIDS[$side]:-}; do
        kill -0 "$p" 2>/dev/null && [ "$(cut -d' ' -f4 /proc/$p/stat 2>/dev/null)" = 1 ] && kill -KILL "$p" 2>/dev/null
    done
    wait "$pid" 2>/dev/null
    unset "SRV_PID[$side]" "SRV_KIDS[$side]"
}

srv_remove() {
    local prefix=${SRV_PREFIX[$1]:-}
    case $prefix in /tmp/hush-bench-*) rm -rf "$prefix" ;; esac
    unset "SRV_PREFIX[$1]"
}

# Lines in the side's access log (call after srv_stop so buffers are flushed).
access_lines() { wc -l <"${SRV_PREFIX[$1]}/logs/access.log" 2>/dev/null || echo 0; }

# ---------------------------------------------------------------- /proc measures

# CPU time of PIDS (all their threads) in ns, from /proc/PID/task/TID/schedstat
# (first field: time on CPU, exact, unlike the tick-based utime/stime).
cpu_ns() {
    local p
    for p in "$@"; do cat /proc/"$p"/task/*/schedstat 2>/dev/null; done |
        awk '{ s += $1 } END { printf "%.0f\n", s }'
}

# utime+stime of PIDS in clock ticks (/proc/PID/stat fields 14, 15): a cross-check.
cpu_ticks() {
    local p
    for p in "$@"; do sed 's/^.*) //' /proc/"$p"/stat 2>/dev/null; done |
        awk '{ s += $12 + $13 } END { printf "%d\n", s }'
}

# Resident memory of PIDS in kB: Rss from smaps_rollup (walks the page tables,
# exact), falling back to VmRSS.
rss_kb() {
    local p
    for p in "$@"; do
        if [ -r /proc/"$p"/smaps_rollup ]; then
            awk '/^Rss:/ { print $2 }' /proc/"$p"/smaps_rollup
        else
            awk '/^VmRSS:/ { print $2 }' /proc/"$p"/status
        fi
    done | awk '{ s += $1 } END { printf "%d\n", s }'
}

# Busy time (user nice system irq softirq steal), in clock ticks, of the CPUs
# the benchmark uses (SERVER_CPU and CLIENT_CPU), from /proc/stat.
cpus_busy_ticks() {
    awk -v a="cpu$SERVER_CPU" -v b="cpu$CLIENT_CPU" \
        '$1 == a || $1 == b { s += $2 + $3 + $4 + $7 + $8 + $9 } END { printf "%d\n", s }' /proc/stat
}

# Busy time of the whole machine (every CPU: user nice system irq softirq
# steal), in clock ticks, from /proc/stat's "cpu" line: what a drop costs
# everywhere, the kernel's receive path (softirq) and the client included.
machine_busy_ticks() {
    awk '$1 == "cpu" { printf "%d\n", $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}

# CHILD_MS = CPU time (user+sys, ms) of this shell's reaped children, from
# the `times` builtin; so it must run in this shell, never inside $(...).
children_cpu_ms() {
    times >"$RUN_DIR/.times"
    CHILD_MS=$(awk 'NR == 2 { s = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); s += a[1] * 60 + a[2] }
                              printf "%.0f\n", s * 1000 }' "$RUN_DIR/.times")
}

# Warn when other processes keep the benchmark's CPUs busy: then requests/s
# mean little, and even CPU per request drifts (caches, frequency).
check_quiet() {
    local b0 b1
    b0=$(cpus_busy_ticks); sleep 1; b1=$(cpus_busy_ticks)
    QUIET_BUSY_PCT=$(( (b1 - b0) * 100 / CLK_TCK ))
    [ "$QUIET_BUSY_PCT" -lt 10 ] ||
        log "warning: the machine is busy before the run (${QUIET_BUSY_PCT}% of a CPU on CPUs $SERVER_CPU,$CLIENT_CPU): figures will be noisy"
}

# ---------------------------------------------------------------- load

# wrk_run URL SECONDS OUTFILE: wrk pinned to CLIENT_CPU, CONNS keep-alive
# connections, one thread.  Sets WRK_REQS, WRK_RPS, WRK_ERRS (socket errors +
# non-2xx/3xx responses).
wrk_run() {
    local url=$1 secs=$2 out=$3
    local wpid rc
    # background + wait: a signal runs our trap at once (which stops wrk too);
    # wait still reaps wrk in this shell, so `times` counts its CPU
    taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d"${secs}s" --latency "$url" >"$out" 2>&1 </dev/null &
    wpid=$!
    BG_PIDS="$BG_PIDS $wpid"
    wait "$wpid"; rc=$?
    BG_PIDS=${BG_PIDS/ $wpid/}
    [ "$rc" = 0 ] || { cat "$out" >&2; die "wrk failed"; }
    WRK_REQS=$(awk '/ requests in / { print $1 }' "$out")
    WRK_RPS=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
    WRK_ERRS=$(awk '/Socket errors:/ { gsub(/[^0-9 ]/, " "); for (i = 1; i <= NF; i++) s += $i }
                    /Non-2xx or 3xx responses:/ { s += $NF } END { print s + 0 }' "$out")
    [ -n "$WRK_REQS" ] && [ "$WRK_REQS" -gt 0 ] || { cat "$out" >&2; die "wrk made no request"; }
}

# measure_begin SIDE ... measure_end: read the server's CPU (master + workers,
# /proc schedstat and stat), this shell's children's CPU (the client, which
# must run in the foreground in between) and the CPUs' busy time before and
# after.  measure_end sets M_CPU_NS, M_CPU_TICKS, M_WALL_NS, M_CLIENT_MS (the
# client's CPU) and M_OTHER_PCT: CPU time on the two CPUs used by neither the
# server nor the client, in % of one CPU (other processes: noise).
measure_begin() {
    _M_PIDS=$(srv_pids "$1")
    _M_C0=$(cpu_ns $_M_PIDS) _M_T0=$(cpu_ticks $_M_PIDS)
    children_cpu_ms; _M_K0=$CHILD_MS
    _M_W0=$(date +%s%N) _M_B0=$(cpus_busy_ticks)
}

measure_end() {
    local b1 w1 c1 t1
    b1=$(cpus_busy_ticks) w1=$(date +%s%N)
    children_cpu_ms
    c1=$(cpu_ns $_M_PIDS) t1=$(cpu_ticks $_M_PIDS)
    M_CPU_NS=$((c1 - _M_C0)) M_CPU_TICKS=$((t1 - _M_T0)) M_WALL_NS=$((w1 - _M_W0))
    M_CLIENT_MS=$((CHILD_MS - _M_K0))
    M_OTHER_PCT=$(awk -v b=$((b1 - _M_B0)) -v h="$CLK_TCK" -v s="$M_CPU_NS" -v k="$M_CLIENT_MS" -v w="$M_WALL_NS" \
        'BEGIN { o = b / h - s / 1e9 - k / 1e3; if (o < 0) o = 0; printf "%.1f\n", o * 1e11 / w }')
}

# measure_load SIDE URL OUTFILE: WARMUP s of wrk, then DURATION s measured
# (measure_begin/end around wrk_run).  Sets M_REQS, M_RPS, M_ERRS and the M_*
# of measure_end.
measure_load() {
    local side=$1 url=$2 out=$3
    [ "$WARMUP" -gt 0 ] && wrk_run "$url" "$WARMUP" "$out.warmup"
    sleep 0.2
    measure_begin "$side"
    wrk_run "$url" "$DURATION" "$out"
    measure_end
    M_REQS=$WRK_REQS M_RPS=$WRK_RPS M_ERRS=$WRK_ERRS
}

# idle_run SIDE PATH N: hold N idle keep-alive connections on the side's
# server (one complete GET PATH each) with bench/out/idleconns pinned to
# CLIENT_CPU; RSS of the server's processes is read before (after one warm-up
# request) and while they are held.  Sets I_DELTA_KB, I_OPEN, I_FAILED.
idle_run() {
    local side=$1 path=$2 n=$3 port=${SRV_PORT[$1]} pids r0 r1 line
    curl -fsS -o /dev/null "http://127.0.0.1:$port$path" || die "$side: warm-up GET failed"
    sleep 0.3
    pids=$(srv_pids "$side")
    r0=$(rss_kb $pids)
    coproc IDLE { exec taskset -c "$CLIENT_CPU" "$OUT_DIR/idleconns" -p "$port" -n "$n" -u "$path" 2>&1; }
    BG_PIDS="$BG_PIDS $IDLE_PID"
    local pid=$IDLE_PID
    line=""
    while read -t 120 -r line <&"${IDLE[0]}"; do
        case $line in READY*) break ;; *) log "idleconns: $line" ;; esac
    done
    case $line in READY*) ;; *) kill "$pid" 2>/dev/null; die "$side: idleconns did not get ready" ;; esac
    I_FAILED=$(echo "$line" | sed -n 's/.*failed=\([0-9]*\).*/\1/p')
    sleep 1    # let the server settle into idle
    r1=$(rss_kb $pids)
    echo status >&"${IDLE[1]}"
    read -t 10 -r line <&"${IDLE[0]}"
    I_OPEN=$(echo "$line" | sed -n 's/^OPEN \([0-9]*\).*/\1/p')
    echo close >&"${IDLE[1]}"
    wait "$pid" 2>/dev/null
    BG_PIDS=${BG_PIDS/ $pid/}
    I_DELTA_KB=$((r1 - r0))
}

# ---------------------------------------------------------------- figures

# Trial values are kept one per line in $RUN_DIR/SCENARIO.tsv:
#   metric <TAB> side <TAB> trial <TAB> value
record() { printf '%s\t%s\t%s\t%s\n' "$2" "$3" "$4" "$5" >>"$RUN_DIR/$1.tsv"; }

median() {
    printf '%s\n' "$@" | sort -g |
        awk '{ a[NR] = $1 } END { if (NR == 0) exit; if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# Values of METRIC for SIDE recorded in SCENARIO.
values() { awk -F'\t' -v m="$2" -v s="$3" '$1 == m && $2 == s { print $4 }' "$RUN_DIR/$1.tsv"; }

# summarize SCENARIO TITLE METRIC:LABEL:FORMAT ...
# Prints the table: median per side (SIDES), the ratios of the medians
# (RATIOS: hush/nginx, and hush2/hush hush2/nginx with HUSH2_BIN), and the
# range (min..max) over trials, to stdout and $RUN_DIR/SCENARIO.table.
# A side with no value for a metric (skipped) shows "-", and so do its ratios.
summarize() {
    local scen=$1 title=$2 spec metric label fmt side v mn mx row ratio a b
    shift 2
    {
        echo "== $scen: $title"
        echo "   $TRIALS trials, medians; range over trials in brackets"
        row=$(printf '   %-24s' "")
        for side in $SIDES; do row+=$(printf ' %14s' "$side"); done
        for ratio in $RATIOS; do
            if [ "$ratio" = "${RATIOS%% *}" ]; then row+=" $ratio"; else row+=$(printf ' %11s' "$ratio"); fi
        done
        echo "$row"
        for spec in "$@"; do
            IFS=: read -r metric label fmt <<<"$spec"
            declare -A med=()
            row=$(printf '   %-24s' "$label")
            for side in $SIDES; do
                v=$(values "$scen" "$metric" "$side")
                med[$side]=$(median $v)
                if [ -n "${med[$side]}" ]; then row+=$(printf " %14s" "$(printf "$fmt" "${med[$side]}")")
                else row+=$(printf ' %14s' -); fi
            done
            for ratio in $RATIOS; do
                a=${ratio%/*} b=${ratio#*/}
                if [ -n "${med[$a]}" ] && [ -n "${med[$b]}" ] &&
                    awk -v b="${med[$b]}" 'BEGIN { exit !(b != 0) }'; then
                    row+=$(awk -v a="${med[$a]}" -v b="${med[$b]}" 'BEGIN { printf " %11.2f", a / b }')
                else
                    row+=$(printf ' %11s' -)
                fi
            done
            echo "$row"
            row=$(printf '   %-24s' "")
            for side in $SIDES; do
                v=$(values "$scen" "$metric" "$side" | sort -g)
                if [ -z "$v" ]; then row+=$(printf ' %14s' ""); continue; fi
                mn=$(printf "$fmt" "$(echo "$v" | head -n 1)") mx=$(printf "$fmt" "$(echo "$v" | tail -n 1)")
                row+=$(printf " %14s" "[$mn..$mx]")
            done
            echo "$row"
            unset med
        done
    } | tee "$RUN_DIR/$scen.table"
}

# Per-trial values of a scenario, as a readable block (for the results file).
trials_dump() {
    echo "-- $1: every trial (metric side trial value)"
    sort -t$'\t' -k1,1 -k2,2 -k3,3n "$RUN_DIR/$1.tsv" | awk -F'\t' '{ printf "   %-22s %-6s %2s %s\n", $1, $2, $3, $4 }'
}
