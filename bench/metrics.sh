#!/usr/bin/env bash
# bench/metrics.sh — the cost of metrics: hush with its counters on vs the
# same source compiled with -DHS_NO_METRICS (every counting call an empty
# inline function, no slot, no timer). The issue's bar: < 2 % apart.
#
# Both binaries are built here (bench/out/metrics-on, bench/out/metrics-off)
# from the working tree. lib.sh compares two "sides"; here the "nginx" side
# is the build WITHOUT metrics and the "hush" side the one WITH them, so the
# table's last column is on/off. For each trial (order alternating), on a
# fresh server: WARMUP s, then DURATION s of wrk -t1 -c$CONNS on a 100-byte
# file (access log off), requests/s and server CPU per request.
#
# HUSH2_BIN (a second hush side in the other scenarios) does not apply here:
# both sides are built from the working tree; it is ignored.
#
# Usage: bench/metrics.sh            (or: bench/run.sh metrics)
[ -z "${HUSH2_BIN:-}" ] || echo "bench: metrics: HUSH2_BIN ignored (both sides are builds of the working tree)" >&2
HUSH2_BIN=
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SCEN=metrics
CONF=${HUSH_METRICS_CONF:-$BENCH_DIR/conf/hush-metrics.conf}
FILE=/100b.html

build_both() {
    local flags="-O2 -g -Wall -Wextra -Werror"
    make -s -C "$ROOT_DIR" BUILD="$OUT_DIR/metrics-on" CFLAGS="$flags" "$OUT_DIR/metrics-on/hush" >/dev/null ||
        die "build with metrics failed"
    make -s -C "$ROOT_DIR" BUILD="$OUT_DIR/metrics-off" CFLAGS="$flags -DHS_NO_METRICS" "$OUT_DIR/metrics-off/hush" >/dev/null ||
        die "build without metrics failed"
    NGINX_BIN=$OUT_DIR/metrics-off/hush
    HUSH_BIN=$OUT_DIR/metrics-on/hush
}

metrics_load() {
    local side=$1 t=$2 out=$RUN_DIR/$SCEN-wrk-$side-$t.txt
    srv_start "$side" "$CONF"
    measure_load "$side" "http://127.0.0.1:${SRV_PORT[$side]}$FILE" "$out"
    if [ "$side" = hush ]; then   # the counters saw every request
        local n
        n=$(curl -fsS "http://127.0.0.1:${SRV_PORT[$side]}/metrics" |
            awk '/^hush_requests_total\{.*status="200"/ { s += $2 } END { printf "%d", s }')
        [ "$n" -ge "$M_REQS" ] || log "warning: metrics counted $n requests for wrk's $M_REQS"
    fi
    srv_stop "$side"
    srv_remove "$side"
    [ "$M_ERRS" = 0 ] || log "warning: $side trial $t: $M_ERRS errors/non-2xx (see $out)"
    record $SCEN rps "$side" "$t" "$M_RPS"
    record $SCEN cpu_us_per_req "$side" "$t" "$(awk -v c="$M_CPU_NS" -v r="$M_REQS" 'BEGIN { printf "%.4f", c / 1000 / r }')"
    record $SCEN other_cpu_util "$side" "$t" "$M_OTHER_PCT"
    log "$([ "$side" = hush ] && echo "metrics on " || echo "metrics off") trial $t: $M_RPS req/s, $(values $SCEN cpu_us_per_req "$side" | tail -n 1) us CPU/req, others $M_OTHER_PCT%"
}

metrics_main() {
    local t side order on off
    bench_init
    build_both
    : >"$RUN_DIR/$SCEN.tsv"
    check_quiet
    log "$SCEN: $TRIALS trials; metrics off: $NGINX_BIN; metrics on: $HUSH_BIN"
    for t in $(seq "$TRIALS"); do
        if [ $((t % 2)) = 1 ]; then order="nginx hush"; else order="hush nginx"; fi
        for side in $order; do metrics_load "$side" "$t"; done
    done
    summarize $SCEN "metrics compiled out (column \"nginx\") vs on (column \"hush\"): keep-alive GET of a 100-byte file, access log off (wrk -t1 -c$CONNS -d${DURATION}s)" \
        "rps:requests/s:%.0f" \
        "cpu_us_per_req:server CPU us/request:%.3f" \
        "other_cpu_util:others' CPU % (noise):%.1f"
    # the counting itself, timed in a loop: noise-resistant
    gcc -O2 -std=gnu11 -D_GNU_SOURCE -I"$ROOT_DIR/src" "$BENCH_DIR/metrics_hotpath.c" \
        "$OUT_DIR/metrics-on/libhush.a" -lpcre2-8 -o "$OUT_DIR/metrics_hotpath" || die "cannot build metrics_hotpath"
    local ns cpu
    ns=$(taskset -c "$SERVER_CPU" "$OUT_DIR/metrics_hotpath" | awk '{ print $1 }')
    cpu=$(median $(values $SCEN cpu_us_per_req nginx))
    awk -v n="$ns" -v c="$cpu" 'BEGIN { printf "   counting one request: %.1f ns = %.2f %% of the %.2f us CPU per request without metrics\n", n, n / 10 / c, c }' |
        tee -a "$RUN_DIR/$SCEN.table"
    on=$(median $(values $SCEN rps hush)) off=$(median $(values $SCEN rps nginx))
    awk -v a="$on" -v b="$off" 'BEGIN { printf "   metrics on vs off: requests/s %+.2f %%", (a / b - 1) * 100 }' | tee -a "$RUN_DIR/$SCEN.table"
    on=$(median $(values $SCEN cpu_us_per_req hush)) off=$(median $(values $SCEN cpu_us_per_req nginx))
    awk -v a="$on" -v b="$off" 'BEGIN { printf ", CPU per request %+.2f %% (bar: within 2 %%)\n", (a / b - 1) * 100 }' | tee -a "$RUN_DIR/$SCEN.table"
}

metrics_main "$@"
