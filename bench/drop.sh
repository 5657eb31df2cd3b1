#!/usr/bin/env bash
# bench/drop.sh — drop scenario: a new connection per request, each dropped.
#
# bench/dropclient keeps CONNS (64) connections in flight, each sending one
# request with "Host: unknown.example" that the server drops without a byte:
#   nginx        default_server { return 444; }             (request phase)
#   hush         the same config                            (request phase)
#   hush-accept  deny_addr 127.0.0.2, client bound to it    (accept phase)
#   nginx-deferred  nginx's config with "listen ... deferred", the setting
#                hush uses by default: the fair like-for-like comparison
#   hush2, hush2-accept  with HUSH2_BIN set: hush and hush-accept run by
#                that binary, in the same trials (old build vs new)
# On a small machine the client limits the drop rate (~22k/s for any server),
# so the figure that matters is the server's CPU time per dropped connection
# (master + worker, /proc schedstat before and after). Aims: hush ≤ 0.9×
# nginx for the Host rule, accept phase ≤ 0.6×.
#
# Usage: bench/drop.sh            (or: bench/run.sh drop)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SCEN=drop
NGINX_CONF=${NGINX_CONF:-$BENCH_DIR/conf/nginx-drop.conf}
HUSH_CONF=${HUSH_CONF:-$BENCH_DIR/conf/hush-drop.conf}
SIDES=$(with_hush2 nginx hush hush-accept nginx-deferred)

side_conf() { case $1 in nginx*) echo "$NGINX_CONF" ;; *) echo "$HUSH_CONF" ;; esac; }
side_args() { [ "$1" = nginx-deferred ] && echo "DEFERRED= deferred" || echo "DEFERRED="; }

drop_load() {
    local side=$1 t=$2 out=$RUN_DIR/$SCEN-$side-$t.txt src="" c0 c1 drops ans errs secs
    case $side in *-accept) src=127.0.0.2 ;; esac
    srv_start "$side" "$(side_conf "$side")" "$(side_args "$side")"
    timeout $((WARMUP + 5)) taskset -c "$CLIENT_CPU" "$OUT_DIR/dropclient" "${SRV_PORT[$side]}" "$WARMUP" "$CONNS" unknown.example $src >/dev/null
    c0=$(cpu_ns $(srv_pids "$side"))
    timeout $((DURATION + 5)) taskset -c "$CLIENT_CPU" "$OUT_DIR/dropclient" "${SRV_PORT[$side]}" "$DURATION" "$CONNS" unknown.example $src >"$out"
    c1=$(cpu_ns $(srv_pids "$side"))
    srv_stop "$side"
    srv_remove "$side"
    read -r _ drops _ ans _ errs _ secs <"$out"
    [ "$ans" = 0 ] || log "warning: $side trial $t: $ans connections got an answer"
    [ "$errs" = 0 ] || log "warning: $side trial $t: $errs client errors"
    record $SCEN drops_per_s "$side" "$t" "$(awk -v d="$drops" -v s="$secs" 'BEGIN { printf "%.0f", d / s }')"
    record $SCEN cpu_us_per_drop "$side" "$t" "$(awk -v c="$((c1 - c0))" -v d="$drops" 'BEGIN { printf "%.3f", c / 1000 / d }')"
    log "$side trial $t: $drops drops in ${secs}s, $(values $SCEN cpu_us_per_drop "$side" | tail -n 1) us server CPU per drop"
}

drop_main() {
    local t side order med_n med_h med_a med_d med_h2 med_a2
    bench_init
    build_client dropclient
    : >"$RUN_DIR/$SCEN.tsv"
    check_quiet
    log "$SCEN: $TRIALS trials; $(sides_desc)"
    for t in $(seq "$TRIALS"); do
        order=$(trial_order "$t" $SIDES)
        for side in $order; do drop_load "$side" "$t"; done
    done
    summarize $SCEN "new connection per request, each dropped (dropclient, $CONNS in flight, ${DURATION}s)" \
        "drops_per_s:drops/s:%.0f" \
        "cpu_us_per_drop:server CPU us/drop:%.2f"
    med_n=$(median $(values $SCEN cpu_us_per_drop nginx))
    med_h=$(median $(values $SCEN cpu_us_per_drop hush))
    med_a=$(median $(values $SCEN cpu_us_per_drop hush-accept))
    med_d=$(median $(values $SCEN cpu_us_per_drop nginx-deferred))
    awk -v n="$med_n" -v h="$med_h" -v a="$med_a" -v d="$med_d" 'BEGIN {
        printf "   CPU per drop vs nginx return 444: Host rule %.2fx (aim <= 0.9), accept-phase deny_addr %.2fx (aim <= 0.6)\n", h / n, a / n
        printf "   vs nginx with listen ... deferred: Host rule %.2fx, accept-phase deny_addr %.2fx\n", h / d, a / d }' |
        tee -a "$RUN_DIR/$SCEN.table"
    [ -n "$HUSH2_BIN" ] || return 0
    med_h2=$(median $(values $SCEN cpu_us_per_drop hush2))
    med_a2=$(median $(values $SCEN cpu_us_per_drop hush2-accept))
    awk -v n="$med_n" -v h="$med_h" -v a="$med_a" -v d="$med_d" -v h2="$med_h2" -v a2="$med_a2" 'BEGIN {
        printf "   hush2 CPU per drop vs nginx return 444: Host rule %.2fx, accept-phase deny_addr %.2fx\n", h2 / n, a2 / n
        printf "   hush2 vs nginx with listen ... deferred: Host rule %.2fx, accept-phase deny_addr %.2fx\n", h2 / d, a2 / d
        printf "   hush2/hush: Host rule %.2fx, accept-phase deny_addr %.2fx\n", h2 / h, a2 / a }' |
        tee -a "$RUN_DIR/$SCEN.table"
}

drop_main "$@"
