"""Error-log lines in nginx's exact shapes: hush and Debian's nginx get the
same traffic and must write the same lines for the events fail2ban and
operators grep for (level, message, ", client: …, server: …, request: "…",
upstream: "…", host: "…"), but the timestamp/pid prefix and the connection
number. Beyond nginx, hush ends each line with the request's id when
$request_id exists; it is cut before comparing."""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import HUSH_BIN, backend  # noqa: F401

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
pytestmark = pytest.mark.skipif(not os.path.exists(NGINX), reason="nginx is not installed")

CONF = """
{user}
daemon off;
worker_processes 1;
pid {dir}/{name}.pid;
error_log {dir}/{name}-error.log info;
events {{ worker_connections 64; }}
http {{
    access_log off;
    default_type text/plain;
    client_header_timeout 1s;
    client_max_body_size 10;
    limit_req_zone $binary_remote_addr zone=perip:1m rate=1r/m;
    limit_req_zone $binary_remote_addr zone=fast:1m rate=10r/s;
    server {{
        listen 127.0.0.1:{port};
        server_name shapes.test;
        root {dir}/html;
        location = /limited {{ limit_req zone=perip; }}
        location = /delayed {{ limit_req zone=fast burst=5; }}
        location /denied {{ deny all; }}
        location /refused {{ proxy_pass http://127.0.0.1:{closed}; }}
        location /silent {{ proxy_read_timeout 1s; proxy_pass http://127.0.0.1:{silent}; }}
        location /closer {{ proxy_pass http://127.0.0.1:{closer}; }}
        location /upload {{ return 200 "ok"; }}
    }}
}}
"""

# Which error lines are compared (the events the brief names).
WANTED = re.compile(r"limiting requests|delaying request|access forbidden|open\(\)|directory index|"
                    r"client timed out|upstream timed out|connect\(\) failed|prematurely closed|too large body")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def talk(port, data, timeout=4.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(data)
    got = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
    except (ConnectionResetError, socket.timeout):
        pass
    s.close()
    return got


def get(port, path, extra=b""):
    return talk(port, b"GET %s HTTP/1.1\r\nHost: shapes.test\r\n%sConnection: close\r\n\r\n" % (path, extra))


class Backends:
    """A closed port, one that accepts and never answers, one that closes
    after reading the request."""

    def __init__(self):
        self.closed = free_port()
        self.silent_sock = socket.socket()
        self.silent_sock.bind(("127.0.0.1", 0))
        self.silent_sock.listen(16)
        self.silent = self.silent_sock.getsockname()[1]
        self.closer_sock = socket.socket()
        self.closer_sock.bind(("127.0.0.1", 0))
        self.closer_sock.listen(16)
        self.closer_sock.settimeout(0.2)
        self.closer = self.closer_sock.getsockname()[1]
        self.running = True
        self.thread = threading.Thread(target=self.close_after_read, daemon=True)
        self.thread.start()

    def close_after_read(self):
        while self.running:
            try:
                c, _ = self.closer_sock.accept()
            except (socket.timeout, OSError):
                continue
            c.settimeout(2)
            try:
                c.recv(65536)
            except OSError:
                pass
            c.close()

    def stop(self):
        self.running = False
        self.thread.join(2)
        self.silent_sock.close()
        self.closer_sock.close()


def traffic(port):
    get(port, b"/limited")
    get(port, b"/limited")                      # limiting requests, excess: 1.000
    get(port, b"/delayed")
    get(port, b"/delayed")                      # delaying request, excess: 0.9xx, by zone
    get(port, b"/denied")                       # access forbidden by rule
    get(port, b"/missing.html", b"Referer: http://ref.test/page\r\n")   # open() failed
    get(port, b"/dir/")                         # directory index of ... is forbidden
    get(port, b"/refused/x?a=1")                # connect() failed (111: ...)
    get(port, b"/silent/y")                     # upstream timed out (110: ...)
    get(port, b"/closer/z")                     # upstream prematurely closed connection
    talk(port, b"POST /upload HTTP/1.1\r\nHost: shapes.test\r\nContent-Length: 100\r\n\r\n")
    talk(port, b"GET /slow HTTP/1.1\r\nHost: shapes", timeout=4)   # client timed out


def run(kind, d, backends):
    port = free_port()
    conf = os.path.join(d, kind + ".conf")
    with open(conf, "w") as f:
        f.write(CONF.format(dir=d, name=kind, port=port, user="user root;" if kind == "nginx" else "",
                            closed=backends.closed, silent=backends.silent, closer=backends.closer))
    cmd = [NGINX, "-p", d, "-e", os.path.join(d, "nginx-error.log"), "-c", conf] if kind == "nginx" \
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
        traffic(port)
        time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGQUIT)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    with open(os.path.join(d, kind + "-error.log"), "rb") as f:
        text = f.read().decode("latin-1")
    return port, text


def shapes(text, port):
    """(level, message) of the wanted lines, without the prefix, the
    connection number and hush's request id; ports made neutral."""
    out = []
    for line in text.splitlines():
        m = re.match(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[(\w+)\] \d+#\d+: \*\d+ (.*)$", line)
        if not m or not WANTED.search(m.group(2)):
            continue
        msg = re.sub(r', request_id: "[0-9a-f]+"$', "", m.group(2)).replace(":%d" % port, ":PORT")
        if msg.startswith("delaying"):   # its excess depends on the milliseconds between the two requests
            msg = re.sub(r"excess: \d\.\d{3}", "excess: X", msg)
        out.append((m.group(1), msg))
    return out


@pytest.fixture
def site():
    d = tempfile.mkdtemp(prefix="hush-shapes-")
    os.makedirs(os.path.join(d, "html", "dir"))
    for name in ("limited", "delayed"):   # files: `return` would answer before limit_req runs, as in nginx
        with open(os.path.join(d, "html", name), "w") as f:
            f.write("ok\n")
    os.chmod(d, 0o755)
    b = Backends()
    yield d, b
    b.stop()
    shutil.rmtree(d, ignore_errors=True)


def test_same_error_lines_as_nginx(site):
    d, b = site
    hport, hush_text = run("hush", d, b)
    nport, nginx_text = run("nginx", d, b)
    h, n = shapes(hush_text, hport), shapes(nginx_text, nport)
    assert len(n) >= 10, nginx_text
    assert h == n, "\nhush:  %s\nnginx: %s" % ("\n       ".join(map(str, h)), "\n       ".join(map(str, n)))
    assert ("error", 'limiting requests, excess: 1.000 by zone "perip", client: 127.0.0.1, server: shapes.test, '
            'request: "GET /limited HTTP/1.1", host: "shapes.test"') in h


# ---- lines checked on hush alone (nginx writes them the same way, or, for
# a body timeout, writes none: hush says what happened) ----

HUSH_CONF = """
client_header_timeout 1s;
client_body_timeout 1s;
limit_conn_zone $binary_remote_addr zone=addr:1m;
limit_req_zone $binary_remote_addr zone=hold:1m rate=1r/s;
server {
    listen 127.0.0.1:@PORT@;
    server_name shapes.test;
    location = /held { limit_req zone=hold burst=5; limit_conn addr 1; return 200 "ok"; }
    location = /conn { limit_conn addr 1; return 200 "ok"; }
    location = /r { return 200 "ok"; }
}
"""
CTX = r', client: 127\.0\.0\.1, server: shapes\.test, request: "%s"'
RID = r'(, request_id: "[0-9a-f]{32}")?$'   # hush's, beyond nginx, when $request_id exists


def test_client_timeouts_and_bad_requests(hush):
    srv = hush(HUSH_CONF)
    srv.exchange(b"GET /r HTT", timeout=3)
    assert srv.wait_error_log(r"\[info\] \d+#\d+: \*\d+ client timed out \(110: Connection timed out\) "
                              r"while reading client request line" + CTX % "GET /r HTT" + RID)
    srv.exchange(b"POST /r HTTP/1.1\r\nHost: shapes.test\r\nContent-Length: 9\r\n\r\nab", timeout=3)
    assert srv.wait_error_log(r"\[info\] .* client timed out \(110: Connection timed out\) "
                              r"while reading client request body" + CTX % "POST /r HTTP/1.1" + ', host: "shapes.test"')
    srv.exchange(b"GET /r HTTP/1.1\r\nHost: shapes.test\r\nBad Header: x\r\n\r\n")
    assert srv.wait_error_log(r"\[info\] .* client sent invalid request: .* while reading client request headers"
                              + CTX % "GET /r HTTP/1.1")


def test_limit_conn_line(hush, backend):
    b = backend()
    srv = hush(HUSH_CONF.replace("location = /r {", "location /slow { limit_conn addr 1; proxy_pass http://127.0.0.1:%d; }\n"
                                 "    location = /r {" % b.port))
    slow = srv.connect()
    slow.sendall(b"GET /slow?ms=700 HTTP/1.1\r\nHost: shapes.test\r\nConnection: close\r\n\r\n")
    time.sleep(0.2)
    r = srv.exchange(b"GET /slow HTTP/1.1\r\nHost: shapes.test\r\nConnection: close\r\n\r\n")
    slow.close()
    assert r.data.startswith(b"HTTP/1.1 503"), r
    assert srv.wait_error_log(r'\[error\] .* limiting connections by zone "addr"' + CTX % "GET /slow HTTP/1.1"
                              + ', host: "shapes.test"')


def test_request_id_joins_error_and_access_lines(hush, tmpconf):
    """Beyond nginx: the error line ends with the request's $request_id, the
    same as in its access-log line. ($request_id comes with the headers
    module; until it exists this test has nothing to check.)"""
    from conftest import run_hush
    probe = os.path.join(tmpconf, "probe.conf")
    with open(probe, "w") as f:
        f.write("events {}\nhttp { log_format id '$request_id'; access_log off; }\n")
    if run_hush(["-t", "-p", tmpconf, "-c", probe]).returncode != 0:
        pytest.skip("$request_id is not defined yet")
    srv = hush("log_format id '$request_id $status'; access_log logs/access.log id;\n" + HUSH_CONF)
    srv.get("/missing", host="shapes.test")
    (line,) = srv.wait_log(1)
    rid = line.split()[0]
    assert re.fullmatch(r"[0-9a-f]{32}", rid), line
    assert srv.wait_error_log(r'open\(\) ".*/missing" failed .*, host: "shapes\.test", request_id: "%s"$' % rid)


def test_error_log_of_a_server_and_a_location(hush):
    """error_log in http, server and location, as nginx: a level's lines go
    to its own error_logs (every one whose level takes them; a level without
    one inherits its parent's), not to the main error log."""
    srv = hush("""
server {
    listen 127.0.0.1:@PORT@;
    server_name shapes.test;
    root html;
    error_log logs/server.log;
    location /quiet/ { error_log logs/quiet.log crit; }
    location /both/ { error_log logs/both.log; error_log logs/both.log warn; error_log logs/info.log info; }
}
""")
    for path in ("/a", "/quiet/b", "/both/c"):
        assert srv.get(path, host="shapes.test").status == 404
    time.sleep(0.2)
    read = lambda name: open(os.path.join(srv.logs, name)).read() if os.path.exists(os.path.join(srv.logs, name)) else ""  # noqa: E731
    assert read("server.log").count("open()") == 1 and '/html/a" failed' in read("server.log")
    assert read("quiet.log") == ""                        # crit: an error line is below it
    assert read("both.log").count("/html/both/c\" failed") == 2     # the same file twice: twice, as nginx
    assert read("info.log").count("open()") == 1
    assert "open()" not in srv.error_log()                # the main error log has none of them
