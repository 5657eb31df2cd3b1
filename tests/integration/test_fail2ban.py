"""fail2ban reads hush's logs as it reads nginx's: Debian's stock filters
nginx-limit-req, nginx-botsearch, nginx-http-auth and nginx-bad-request,
run by fail2ban-regex over the logs hush and Debian's nginx write for the
same traffic, match the same number of lines. And the filters hush ships in
contrib/fail2ban/ (its drops, by $drop_rule and $close_reason, from the
connection log and the `endings` access log) match what they should;
GoAccess reads the `endings` format with contrib/goaccess/goaccess.conf."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import HUSH_BIN, ROOT, req

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
F2B = shutil.which("fail2ban-regex")
FILTERS = "/etc/fail2ban/filter.d"
CONTRIB = os.path.join(ROOT, "contrib")

pytestmark = pytest.mark.skipif(F2B is None, reason="fail2ban is not installed (scripts/deps.sh test installs it)")

CONF = """
{user}
daemon off;
worker_processes 1;
pid {dir}/{name}.pid;
error_log {dir}/{name}-error.log;
events {{ worker_connections 64; }}
http {{
    access_log {dir}/{name}-access.log combined;
    limit_req_zone $binary_remote_addr zone=perip:1m rate=1r/m;
    server {{
        listen 127.0.0.1:{port};
        server_name f2b.test;
        root {dir}/html;
        location = /limited {{ limit_req zone=perip; }}
        location /admin/ {{ auth_basic "Admin"; auth_basic_user_file {dir}/htpasswd; }}
    }}
}}
"""

TRAFFIC = [req(p, host="f2b.test") for p in ("/limited", "/limited", "/limited", "/limited")] + [
    req("/wp-login.php", host="f2b.test"),
    req("/phpmyadmin/index.php", host="f2b.test"),
    req("/cgi-bin/test.cgi", method="POST", host="f2b.test"),
    req("/index.html", host="f2b.test"),
    req("/admin/", host="f2b.test", headers=["Authorization: Basic Ym9iOnNlY3JldA=="]),      # bob: not found
    req("/admin/", host="f2b.test", headers=["Authorization: Basic YWxpY2U6d3Jvbmc="]),      # alice: wrong
    req("/admin/", host="f2b.test", headers=["Authorization: Basic YWxpY2U6c2VjcmV0"]),      # alice: right
    b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",                                        # duplicate Host: 400
    b"GET /\x01 HTTP/1.1\r\nHost: f2b.test\r\n\r\n",                                        # bad URI: 400
    b"GET / HTTP/1.1\r\n\r\n",                                                              # no Host: 400
]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def send(port, data):
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    s.sendall(data)
    try:
        while s.recv(65536):
            pass
    except OSError:
        pass
    s.close()


def run(kind, d):
    port = free_port()
    conf = os.path.join(d, kind + ".conf")
    with open(conf, "w") as f:
        f.write(CONF.format(user="user root;" if kind == "nginx" else "", dir=d, name=kind, port=port))
    cmd = [NGINX, "-p", d, "-e", os.path.join(d, "nginx-stderr.log"), "-c", conf] if kind == "nginx" \
        else [HUSH_BIN, "-p", d, "-c", conf]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert proc.poll() is None and time.time() < deadline, kind + " did not start"
                time.sleep(0.05)
        for data in TRAFFIC:
            send(port, data)
        time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGQUIT)
        proc.wait(5)
    return os.path.join(d, kind + "-access.log"), os.path.join(d, kind + "-error.log")


def matched(log, filt):
    out = subprocess.run([F2B, log, filt], capture_output=True, text=True, timeout=60).stdout
    m = re.search(r"^Lines: \d+ lines, \d+ ignored, (\d+) matched, \d+ missed", out, re.M)
    assert m, out
    return int(m.group(1))


@pytest.fixture(scope="module")
def logs():
    d = tempfile.mkdtemp(prefix="hush-f2b-")
    os.makedirs(os.path.join(d, "html"))
    os.chmod(d, 0o755)
    with open(os.path.join(d, "html", "index.html"), "w") as f:
        f.write("ok\n")
    with open(os.path.join(d, "html", "limited"), "w") as f:
        f.write("ok\n")
    hashed = subprocess.run(["openssl", "passwd", "-6", "-salt", "f2bsalt", "secret"], capture_output=True,
                            text=True, check=True).stdout.strip()
    with open(os.path.join(d, "htpasswd"), "w") as f:
        f.write("alice:%s\n" % hashed)
    out = {"hush": run("hush", d)}
    if os.path.exists(NGINX):
        out["nginx"] = run("nginx", d)
    yield out
    shutil.rmtree(d, ignore_errors=True)


@pytest.mark.skipif(not os.path.exists(NGINX), reason="nginx is not installed")
@pytest.mark.parametrize("filt,which,want", [
    ("nginx-limit-req", "error", 3),
    ("nginx-botsearch", "access", 3),
    ("nginx-botsearch", "error", 3),
    ("nginx-http-auth", "error", 2),
    ("nginx-bad-request", "access", 3),
])
def test_stock_filters_match_as_on_nginx(logs, filt, which, want):
    i = 0 if which == "access" else 1
    path = os.path.join(FILTERS, filt + ".conf")
    h, n = matched(logs["hush"][i], path), matched(logs["nginx"][i], path)
    assert (h, n) == (want, want), "%s on the %s log: hush %d, nginx %d" % (filt, which, h, n)


# ---- hush's own filters (contrib/fail2ban) and GoAccess (contrib/goaccess) ----

HUSH_SITE = """
log_format endings '$remote_addr - $remote_user [$time_local] "$request" $status '
                   '$body_bytes_sent "$http_referer" "$http_user_agent" '
                   'rt=$request_time reason=$close_reason rule=$drop_rule';
access_log logs/access.log endings;
connection_log logs/connections.log;
client_header_timeout 1s;
map $http_user_agent $bad_ua { default 0; ~*sqlmap 1; }
server {
    listen 127.0.0.1:@PORT@;
    server_name localhost;
    root html;
    if ($bad_ua) { return 444; }
    location /probe/ { return 444; }
}
"""


def test_contrib_filters_catch_drops_and_bad_endings(hush):
    srv = hush(HUSH_SITE, start=False)
    srv.write("index.html", "ok\n")
    srv.start()
    for _ in range(3):
        srv.exchange(req("/probe/x"))                                       # drop, rule "return"
    srv.exchange(req("/", headers=["User-Agent: sqlmap/1.7"]))             # drop by the server's if
    srv.exchange(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")          # bad_request
    srv.exchange(b"GET / HTTP/1.1\r\nHo", timeout=3)                       # header_timeout
    for _ in range(2):
        assert srv.get("/").status == 200                                  # fine: not matched
    srv.wait_log(8)
    time.sleep(0.3)
    conns = os.path.join(srv.logs, "connections.log")
    assert len(srv.log_lines("connections.log")) == 8
    f = os.path.join(CONTRIB, "fail2ban", "filter.d")
    assert matched(conns, os.path.join(f, "hush-drops.conf")) == 4
    assert matched(os.path.join(srv.logs, "access.log"), os.path.join(f, "hush-endings.conf")) == 6
    jail = open(os.path.join(CONTRIB, "fail2ban", "jail.d", "hush.conf")).read()
    assert "filter   = hush-drops" in jail and "filter   = hush-endings" in jail


@pytest.mark.skipif(shutil.which("goaccess") is None, reason="goaccess is not installed")
def test_goaccess_reads_the_endings_format(hush, tmp_path):
    srv = hush(HUSH_SITE, start=False)
    srv.write("index.html", "ok\n")
    srv.start()
    for _ in range(4):
        assert srv.get("/").status == 200
    srv.exchange(req("/probe/x"))
    srv.wait_log(5)
    out = tmp_path / "report.json"
    r = subprocess.run(["goaccess", os.path.join(srv.logs, "access.log"), "-p",
                        os.path.join(CONTRIB, "goaccess", "goaccess.conf"), "-o", str(out)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    general = json.loads(out.read_text())["general"]
    assert (general["total_requests"], general["valid_requests"], general["failed_requests"]) == (5, 5, 0)
