#!/usr/bin/env bash
# bench/run.sh — run hush's side-by-side benchmarks against nginx.
#
# Usage: bench/run.sh [SCENARIO ...]     (also: make bench)
#   With no argument, runs every scenario present: bench/*.sh other than
#   lib.sh and run.sh (static, and later proxy, drop ...).
#   Settings come from the environment; see bench/lib.sh and bench/README.md
#   (TRIALS=5, DURATION=10, HUSH_BIN=build/hush, NGINX_BIN=nginx, ...).
#   HUSH2_BIN=/path/to/other/hush adds a side "hush2" running that binary
#   with hush's config, in the same trials: an old and a new build compared
#   in one run (columns hush2/hush and hush2/nginx in the tables).
#
# Writes bench/out/results-<date>.txt (tables, setup, every trial) and points
# bench/out/results-latest.txt at it; raw wrk outputs stay in bench/out/run-<date>/.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

scenarios_present() {
    local f n
    for f in "$BENCH_DIR"/*.sh; do
        n=$(basename "$f" .sh)
        case $n in lib | run) ;; *) echo "$n" ;; esac
    done
}

run_main() {
    local scens s failed="" results started scen_pid commit
    scens=${*:-$(scenarios_present)}
    for s in $scens; do [ -f "$BENCH_DIR/$s.sh" ] || die "no scenario '$s' (have: $(scenarios_present | tr '\n' ' '))"; done
    export RUN_STAMP=$(date +%Y%m%d-%H%M%S)
    bench_init
    export RUN_DIR
    started=$(date '+%Y-%m-%d %H:%M:%S %z')
    for s in $scens; do
        log "=== scenario $s"
        # stdout is kept: a scenario that prints its own report instead of
        # writing RUN_DIR/NAME.table (e.g. logstat) still lands in the results
        # In the background + wait, so that Ctrl-C/TERM reach our trap at once
        # and bench_cleanup passes TERM on to the scenario (by PID).
        bash "$BENCH_DIR/$s.sh" > >(tee "$RUN_DIR/$s.out") &
        scen_pid=$!
        BG_PIDS="$BG_PIDS $scen_pid"
        wait "$scen_pid" || { failed="$failed $s"; log "scenario $s failed"; }
        BG_PIDS=${BG_PIDS/ $scen_pid/}
    done
    results=$OUT_DIR/results-$RUN_STAMP.txt
    {
        echo "hush benchmarks vs nginx — $started"
        echo "machine: $(nproc) CPUs, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), Linux $(uname -r)"
        if commit=$(git -C "$ROOT_DIR" rev-parse --short HEAD 2>/dev/null); then
            git -C "$ROOT_DIR" diff --quiet -- src || commit="$commit (src modified)"
        else commit="unknown (not a git checkout)"; fi
        echo "commit:  $commit"
        echo "sides:   $(side_desc nginx)"
        echo "         $(side_desc hush)"
        [ -z "$HUSH2_BIN" ] || echo "         $(side_desc hush2)"
        [ "$(readlink -f "$HUSH_BIN")" = "$(readlink -f "$NGINX_BIN")" ] &&
            echo "         NOTE: the hush side runs nginx (HUSH_BIN), a check of the machinery, not of hush"
        [ -n "$HUSH2_BIN" ] && [ "$(readlink -f "$HUSH2_BIN")" = "$(readlink -f "$HUSH_BIN")" ] &&
            echo "         NOTE: hush2 runs the same binary as hush (HUSH2_BIN = HUSH_BIN): hush2/hush shows the noise"
        echo "setup:   server (master + 1 worker) pinned to CPU $SERVER_CPU, client to CPU $CLIENT_CPU;" \
            "TRIALS=$TRIALS DURATION=${DURATION}s WARMUP=${WARMUP}s CONNS=$CONNS IDLE_CONNS=$IDLE_CONNS"
        echo
        for s in $scens; do
            case " $failed " in *" $s "*) echo "== $s: FAILED (see $RUN_DIR/$s.out)"; continue ;; esac
            if [ -f "$RUN_DIR/$s.table" ]; then cat "$RUN_DIR/$s.table"
            else echo "== $s"; sed 's/^/   /' "$RUN_DIR/$s.out"; fi
            echo
        done
        for s in $scens; do [ -f "$RUN_DIR/$s.tsv" ] && trials_dump "$s" && echo; done
        echo "raw outputs: $RUN_DIR"
    } >"$results"
    ln -sf "$(basename "$results")" "$OUT_DIR/results-latest.txt"
    echo
    sed '/^-- /,$d' "$results"
    echo "results: $results"
    [ -z "$failed" ] || die "failed scenarios:$failed"
}

run_main "$@"
