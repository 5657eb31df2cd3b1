#!/usr/bin/env bash
# bench/websocket.sh — WebSocket relay: hush and nginx proxying WebSocket
# tunnels (configured as nginx's documentation shows) to the same echo
# backend (bench/wsbench -b).
#
# For each trial, for each side (the order alternates between trials), on a
# freshly started server: bench/wsbench -c opens WS_CONNS WebSocket
# handshakes through the server, then streams masked binary frames of
# WS_MSG bytes on each, at most WS_WINDOW bytes unanswered per connection,
# and reads the echo: WARMUP s of warm-up (its own connections), then
# DURATION s measured.  Figures: MB/s relayed (bytes the client wrote plus
# bytes it read back: what the server carried both ways), the server's CPU
# time (master + worker, /proc schedstat) per MB relayed, server RSS growth
# over the run, and the access-log lines (one per tunnel, written when it
# ends: 2 x WS_CONNS per trial).
#
# Placement: server on SERVER_CPU (0); client and backend on CLIENT_CPU (1).
#
# Usage: bench/websocket.sh          (or: bench/run.sh websocket)
# Settings: those of lib.sh, plus WS_CONNS [16], WS_MSG [16384] (bytes per
# frame), WS_WINDOW [262144] (bytes in flight per connection).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SCEN=websocket
NGINX_CONF=${NGINX_CONF:-$BENCH_DIR/conf/nginx-websocket.conf}
HUSH_CONF=${HUSH_CONF:-$BENCH_DIR/conf/hush-websocket.conf}
WS_CONNS=${WS_CONNS:-16}
WS_MSG=${WS_MSG:-16384}
WS_WINDOW=${WS_WINDOW:-262144}

side_conf() { case $1 in nginx*) echo "$NGINX_CONF" ;; *) echo "$HUSH_CONF" ;; esac; }

backend_start() {
    local i
    BACKEND_PORT=$(free_port)
    taskset -c "$CLIENT_CPU" "$OUT_DIR/wsbench" -b "$BACKEND_PORT" >/dev/null 2>>"$RUN_DIR/$SCEN-backend.err" </dev/null &
    BACKEND_PID=$!
    BG_PIDS="$BG_PIDS $BACKEND_PID"
    for i in $(seq 50); do
        curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$BACKEND_PORT/" 2>/dev/null && return 0
        sleep 0.1
    done
    die "wsbench backend does not answer on 127.0.0.1:$BACKEND_PORT"
}

backend_stop() {
    kill -TERM "$BACKEND_PID" 2>/dev/null
    wait "$BACKEND_PID" 2>/dev/null
    BG_PIDS=${BG_PIDS/ $BACKEND_PID/}
}

# ws_client SECS OUTFILE: the client in the foreground (its CPU is counted by
# measure_end); sets W_BYTES, W_SECS.
ws_client() {
    local secs=$1 out=$2 pid
    taskset -c "$CLIENT_CPU" "$OUT_DIR/wsbench" -c "${SRV_PORT[$SIDE]}" -n "$WS_CONNS" -d "$secs" \
        -s "$WS_MSG" -w "$WS_WINDOW" >"$out" 2>&1 </dev/null &
    pid=$!
    BG_PIDS="$BG_PIDS $pid"
    wait "$pid" || { cat "$out" >&2; die "$SIDE: wsbench client failed"; }
    BG_PIDS=${BG_PIDS/ $pid/}
    W_BYTES=$(sed -n 's/.*bytes=\([0-9]*\).*/\1/p' "$out")
    W_SECS=$(sed -n 's/.*secs=\([0-9.]*\).*/\1/p' "$out")
    [ -n "$W_BYTES" ] && [ "$W_BYTES" -gt 0 ] || { cat "$out" >&2; die "$SIDE: nothing relayed"; }
}

ws_trial() {
    local side=$1 t=$2 out=$RUN_DIR/$SCEN-$1-$2.txt r0 r1 lines
    SIDE=$side
    srv_prepare "$side" "$(side_conf "$side")" BACKEND_PORT="$BACKEND_PORT"
    srv_launch "$side" /ready
    [ "$WARMUP" -gt 0 ] && ws_client "$WARMUP" "$out.warmup"
    sleep 0.3
    r0=$(rss_kb $(srv_pids "$side"))
    measure_begin "$side"
    ws_client "$DURATION" "$out"
    measure_end
    r1=$(rss_kb $(srv_pids "$side"))
    srv_stop "$side"
    lines=$(access_lines "$side")
    srv_remove "$side"
    local mb
    mb=$(awk -v b="$W_BYTES" 'BEGIN { printf "%.3f", b / 1048576 }')
    record $SCEN mb_per_s "$side" "$t" "$(awk -v m="$mb" -v s="$W_SECS" 'BEGIN { printf "%.1f", m / s }')"
    record $SCEN cpu_ms_per_mb "$side" "$t" "$(awk -v c="$M_CPU_NS" -v m="$mb" 'BEGIN { printf "%.4f", c / 1e6 / m }')"
    record $SCEN rss_growth_kb "$side" "$t" "$((r1 - r0))"
    record $SCEN log_lines "$side" "$t" "$lines"
    record $SCEN other_cpu_util "$side" "$t" "$M_OTHER_PCT"
    log "$side trial $t: $(values $SCEN mb_per_s "$side" | tail -n 1) MB/s," \
        "$(values $SCEN cpu_ms_per_mb "$side" | tail -n 1) ms CPU/MB, RSS +$((r1 - r0)) kB, $lines log lines, others $M_OTHER_PCT%"
}

websocket_main() {
    local t side
    bench_init
    build_client wsbench
    : >"$RUN_DIR/$SCEN.tsv"
    backend_start
    check_quiet
    log "$SCEN: $TRIALS trials, $WS_CONNS tunnels of ${WS_MSG}-byte frames ($WS_WINDOW bytes in flight each); $(sides_desc)"
    for t in $(seq "$TRIALS"); do
        for side in $(trial_order "$t" $SIDES); do ws_trial "$side" "$t"; done
    done
    backend_stop
    summarize $SCEN "WebSocket relay, $WS_CONNS tunnels echoing ${WS_MSG}-byte frames (${DURATION}s; MB counted both ways)" \
        "mb_per_s:MB/s relayed:%.1f" \
        "cpu_ms_per_mb:server CPU ms/MB:%.3f" \
        "rss_growth_kb:server RSS growth kB:%.0f" \
        "log_lines:access-log lines:%.0f" \
        "other_cpu_util:others' CPU % (noise):%.1f"
}

websocket_main "$@"
