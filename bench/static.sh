#!/usr/bin/env bash
# bench/static.sh — static scenario: a 100-byte file over keep-alive.
#
# For each trial, for each side (nginx tuned, hush with its defaults, and
# hush2 = HUSH2_BIN with hush's config when set; the order alternates between
# trials), on a freshly started server:
#   1. throughput: wrk -t1 -c$CONNS, WARMUP s of warm-up, then DURATION s
#      measured: requests/s, and the server's CPU time (master + worker,
#      /proc schedstat) divided by the requests wrk completed;
#   2. memory: on another fresh start, IDLE_CONNS idle keep-alive connections,
#      each after one complete GET: RSS growth of the server / IDLE_CONNS.
# Prints the table of medians and ratios (bench/lib.sh summarize).
#
# Usage: bench/static.sh            (or: bench/run.sh static)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SCEN=static
NGINX_CONF=${NGINX_CONF:-$BENCH_DIR/conf/nginx-static.conf}
HUSH_CONF=${HUSH_CONF:-$BENCH_DIR/conf/hush-static.conf}
FILE=/100b.html

side_conf() { if [ "$1" = nginx ]; then echo "$NGINX_CONF"; else echo "$HUSH_CONF"; fi; }

# Throughput and CPU per request on a fresh server.
static_load() {
    local side=$1 t=$2 out=$RUN_DIR/$SCEN-wrk-$side-$t.txt lines
    srv_start "$side" "$(side_conf "$side")"
    measure_load "$side" "http://127.0.0.1:${SRV_PORT[$side]}$FILE" "$out"
    srv_stop "$side"
    lines=$(access_lines "$side")
    srv_remove "$side"
    [ "$M_ERRS" = 0 ] || log "warning: $side trial $t: $M_ERRS errors/non-2xx (see $out)"
    [ "$lines" -ge "$M_REQS" ] || log "warning: $side trial $t: access log has $lines lines for $M_REQS requests"
    record $SCEN rps "$side" "$t" "$M_RPS"
    record $SCEN cpu_us_per_req "$side" "$t" "$(awk -v c="$M_CPU_NS" -v r="$M_REQS" 'BEGIN { printf "%.3f", c / 1000 / r }')"
    record $SCEN cpu_us_per_req_ticks "$side" "$t" "$(awk -v c="$M_CPU_TICKS" -v h="$CLK_TCK" -v r="$M_REQS" 'BEGIN { printf "%.3f", c / h * 1e6 / r }')"
    record $SCEN server_cpu_util "$side" "$t" "$(awk -v c="$M_CPU_NS" -v w="$M_WALL_NS" 'BEGIN { printf "%.1f", c * 100 / w }')"
    record $SCEN client_cpu_util "$side" "$t" "$(awk -v c="$M_CLIENT_MS" -v w="$M_WALL_NS" 'BEGIN { printf "%.1f", c * 1e8 / w }')"
    record $SCEN other_cpu_util "$side" "$t" "$M_OTHER_PCT"
    record $SCEN errors "$side" "$t" "$M_ERRS"
    record $SCEN log_lines "$side" "$t" "$lines"
    log "$side trial $t: $M_RPS req/s, $(values $SCEN cpu_us_per_req "$side" | tail -n 1) us CPU/req, server CPU $(values $SCEN server_cpu_util "$side" | tail -n 1)%, wrk $(values $SCEN client_cpu_util "$side" | tail -n 1)%, others $M_OTHER_PCT%"
}

# Memory per idle keep-alive connection on a fresh server.
static_idle() {
    local side=$1 t=$2 per
    srv_start "$side" "$(side_conf "$side")"
    idle_run "$side" "$FILE" "$IDLE_CONNS"
    srv_stop "$side"
    srv_remove "$side"
    [ "${I_FAILED:-1}" = 0 ] || log "warning: $side trial $t: $I_FAILED idle connections failed"
    [ "${I_OPEN:-0}" = "$IDLE_CONNS" ] || log "warning: $side trial $t: only ${I_OPEN:-?} of $IDLE_CONNS still open when measured"
    per=$(awk -v d="$I_DELTA_KB" -v n="$IDLE_CONNS" 'BEGIN { printf "%.0f", d * 1024 / n }')
    record $SCEN bytes_per_idle_conn "$side" "$t" "$per"
    record $SCEN idle_rss_growth_kb "$side" "$t" "$I_DELTA_KB"
    log "$side trial $t: $IDLE_CONNS idle connections: +$I_DELTA_KB kB RSS, $per bytes each"
}

static_main() {
    local t side order
    bench_init
    : >"$RUN_DIR/$SCEN.tsv"
    check_quiet
    log "$SCEN: $TRIALS trials; $(sides_desc)"
    for t in $(seq "$TRIALS"); do
        # alternate who goes first, so slow drift (CPU frequency, neighbours) hits all sides
        order=$(trial_order "$t" $SIDES)
        for side in $order; do static_load "$side" "$t"; done
        for side in $order; do static_idle "$side" "$t"; done
    done
    summarize $SCEN "keep-alive GET of a 100-byte file (wrk -t1 -c$CONNS -d${DURATION}s; $IDLE_CONNS idle conns)" \
        "rps:requests/s:%.0f" \
        "cpu_us_per_req:server CPU us/request:%.2f" \
        "bytes_per_idle_conn:bytes/idle connection:%.0f" \
        "server_cpu_util:server CPU busy %:%.1f" \
        "client_cpu_util:wrk CPU busy %:%.1f" \
        "other_cpu_util:others' CPU % (noise):%.1f" \
        "cpu_us_per_req_ticks:(ticks) CPU us/request:%.2f"
}

static_main "$@"
