#!/usr/bin/env bash
# bench/fastcgi.sh — FastCGI scenario: hush and nginx in front of the same
# PHP-FPM pool (Debian's php-fpm, started here on a unix socket with its own
# php-fpm.conf, stopped by PID), serving a PHP script that prints BODY bytes.
#
# For each trial, for each side (the order alternates between trials), on a
# freshly started server: wrk -t1 -c$CONNS on keep-alive connections to
# /bench.php, WARMUP s of warm-up, then DURATION s measured: requests/s and
# the server's CPU time (master + worker, /proc schedstat) per request, and
# PHP-FPM's. Both sides read the same fastcgi.conf (hush's conf/fastcgi.conf,
# nginx's parameter lines) and open a FastCGI connection per request, as
# Debian's snippet does.
#
# Placement: the server on SERVER_CPU (0); wrk and PHP-FPM on CLIENT_CPU (1).
#
# Usage: bench/fastcgi.sh          (or: bench/run.sh fastcgi)
# Settings: those of lib.sh, plus FPM_CHILDREN [4], BODY [100], FCGI_CONNS (wrk's
# connections) [16, or 4 with FCGI_KEEP=1], FCGI_KEEP [0]:
# 1 passes to an upstream group with keepalive 4 and fastcgi_keep_conn on
# (kept FastCGI connections; FCGI_CONNS must stay at most FPM_CHILDREN, as a
# PHP-FPM child serves one connection at a time).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SCEN=fastcgi
FPM_CHILDREN=${FPM_CHILDREN:-4}
BODY=${BODY:-100}
FCGI_KEEP=${FCGI_KEEP:-0}
# lib.sh's CONNS (64) is too many for FPM_CHILDREN children: FCGI_CONNS sets it here
if [ "$FCGI_KEEP" = 1 ]; then CONNS=${FCGI_CONNS:-4}; else CONNS=${FCGI_CONNS:-16}; fi

side_conf() { if [ "$1" = nginx ]; then echo "$BENCH_DIR/conf/nginx-fastcgi.conf"; else echo "$BENCH_DIR/conf/hush-fastcgi.conf"; fi; }

fpm_start() {
    local bin i user=""
    bin=$(ls /usr/sbin/php-fpm* 2>/dev/null | sort | tail -n 1)
    [ -x "$bin" ] || die "php-fpm is not installed (apt-get install php-fpm)"
    FPM_DIR=$(mktemp -d /tmp/hush-bench-fpm.XXXXXX)
    chmod 755 "$FPM_DIR"
    mkdir -p "$FPM_DIR/app"
    printf '<?php\necho str_repeat("x", %d);\n' "$BODY" >"$FPM_DIR/app/bench.php"
    [ "$(id -u)" = 0 ] && user=$'user = root\ngroup = root'
    cat >"$FPM_DIR/php-fpm.conf" <<CONF
[global]
pid = $FPM_DIR/php-fpm.pid
error_log = $FPM_DIR/php-fpm.log
daemonize = no
[bench]
listen = $FPM_DIR/php.sock
listen.mode = 0666
listen.backlog = 4096
$user
pm = static
pm.max_children = $FPM_CHILDREN
pm.max_requests = 0
CONF
    taskset -c "$CLIENT_CPU" "$bin" -y "$FPM_DIR/php-fpm.conf" -F $([ "$(id -u)" = 0 ] && echo -R) \
        >"$FPM_DIR/stdout" 2>&1 </dev/null &
    FPM_PID=$!
    BG_PIDS="$BG_PIDS $FPM_PID"
    for i in $(seq 50); do
        [ -S "$FPM_DIR/php.sock" ] && return 0
        kill -0 "$FPM_PID" 2>/dev/null || { cat "$FPM_DIR/stdout" >&2; die "php-fpm exited at start"; }
        sleep 0.1
    done
    die "php-fpm did not listen"
}

fpm_stop() {
    kill -QUIT "$FPM_PID" 2>/dev/null
    wait "$FPM_PID" 2>/dev/null
    BG_PIDS=${BG_PIDS/ $FPM_PID/}
    rm -rf "$FPM_DIR"
}

# PHP-FPM's processes: master and children.
fpm_pids() { echo "$FPM_PID" $(pgrep -P "$FPM_PID"); }

fastcgi_load() {
    local side=$1 t=$2 out=$RUN_DIR/$SCEN-wrk-$side-$t.txt url lines f0 f1
    local pass="unix:$FPM_DIR/php.sock" keep=off
    [ "$FCGI_KEEP" = 1 ] && pass=php keep=on
    srv_prepare "$side" "$(side_conf "$side")" "SOCK=$FPM_DIR/php.sock" "APP=$FPM_DIR/app" "PASS=$pass" "KEEP=$keep"
    cp "$ROOT_DIR/conf/fastcgi.conf" "${SRV_PREFIX[$side]}/conf/fastcgi.conf"
    srv_launch "$side" /bench.php
    url="http://127.0.0.1:${SRV_PORT[$side]}/bench.php"
    [ "$WARMUP" -gt 0 ] && wrk_run "$url" "$WARMUP" "$out.warmup"
    sleep 0.2
    f0=$(cpu_ns $(fpm_pids))
    measure_begin "$side"
    wrk_run "$url" "$DURATION" "$out"
    measure_end
    f1=$(cpu_ns $(fpm_pids))
    srv_stop "$side"
    lines=$(access_lines "$side")
    [ "$KEEP" = 1 ] || srv_remove "$side"
    [ "$WRK_ERRS" = 0 ] || log "warning: $side trial $t: $WRK_ERRS errors/non-2xx (see $out)"
    [ "$lines" -ge "$WRK_REQS" ] || log "warning: $side trial $t: access log has $lines lines for $WRK_REQS requests"
    record $SCEN rps "$side" "$t" "$WRK_RPS"
    record $SCEN cpu_us_per_req "$side" "$t" "$(awk -v c="$M_CPU_NS" -v r="$WRK_REQS" 'BEGIN { printf "%.3f", c / 1000 / r }')"
    record $SCEN fpm_us_per_req "$side" "$t" "$(awk -v c=$((f1 - f0)) -v r="$WRK_REQS" 'BEGIN { printf "%.3f", c / 1000 / r }')"
    record $SCEN server_cpu_util "$side" "$t" "$(awk -v c="$M_CPU_NS" -v w="$M_WALL_NS" 'BEGIN { printf "%.1f", c * 100 / w }')"
    record $SCEN errors "$side" "$t" "$WRK_ERRS"
    log "$side trial $t: $WRK_RPS req/s, $(values $SCEN cpu_us_per_req "$side" | tail -n 1) us CPU/req" \
        "(PHP-FPM $(values $SCEN fpm_us_per_req "$side" | tail -n 1)), $WRK_ERRS errors"
}

fastcgi_main() {
    local t side order
    bench_init
    : >"$RUN_DIR/$SCEN.tsv"
    check_quiet
    log "$SCEN: $TRIALS trials; $(sides_desc)"
    fpm_start
    log "php-fpm: $FPM_CHILDREN children on $FPM_DIR/php.sock, pinned to CPU $CLIENT_CPU, $BODY-byte body"
    for t in $(seq "$TRIALS"); do
        order=$(trial_order "$t" $SIDES)
        for side in $order; do fastcgi_load "$side" "$t"; done
    done
    fpm_stop
    summarize $SCEN "keep-alive GET /bench.php through fastcgi_pass to PHP-FPM ($BODY-byte body; wrk -t1 -c$CONNS -d${DURATION}s; fastcgi_keep_conn $([ "$FCGI_KEEP" = 1 ] && echo on || echo off))" \
        "rps:requests/s:%.0f" \
        "cpu_us_per_req:server CPU us/request:%.2f" \
        "fpm_us_per_req:PHP-FPM CPU us/request:%.2f" \
        "server_cpu_util:server CPU busy %:%.1f" \
        "errors:errors:%.0f"
}

fastcgi_main "$@"
