#!/usr/bin/env bash
# bench/logstat.sh — hush-logstat against GoAccess on the same combined log.
#
# Usage: bench/logstat.sh [LINES]       (default 2,000,000; env TRIALS=5)
# Generates a synthetic nginx combined log (bench/logstat_gen.c), then times
# `hush-logstat FILE` and `goaccess FILE --log-format=COMBINED -o out.json`
# alternately, each pinned to CPU 0, and prints the medians, lines/s and the
# ratio.  GoAccess comes from Debian (installed when missing, as root).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
LINES=${1:-${LOGSTAT_LINES:-2000000}}
TRIALS=${TRIALS:-5}
OUT=bench/out/logstat
mkdir -p "$OUT"

if ! command -v goaccess >/dev/null; then
    [ "$(id -u)" = 0 ] || { echo "goaccess missing: apt-get install goaccess" >&2; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends goaccess >/dev/null
fi
make --no-print-directory build/hush-logstat >/dev/null || [ -x build/hush-logstat ]
TOOL=build/hush-logstat

LOG="$OUT/access-$LINES.log"
if [ ! -s "$LOG" ]; then
    cc -O2 -o "$OUT/gen" bench/logstat_gen.c
    "$OUT/gen" "$LINES" > "$LOG.tmp" && mv "$LOG.tmp" "$LOG"
fi
PIN=""
command -v taskset >/dev/null && PIN="taskset -c 0"

exec python3 - "$LOG" "$LINES" "$TRIALS" "$TOOL" "$OUT" "$PIN" <<'PY'
import os, statistics, subprocess, sys, time
log, lines, trials, tool, out, pin = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6].split()
def timed(cmd):
    t = time.perf_counter()
    subprocess.run(pin + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t
# warm the page cache so both read from memory
with open(log, "rb") as f:
    while f.read(1 << 24):
        pass
hush, goa = [], []
for i in range(trials):
    hush.append(timed([tool, log]))
    goa.append(timed(["goaccess", log, "--log-format=COMBINED", "-o", os.path.join(out, "goaccess-%d.json" % os.getpid())]))
    print("trial %d: hush-logstat %.3fs  goaccess %.3fs" % (i + 1, hush[-1], goa[-1]), flush=True)
os.unlink(os.path.join(out, "goaccess-%d.json" % os.getpid()))
mh, mg = statistics.median(hush), statistics.median(goa)
size = os.path.getsize(log) / 1e6
print("log: %d lines, %.0f MB (%s)" % (lines, size, log))
print("hush-logstat  median %.3fs  %12.0f lines/s  %7.1f MB/s" % (mh, lines / mh, size / mh))
print("goaccess      median %.3fs  %12.0f lines/s  %7.1f MB/s" % (mg, lines / mg, size / mg))
print("ratio goaccess/hush-logstat time: %.1fx" % (mg / mh))
PY
