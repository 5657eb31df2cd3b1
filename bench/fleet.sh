#!/usr/bin/env bash
# bench/fleet.sh — the cost of the fleet sync (issue #14): the same hush
# binary with a ban zone and a limit_req zone shared through Redis
# (sync=redis://...) vs not shared. The issue's aim: under 3 % more CPU per
# request. lib.sh compares two "sides"; here the "nginx" side is hush WITHOUT
# sync and the "hush" side hush WITH it, so the table's last column is on/off.
# For each trial (order alternating), on a fresh server: WARMUP s, then
# DURATION s of wrk -t1 -c$CONNS on a 100-byte file (access log off); every
# request goes through limit_req (and, with sync, is counted for the fleet).
# A redis-server of its own runs on a free loopback port (never the system
# service), pinned to CLIENT_CPU: its CPU is not the server's.
#
# Then the ban propagation: two instances A and B with sync on; BANS (200)
# bans triggered on A, each timed until B drops a new connection from the
# address (bench/fleet_propagation.py): median, p99 and max.
#
# HUSH2_BIN does not apply here: ignored.
# Usage: bench/fleet.sh            (or: bench/run.sh fleet)
[ -z "${HUSH2_BIN:-}" ] || echo "bench: fleet: HUSH2_BIN ignored (both sides are the same build)" >&2
HUSH2_BIN=
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SCEN=fleet
CONF=$BENCH_DIR/conf/hush-fleet.conf
FILE=/100b.html
BANS=${BANS:-200}
REDIS_PID=

redis_start() {
    REDIS_PORT=$(free_port)
    REDIS_DIR=$(mktemp -d /tmp/hush-bench-redis.XXXXXX)
    command -v redis-server >/dev/null || die "redis-server missing (scripts/deps.sh bench)"
    taskset -c "$CLIENT_CPU" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
        --daemonize no --dir "$REDIS_DIR" >"$REDIS_DIR/redis.log" 2>&1 </dev/null &
    REDIS_PID=$!
    BG_PIDS="${BG_PIDS:-} $REDIS_PID"
    local i
    for i in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT") 2>/dev/null && return 0
        sleep 0.05
    done
    die "redis-server did not listen on $REDIS_PORT"
}

redis_stop() {
    [ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null && wait "$REDIS_PID" 2>/dev/null
    rm -rf "$REDIS_DIR"
}

fleet_load() {
    local side=$1 t=$2 out=$RUN_DIR/$SCEN-wrk-$side-$t.txt sync=""
    [ "$side" = hush ] && sync="sync=redis://127.0.0.1:$REDIS_PORT"
    srv_start "$side" "$CONF" "SYNC=$sync"
    measure_load "$side" "http://127.0.0.1:${SRV_PORT[$side]}$FILE" "$out"
    if [ "$side" = hush ] && ! curl -fsS "http://127.0.0.1:${SRV_PORT[$side]}/metrics" | grep -q '^hush_sync_up 1'; then
        log "warning: sync was not up during trial $t"
    fi
    srv_stop "$side"
    srv_remove "$side"
    [ "$M_ERRS" = 0 ] || log "warning: $side trial $t: $M_ERRS errors/non-2xx (see $out)"
    record $SCEN rps "$side" "$t" "$M_RPS"
    record $SCEN cpu_us_per_req "$side" "$t" "$(awk -v c="$M_CPU_NS" -v r="$M_REQS" 'BEGIN { printf "%.4f", c / 1000 / r }')"
    record $SCEN other_cpu_util "$side" "$t" "$M_OTHER_PCT"
    log "$([ "$side" = hush ] && echo "sync on " || echo "sync off") trial $t: $M_RPS req/s, $(values $SCEN cpu_us_per_req "$side" | tail -n 1) us CPU/req"
}

propagation() {
    local sync="sync=redis://127.0.0.1:$REDIS_PORT" res
    srv_start hush-a "$CONF" "SYNC=$sync"
    srv_start hush-b "$CONF" "SYNC=$sync"
    sleep 1
    res=$(python3 "$BENCH_DIR/fleet_propagation.py" "${SRV_PORT[hush-a]}" "${SRV_PORT[hush-b]}" "$BANS") ||
        die "propagation run failed"
    srv_stop hush-a
    srv_stop hush-b
    srv_remove hush-a
    srv_remove hush-b
    echo "$res" | awk '{ printf "   ban propagation A -> B over %d bans: median %.2f ms, p99 %.2f ms, max %.2f ms\n", $1, $2, $3, $4 }' |
        tee -a "$RUN_DIR/$SCEN.table"
}

fleet_main() {
    local t side order on off
    bench_init
    NGINX_BIN=$HUSH_BIN
    redis_start
    : >"$RUN_DIR/$SCEN.tsv"
    check_quiet
    log "$SCEN: $TRIALS trials; redis-server on 127.0.0.1:$REDIS_PORT"
    for t in $(seq "$TRIALS"); do
        if [ $((t % 2)) = 1 ]; then order="nginx hush"; else order="hush nginx"; fi
        for side in $order; do fleet_load "$side" "$t"; done
    done
    summarize $SCEN "hush without sync (column \"nginx\") vs with sync=redis:// (column \"hush\"): keep-alive GET of a 100-byte file through limit_req and a ban zone, access log off (wrk -t1 -c$CONNS -d${DURATION}s)" \
        "rps:requests/s:%.0f" \
        "cpu_us_per_req:server CPU us/request:%.3f" \
        "other_cpu_util:others' CPU % (noise):%.1f"
    on=$(median $(values $SCEN cpu_us_per_req hush)) off=$(median $(values $SCEN cpu_us_per_req nginx))
    awk -v a="$on" -v b="$off" 'BEGIN { printf "   sync on vs off: CPU per request %+.2f %% (aim: under 3 %%)\n", (a / b - 1) * 100 }' |
        tee -a "$RUN_DIR/$SCEN.table"
    propagation
    redis_stop
}

fleet_main "$@"
