#!/usr/bin/env bash
# bench/dropprof.sh — where a drop's time goes, per drop mode: the system
# calls per dropped connection (strace -c on the worker) and the share of
# the worker's CPU in each kernel path (perf, call graphs folded to the
# system call or softirq at their root), under the drop scenario's load
# (bench/dropclient, CONNS in flight, Host: unknown.example):
#   nginx-deferred  nginx's cheapest drop: listen ... deferred; return 444
#   hush-close      hush's return 444 (drop_mode close: FIN), the default
#   hush-reset      drop_mode reset (RST)
#   hush-accept     deny_addr at accept (close)
# The floor is accept4 + one recv + close, with an epoll wait shared by
# many. Not a side-by-side figure: strace slows the server down, so the
# counts are per drop, not per second; perf's shares are of the worker's
# samples. Needs strace and perf (linux-perf); DURATION s per side.
#
# Usage: bench/dropprof.sh          (or: bench/run.sh dropprof)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SCEN=dropprof
SIDES="nginx-deferred hush-close hush-reset hush-accept"

side_args() {
    case $1 in
    nginx-deferred) printf '%s\n' "DEFERRED= deferred" ;;
    hush-reset) printf '%s\n' DENY_MODE=accept DROP_MODE=reset ;;
    *) printf '%s\n' DENY_MODE=accept DROP_MODE=close ;;
    esac
}

# The worker's system calls per dropped connection, over SECS seconds.
syscalls_per_drop() {
    local side=$1 worker=$2 src=$3 secs=$4 out=$RUN_DIR/$SCEN-$side
    timeout $((secs + 2)) strace -c -f -p "$worker" -o "$out.strace" 2>/dev/null &
    local sp=$!
    sleep 0.5
    taskset -c "$CLIENT_CPU" "$OUT_DIR/dropclient" "${SRV_PORT[$side]}" "$secs" "$CONNS" unknown.example $src >"$out.client"
    kill -INT "$sp" 2>/dev/null; wait "$sp" 2>/dev/null
    awk -v d="$(awk '{ print $2 }' "$out.client")" '
        $NF ~ /^[a-z_0-9]+$/ && $NF != "syscall" && $NF != "total" && $4 ~ /^[0-9]+$/ {
            printf "%s %.2f, ", $NF, $4 / d }' "$out.strace" | sed 's/, $//'
}

# The worker's perf samples by root path: the system call (or softirq) at
# the bottom of each call chain, in % of its samples.
kernel_paths() {
    local side=$1 worker=$2 src=$3 secs=$4 out=$RUN_DIR/$SCEN-$side
    taskset -c "$CLIENT_CPU" "$OUT_DIR/dropclient" "${SRV_PORT[$side]}" $((secs + 2)) "$CONNS" unknown.example $src >/dev/null &
    local cp=$!
    sleep 1
    perf record -q -g -p "$worker" -o "$out.perf" -- sleep "$secs" >/dev/null 2>&1
    wait "$cp"
    perf report -q -i "$out.perf" --children --sort sym --stdio -g none 2>/dev/null |
        awk '$3 == "[k]" && $4 ~ /^__x64_sys_|^__do_softirq$|^handle_softirqs$|^net_rx_action$/ { printf "%s %s, ", $4, $1 }
             $3 == "[.]" && u == "" { u = 1 }' | sed 's/, $//; s/__x64_sys_//g'
    echo
    perf report -q -i "$out.perf" --no-children --sort dso --stdio -g none 2>/dev/null |
        awk 'NF == 2 { printf "%s %s, ", $2, $1 } END { print "" }' | sed 's/, $//'
}

dropprof_main() {
    local side src worker
    bench_init
    build_client dropclient
    command -v strace >/dev/null || die "strace not found (apt-get install strace)"
    command -v perf >/dev/null || die "perf not found (apt-get install linux-perf)"
    for side in $SIDES; do
        local -a args
        mapfile -t args < <(side_args "$side")
        case $side in nginx*) conf=$BENCH_DIR/conf/nginx-drop.conf ;; *) conf=$BENCH_DIR/conf/hush-drop.conf ;; esac
        srv_start "$side" "$conf" "${args[@]}"
        src=""
        case $side in *-accept) src=127.0.0.2 ;; esac
        worker=$(pgrep -P "${SRV_PID[$side]}" | head -n 1)
        {
            echo "== $side"
            echo "   system calls per drop: $(syscalls_per_drop "$side" "$worker" "$src" "$DURATION")"
            kernel_paths "$side" "$worker" "$src" "$DURATION" | sed -n '1s/^/   worker CPU by path (perf, children): /p; 2s/^/   worker CPU by object: /p'
        } | tee -a "$RUN_DIR/$SCEN.table"
        srv_stop "$side"
        srv_remove "$side"
    done
}

dropprof_main "$@"
