#!/usr/bin/env bash
# bench/proxy.sh — proxy scenario: hush and nginx as reverse proxies in front
# of the same fast backend (bench/fastbackend.c), upstream keep-alive on both.
#
#   1. throughput: for each trial, for each side (the order alternates between
#      trials), on a freshly started server: wrk -t1 -c$CONNS on keep-alive
#      connections, WARMUP s of warm-up, then DURATION s measured: requests/s,
#      the server's CPU time (master + worker, /proc schedstat) per request,
#      the backend's, new upstream connections during the run (keep-alive
#      check), server RSS growth during the run.
#   2. 499 detection latency: both servers started fresh; ABORT_TRIALS times,
#      alternating the sides, bench/abortclient sends GET /slow?ms=SLOW_MS
#      through the server, waits ABORT_WAIT_MS and closes; the backend records
#      when the server closed the upstream connection.  Latency = backend's
#      close time - client's close time (CLOCK_MONOTONIC, µs; both processes
#      on the same machine).  Also measured once without a proxy (client
#      straight to the backend): the floor of the method.
#
# Placement: server on SERVER_CPU (0); wrk, the abort client and the backend
# on CLIENT_CPU (1) (BACKEND_CPU to change it).  The server gets a CPU of its
# own, as in the static scenario, and both sides face the same client+backend
# costs on the other CPU.
#
# With HUSH2_BIN set, a third side "hush2" (that binary, hush's config) takes
# part in both parts, in the same trials and abort rounds.
#
# Usage: bench/proxy.sh          (or: bench/run.sh proxy)
# Settings: those of lib.sh, plus BACKEND_CPU [CLIENT_CPU], ABORT_TRIALS [20],
# SLOW_MS [2000], ABORT_WAIT_MS [100], ABORT_GAP_MS [300], BODY [100] (bytes
# of the backend's response body), URL_PATH [/bench].
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SCEN=proxy
NGINX_CONF=${NGINX_CONF:-$BENCH_DIR/conf/nginx-proxy.conf}
HUSH_CONF=${HUSH_CONF:-$BENCH_DIR/conf/hush-proxy.conf}
BACKEND_CPU=${BACKEND_CPU:-$CLIENT_CPU}
ABORT_TRIALS=${ABORT_TRIALS:-20}
SLOW_MS=${SLOW_MS:-2000}
ABORT_WAIT_MS=${ABORT_WAIT_MS:-100}
ABORT_GAP_MS=${ABORT_GAP_MS:-300}
BODY=${BODY:-100}
URL_PATH=${URL_PATH:-/bench}

side_conf() { if [ "$1" = nginx ]; then echo "$NGINX_CONF"; else echo "$HUSH_CONF"; fi; }

# ---------------------------------------------------------------- backend

# Start bench/out/fastbackend on a free port, pinned to BACKEND_CPU; its event
# lines (REQ/CLOSE/DONE of /slow requests) go to BACKEND_EVENTS.
backend_start() {
    local i
    BACKEND_PORT=$(free_port)
    BACKEND_EVENTS=$RUN_DIR/$SCEN-backend-events.txt
    : >"$BACKEND_EVENTS"
    taskset -c "$BACKEND_CPU" prlimit --nofile="$NOFILE:$NOFILE" \
        "$OUT_DIR/fastbackend" -p "$BACKEND_PORT" -b "$BODY" -e "$BACKEND_EVENTS" \
        >/dev/null 2>>"$RUN_DIR/$SCEN-backend.err" </dev/null &
    BACKEND_PID=$!
    BG_PIDS="$BG_PIDS $BACKEND_PID"
    for i in $(seq 50); do
        kill -0 "$BACKEND_PID" 2>/dev/null || { cat "$RUN_DIR/$SCEN-backend.err" >&2; die "fastbackend exited at start"; }
        curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$BACKEND_PORT/__stats" 2>/dev/null && return 0
        sleep 0.1
    done
    die "fastbackend does not answer on 127.0.0.1:$BACKEND_PORT"
}

backend_stop() {
    kill -TERM "$BACKEND_PID" 2>/dev/null
    wait "$BACKEND_PID" 2>/dev/null
    BG_PIDS=${BG_PIDS/ $BACKEND_PID/}
}

# B_CONNS, B_REQS: connections accepted / requests answered so far by the backend.
backend_stats() {
    local s
    kill -0 "$BACKEND_PID" 2>/dev/null || die "fastbackend died (see $RUN_DIR/$SCEN-backend.err)"
    s=$(curl -fsS --max-time 5 "http://127.0.0.1:$BACKEND_PORT/__stats") || die "fastbackend: /__stats failed"
    B_CONNS=$(echo "$s" | sed -n 's/.*conns=\([0-9]*\).*/\1/p')
    B_REQS=$(echo "$s" | sed -n 's/.*reqs=\([0-9]*\).*/\1/p')
}

# Warn when a server's worker changed (crash + respawn) or its error log has
# crit/alert/emerg lines.
check_server_health() {
    local side=$1 t=$2 kids n
    kids=$(pgrep -P "${SRV_PID[$side]}" | tr '\n' ' ')
    [ "$kids" = "${SRV_KIDS[$side]}" ] ||
        log "warning: $side trial $t: worker processes changed from '${SRV_KIDS[$side]}' to '$kids' (a crash?)"
    # (nginx's setrlimit alert: worker_rlimit_nofile above a container's hard limit, harmless)
    n=$(grep -E '\[(crit|alert|emerg)\]' "${SRV_PREFIX[$side]}/logs/error.log" 2>/dev/null | grep -vc 'setrlimit(RLIMIT_NOFILE')
    [ "${n:-0}" = 0 ] || log "warning: $side trial $t: $n crit/alert/emerg lines in error.log: $(grep -E '\[(crit|alert|emerg)\]' "${SRV_PREFIX[$side]}/logs/error.log" | grep -v 'setrlimit(RLIMIT_NOFILE' | head -n 2)"
}

# ---------------------------------------------------------------- throughput

proxy_load() {
    local side=$1 t=$2 out=$RUN_DIR/$SCEN-wrk-$side-$t.txt url lines pids r0 r1 bc0 bc1 c0 q0 bpct
    srv_prepare "$side" "$(side_conf "$side")" "BACKEND_PORT=$BACKEND_PORT"
    srv_launch "$side" "$URL_PATH"
    url="http://127.0.0.1:${SRV_PORT[$side]}$URL_PATH"
    [ "$WARMUP" -gt 0 ] && wrk_run "$url" "$WARMUP" "$out.warmup"
    sleep 0.2
    pids=$(srv_pids "$side")
    r0=$(rss_kb $pids)
    backend_stats; c0=$B_CONNS q0=$B_REQS
    bc0=$(cpu_ns "$BACKEND_PID")
    measure_begin "$side"
    wrk_run "$url" "$DURATION" "$out"
    measure_end
    bc1=$(cpu_ns "$BACKEND_PID")
    backend_stats
    r1=$(rss_kb $pids)
    check_server_health "$side" "$t"
    srv_stop "$side"
    lines=$(access_lines "$side")
    [ "$KEEP" = 1 ] || srv_remove "$side"
    # the /__stats request itself opened one connection
    local new_up=$((B_CONNS - c0 - 1)) breqs=$((B_REQS - q0))
    [ "$WRK_ERRS" = 0 ] || log "warning: $side trial $t: $WRK_ERRS errors/non-2xx (see $out)"
    [ "$lines" -ge "$WRK_REQS" ] || log "warning: $side trial $t: access log has $lines lines for $WRK_REQS requests"
    # wrk counts completed responses; up to CONNS more may be in flight at the end
    [ "$breqs" -ge "$WRK_REQS" ] && [ "$breqs" -le $((WRK_REQS + CONNS)) ] ||
        log "warning: $side trial $t: the backend answered $breqs requests for $WRK_REQS completed by wrk"
    bpct=$(awk -v c=$((bc1 - bc0)) -v w="$M_WALL_NS" 'BEGIN { printf "%.1f", c * 100 / w }')
    record $SCEN rps "$side" "$t" "$WRK_RPS"
    record $SCEN cpu_us_per_req "$side" "$t" "$(awk -v c="$M_CPU_NS" -v r="$WRK_REQS" 'BEGIN { printf "%.3f", c / 1000 / r }')"
    record $SCEN cpu_us_per_req_ticks "$side" "$t" "$(awk -v c="$M_CPU_TICKS" -v h="$CLK_TCK" -v r="$WRK_REQS" 'BEGIN { printf "%.3f", c / h * 1e6 / r }')"
    record $SCEN backend_us_per_req "$side" "$t" "$(awk -v c=$((bc1 - bc0)) -v r="$WRK_REQS" 'BEGIN { printf "%.3f", c / 1000 / r }')"
    record $SCEN server_cpu_util "$side" "$t" "$(awk -v c="$M_CPU_NS" -v w="$M_WALL_NS" 'BEGIN { printf "%.1f", c * 100 / w }')"
    record $SCEN client_cpu_util "$side" "$t" "$(awk -v c="$M_CLIENT_MS" -v w="$M_WALL_NS" 'BEGIN { printf "%.1f", c * 1e8 / w }')"
    record $SCEN backend_cpu_util "$side" "$t" "$bpct"
    # lib's "others" counts everything on the two CPUs but server and wrk: take the backend out
    record $SCEN other_cpu_util "$side" "$t" "$(awk -v o="$M_OTHER_PCT" -v b="$bpct" 'BEGIN { o -= b; if (o < 0) o = 0; printf "%.1f", o }')"
    record $SCEN upstream_new_conns "$side" "$t" "$new_up"
    record $SCEN rss_growth_kb "$side" "$t" "$((r1 - r0))"
    record $SCEN errors "$side" "$t" "$WRK_ERRS"
    record $SCEN log_lines "$side" "$t" "$lines"
    log "$side trial $t: $WRK_RPS req/s, $(values $SCEN cpu_us_per_req "$side" | tail -n 1) us CPU/req" \
        "(backend $(values $SCEN backend_us_per_req "$side" | tail -n 1)), server CPU $(values $SCEN server_cpu_util "$side" | tail -n 1)%," \
        "wrk $(values $SCEN client_cpu_util "$side" | tail -n 1)%, backend $bpct%, others $(values $SCEN other_cpu_util "$side" | tail -n 1)%," \
        "$new_up new upstream conns, RSS +$((r1 - r0)) kB, $WRK_ERRS errors"
}

# ---------------------------------------------------------------- 499 latency

# abort_run PORT ID_PREFIX N GAP_MS: N aborted /slow requests, client pinned
# to CLIENT_CPU; its CLIENT lines are appended to ABORT_CLIENT.
abort_run() {
    local port=$1 prefix=$2 n=$3 gap=$4 apid
    taskset -c "$CLIENT_CPU" "$OUT_DIR/abortclient" -p "$port" -n "$n" -w "$ABORT_WAIT_MS" -s "$SLOW_MS" \
        -g "$gap" -i "$prefix" >>"$ABORT_CLIENT" 2>>"$RUN_DIR/$SCEN-abortclient.err" </dev/null &
    apid=$!
    BG_PIDS="$BG_PIDS $apid"
    wait "$apid" || log "warning: abortclient $prefix: exit status $? (see $RUN_DIR/$SCEN-abortclient.err)"
    BG_PIDS=${BG_PIDS/ $apid/}
}

# Latency (µs) of id ID: backend CLOSE mono_us - client mono_us; "undetected"
# when the backend answered it (DONE) or saw no close; "lost" when the request
# never reached the backend.
abort_latency() {
    awk -v id="$1" '
        function val(k,   i) { for (i = 2; i <= NF; i++) if (index($i, k "=") == 1) return substr($i, length(k) + 2); return "" }
        FNR == 1 { file++ }
        file == 1 && $1 == "CLIENT" && val("id") == id { c = val("mono_us") }
        file == 2 && val("id") == id { if ($1 == "REQ") req = 1; if ($1 == "CLOSE" && b == "") b = val("mono_us"); if ($1 == "DONE") done = 1 }
        END {
            if (c == "") print "noclient"; else if (!req) print "lost"; else if (b != "") print b - c; else print "undetected"
        }' "$ABORT_CLIENT" "$BACKEND_EVENTS"
}

proxy_abort() {
    local t side order lat n499 undetected
    ABORT_CLIENT=$RUN_DIR/$SCEN-abort-client.txt
    : >"$ABORT_CLIENT"
    # the floor of the method: the client straight to the backend, no proxy
    abort_run "$BACKEND_PORT" direct "$ABORT_TRIALS" 100
    for t in $(seq "$ABORT_TRIALS"); do
        lat=$(abort_latency "direct-$t")
        case $lat in *[!0-9-]*) log "direct trial $t: $lat" ;; *) record $SCEN abort_direct_us direct "$t" "$lat" ;; esac
    done
    log "499: client straight to the backend: median $(median $(values $SCEN abort_direct_us direct)) us (the method's floor)"
    for side in $SIDES; do
        srv_prepare "$side" "$(side_conf "$side")" "BACKEND_PORT=$BACKEND_PORT"
        srv_launch "$side" "$URL_PATH"
        # a few requests so that the upstream pool is warm, as in real life
        for t in 1 2 3 4 5; do curl -fsS -o /dev/null "http://127.0.0.1:${SRV_PORT[$side]}$URL_PATH" || die "$side: GET failed"; done
    done
    for t in $(seq "$ABORT_TRIALS"); do
        order=$(trial_order "$t" $SIDES)
        # one client run per abort; its id is SIDE-T-1
        for side in $order; do abort_run "${SRV_PORT[$side]}" "$side-$t" 1 "$ABORT_GAP_MS"; done
    done
    # let any request the servers did not abort run to its end (DONE)
    sleep "$(awk -v s="$SLOW_MS" 'BEGIN { printf "%.1f", s / 1000 + 0.5 }')"
    for side in $SIDES; do
        check_server_health "$side" 499
        srv_stop "$side"
        n499=$(awk '$9 == 499' "${SRV_PREFIX[$side]}/logs/access.log" 2>/dev/null | wc -l)
        [ "$KEEP" = 1 ] || srv_remove "$side"
        undetected=0
        for t in $(seq "$ABORT_TRIALS"); do
            lat=$(abort_latency "$side-$t-1")
            case $lat in
            *[!0-9-]*) undetected=$((undetected + 1)); log "warning: $side 499 trial $t: $lat" ;;
            *) record $SCEN abort_latency_us "$side" "$t" "$lat" ;;
            esac
        done
        record $SCEN abort_undetected "$side" 1 "$undetected"
        record $SCEN abort_log_499 "$side" 1 "$n499"
        [ "$n499" = "$ABORT_TRIALS" ] || log "warning: $side: $n499 lines with status 499 in the access log for $ABORT_TRIALS aborts"
        log "$side 499: median $(median $(values $SCEN abort_latency_us "$side")) us," \
            "max $(values $SCEN abort_latency_us "$side" | sort -g | tail -n 1) us, $undetected not detected, $n499 log lines with 499"
    done
}

# ---------------------------------------------------------------- main

proxy_main() {
    local t side order t1 t2
    bench_init
    build_client fastbackend
    build_client abortclient
    : >"$RUN_DIR/$SCEN.tsv"
    check_quiet
    log "$SCEN: $TRIALS trials + $ABORT_TRIALS aborts; $(sides_desc)"
    backend_start
    log "backend: fastbackend on 127.0.0.1:$BACKEND_PORT, pinned to CPU $BACKEND_CPU, $BODY-byte body"
    for t in $(seq "$TRIALS"); do
        # alternate who goes first, so slow drift (CPU frequency, neighbours) hits all sides
        order=$(trial_order "$t" $SIDES)
        for side in $order; do proxy_load "$side" "$t"; done
    done
    proxy_abort
    backend_stop
    t1=$(summarize $SCEN "keep-alive GET through the proxy to fastbackend ($BODY-byte body; wrk -t1 -c$CONNS -d${DURATION}s; upstream keepalive 64)" \
        "rps:requests/s:%.0f" \
        "cpu_us_per_req:server CPU us/request:%.2f" \
        "backend_us_per_req:backend CPU us/request:%.2f" \
        "server_cpu_util:server CPU busy %:%.1f" \
        "client_cpu_util:wrk CPU busy %:%.1f" \
        "backend_cpu_util:backend CPU busy %:%.1f" \
        "other_cpu_util:others' CPU % (noise):%.1f" \
        "upstream_new_conns:new upstream conns/run:%.0f" \
        "rss_growth_kb:server RSS growth kB/run:%.0f" \
        "cpu_us_per_req_ticks:(ticks) CPU us/request:%.2f")
    t2=$(TRIALS=$ABORT_TRIALS summarize $SCEN "499 detection: client close -> upstream close (GET /slow?ms=$SLOW_MS, client closes after ${ABORT_WAIT_MS}ms)" \
        "abort_latency_us:latency us (median, [min..max]):%.0f" \
        "abort_undetected:not detected (of $ABORT_TRIALS):%.0f" \
        "abort_log_499:access log lines with 499:%.0f")
    {
        echo "$t1"
        echo "$t2"
        echo "   method's floor (client straight to the backend, no proxy): median $(median $(values $SCEN abort_direct_us direct)) us" \
            "[$(values $SCEN abort_direct_us direct | sort -g | head -n 1)..$(values $SCEN abort_direct_us direct | sort -g | tail -n 1)]"
    } >"$RUN_DIR/$SCEN.table"
    cat "$RUN_DIR/$SCEN.table"
}

proxy_main "$@"
