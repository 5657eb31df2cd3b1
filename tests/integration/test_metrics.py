"""`metrics;`: every ending driven on the wire, then exact counter deltas read
from /metrics; sums over two workers; a reload that neither loses nor
double-counts (and counts the old worker's `shutdown`); aborts and upstream
latency with a real backend; bounded labels; strict exposition format (our
parser, and `promtool check metrics` when Debian's prometheus is installed)."""
import os
import signal
import socket
import time

import pytest

from conftest import req
from test_metrics_parser import Scrape, delta, promtool, promtool_check, scrape

REASONS = ["ok", "drop", "client_abort", "client_abort_body", "header_timeout", "body_timeout",
           "send_timeout", "bad_request", "no_request", "keepalive_close", "shutdown",
           "tls_rejected", "tls_failed", "tls_timeout", "protocol_error", "bad_proxy_protocol", "upstream_refused",
           "upstream_unavailable", "upstream_reset", "upstream_closed", "upstream_truncated",
           "upstream_invalid", "upstream_timeout", "tunnel_client_close", "tunnel_upstream_close",
           "tunnel_timeout", "tunnel_send_timeout"]

BASIC = """
    client_header_timeout 1s;
    client_body_timeout 1s;
    send_timeout 1s;
    server {
        listen 127.0.0.1:@PORT@ default_server;
        server_name example.com;
        location = /metrics { metrics; }
        location = /drop { return 444; }
        location /big { root @DIR@/html; }
        location / { return 200 "ok\\n"; }
    }
"""


def wait_for(fn, timeout=5.0):
    deadline = time.time() + timeout
    while True:
        v = fn()
        if v or time.time() > deadline:
            return v
        time.sleep(0.05)


def test_every_ending_counted_exactly(hush):
    srv = hush(BASIC)
    srv.write("big/file", b"x" * (32 << 20), mtime=None)
    before = scrape(srv)
    # ok + keepalive_close: one request on a kept-alive connection, then close
    srv.exchange(req("/", close=False), timeout=0.3)
    # drop
    srv.exchange(req("/drop"))
    # bad_request
    srv.exchange(b"GARBAGE\r\n\r\n")
    # no_request
    for _ in range(2):
        socket.create_connection(("127.0.0.1", srv.port)).close()
    # header_timeout: a partial head
    srv.exchange(b"GET / HTTP/1.1\r\nHo", timeout=2.5)
    # body_timeout: a body that stalls
    srv.exchange(req("/", headers=["Content-Length: 10"]) + b"ab", timeout=2.5)
    # client_abort_body: read a little of a large file, then reset
    s = srv.connect()
    s.sendall(req("/big/file"))
    s.recv(1000)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()
    # send_timeout: a client that stops reading
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", srv.port))
    s.sendall(req("/big/file"))
    time.sleep(2.0)
    s.close()
    time.sleep(0.5)
    after = scrape(srv)
    want = {"ok": 2, "keepalive_close": 1, "drop": 1, "bad_request": 1, "no_request": 2,
            "header_timeout": 1, "body_timeout": 1, "client_abort_body": 1, "send_timeout": 1,
            "client_abort": 0, "shutdown": 0,  # ok: the request and the first scrape
            "tls_rejected": 0, "tls_failed": 0, "tls_timeout": 0,  # no TLS here: counted, and zero
            "protocol_error": 0, "bad_proxy_protocol": 0}  # nor HTTP/2, nor PROXY protocol
    want.update({r: 0 for r in REASONS if r.startswith(("upstream_", "tunnel_"))})  # nor a proxy
    got = {r: delta(before, after, "hush_connection_endings_total", reason=r) for r in REASONS}
    assert got == want
    assert set(after.labels("hush_connection_endings_total", "reason")) == set(REASONS)
    st = {c: delta(before, after, "hush_requests_total", server="example.com", status=c)
          for c in ("200", "444", "400", "408")}
    assert st == {"200": 4, "444": 1, "400": 1, "408": 2}  # 200: ok, 2 big files, first scrape
    assert delta(before, after, "hush_drops_total", rule="return") == 1
    assert delta(before, after, "hush_connections_dropped_total", phase="request") == 1
    assert delta(before, after, "hush_connections_dropped_total", phase="accept") == 0
    assert delta(before, after, "hush_client_aborts_total", phase="sending_body", location="/big") == 1
    accepted = delta(before, after, "hush_connections_accepted_total")
    assert accepted == 10  # 9 connections above + the first scrape's
    assert delta(before, after, "hush_connections_handled_total") == accepted
    assert delta(before, after, "hush_request_duration_seconds_count", server="example.com") == 8
    # the send_timeout took about a second: the histogram saw it
    assert delta(before, after, "hush_request_duration_seconds_bucket", server="example.com", le="0.5") <= 7


def test_two_workers_sum_and_processes(hush):
    srv = hush(BASIC, main="worker_processes 2;")
    before = scrape(srv)
    for _ in range(60):
        srv.exchange(req("/x"))
    for _ in range(20):
        srv.exchange(req("/drop"))
    after = scrape(srv)
    assert delta(before, after, "hush_requests_total", status="200") == 61
    assert delta(before, after, "hush_requests_total", status="444") == 20
    assert after.total("hush_workers") == 2
    assert after.total("hush_process_open_fds") > 4
    assert after.total("hush_process_resident_memory_bytes") > 1 << 20
    assert abs(after.total("hush_process_start_time_seconds") - time.time()) < 60
    assert after.total("hush_reloads_total") == 0
    # both workers' connections are in the gauges (refreshed once a second)
    idle = [srv.connect() for _ in range(6)]
    for s in idle:
        s.sendall(req("/", close=False))
        s.recv(1000)
    time.sleep(1.3)
    g = scrape(srv)
    assert g.total("hush_connections", state="waiting") == 6
    assert g.total("hush_connections", state="writing") == 1  # the scrape itself
    for s in idle:
        s.close()


def test_reload_neither_loses_nor_double_counts(hush, backend):
    b = backend()
    srv = hush("""
    upstream app { server 127.0.0.1:%d; }
    server {
        listen 127.0.0.1:@PORT@ default_server;
        server_name example.com;
        location = /metrics { metrics; }
        location /slow { proxy_pass http://app; }
        location / { return 200 "ok\\n"; }
    }
""" % b.port, main="worker_processes 2;\nworker_shutdown_timeout 500ms;")
    before = scrape(srv)
    for _ in range(30):
        srv.exchange(req("/x"))
    # a request in flight across the reload: the old worker ends it as shutdown
    s = srv.connect()
    s.sendall(req("/slow?ms=4000"))
    time.sleep(0.3)
    old = srv.workers()
    srv.send_signal(signal.SIGHUP)
    assert wait_for(lambda: not (set(old) & set(srv.workers())), 10), "old workers did not exit"
    s.close()
    for _ in range(10):
        srv.exchange(req("/x"))
    after = scrape(srv)
    assert delta(before, after, "hush_requests_total", status="200") == 41
    assert delta(before, after, "hush_connection_endings_total", reason="shutdown") == 1
    assert delta(before, after, "hush_requests_total", status="499") == 1
    assert after.total("hush_reloads_total") == 1
    assert after.total("hush_workers") == 2
    # and again: nothing moves between two scrapes but the scrape itself
    again = scrape(srv)
    assert delta(after, again, "hush_requests_total", status="200") == 1
    assert delta(after, again, "hush_connection_endings_total", reason="shutdown") == 0


def test_aborts_and_upstream_latency(hush, backend):
    b = backend()
    srv = hush("""
    upstream app { server 127.0.0.1:%d; }
    server {
        listen 127.0.0.1:@PORT@ default_server;
        server_name api.example;
        location = /metrics { metrics; }
        location /slow { proxy_pass http://app; }
        location /late { proxy_pass http://app; proxy_ignore_client_abort on; }
        location /fast { proxy_pass http://app; }
    }
""" % b.port)
    before = scrape(srv)
    for _ in range(3):
        srv.exchange(req("/fast?ms=30"))
    for path in ("/slow?ms=2000", "/late?ms=400"):
        s = srv.connect()
        s.sendall(req(path, close=False))
        time.sleep(0.2)
        s.close()
    time.sleep(0.6)
    after = scrape(srv)
    assert delta(before, after, "hush_client_aborts_total", server="api.example", location="/slow",
                 phase="waiting_upstream") == 1
    assert delta(before, after, "hush_client_aborts_total", server="api.example", location="/late",
                 phase="waiting_upstream") == 1
    assert delta(before, after, "hush_upstream_completed_after_abort_total", location="/late") == 1
    assert delta(before, after, "hush_upstream_completed_after_abort_total", location="/slow") == 0
    assert delta(before, after, "hush_requests_total", server="api.example", status="499") == 2
    # 3 fast + the late one that finished + the cancelled one (its time until the close)
    assert delta(before, after, "hush_upstream_response_seconds_count", server="api.example") == 5
    assert delta(before, after, "hush_upstream_response_seconds_bucket", server="api.example", le="0.025") == 0
    assert delta(before, after, "hush_upstream_response_seconds_bucket", server="api.example", le="0.1") == 3
    assert delta(before, after, "hush_upstream_response_seconds_bucket", server="api.example", le="0.5") == 5


def test_labels_never_come_from_client_input(hush):
    srv = hush(BASIC + """
    server { listen 127.0.0.1:@PORT@; server_name other.example; location / { return 204; } }
""")
    for i in range(40):
        srv.exchange(req("/p%d?q=%d" % (i, i), host="h%d.example" % i))
    srv.exchange(req("/", host="other.example"))
    m = scrape(srv)
    assert m.labels("hush_requests_total", "server") == {"example.com", "other.example"}
    for fam in m.families.values():
        for _, labels, _ in fam["samples"]:
            for v in labels.values():
                assert not v.startswith("h") or not v.endswith(".example"), labels
                assert "/p" not in v, labels


def test_exposition_strict_and_promtool(hush):
    srv = hush(BASIC.replace('server_name example.com;', 'server_name "we\\\\ird\\"name";'))
    srv.exchange(req("/"))
    srv.exchange(req("/drop"))
    srv.exchange(b"BAD\r\n\r\n")
    m = scrape(srv)
    assert m.labels("hush_requests_total", "server") == {'we\\ird"name'}
    for name in ("hush_requests_total", "hush_connection_endings_total", "hush_drops_total",
                 "hush_bans_active", "hush_bans_total", "hush_request_duration_seconds",
                 "hush_upstream_response_seconds", "hush_client_aborts_total",
                 "hush_upstream_completed_after_abort_total", "hush_connections",
                 "hush_connections_accepted_total", "hush_connections_dropped_total",
                 "hush_abort_spike", "hush_drop_spike", "hush_process_start_time_seconds",
                 "hush_reloads_total", "hush_workers", "hush_process_open_fds",
                 "hush_process_resident_memory_bytes"):
        assert name in m.families, name
    if not promtool():
        pytest.skip("promtool not installed (Debian package prometheus)")
    ok, out = promtool_check(m.text)
    assert ok, out


def test_methods_and_config_errors(hush, tmpconf):
    from conftest import run_hush
    srv = hush(BASIC)
    r = srv.exchange(req("/metrics", method="POST", headers=["Content-Length: 0"]))
    assert r.data.startswith(b"HTTP/1.1 405 ")
    r = srv.exchange(req("/metrics", method="HEAD"))
    assert r.data.startswith(b"HTTP/1.1 200 ") and r.data.endswith(b"\r\n\r\n")
    for bad, msg in (("metrics on;", "invalid number of arguments"),
                     ("abort_alert_ratio 0.5;", "invalid ratio"),
                     ("abort_alert_ratio 3 floor=2;", "invalid parameter"),
                     ("drop_alert_ratio x;", "invalid ratio")):
        loc = bad if bad.startswith("metrics") else ""
        top = "" if loc else bad
        path = os.path.join(tmpconf, "t.conf")
        with open(path, "w") as f:
            f.write("events {}\nhttp {\n %s\n server { listen 127.0.0.1:1; location / { %s } } }\n" % (top, loc))
        p = run_hush(["-t", "-p", tmpconf, "-c", path])
        assert p.returncode == 1 and msg in p.stderr, (bad, p.stderr)
    path = os.path.join(tmpconf, "ok.conf")
    with open(path, "w") as f:
        f.write("events {}\nhttp {\n abort_alert_ratio 4 min=20;\n drop_alert_ratio off;\n"
                " server { listen 127.0.0.1:1; location /s { stub_status on; } location /m { metrics; } } }\n")
    p = run_hush(["-t", "-p", tmpconf, "-c", path])
    assert p.returncode == 0, p.stderr


def test_shipped_alerts_and_dashboard_use_real_metrics(hush):
    """conf/prometheus-alerts.yml passes promtool, and every metric named in
    it or in conf/grafana-dashboard.json is one that hush exposes."""
    import json
    import re
    import subprocess
    root = os.path.join(os.path.dirname(__file__), "..", "..")
    alerts = os.path.join(root, "conf", "prometheus-alerts.yml")
    dash = json.load(open(os.path.join(root, "conf", "grafana-dashboard.json")))
    exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
    exprs.append(open(alerts).read())
    m = scrape(hush(BASIC))
    exposed = set()
    for name, fam in m.families.items():
        exposed.add(name)
        if fam["type"] == "histogram":
            exposed |= {name + "_bucket", name + "_sum", name + "_count"}
    used = {n for e in exprs for n in re.findall(r"\bhush_[a-z_]+", e)}
    assert used and used <= exposed, used - exposed
    if promtool():
        p = subprocess.run([promtool(), "check", "rules", alerts], capture_output=True, text=True)
        assert p.returncode == 0, p.stdout + p.stderr
