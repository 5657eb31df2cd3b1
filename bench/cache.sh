#!/usr/bin/env bash
# bench/cache.sh — cache scenario: proxy_cache hits, beside the same
# server's static file.
#
# For each trial, for each side (nginx tuned, hush with its defaults, hush2
# when set; the order alternates between trials), on a freshly started
# server whose /c/100b is cached (one warm-up request fills the entry from
# an origin server of the same configuration): wrk -t1 -c$CONNS on
# keep-alive connections, WARMUP s then DURATION s measured, first to
# /c/100b (every request a cache HIT, a 100-byte body from the cache file),
# then to /100b.html (the static file): requests/s and the server's CPU
# time (master + worker + cache manager, /proc schedstat) per request of
# each, and their ratio (hit / static) on the same side.
#
# Usage: bench/cache.sh            (or: bench/run.sh cache)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SCEN=cache

side_conf() { if [ "$1" = nginx ]; then echo "$BENCH_DIR/conf/nginx-cache.conf"; else echo "$BENCH_DIR/conf/hush-cache.conf"; fi; }

cpu_per_req() { awk -v c="$M_CPU_NS" -v r="$M_REQS" 'BEGIN { printf "%.3f", c / 1000 / r }'; }

cache_load() {
    local side=$1 t=$2 out=$RUN_DIR/$SCEN-wrk-$side-$t.txt status hit
    srv_prepare "$side" "$(side_conf "$side")" "ORIGIN=$(free_port)"
    srv_launch "$side"
    # the one request that reaches the origin: it fills the entry
    status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${SRV_PORT[$side]}/c/100b")
    [ "$status" = 200 ] || log "warning: $side trial $t: the filling request got $status"
    sleep 0.3
    measure_load "$side" "http://127.0.0.1:${SRV_PORT[$side]}/c/100b" "$out"
    [ "$M_ERRS" = 0 ] || log "warning: $side trial $t: $M_ERRS errors/non-2xx (see $out)"
    record $SCEN rps "$side" "$t" "$M_RPS"
    hit=$(cpu_per_req)
    record $SCEN cpu_us_per_hit "$side" "$t" "$hit"
    measure_load "$side" "http://127.0.0.1:${SRV_PORT[$side]}/100b.html" "$out.static"
    record $SCEN static_rps "$side" "$t" "$M_RPS"
    record $SCEN cpu_us_per_static "$side" "$t" "$(cpu_per_req)"
    record $SCEN hit_vs_static "$side" "$t" "$(awk -v a="$hit" -v b="$(cpu_per_req)" 'BEGIN { printf "%.3f", a / b }')"
    srv_stop "$side"
    srv_remove "$side"
    log "$side trial $t: hits $(values $SCEN rps "$side" | tail -n 1) req/s, $hit us CPU/hit;" \
        "static $(cpu_per_req) us CPU/req"
}

cache_main() {
    local t side order
    bench_init
    : >"$RUN_DIR/$SCEN.tsv"
    check_quiet
    log "$SCEN: $TRIALS trials; $(sides_desc)"
    for t in $(seq "$TRIALS"); do
        order=$(trial_order "$t" $SIDES)
        for side in $order; do cache_load "$side" "$t"; done
    done
    summarize $SCEN "keep-alive GET of a cached 100-byte response (proxy_cache HIT), and of the static 100-byte file (wrk -t1 -c$CONNS -d${DURATION}s)" \
        "rps:hits/s:%.0f" \
        "cpu_us_per_hit:server CPU us/hit:%.2f" \
        "static_rps:static requests/s:%.0f" \
        "cpu_us_per_static:server CPU us/static:%.2f" \
        "hit_vs_static:hit / static CPU:%.2f"
}

cache_main "$@"
