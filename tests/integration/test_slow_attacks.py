"""Slow and greedy clients (issue #16, item 7): Debian's slowhttptest runs
slowloris (slow headers), slow body (R-U-Dead-Yet), the range attack and
slow read against hush on loopback, ~15 s each, beside a well-behaved client
making a new connection per request; it must keep >= 99 % of its requests
answered with a p99 under 200 ms. A pipelining flood (thousands of requests
in one write, read late) is answered in full with bounded worker memory.
(Idle keep-alives at the connection limit: test_connection_limit.py.)

The machine running the tests is shared: the well-behaved client's pace is
modest and its latency is measured per request, so the figures stay
meaningful under load without being flaky."""
import os
import shutil
import socket
import subprocess
import threading
import time

import pytest

from conftest import parse_responses, req

pytestmark = pytest.mark.skipif(shutil.which("slowhttptest") is None,
                                reason="slowhttptest not installed (scripts/deps.sh test)")

SECONDS = 15
CONF = """
access_log off;
keepalive_requests 100000;
server {
    listen 127.0.0.1:@PORT@;
    location / { }
    location = /ok { return 200 "ok\\n"; }
    location /upload { proxy_pass http://127.0.0.1:@PORT2@/; }
}
server { listen 127.0.0.1:@PORT2@; location / { return 200 "got it\\n"; } }
"""


def good_client(port, stop, out):
    """One request at a time on a new connection, every 20 ms."""
    while not stop.is_set():
        t0 = time.monotonic()
        ok = False
        phase = "connect"
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=2)
            phase = "answer"
            s.settimeout(2)
            s.sendall(req("/ok"))
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            s.close()
            rs = parse_responses(data)
            ok = len(rs) == 1 and rs[0].status == 200 and rs[0].body == b"ok\n"
            out.append((ok, time.monotonic() - t0))
        except OSError as e:
            out.append((False, time.monotonic() - t0, "%s: %r" % (phase, e)))
        time.sleep(0.02)


def attack_once(srv, args, path):
    """slowhttptest for SECONDS beside the good client: (summary, passed, output)."""
    stop = threading.Event()
    results = []
    t = threading.Thread(target=good_client, args=(srv.port, stop, results))
    t.start()
    try:
        p = subprocess.run(["slowhttptest", "-l", str(SECONDS), "-c", "400", "-r", "200", "-p", "3"] + args +
                           ["-u", "http://127.0.0.1:%d%s" % (srv.port, path)],
                           capture_output=True, text=True, timeout=SECONDS + 60)
    finally:
        stop.set()
        t.join(10)
    ok = sum(1 for r in results if r[0])
    times = sorted(r[1] for r in results)
    p99 = times[max(int(len(times) * 0.99) - 1, 0)] if times else 0
    summary = "%d requests, %d ok (%.2f %%), p99 %.1f ms %s" % (
        len(results), ok, 100.0 * ok / max(len(results), 1), p99 * 1000, [r[2] for r in results if len(r) > 2][:3])
    print("slowhttptest %s: the well-behaved client: %s" % (" ".join(args), summary))
    passed = len(results) >= 50 and ok >= 0.99 * len(results) and p99 < 0.2
    return summary, passed, p.stdout + p.stderr


def run_attack(srv, args):
    path = "/"
    if "--path" in args:
        i = args.index("--path")
        path, args = args[i + 1], args[:i] + args[i + 2:]
    summary, passed, out = attack_once(srv, args, path)
    if not passed:
        # the machine is shared: a stall elsewhere (nginx shows the same
        # rare 2 s loopback timeouts under load) gets one more run
        summary, passed, out = attack_once(srv, args, path)
    assert "connected" in out, out[-2000:]
    assert passed, summary
    assert srv.alive()
    return out


@pytest.fixture
def server(hush):
    srv = hush(CONF, events="worker_connections 1024;")
    srv.write("index.html", "x" * 4096)
    srv.write("big", os.urandom(1 << 20))
    return srv


def test_slowloris(server):
    run_attack(server, ["-H", "-i", "5"])


def test_slow_body(server):
    run_attack(server, ["-B", "-i", "5", "-s", "100000", "--path", "/upload"])


def test_range_attack(server):
    run_attack(server, ["-R", "-a", "10", "-b", "3000", "--path", "/big"])


def test_slow_read(server):
    run_attack(server, ["-X", "-w", "512", "-y", "1024", "-n", "5", "-z", "32", "-k", "3", "--path", "/big"])


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_pipelining_flood(server):
    srv = server
    worker = srv.workers()[0]
    before = rss_kb(worker)
    n = 20000
    s = srv.connect()
    s.sendall(req("/ok", close=False) * (n - 1) + req("/ok"))   # ~1 MB of requests in one go
    time.sleep(1.0)                                              # read late: hush must wait, not buffer
    peak = rss_kb(worker)
    got = b""
    s.settimeout(10)
    while True:
        chunk = s.recv(1 << 16)
        if not chunk:
            break
        got += chunk
    s.close()
    assert got.count(b"HTTP/1.1 200 OK\r\n") == n
    assert peak - before < 16 * 1024, (before, peak)             # KiB: bounded, whatever n is
