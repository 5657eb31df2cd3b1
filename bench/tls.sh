#!/usr/bin/env bash
# bench/tls.sh — tls scenario: HTTPS on hush and nginx, same certificates,
# one worker each, pinned; server CPU per unit of TLS work (issue 11).
#
# At the start: a CA and two server certificates for localhost and
# *.bench.test (ECDSA P-256, RSA 2048) are made with the openssl command line
# in RUN_DIR/tls-certs; both servers use both (bench/conf/{nginx,hush}-tls.conf).
# Each side's config is tested (-t) first: a hush side whose -t fails (hush
# without TLS yet, or without one of the directives) is skipped with its -t
# error, and the nginx side still runs.
#
# For each trial, fresh servers of every side run at once (idle but for the
# one under load; the order of the sides alternates between trials), and for
# each row below, for each side: WARMUP s of load, then DURATION s measured
# with bench/tlsclient (or wrk), the server's CPU (master + worker, /proc
# schedstat) divided by the units completed:
#   full_ecdsa13  new connection, full handshake (ECDSA P-256 cert, TLS 1.3),
#                 one GET of the 100-byte file, closed: CPU per connection
#   full_rsa13    the same with the RSA 2048 certificate
#   full_ecdsa12  the same in TLS 1.2 (ECDHE-ECDSA-AES256-GCM-SHA384)
#   resumed13     the same, every handshake resumed by a session ticket
#                 (ECDSA, TLS 1.3; the warm-up leaves each client slot a ticket)
#   ka            keep-alive HTTPS: wrk -t1 -c$CONNS on the 100-byte file: CPU per request
#   reject        ClientHello for an unknown name: ssl_reject_handshake on both
#                 sides: CPU per rejected connection
#   ja4           ClientHello of the "bot" profile (no ALPN) for drop.bench.test:
#                 hush drops it at the ClientHello (ssl_hello_drop on a map of
#                 $ssl_ja4), nginx cannot: it completes the handshake and
#                 "return 444": CPU per connection ended
# Then, on another fresh server per side: IDLE_CONNS idle TLS keep-alive
# connections (one GET each): RSS growth of the server / IDLE_CONNS.
#
# Usage: bench/tls.sh            (or: bench/run.sh tls)
# Settings: those of lib.sh, plus TLS_CONNS [CONNS] (tlsclient connections in
# flight), TLS_TIMEOUT [10] (s, per connection), BOT_JA4 [computed by
# tlsclient -J] (the fingerprint hush's map drops).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SCEN=tls
NGINX_CONF=${NGINX_CONF:-$BENCH_DIR/conf/nginx-tls.conf}
HUSH_CONF=${HUSH_CONF:-$BENCH_DIR/conf/hush-tls.conf}
FILE=/100b.html
TLS_CONNS=${TLS_CONNS:-$CONNS}
TLS_TIMEOUT=${TLS_TIMEOUT:-10}
TLSCLIENT=$OUT_DIR/tlsclient

ROWS="full_ecdsa13 full_rsa13 full_ecdsa12 resumed13 ka reject ja4"
# tlsclient arguments of each row (ka runs wrk)
declare -A ROW_ARGS=(
    [full_ecdsa13]="-m full -k ecdsa -V 1.3"
    [full_rsa13]="-m full -k rsa -V 1.3"
    [full_ecdsa12]="-m full -k ecdsa -V 1.2"
    [resumed13]="-m resume -k ecdsa -V 1.3"
    [reject]="-m full -k ecdsa -V 1.3 -s unknown.example"
    [ja4]="-m full -k ecdsa -V 1.3 -A none -s drop.bench.test"
)
# what the first completed handshake of a row must have negotiated
declare -A ROW_EXPECT=(
    [full_ecdsa13]="TLSv1.3 EC-256" [full_rsa13]="TLSv1.3 RSA-2048"
    [full_ecdsa12]="TLSv1.2 EC-256" [resumed13]="TLSv1.3 EC-256"
)
declare -A SKIPPED=()      # side -> why it is skipped
declare -A JA4_SKIPPED=()  # hush side -> why its JA4 rule (and row) is left out

side_conf() { case $1 in nginx*) echo "$NGINX_CONF" ;; *) echo "$HUSH_CONF" ;; esac; }

# ---------------------------------------------------------------- setup

# A CA (ECDSA P-256) and two server certificates it signed, for localhost and
# *.bench.test: ecdsa.{pem,key} (P-256) and rsa.{pem,key} (2048 bits).
tls_certs() {
    local d=$1
    mkdir -p "$d"
    (
        set -e
        cd "$d"
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key
        openssl req -x509 -new -key ca.key -sha256 -days 7 -subj "/CN=hush bench CA" \
            -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -out ca.pem
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ecdsa.key
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key
        for k in ecdsa rsa; do
            {
                echo "subjectAltName=DNS:localhost,DNS:*.bench.test"
                echo "basicConstraints=critical,CA:FALSE"
                [ $k = rsa ] && echo "keyUsage=critical,digitalSignature,keyEncipherment" ||
                    echo "keyUsage=critical,digitalSignature"
                echo "extendedKeyUsage=serverAuth"
            } >$k.ext
            openssl req -new -key $k.key -subj "/CN=localhost" -out $k.csr
            openssl x509 -req -in $k.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 7 -sha256 \
                -extfile $k.ext -out $k.pem
        done
        openssl verify -CAfile ca.pem ecdsa.pem rsa.pem
    ) >"$d/openssl.log" 2>&1 || { cat "$d/openssl.log" >&2; die "cannot make the certificates (see $d/openssl.log)"; }
}

# The JA4 fingerprints of tlsclient's profiles: the bot's goes into hush's map;
# every other profile must differ from it (or hush would drop the other rows).
tls_fingerprints() {
    local row fp
    BOT_JA4=${BOT_JA4:-$("$TLSCLIENT" -J ${ROW_ARGS[ja4]} | awk '{ print $2 }')}
    [ -n "$BOT_JA4" ] || die "tlsclient -J gave no fingerprint"
    log "bot profile JA4 (hush's map drops it): $BOT_JA4"
    for row in full_ecdsa13 full_rsa13 full_ecdsa12 resumed13 reject; do
        fp=$("$TLSCLIENT" -J ${ROW_ARGS[$row]} | awk '{ print $2 }')
        [ "$fp" != "$BOT_JA4" ] || die "the $row profile has the bot's JA4 ($fp): hush would drop it"
    done
}

srv_args() { echo "TLS_PORT=${TLS_PORT[$1]}" "CERT_DIR=$CERT_DIR" "BOT_JA4=$BOT_JA4"; }

# config_test SIDE: -t on the side's rendered config; on failure CT_MSG is
# its first error line (template path instead of the temp one) and CT_LINE
# the line it names.
config_test() {
    local side=$1 bin prefix conf
    bin=$(side_bin "$side") prefix=${SRV_PREFIX[$side]} conf=${SRV_CONF[$side]}
    timeout 20 "$bin" -t -c "$conf" -p "$prefix/" >"$prefix/logs/configtest" 2>&1 </dev/null && return 0
    CT_MSG=$(grep -m 1 -E '\[(emerg|alert|crit|error)\]' "$prefix/logs/configtest" || tail -n 1 "$prefix/logs/configtest")
    # nginx-style lines: no date, no pid
    CT_MSG=$(sed -E 's|^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9:]{8} ||; s|\] [0-9]+#[0-9]+: |] |' <<<"$CT_MSG")
    CT_LINE=$(sed -n "s|.*$conf:\([0-9]*\).*|\1|p" <<<"$CT_MSG")
    CT_MSG=${CT_MSG//$conf/$(side_conf "$side" | sed "s|^$ROOT_DIR/||")}
    return 1
}

# Drop the "# BEGIN ja4" .. "# END ja4" block from the side's rendered config.
strip_ja4() { sed -i '/# BEGIN ja4/,/# END ja4/d' "${SRV_CONF[$1]}"; }

# Render the side's config and test it (-t).  A failing nginx side stops the
# scenario.  A hush side whose error is in the JA4 block (ssl_hello_drop, the
# map on $ssl_ja4) runs without it and without the JA4 row (JA4_SKIPPED[side]);
# any other error skips the side (SKIPPED[side] = the -t error).
tls_precheck() {
    local side=$1 b e
    TLS_PORT[$side]=$(free_port)
    srv_prepare "$side" "$(side_conf "$side")" $(srv_args "$side")
    if ! config_test "$side"; then
        case $side in nginx*) cat "${SRV_PREFIX[$side]}/logs/configtest" >&2; die "$side: config test failed" ;; esac
        b=$(grep -n '# BEGIN ja4' "${SRV_CONF[$side]}" | cut -d: -f1) e=$(grep -n '# END ja4' "${SRV_CONF[$side]}" | cut -d: -f1)
        if [ -n "$b" ] && { { [ -n "$CT_LINE" ] && [ "$CT_LINE" -ge "$b" ] && [ "$CT_LINE" -le "$e" ]; } ||
            grep -qE 'ssl_ja4|ssl_hello_drop|drop_ja4' <<<"$CT_MSG"; }; then
            JA4_SKIPPED[$side]="-t: $CT_MSG"
            strip_ja4 "$side"
            config_test "$side" || { JA4_SKIPPED[$side]=""; SKIPPED[$side]="-t: $CT_MSG"; }
        else
            SKIPPED[$side]="-t: $CT_MSG"
        fi
        [ -z "${SKIPPED[$side]:-}" ] && log "$side: JA4 row skipped: ${JA4_SKIPPED[$side]}" ||
            log "$side side skipped: ${SKIPPED[$side]}"
    fi
    srv_remove "$side"
}

# Start a fresh server for SIDE and check that it serves HTTPS; a hush side
# that does not is skipped (returns 1).
tls_start() {
    local side=$1 err
    TLS_PORT[$side]=$(free_port)
    srv_prepare "$side" "$(side_conf "$side")" $(srv_args "$side")
    [ -z "${JA4_SKIPPED[$side]:-}" ] || strip_ja4 "$side"
    srv_launch "$side"
    if ! err=$(curl -fsS -o /dev/null --max-time 5 --cacert "$CERT_DIR/ca.pem" \
        --resolve "localhost:${TLS_PORT[$side]}:127.0.0.1" "https://localhost:${TLS_PORT[$side]}$FILE" 2>&1); then
        srv_stop "$side"; srv_remove "$side"
        case $side in nginx*) die "$side: no HTTPS on port ${TLS_PORT[$side]}: $err" ;; esac
        SKIPPED[$side]="HTTPS check failed: $err"
        log "$side side skipped: ${SKIPPED[$side]}"
        return 1
    fi
}

tls_stop() { srv_stop "$1"; [ "$KEEP" = 1 ] || srv_remove "$1"; }

active_sides() {
    local s out=""
    for s in $SIDES; do [ -n "${SKIPPED[$s]:-}" ] || out+=" $s"; done
    echo "${out# }"
}

# ---------------------------------------------------------------- rows

# key=value from a tlsclient result line
kv() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }

# One tlsclient row on SIDE's running server: warm-up, then measured.
tls_row() {
    local side=$1 row=$2 t=$3 out=$RUN_DIR/$SCEN-$row-$side-$t.txt port=${TLS_PORT[$1]}
    local args=${ROW_ARGS[$row]} sess="" line units what neg
    [ "$row" = resumed13 ] && { sess=$RUN_DIR/$SCEN-sessions-$side-$t.pem; rm -f "$sess"; args+=" -S $sess"; }
    if [ "$WARMUP" -gt 0 ]; then
        timeout $((WARMUP + TLS_TIMEOUT + 15)) taskset -c "$CLIENT_CPU" "$TLSCLIENT" -p "$port" -c "$TLS_CONNS" \
            -d "$WARMUP" -t "$TLS_TIMEOUT" $args >"$out.warmup" 2>"$out.warmup.err" </dev/null
    fi
    sleep 0.2
    measure_begin "$side"
    timeout $((DURATION + TLS_TIMEOUT + 15)) taskset -c "$CLIENT_CPU" "$TLSCLIENT" -p "$port" -c "$TLS_CONNS" \
        -d "$DURATION" -t "$TLS_TIMEOUT" $args >"$out" 2>"$out.err" </dev/null
    measure_end
    [ -z "$sess" ] || rm -f "$sess"
    line=$(cat "$out")
    [ -n "$line" ] || { cat "$out.err" >&2; log "warning: $side $row trial $t: tlsclient gave no result"; return 0; }
    [ -s "$out.err" ] && log "$side $row trial $t: tlsclient: $(head -n 2 "$out.err" | tr '\n' ' ')"
    local ok hs al rs eo to er bad res
    ok=$(kv ok "$line") hs=$(kv hs_closed "$line") al=$(kv alert "$line") rs=$(kv reset "$line")
    eo=$(kv eof "$line") to=$(kv timeout "$line") er=$(kv error "$line") bad=$(kv badstatus "$line") res=$(kv resumed "$line")
    case $row in
        reject) units=$((al + rs + eo)) what="rejected"
            [ $((ok + hs + bad)) = 0 ] || log "warning: $side reject trial $t: $((ok + hs + bad)) handshakes completed for an unknown name" ;;
        ja4) units=$((al + rs + eo + hs)) what="ended"
            case $side in
                hush*) [ "$hs" = 0 ] || log "warning: $side ja4 trial $t: $hs handshakes completed: the JA4 rule did not drop them (does hush's \$ssl_ja4 agree with tlsclient's $BOT_JA4?)" ;;
                *) [ "$hs" -gt 0 ] || log "warning: $side ja4 trial $t: no handshake completed (expected nginx's handshake + 444)" ;;
            esac
            [ $((ok + bad)) = 0 ] || log "warning: $side ja4 trial $t: $((ok + bad)) connections got a response" ;;
        *) units=$ok what="ok"
            neg="$(kv proto "$line") $(kv key "$line")"
            [ "$neg" = "${ROW_EXPECT[$row]}" ] || log "warning: $side $row trial $t: negotiated $neg, expected ${ROW_EXPECT[$row]}"
            [ $((hs + al + rs + eo + bad)) = 0 ] || log "warning: $side $row trial $t: $((hs + al + rs + eo + bad)) connections failed ($line)"
            [ "$row" != resumed13 ] || [ "$res" = "$ok" ] || log "warning: $side resumed13 trial $t: only $res of $ok handshakes resumed" ;;
    esac
    [ $((to + er)) = 0 ] || log "warning: $side $row trial $t: $to timeouts, $er errors (see $out.err)"
    if [ "${units:-0}" -le 0 ]; then log "warning: $side $row trial $t: no unit completed ($line)"; return 0; fi
    record $SCEN "cpu_$row" "$side" "$t" "$(awk -v c="$M_CPU_NS" -v u="$units" 'BEGIN { printf "%.3f", c / 1000 / u }')"
    record $SCEN "rate_$row" "$side" "$t" "$(awk -v u="$units" -v s="$(kv seconds "$line")" 'BEGIN { printf "%.0f", u / s }')"
    record $SCEN "busy_$row" "$side" "$t" "$(awk -v c="$M_CPU_NS" -v w="$M_WALL_NS" 'BEGIN { printf "%.1f", c * 100 / w }')"
    record $SCEN "others_$row" "$side" "$t" "$M_OTHER_PCT"
    for k in alert reset eof hs_closed; do record $SCEN "n_${row}_$k" "$side" "$t" "$(kv $k "$line")"; done
    log "$side $row trial $t: $units $what, $(values $SCEN "cpu_$row" "$side" | tail -n 1) us server CPU each," \
        "$(values $SCEN "rate_$row" "$side" | tail -n 1)/s, server $(values $SCEN "busy_$row" "$side" | tail -n 1)% busy, others $M_OTHER_PCT%" \
        "[$(kv proto "$line") $(kv key "$line") alert=$al reset=$rs eof=$eo hs_closed=$hs${res:+ resumed=$res}]"
}

# Keep-alive HTTPS requests: wrk on the 100-byte file.
tls_ka() {
    local side=$1 t=$2 out=$RUN_DIR/$SCEN-ka-$side-$t.txt
    measure_load "$side" "https://localhost:${TLS_PORT[$side]}$FILE" "$out"
    [ "$M_ERRS" = 0 ] || log "warning: $side ka trial $t: $M_ERRS errors/non-2xx (see $out)"
    KA_REQS[$side]=$(( ${KA_REQS[$side]:-0} + M_REQS ))
    record $SCEN cpu_ka "$side" "$t" "$(awk -v c="$M_CPU_NS" -v r="$M_REQS" 'BEGIN { printf "%.3f", c / 1000 / r }')"
    record $SCEN rate_ka "$side" "$t" "$M_RPS"
    record $SCEN busy_ka "$side" "$t" "$(awk -v c="$M_CPU_NS" -v w="$M_WALL_NS" 'BEGIN { printf "%.1f", c * 100 / w }')"
    record $SCEN others_ka "$side" "$t" "$M_OTHER_PCT"
    log "$side ka trial $t: $M_RPS req/s, $(values $SCEN cpu_ka "$side" | tail -n 1) us CPU/req, server $(values $SCEN busy_ka "$side" | tail -n 1)% busy, others $M_OTHER_PCT%"
}

# Memory per idle TLS keep-alive connection, on a fresh server.
tls_idle() {
    local side=$1 t=$2 port pids r0 r1 line pid per failed open
    tls_start "$side" || return 0
    port=${TLS_PORT[$side]}
    # warm-up: 20 handshakes + requests one after the other (OpenSSL's lazy state)
    taskset -c "$CLIENT_CPU" "$TLSCLIENT" -p "$port" -c 1 -n 20 -t "$TLS_TIMEOUT" ${ROW_ARGS[full_ecdsa13]} \
        >"$RUN_DIR/$SCEN-idle-warmup-$side-$t.txt" 2>&1 </dev/null
    sleep 0.3
    pids=$(srv_pids "$side")
    r0=$(rss_kb $pids)
    coproc IDLE { exec taskset -c "$CLIENT_CPU" "$TLSCLIENT" -p "$port" -m idle -n "$IDLE_CONNS" -c 128 \
        -d 600 -t 60 -k ecdsa -V 1.3 2>&1; }
    pid=$IDLE_PID
    BG_PIDS="$BG_PIDS $pid"
    line=""
    while read -t 600 -r line <&"${IDLE[0]}"; do
        case $line in READY*) break ;; *) log "tlsclient idle: $line" ;; esac
    done
    case $line in READY*) ;; *) kill "$pid" 2>/dev/null; tls_stop "$side"; log "warning: $side trial $t: idle TLS connections did not get ready"; return 0 ;; esac
    failed=$(kv failed "$line")
    sleep 1    # let the server settle into idle
    r1=$(rss_kb $pids)
    echo status >&"${IDLE[1]}"
    read -t 10 -r line <&"${IDLE[0]}"
    open=$(sed -n 's/^OPEN \([0-9]*\).*/\1/p' <<<"$line")
    echo close >&"${IDLE[1]}"
    wait "$pid" 2>/dev/null
    BG_PIDS=${BG_PIDS/ $pid/}
    tls_stop "$side"
    [ "${failed:-1}" = 0 ] || log "warning: $side trial $t: $failed idle TLS connections failed"
    [ "${open:-0}" = "$IDLE_CONNS" ] || log "warning: $side trial $t: only ${open:-?} of $IDLE_CONNS still open when measured"
    per=$(awk -v d=$((r1 - r0)) -v n="$IDLE_CONNS" 'BEGIN { printf "%.0f", d * 1024 / n }')
    record $SCEN bytes_idle "$side" "$t" "$per"
    record $SCEN idle_rss_growth_kb "$side" "$t" "$((r1 - r0))"
    log "$side trial $t: $IDLE_CONNS idle TLS connections: +$((r1 - r0)) kB RSS, $per bytes each"
}

# ---------------------------------------------------------------- report

med_of() { median $(values $SCEN "$1" "$2"); }

# "0.93" (A/B of the medians) or "-".
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.2f\n", a / b }'; }

# How the reject and ja4 connections ended, summed over the trials.
endings_line() {
    local row=$1 side k n tot out=""
    for side in $SIDES; do
        [ -z "${SKIPPED[$side]:-}" ] || continue
        tot=0
        for k in alert reset eof hs_closed; do tot=$((tot + $(values $SCEN "n_${row}_$k" "$side" | awk '{ s += $1 } END { print s + 0 }'))); done
        [ "$tot" -gt 0 ] || continue
        out+="; $side"
        for k in alert reset eof hs_closed; do
            n=$(values $SCEN "n_${row}_$k" "$side" | awk '{ s += $1 } END { print s + 0 }')
            [ "$n" = 0 ] || out+=" $k $(awk -v n="$n" -v t="$tot" 'BEGIN { printf "%.0f", n * 100 / t }')%"
        done
    done
    echo "${out#; }"
}

# " (alerts received: 112 unrecognized_name)": the alert codes seen in a row.
alert_codes() {
    local c
    c=$(cat "$RUN_DIR/$SCEN-$1"-*.txt 2>/dev/null | sed -n 's/.* alert_codes=\([^ ]*\).*/\1/p' | tr ',' '\n' | grep -v '^-$' | sort -un | tr '\n' ' ')
    c=${c% }
    [ -z "$c" ] || echo " (alerts received: ${c/112/112 unrecognized_name})"
}

tls_report() {
    local side hs row label aim ref n r t
    # worst "others" of the rows, per trial: one noise figure
    for side in $SIDES; do
        for t in $(seq "$TRIALS"); do
            n=$(awk -F'\t' -v s="$side" -v t="$t" '$1 ~ /^others_/ && $2 == s && $3 == t { if ($4 > m) m = $4; f = 1 } END { if (f) print m + 0 }' "$RUN_DIR/$SCEN.tsv")
            [ -z "$n" ] || record $SCEN others_max "$side" "$t" "$n"
        done
    done
    summarize $SCEN "server CPU us per unit (tlsclient $TLS_CONNS in flight / wrk -c$CONNS, ${DURATION}s per row; $IDLE_CONNS idle conns)" \
        "cpu_full_ecdsa13:full ECDSA-P256 TLS1.3:%.1f" \
        "cpu_full_rsa13:full RSA-2048 TLS1.3:%.1f" \
        "cpu_full_ecdsa12:full ECDSA-P256 TLS1.2:%.1f" \
        "cpu_resumed13:resumed (ticket) TLS1.3:%.1f" \
        "cpu_ka:keep-alive request:%.2f" \
        "cpu_reject:rejected (unknown SNI):%.1f" \
        "cpu_ja4:JA4 drop|nginx hs+444:%.1f" \
        "bytes_idle:bytes/idle TLS conn:%.0f" \
        "rate_full_ecdsa13:full ECDSA1.3 conns/s:%.0f" \
        "busy_full_ecdsa13:server busy % (full):%.1f" \
        "rate_reject:rejects/s:%.0f" \
        "rate_ka:keep-alive requests/s:%.0f" \
        "others_max:others' CPU % (worst row):%.1f" >/dev/null
    {
        cat "$RUN_DIR/$SCEN.table"
        hs=$(for s in $SIDES; do case $s in hush*) echo "$s" ;; esac; done)
        printf '   %-32s' "aims (issue 11), vs nginx"
        for side in $hs; do printf ' %11s' "$side"; done
        printf '   aim\n'
        for row in full_ecdsa13:"full ECDSA-P256 TLS1.3":0.95 full_rsa13:"full RSA-2048 TLS1.3":0.95 \
            full_ecdsa12:"full ECDSA-P256 TLS1.2":0.95 resumed13:"resumed (ticket) TLS1.3":0.95 \
            ka:"keep-alive request":0.8 reject:"rejected, vs nginx's reject":0.2 \
            ja4:"JA4 drop, vs nginx's reject":0.2 idle:"bytes/idle TLS conn":0.5; do
            IFS=: read -r r label aim <<<"$row"
            case $r in idle) n=bytes_idle ref=bytes_idle ;; ja4) n=cpu_ja4 ref=cpu_reject ;; *) n=cpu_$r ref=cpu_$r ;; esac
            printf '   %-32s' "$label"
            for side in $hs; do printf ' %11s' "$(ratio "$(med_of "$n" "$side")" "$(med_of "$ref" nginx)")"; done
            printf '   <= %s\n' "$aim"
        done
        printf '   %-32s' "(JA4 drop vs nginx's hs+444)"
        for side in $hs; do printf ' %11s' "$(ratio "$(med_of cpu_ja4 "$side")" "$(med_of cpu_ja4 nginx)")"; done
        printf '\n'
        echo "   endings, rejected: $(endings_line reject)$(alert_codes reject)"
        echo "   endings, JA4 drop: $(endings_line ja4)"
        echo "   bot profile's JA4 (in hush's map): $BOT_JA4"
        for side in $SIDES; do
            [ -z "${SKIPPED[$side]:-}" ] || echo "   $side side skipped: ${SKIPPED[$side]}"
            [ -z "${JA4_SKIPPED[$side]:-}" ] || echo "   $side JA4 row skipped (its config without the JA4 block): ${JA4_SKIPPED[$side]}"
        done
    } >"$RUN_DIR/$SCEN.table.new"
    mv "$RUN_DIR/$SCEN.table.new" "$RUN_DIR/$SCEN.table"
    cat "$RUN_DIR/$SCEN.table"
}

# ---------------------------------------------------------------- main

tls_main() {
    local t side row order active lines
    bench_init
    command -v openssl >/dev/null || die "the openssl command is needed (apt-get install openssl)"
    [ -f /usr/include/openssl/ssl.h ] || "$ROOT_DIR/scripts/deps.sh" build || die "OpenSSL headers missing (libssl-dev)"
    build_client tlsclient -lssl -lcrypto
    "$TLSCLIENT" -T >/dev/null || die "tlsclient's JA4 self-test failed"
    : >"$RUN_DIR/$SCEN.tsv"
    CERT_DIR=$RUN_DIR/tls-certs
    tls_certs "$CERT_DIR"
    tls_fingerprints
    declare -gA TLS_PORT=() KA_REQS=()
    for side in $SIDES; do tls_precheck "$side"; done
    check_quiet
    log "$SCEN: $TRIALS trials; $(sides_desc)"
    for t in $(seq "$TRIALS"); do
        order=$(trial_order "$t" $(active_sides))
        active="" KA_REQS=()
        for side in $order; do tls_start "$side" && active+=" $side"; done
        for row in $ROWS; do
            for side in $active; do
                [ -z "${SKIPPED[$side]:-}" ] || continue
                [ "$row" != ja4 ] || [ -z "${JA4_SKIPPED[$side]:-}" ] || continue
                if [ "$row" = ka ]; then tls_ka "$side" "$t"; else tls_row "$side" "$row" "$t"; fi
            done
        done
        for side in $active; do
            srv_stop "$side"
            lines=$(access_lines "$side")
            [ "$lines" -ge "${KA_REQS[$side]:-0}" ] ||
                log "warning: $side trial $t: access log has $lines lines for ${KA_REQS[$side]} keep-alive requests alone"
            [ "$KEEP" = 1 ] || srv_remove "$side"
        done
        for side in $order; do [ -n "${SKIPPED[$side]:-}" ] || tls_idle "$side" "$t"; done
    done
    tls_report
}

tls_main "$@"
