#!/usr/bin/env bash
# bench/hardening.sh — hush beside nginx under slow attacks, at the connection
# limit and across reloads (issue #16's figures), in one run.
#
# Per trial and side (fresh servers, bench/conf/*-hardening.conf, one worker):
#   slow attacks   slowhttptest (-c 400 -r 200) for SLOW_SECONDS (20) each:
#                  slowloris, slow body (R-U-Dead-Yet, to a proxied location),
#                  the range attack and slow read, beside a well-behaved client
#                  (a new connection per request to /ok every 20 ms): its
#                  success rate and p99 latency.   worker_connections 1024.
#   conn. limit    worker_connections 512: 600 idle keep-alives held (one GET
#                  each), then 60 new clients at once with 3 s each: how many
#                  are served. Then the descriptor limit first
#                  (worker_rlimit_nofile 256): 300 held, 60 new clients: how
#                  many are served, and answered at all.
#   reloads        20 reloads (HUP, 0.25 s apart) under 3 clients making a new
#                  connection per request (failed requests), and during 10
#                  slow 16 MiB downloads (downloads cut).
# The clients are bench/hardening.py; they run unpinned (slowhttptest and the
# good client beside it), the servers pinned to SERVER_CPU.
#
# Usage: bench/hardening.sh     (or bench/run.sh hardening)   TRIALS=3 by default; ~5 min a trial
TRIALS=${TRIALS:-3}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SCEN=hardening
SLOW_SECONDS=${SLOW_SECONDS:-20}
NGINX_CONF=${NGINX_CONF:-$BENCH_DIR/conf/nginx-hardening.conf}
HUSH_CONF=${HUSH_CONF:-$BENCH_DIR/conf/hush-hardening.conf}
CLIENT="python3 $BENCH_DIR/hardening.py"

side_conf() { case $1 in nginx*) echo "$NGINX_CONF" ;; *) echo "$HUSH_CONF" ;; esac; }

# start SIDE WC [MIB [RLIMIT]]: a fresh server with worker_connections WC, a
# /big of MIB MiB (1) and RLIMIT as its main-level worker_rlimit_nofile line
# (nginx: 65536 by default; hush: none, it raises the limit to fit)
start() {
    local side=$1 wc=$2 size=${3:-1} rl=${4:-}
    [ -n "$rl" ] || case $side in nginx*) rl="worker_rlimit_nofile 65536;" ;; esac
    srv_prepare "$side" "$(side_conf "$side")" "PORT2=$(free_port)" "WC=$wc" "RLIMIT=$rl"
    head -c $((size << 20)) /dev/urandom >"${SRV_PREFIX[$side]}/html/big"
    printf '%4096s' x >"${SRV_PREFIX[$side]}/html/index.html"
    srv_launch "$side"
}

stop() { srv_stop "$1"; srv_remove "$1"; }

# kv LINE KEY: the value of KEY=VALUE in LINE
kv() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

slow_phase() {
    local side=$1 t=$2 mode line
    start "$side" 1024
    for mode in slowloris slowbody range slowread; do
        line=$(timeout $((SLOW_SECONDS + 90)) $CLIENT slow "${SRV_PORT[$side]}" "$SLOW_SECONDS" $mode)
        log "$side trial $t $mode: $line"
        [ "$(kv "$line" attack_connected)" = 1 ] || log "warning: slowhttptest did not connect ($side $mode)"
        record $SCEN "${mode}_ok" "$side" "$t" "$(kv "$line" ok_pct)"
        record $SCEN "${mode}_p99" "$side" "$t" "$(kv "$line" p99_ms)"
        kill -0 "${SRV_PID[$side]}" 2>/dev/null || die "$side died under $mode"
    done
    stop "$side"
}

limit_phase() {
    local side=$1 t=$2 line
    start "$side" 512
    line=$(timeout 120 $CLIENT limit "${SRV_PORT[$side]}" 600 60)
    log "$side trial $t limit: $line"
    record $SCEN limit_served "$side" "$t" "$(kv "$line" served)"
    stop "$side"
    # the descriptor limit first: worker_rlimit_nofile 256 under worker_connections 512
    start "$side" 512 1 "worker_rlimit_nofile 256;"
    line=$(timeout 120 $CLIENT limit "${SRV_PORT[$side]}" 300 60)
    log "$side trial $t fd limit: $line"
    record $SCEN fd_served "$side" "$t" "$(kv "$line" served)"
    record $SCEN fd_answered "$side" "$t" "$(kv "$line" answered)"
    stop "$side"
}

reload_phase() {
    local side=$1 t=$2 line
    start "$side" 1024 16
    line=$(timeout 120 $CLIENT reload "${SRV_PORT[$side]}" "${SRV_PID[$side]}" 20 conns)
    log "$side trial $t reloads, new connections: $line"
    record $SCEN reload_ok "$side" "$t" "$(kv "$line" ok)"
    record $SCEN reload_failed "$side" "$t" "$(kv "$line" failed)"
    line=$(timeout 150 $CLIENT reload "${SRV_PORT[$side]}" "${SRV_PID[$side]}" 20 downloads)
    log "$side trial $t reloads, slow downloads: $line"
    record $SCEN reload_cut "$side" "$t" "$(kv "$line" cut)"
    stop "$side"
}

hardening_main() {
    local t side
    command -v slowhttptest >/dev/null || die "slowhttptest not found (apt-get install slowhttptest)"
    bench_init
    : >"$RUN_DIR/$SCEN.tsv"
    check_quiet
    log "$SCEN: $TRIALS trials; $(sides_desc)"
    for t in $(seq "$TRIALS"); do
        for side in $(trial_order "$t" $SIDES); do
            slow_phase "$side" "$t"
            limit_phase "$side" "$t"
            reload_phase "$side" "$t"
        done
    done
    summarize $SCEN "slow attacks (${SLOW_SECONDS}s each, a good client beside), connection limit, reloads" \
        "slowloris_ok:slowloris good ok %:%.2f" "slowloris_p99:slowloris good p99 ms:%.1f" \
        "slowbody_ok:slow body good ok %:%.2f" "slowbody_p99:slow body good p99 ms:%.1f" \
        "range_ok:range good ok %:%.2f" "range_p99:range good p99 ms:%.1f" \
        "slowread_ok:slow read good ok %:%.2f" "slowread_p99:slow read good p99 ms:%.1f" \
        "limit_served:limit served of 60:%.0f" \
        "fd_served:fd limit served of 60:%.0f" "fd_answered:fd limit answered:%.0f" \
        "reload_ok:reloads requests ok:%.0f" "reload_failed:reloads requests failed:%.0f" \
        "reload_cut:reloads downloads cut:%.0f"
}

hardening_main "$@"
