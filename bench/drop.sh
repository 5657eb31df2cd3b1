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
#                (nginx's cheapest drop)
#   hush-reset   hush's Host rule with drop_mode reset (RST, not FIN)
#   hush-kernel  deny_addr 127.0.0.2 with deny_addr_mode kernel: the SYN is
#                dropped by the eBPF filter; the client (HOLD_MS=0) gives
#                each attempt up as soon as connect() returns, since no
#                SYN-ACK will come (a real client would resend the SYN after
#                1 s, 3 s, ... each resend dropped the same way). Needs
#                root: skipped, with the reason, when hush -t says the
#                kernel mode cannot be used here.
#   hush-kernel-syn  the same server; the client (RAW_SYN=1) sends bare SYNs
#                from a raw socket, a new source port each: what one dropped
#                SYN costs the machine without a client socket around it
#                (a resend costs exactly that)
#   DROP_SIDES="a b ..." runs only those sides.
#   hush2, hush2-accept  with HUSH2_BIN set: hush and hush-accept run by
#                that binary, in the same trials (old build vs new)
# Figures per side: attempts/s (what the client managed), the server's CPU
# per drop (master + worker, /proc schedstat), the whole machine's CPU per
# attempt (every CPU incl. softirq, /proc/stat: the kernel's work on both
# ends and the client too) and the client's own CPU per attempt; and what
# the client saw (closed / reset / no SYN-ACK). On a shared machine the
# /proc/stat figure also holds the neighbours' work: the sum of the server's,
# the client's and the ksoftirqd threads' CPU is the attributable figure
# (without IRQ time accounting, softirq work done in a task's context is
# charged to that task: on loopback the receive path runs in the sender's
# context, so this sum holds both ends' kernel work). Aims: machine CPU per
# kernel-dropped attempt ≤ 0.1× nginx-deferred's; Host rule ≤ 0.85×
# nginx-deferred (server CPU).
#
# Usage: bench/drop.sh            (or: bench/run.sh drop)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SCEN=drop
NGINX_CONF=${NGINX_CONF:-$BENCH_DIR/conf/nginx-drop.conf}
HUSH_CONF=${HUSH_CONF:-$BENCH_DIR/conf/hush-drop.conf}

side_conf() { case $1 in nginx*) echo "$NGINX_CONF" ;; *) echo "$HUSH_CONF" ;; esac; }
side_args() { # one placeholder=value a line
    case $1 in
    nginx-deferred) echo "DEFERRED= deferred" ;;
    nginx*) echo "DEFERRED=" ;;
    *-kernel | *-kernel-syn) printf '%s\n' DENY_MODE=kernel DROP_MODE=close ;;
    *-reset) printf '%s\n' DENY_MODE=accept DROP_MODE=reset ;;
    *) printf '%s\n' DENY_MODE=accept DROP_MODE=close ;;
    esac
}

# hush-kernel only where the filter loads (root, BPF): hush -t says.
kernel_side() {
    local d out
    d=$(mktemp -d /tmp/hush-bench-probe.XXXXXX)
    printf 'events {}\nhttp { deny_addr_mode kernel; deny_addr 127.0.0.2; }\n' >"$d/t.conf"
    out=$("$HUSH_BIN" -t -p "$d" -c "$d/t.conf" 2>&1)
    rm -rf "$d"
    if grep -q 'drop in the kernel' <<<"$out"; then echo hush-kernel hush-kernel-syn; else
        log "no hush-kernel side: $(tail -n 1 <<<"$out")"; fi
}

SIDES=${DROP_SIDES:-"$(with_hush2 nginx hush hush-accept nginx-deferred) hush-reset $(kernel_side)"}

case " $SIDES " in *" nginx "*) ;; *) RATIOS="" ;; esac

drop_load() {
    local side=$1 t=$2 out=$RUN_DIR/$SCEN-$side-$t.txt src="" c0 c1 m0 m1 k0 s0 s1 drops ans errs secs unans attempts hold=
    local softirqd
    softirqd=$(pgrep -x 'ksoftirqd/[0-9]*' | tr '\n' ' ')
    local raw=
    case $side in *-accept | *-kernel | *-kernel-syn) src=127.0.0.2 ;; esac
    case $side in *-kernel) hold=0 ;; *-kernel-syn) raw=1 ;; esac
    local -a args
    mapfile -t args < <(side_args "$side")
    srv_start "$side" "$(side_conf "$side")" "${args[@]}"
    RAW_SYN=$raw HOLD_MS=$hold timeout $((WARMUP + 5)) taskset -c "$CLIENT_CPU" "$OUT_DIR/dropclient" "${SRV_PORT[$side]}" "$WARMUP" "$CONNS" unknown.example $src >/dev/null
    c0=$(cpu_ns $(srv_pids "$side")) m0=$(machine_busy_ticks) s0=$(cpu_ns $softirqd)
    children_cpu_ms; k0=$CHILD_MS
    RAW_SYN=$raw HOLD_MS=$hold timeout $((DURATION + 5)) taskset -c "$CLIENT_CPU" "$OUT_DIR/dropclient" "${SRV_PORT[$side]}" "$DURATION" "$CONNS" unknown.example $src >"$out"
    children_cpu_ms
    c1=$(cpu_ns $(srv_pids "$side")) m1=$(machine_busy_ticks) s1=$(cpu_ns $softirqd)
    srv_stop "$side"
    srv_remove "$side"
    read -r _ drops _ ans _ errs _ secs _ unans <"$out"
    attempts=$((drops + unans))
    case $side in
    *-kernel | *-kernel-syn) [ "$drops" = 0 ] && [ "$ans" = 0 ] || log "warning: $side trial $t: $ans attempts got a SYN-ACK" ;;
    *) [ "$ans" = 0 ] || log "warning: $side trial $t: $ans connections got an answer" ;;
    esac
    [ "$errs" = 0 ] || log "warning: $side trial $t: $errs client errors"
    record $SCEN drops_per_s "$side" "$t" "$(awk -v d="$attempts" -v s="$secs" 'BEGIN { printf "%.0f", d / s }')"
    record $SCEN cpu_us_per_drop "$side" "$t" "$(awk -v c="$((c1 - c0))" -v d="$attempts" 'BEGIN { printf "%.3f", c / 1000 / d }')"
    record $SCEN machine_us_per_attempt "$side" "$t" \
        "$(awk -v m="$((m1 - m0))" -v h="$CLK_TCK" -v d="$attempts" 'BEGIN { printf "%.3f", m / h * 1e6 / d }')"
    record $SCEN client_us_per_attempt "$side" "$t" \
        "$(awk -v k="$((CHILD_MS - k0))" -v d="$attempts" 'BEGIN { printf "%.3f", k * 1000 / d }')"
    record $SCEN all_us_per_attempt "$side" "$t" \
        "$(awk -v c="$((c1 - c0))" -v s="$((s1 - s0))" -v k="$((CHILD_MS - k0))" -v d="$attempts" \
            'BEGIN { printf "%.3f", ((c + s) / 1000 + k * 1000) / d }')"
    log "$side trial $t: $attempts attempts in ${secs}s (closed or reset after the request: $drops, no SYN-ACK: $unans)," \
        "$(values $SCEN cpu_us_per_drop "$side" | tail -n 1) us server CPU and" \
        "$(values $SCEN machine_us_per_attempt "$side" | tail -n 1) us machine CPU per attempt"
}

ratio() { awk -v a="$(median $(values $SCEN "$1" "$2"))" -v b="$(median $(values $SCEN "$1" "$3"))" \
    'BEGIN { if (a != "" && b > 0) printf "%.3f", a / b; else printf "-" }'; }

drop_main() {
    local t side order
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
        "drops_per_s:attempts/s:%.0f" \
        "cpu_us_per_drop:server CPU us/attempt:%.2f" \
        "machine_us_per_attempt:machine CPU us/attempt:%.2f" \
        "client_us_per_attempt:client CPU us/attempt:%.2f" \
        "all_us_per_attempt:server+client+softirqd:%.2f"
    {
        printf '   server CPU per drop vs nginx return 444: Host rule %sx, accept-phase deny_addr %sx\n' \
            "$(ratio cpu_us_per_drop hush nginx)" "$(ratio cpu_us_per_drop hush-accept nginx)"
        printf '   vs nginx with listen ... deferred: Host rule %sx (aim <= 0.85), reset %sx, accept-phase deny_addr %sx\n' \
            "$(ratio cpu_us_per_drop hush nginx-deferred)" "$(ratio cpu_us_per_drop hush-reset nginx-deferred)" \
            "$(ratio cpu_us_per_drop hush-accept nginx-deferred)"
        printf '   server+client+ksoftirqd CPU per attempt vs nginx-deferred: Host rule %sx, reset %sx, accept-phase %sx, kernel %sx (aim <= 0.1)\n' \
            "$(ratio all_us_per_attempt hush nginx-deferred)" "$(ratio all_us_per_attempt hush-reset nginx-deferred)" \
            "$(ratio all_us_per_attempt hush-accept nginx-deferred)" \
            "$(case $SIDES in *hush-kernel*) ratio all_us_per_attempt hush-kernel nginx-deferred ;; *) echo - ;; esac)"
        printf '   the same, one bare SYN (hush-kernel-syn: a first attempt or a resend) vs nginx-deferred: %sx (aim <= 0.1)\n' \
            "$(case $SIDES in *hush-kernel-syn*) ratio all_us_per_attempt hush-kernel-syn nginx-deferred ;; *) echo - ;; esac)"
        printf '   machine CPU per attempt vs nginx-deferred: Host rule %sx, reset %sx, accept-phase %sx, kernel %sx (aim <= 0.1)\n' \
            "$(ratio machine_us_per_attempt hush nginx-deferred)" "$(ratio machine_us_per_attempt hush-reset nginx-deferred)" \
            "$(ratio machine_us_per_attempt hush-accept nginx-deferred)" \
            "$(case $SIDES in *hush-kernel*) ratio machine_us_per_attempt hush-kernel nginx-deferred ;; *) echo - ;; esac)"
        if [ -n "$HUSH2_BIN" ]; then
            printf '   hush2/hush server CPU: Host rule %sx, accept-phase deny_addr %sx\n' \
                "$(ratio cpu_us_per_drop hush2 hush)" "$(ratio cpu_us_per_drop hush2-accept hush-accept)"
        fi
    } | tee -a "$RUN_DIR/$SCEN.table"
}

drop_main "$@"
