#!/usr/bin/env bash
# bench/h2.sh — h2 scenario: HTTP/2 over TLS on hush and nginx 1.22
# (`listen ... ssl http2`), the same ECDSA certificate, one worker each,
# pinned; h2load (nghttp2-client) is the client (issue 13).
#
# For each trial, on a fresh server per side (the order alternates):
#   file   h2load -c H2_CONNS -m 100 on the 100-byte file, WARMUP_REQS then
#          H2_REQS requests measured: server CPU µs per request, requests/s
#   proxy  the same through the proxy to bench/out/fastbackend (an HTTP/1.1
#          upstream, keep-alive): server CPU µs per request
#   flood  bench/h2flood.py (a rapid-reset attacker: HEADERS + RST_STREAM in
#          bursts on FLOOD_CONNS connections, reconnecting when dropped) for
#          FLOOD_SECONDS, beside a good client (h2load at GOOD_RATE
#          connections/s, each GOOD_REQS requests, --log-file): the good
#          client's success % and p99 latency (ms), and the server's CPU in %
#          of one CPU while the flood runs (the attacker connects from
#          127.0.0.2, the good client from 127.0.0.1)
#   flood_ban  the same against hush's second address, whose server has
#          `ban zone=h2flood` (two flood drops ban the attacker's address at
#          accept); nginx, which has no such rule, gets the same flood again
#
# Aims (issue 13): file and proxy ≤ 0.8× nginx's CPU per request; under the
# flood the good client keeps ≥ 99 % success and hush spends ≤ 0.5× nginx's CPU.
#
# Usage: bench/h2.sh            (or: bench/run.sh h2)
# Settings: those of lib.sh, plus H2_CONNS [4], H2_REQS [200000],
# WARMUP_REQS [20000], FLOOD_SECONDS [DURATION], FLOOD_CONNS [4],
# GOOD_RATE [20], GOOD_REQS [20].
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SCEN=h2
NGINX_CONF=${NGINX_CONF:-$BENCH_DIR/conf/nginx-h2.conf}
HUSH_CONF=${HUSH_CONF:-$BENCH_DIR/conf/hush-h2.conf}
H2_CONNS=${H2_CONNS:-4}
H2_REQS=${H2_REQS:-200000}
WARMUP_REQS=${WARMUP_REQS:-20000}
FLOOD_SECONDS=${FLOOD_SECONDS:-$DURATION}
FLOOD_CONNS=${FLOOD_CONNS:-4}
GOOD_RATE=${GOOD_RATE:-20}
GOOD_REQS=${GOOD_REQS:-20}
BACKEND_CPU=${BACKEND_CPU:-$CLIENT_CPU}
declare -A H2_PORT=() H2BAN_PORT=()

side_conf() { case $1 in nginx*) echo "$NGINX_CONF" ;; *) echo "$HUSH_CONF" ;; esac; }

# A self-signed ECDSA P-256 certificate for localhost (h2load does not verify).
h2_cert() {
    CERT_DIR=$RUN_DIR/h2-certs
    mkdir -p "$CERT_DIR"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 7 -subj /CN=localhost \
        -keyout "$CERT_DIR/ecdsa.key" -out "$CERT_DIR/ecdsa.pem" >"$CERT_DIR/openssl.log" 2>&1 ||
        die "cannot make the certificate (see $CERT_DIR/openssl.log)"
    chmod 644 "$CERT_DIR/ecdsa.key"   # nginx's master reads it as root anyway
}

backend_start() {
    local i
    BACKEND_PORT=$(free_port)
    taskset -c "$BACKEND_CPU" prlimit --nofile="$NOFILE:$NOFILE" "$OUT_DIR/fastbackend" -p "$BACKEND_PORT" -b 100 \
        >/dev/null 2>>"$RUN_DIR/$SCEN-backend.err" </dev/null &
    BACKEND_PID=$!
    BG_PIDS="${BG_PIDS:-} $BACKEND_PID"
    for i in $(seq 50); do
        curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$BACKEND_PORT/__stats" 2>/dev/null && return 0
        sleep 0.1
    done
    die "fastbackend does not answer on 127.0.0.1:$BACKEND_PORT"
}

h2_start() {
    local side=$1
    H2_PORT[$side]=$(free_port)
    H2BAN_PORT[$side]=$(free_port)
    case $side in nginx*) H2BAN_PORT[$side]=${H2_PORT[$side]} ;; esac
    srv_start "$side" "$(side_conf "$side")" "H2_PORT=${H2_PORT[$side]}" "H2BAN_PORT=${H2BAN_PORT[$side]}" \
        "CERT_DIR=$CERT_DIR" "BACKEND_PORT=$BACKEND_PORT"
}

# h2load_run ARGS...: h2load pinned to CLIENT_CPU; sets H_DONE, H_OK, H_RPS.
h2load_run() {
    local out=$RUN_DIR/$SCEN-h2load.txt
    taskset -c "$CLIENT_CPU" h2load "$@" >"$out" 2>&1
    H_DONE=$(sed -n 's/^requests: .* \([0-9]*\) done.*/\1/p' "$out")
    H_OK=$(sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p' "$out")
    H_RPS=$(sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p' "$out")
    [ -n "$H_OK" ] || { cat "$out" >&2; die "h2load gave no result"; }
}

# file / proxy: CPU per request on a fresh server.
h2_load() {
    local side=$1 t=$2 row=$3 path=$4 url
    url="https://127.0.0.1:${H2_PORT[$side]}$path"
    h2load_run -n "$WARMUP_REQS" -c "$H2_CONNS" -m 100 "$url"
    measure_begin "$side"
    h2load_run -n "$H2_REQS" -c "$H2_CONNS" -m 100 "$url"
    measure_end
    [ "$H_OK" = "$H2_REQS" ] || log "warning: $side trial $t $row: $H_OK of $H2_REQS succeeded"
    record $SCEN "${row}_cpu_us_per_req" "$side" "$t" "$(awk -v c="$M_CPU_NS" -v r="$H_DONE" 'BEGIN { printf "%.3f", c / 1000 / r }')"
    record $SCEN "${row}_rps" "$side" "$t" "$H_RPS"
    log "$side trial $t $row: $H_RPS req/s, $(values $SCEN "${row}_cpu_us_per_req" "$side" | tail -n 1) us CPU/req"
}

# flood: a rapid-reset attacker beside a good client (row flood: PORT is
# H2_PORT; flood_ban: H2BAN_PORT).
h2_flood() {
    local side=$1 t=$2 row=$3 port=$4 flood_pid good_log=$RUN_DIR/$SCEN-good-$1-$t-$3.log p99
    taskset -c "$CLIENT_CPU" python3 "$BENCH_DIR/h2flood.py" "$port" "$FLOOD_SECONDS" "$FLOOD_CONNS" \
        >"$RUN_DIR/$SCEN-$row-$side-$t.txt" 2>&1 &
    flood_pid=$!
    BG_PIDS="$BG_PIDS $flood_pid"
    sleep 0.5
    measure_begin "$side"
    h2load_run -r "$GOOD_RATE" -c $((GOOD_RATE * (FLOOD_SECONDS - 1))) -n $((GOOD_RATE * (FLOOD_SECONDS - 1) * GOOD_REQS)) \
        -m 1 -T 5 --log-file="$good_log" "https://127.0.0.1:$port/100b.html"
    measure_end
    wait "$flood_pid"
    BG_PIDS=${BG_PIDS/ $flood_pid/}
    p99=$(awk -F'\t' '{ print $3 / 1000 }' "$good_log" | sort -g | awk '{ v[NR] = $1 } END { i = int(NR * 0.99); if (i < 1) i = 1; print v[i] + 0 }')
    record $SCEN "${row}_good_success" "$side" "$t" "$(awk -v o="$H_OK" -v n=$((GOOD_RATE * (FLOOD_SECONDS - 1) * GOOD_REQS)) 'BEGIN { printf "%.2f", o * 100 / n }')"
    record $SCEN "${row}_good_p99_ms" "$side" "$t" "$p99"
    record $SCEN "${row}_server_cpu" "$side" "$t" "$(awk -v c="$M_CPU_NS" -v w="$M_WALL_NS" 'BEGIN { printf "%.1f", c * 100 / w }')"
    log "$side trial $t $row: $(cat "$RUN_DIR/$SCEN-$row-$side-$t.txt"); good client $H_OK ok, p99 ${p99} ms, server CPU $(values $SCEN "${row}_server_cpu" "$side" | tail -n 1)%"
}

h2_main() {
    local t side order
    bench_init
    command -v h2load >/dev/null || die "h2load not found (scripts/deps.sh bench: nghttp2-client)"
    : >"$RUN_DIR/$SCEN.tsv"
    build_client fastbackend
    h2_cert
    backend_start
    check_quiet
    log "$SCEN: $TRIALS trials; $(sides_desc)"
    for t in $(seq "$TRIALS"); do
        order=$(trial_order "$t" $SIDES)
        for side in $order; do
            h2_start "$side"
            h2_load "$side" "$t" file /100b.html
            h2_load "$side" "$t" proxy /proxy/x
            h2_flood "$side" "$t" flood "${H2_PORT[$side]}"
            h2_flood "$side" "$t" flood_ban "${H2BAN_PORT[$side]}"
            srv_stop "$side"
            srv_remove "$side"
        done
    done
    summarize $SCEN "HTTP/2 over TLS: h2load -c$H2_CONNS -m100 (100-byte file; through the proxy), and a rapid-reset flood (${FLOOD_CONNS} attackers, ${FLOOD_SECONDS}s) beside a good client" \
        "file_cpu_us_per_req:file CPU us/request:%.2f" \
        "file_rps:file requests/s:%.0f" \
        "proxy_cpu_us_per_req:proxy CPU us/request:%.2f" \
        "proxy_rps:proxy requests/s:%.0f" \
        "flood_good_success:flood good client ok %:%.2f" \
        "flood_good_p99_ms:flood good p99 ms:%.1f" \
        "flood_server_cpu:flood server CPU %:%.1f" \
        "flood_ban_good_success:flood+ban good client ok %:%.2f" \
        "flood_ban_good_p99_ms:flood+ban good p99 ms:%.1f" \
        "flood_ban_server_cpu:flood+ban server CPU %:%.1f"
}

h2_main
