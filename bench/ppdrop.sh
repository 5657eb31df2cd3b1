#!/usr/bin/env bash
# bench/ppdrop.sh — the PROXY protocol's cost per connection: the drop
# scenario (bench/drop.sh: a new connection per request for an unknown Host,
# dropped with return 444) behind a load balancer, each connection starting
# with a PROXY v2 header (PROXY_HEADER=v1 for the text one):
#   nginx, hush          on "listen ... proxy_protocol", the header, then the request
#   nginx-plain, hush-plain   the same server's plain address, no header
#   hush-deny            the header's source is in deny_addr: dropped as
#                        soon as the header is read, before the request
# nginx listens with "deferred" here, as hush does by default (like for like).
# The figure is the server's CPU time per dropped connection (master +
# worker, /proc schedstat); the PROXY header's cost is the difference
# between a side and its plain twin.
#
# Usage: bench/ppdrop.sh            (or: bench/run.sh ppdrop)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SCEN=ppdrop
NGINX_CONF=${NGINX_CONF:-$BENCH_DIR/conf/nginx-ppdrop.conf}
HUSH_CONF=${HUSH_CONF:-$BENCH_DIR/conf/hush-ppdrop.conf}
PROXY_HEADER=${PROXY_HEADER:-v2}
SIDES=$(with_hush2 nginx hush nginx-plain hush-plain hush-deny)

side_conf() { case $1 in nginx*) echo "$NGINX_CONF" ;; *) echo "$HUSH_CONF" ;; esac; }

ppdrop_load() {
    local side=$1 t=$2 out=$RUN_DIR/$SCEN-$side-$t.txt port c0 c1 drops ans errs secs hdr=$PROXY_HEADER src=203.0.113.7
    srv_prepare "$side" "$(side_conf "$side")" "DEFERRED= deferred" "PPPORT=$(free_port)"
    srv_launch "$side"
    port=$(sed -n 's/.*listen 127.0.0.1:\([0-9]*\) default_server proxy_protocol.*/\1/p' "${SRV_CONF[$side]}")
    case $side in *-plain) port=${SRV_PORT[$side]} hdr= ;; *-deny) src=198.51.100.9 ;; esac
    PROXY_HEADER=$hdr PROXY_SRC=$src timeout $((WARMUP + 5)) taskset -c "$CLIENT_CPU" \
        "$OUT_DIR/dropclient" "$port" "$WARMUP" "$CONNS" unknown.example >/dev/null
    c0=$(cpu_ns $(srv_pids "$side"))
    PROXY_HEADER=$hdr PROXY_SRC=$src timeout $((DURATION + 5)) taskset -c "$CLIENT_CPU" \
        "$OUT_DIR/dropclient" "$port" "$DURATION" "$CONNS" unknown.example >"$out"
    c1=$(cpu_ns $(srv_pids "$side"))
    srv_stop "$side"
    srv_remove "$side"
    read -r _ drops _ ans _ errs _ secs _ <"$out"
    [ "$ans" = 0 ] || log "warning: $side trial $t: $ans connections got an answer"
    [ "$errs" = 0 ] || log "warning: $side trial $t: $errs client errors"
    record $SCEN drops_per_s "$side" "$t" "$(awk -v d="$drops" -v s="$secs" 'BEGIN { printf "%.0f", d / s }')"
    record $SCEN cpu_us_per_drop "$side" "$t" "$(awk -v c="$((c1 - c0))" -v d="$drops" 'BEGIN { printf "%.3f", c / 1000 / d }')"
    log "$side trial $t: $drops drops in ${secs}s, $(values $SCEN cpu_us_per_drop "$side" | tail -n 1) us server CPU per drop"
}

ppdrop_main() {
    local t side order n h np hp hd
    bench_init
    build_client dropclient
    : >"$RUN_DIR/$SCEN.tsv"
    check_quiet
    log "$SCEN: $TRIALS trials, PROXY $PROXY_HEADER; $(sides_desc)"
    for t in $(seq "$TRIALS"); do
        order=$(trial_order "$t" $SIDES)
        for side in $order; do ppdrop_load "$side" "$t"; done
    done
    summarize $SCEN "a new connection per request with a PROXY $PROXY_HEADER header, each dropped (dropclient, $CONNS in flight, ${DURATION}s)" \
        "drops_per_s:drops/s:%.0f" \
        "cpu_us_per_drop:server CPU us/drop:%.2f"
    n=$(median $(values $SCEN cpu_us_per_drop nginx))
    h=$(median $(values $SCEN cpu_us_per_drop hush))
    np=$(median $(values $SCEN cpu_us_per_drop nginx-plain))
    hp=$(median $(values $SCEN cpu_us_per_drop hush-plain))
    hd=$(median $(values $SCEN cpu_us_per_drop hush-deny))
    awk -v n="$n" -v h="$h" -v np="$np" -v hp="$hp" -v hd="$hd" 'BEGIN {
        printf "   CPU per drop with the header vs nginx: hush %.2fx; deny_addr on the PROXY source %.2fx\n", h / n, hd / n
        printf "   the header'"'"'s cost per connection: nginx %+.2f us, hush %+.2f us\n", n - np, h - hp }' |
        tee -a "$RUN_DIR/$SCEN.table"
}

ppdrop_main "$@"
