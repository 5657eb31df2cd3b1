"""syslog: log destinations (nginx's): access_log, connection_log and
error_log send RFC 3164 datagrams "<PRI>Mmm dd hh:mm:ss host tag: message"
over UDP (or to a unix datagram socket) and never create a file of that
name. Checked against Debian's nginx sending to the same listener."""
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

from conftest import HUSH_BIN, req, run_hush

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
HOST = socket.gethostname().lower()


class Listener:
    """Collects datagrams on a loopback UDP port (or a unix socket path)."""

    def __init__(self, path=None):
        if path:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self.sock.bind(path)
        else:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock.bind(("127.0.0.1", 0))
            self.port = self.sock.getsockname()[1]
        self.sock.settimeout(0.1)
        self.got = []
        self.running = True
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while self.running:
            try:
                self.got.append(self.sock.recv(65536).decode("latin-1"))
            except socket.timeout:
                continue
            except OSError:
                break

    def wait(self, regex, timeout=3.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            hits = [g for g in self.got if re.search(regex, g)]
            if hits:
                return hits
            time.sleep(0.02)
        return []

    def close(self):
        self.running = False
        self.thread.join(1)
        self.sock.close()


@pytest.fixture
def listener():
    made = []

    def make(path=None):
        made.append(Listener(path))
        return made[-1]
    yield make
    for l in made:
        l.close()


SYSLOG_TIME = r"[A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d"


def test_access_and_error_log_datagrams(hush, listener):
    u = listener()
    srv = hush("""
access_log syslog:server=127.0.0.1:%d,tag=acc_1 combined;
access_log syslog:server=127.0.0.1:%d,facility=local3,severity=warn,nohostname;
server { listen 127.0.0.1:@PORT@; server_name localhost; root html; }
""" % (u.port, u.port), main="error_log syslog:server=127.0.0.1:%d,severity=alert info;" % u.port)
    assert srv.get("/missing", headers=["User-Agent: t/1"]).status == 404
    # the access log: severity info (190 = local7 * 8 + 6) with the host, and the second target's own
    (a,) = u.wait(r"acc_1: ")
    assert re.fullmatch(r'<190>%s %s acc_1: 127\.0\.0\.1 - - \[[^]]+\] "GET /missing HTTP/1\.1" 404 \d+ "-" "t/1"'
                        % (SYSLOG_TIME, re.escape(HOST)), a), a
    (b,) = u.wait(r"^<156>")
    assert re.fullmatch(r'<156>%s nginx: 127\.0\.0\.1 - - .*"t/1"' % SYSLOG_TIME, b), b
    # the error log: the whole line, at the line's own severity (187 = local7 * 8 + error;
    # severity= is access_log's, as nginx)
    (e,) = u.wait(r"open\(\)")
    assert re.fullmatch(r'<187>%s %s nginx: \d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[error\] \d+#\d+: \*\d+ open\(\) ".*/missing" '
                        r'failed \(2: No such file or directory\), client: 127\.0\.0\.1, server: localhost, '
                        r'request: "GET /missing HTTP/1\.1", host: "localhost"(, request_id: "[0-9a-f]{32}")?' % (SYSLOG_TIME, re.escape(HOST)), e), e
    assert u.wait(r"^<189>.*\[notice\] .*hush started")      # notice: 189, from the master
    # never a file named after the target; the default error log file stays, as nginx's
    assert not [n for n in os.listdir(srv.dir) + os.listdir(srv.logs) if n.startswith("syslog")]
    assert "open()" in srv.error_log()


def test_connection_log_and_unix_socket(hush, listener):
    d = tempfile.mkdtemp(prefix="hush-syslog-")
    path = os.path.join(d, "log.sock")
    u = listener(path)
    os.chmod(d, 0o755)       # the workers (nobody) must reach the socket, as /dev/log's rw-rw-rw-
    os.chmod(path, 0o666)
    srv = hush("""
connection_log syslog:server=unix:%s,tag=conns;
server { listen 127.0.0.1:@PORT@; location / { return 444; } }
""" % path)
    srv.exchange(req("/x"))
    (line,) = u.wait(r"conns: ")
    assert re.fullmatch(r"<190>%s %s conns: 127\.0\.0\.1:\d+ \[[^]]+\] \d+ 1 [\d.]+ \d+ 0 drop return" % (
        SYSLOG_TIME, re.escape(HOST)), line), line
    shutil.rmtree(d, ignore_errors=True)


def test_an_absent_server_loses_lines_and_nothing_else(hush):
    """Nobody listens: the datagrams are refused and lost, requests go on."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    srv = hush("access_log syslog:server=127.0.0.1:%d;\nserver { listen 127.0.0.1:@PORT@; return 200 ok; }" % port)
    for _ in range(5):
        assert srv.get("/").status == 200


@pytest.mark.parametrize("target,message", [
    ("syslog:server=127.0.0.1,bogus=1", 'unknown syslog parameter "bogus=1"'),
    ("syslog:tag=x", "no syslog server specified"),
    ("syslog:server=127.0.0.1,facility=local9", 'unknown syslog facility "local9"'),
    ("syslog:server=127.0.0.1,severity=loud", 'unknown syslog severity "loud"'),
    ("syslog:server=127.0.0.1,tag=a-b", 'syslog "tag" only allows alphanumeric characters and underscore'),
    ("syslog:server=127.0.0.1,tag=" + "x" * 33, "syslog tag length exceeds 32"),
    ("syslog:server=127.0.0.1:99999", 'invalid syslog server "127.0.0.1:99999"'),
    ("syslog:server=127.0.0.1,server=127.0.0.2", 'duplicate syslog "server"'),
    ("syslog:server=127.0.0.1 combined buffer=32k", "logs to syslog cannot be buffered"),
])
def test_t_errors(tmpconf, target, message):
    conf = os.path.join(tmpconf, "hush.conf")
    with open(conf, "w") as f:
        f.write("events {}\nhttp {\n    access_log %s;\n}\n" % target)
    r = run_hush(["-t", "-p", tmpconf, "-c", conf])
    assert r.returncode == 1
    assert "hush.conf:3: " + message in r.stderr, r.stderr


def test_error_log_syslog_errors_at_t(tmpconf):
    conf = os.path.join(tmpconf, "hush.conf")
    with open(conf, "w") as f:
        f.write("error_log syslog:server=127.0.0.1,facility=nope warn;\nevents {}\nhttp {}\n")
    r = run_hush(["-t", "-p", tmpconf, "-c", conf])
    assert r.returncode == 1 and 'hush.conf:1: unknown syslog facility "nope"' in r.stderr, r.stderr


# ---- beside nginx: the same datagrams but time, pid and connection number ----

CONF = """
{user}
daemon off;
worker_processes 1;
pid {dir}/{name}.pid;
error_log syslog:server=127.0.0.1:{udp},tag={name}_err warn;
events {{ worker_connections 64; }}
http {{
    access_log syslog:server=127.0.0.1:{udp},tag={name}_acc combined;
    access_log syslog:server=127.0.0.1:{udp},facility=auth,severity=notice,nohostname,tag={name}_n;
    server {{
        listen 127.0.0.1:{port};
        server_name side.test;
        root {dir}/html;
    }}
}}
"""


def neutral(line, port):
    line = re.sub(SYSLOG_TIME, "TIME", line)
    line = re.sub(r', request_id: "[0-9a-f]{32}"$', "", line)     # hush's, beyond nginx
    line = re.sub(r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[(\w+)\] \d+#\d+: \*\d+", r"[\1] *N", line)
    line = re.sub(r"\[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\]", "[TIME]", line)
    line = re.sub(r'" (\d{3}) \d+ "', r'" \1 SIZE "', line)      # built-in pages name the server
    line = re.sub(r"\b(hush|nginx)_", "NAME_", line)
    return line.replace(":%d" % port, ":PORT")


@pytest.mark.skipif(not os.path.exists(NGINX), reason="nginx is not installed")
def test_same_datagrams_as_nginx(listener):
    d = tempfile.mkdtemp(prefix="hush-syslog-side-")
    os.makedirs(os.path.join(d, "html"))
    os.chmod(d, 0o755)
    u = listener()
    lines = {}
    try:
        for name in ("hush", "nginx"):
            port = socket.socket()
            port.bind(("127.0.0.1", 0))
            p = port.getsockname()[1]
            port.close()
            conf = os.path.join(d, name + ".conf")
            with open(conf, "w") as f:
                f.write(CONF.format(user="user root;" if name == "nginx" else "", dir=d, name=name, udp=u.port, port=p))
            cmd = [NGINX, "-p", d, "-e", os.path.join(d, "nginx-stderr.log"), "-c", conf] if name == "nginx" \
                else [HUSH_BIN, "-p", d, "-e", os.path.join(d, "hush-stderr.log"), "-c", conf]
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.time() + 10
            while True:
                try:
                    socket.create_connection(("127.0.0.1", p), timeout=0.2).close()
                    break
                except OSError:
                    assert proc.poll() is None and time.time() < deadline
                    time.sleep(0.05)
            s = socket.create_connection(("127.0.0.1", p))
            s.sendall(b"GET /nothing HTTP/1.1\r\nHost: side.test\r\nUser-Agent: u\r\nConnection: close\r\n\r\n")
            while s.recv(65536):
                pass
            s.close()
            time.sleep(0.3)
            proc.send_signal(signal.SIGQUIT)
            proc.wait(5)
            lines[name] = sorted(neutral(g, p) for g in u.got if re.search(r"\b%s_" % name, g) and
                                 ("GET /nothing" in g))
    finally:
        shutil.rmtree(d, ignore_errors=True)
    assert len(lines["nginx"]) == 3, lines
    assert lines["hush"] == lines["nginx"]


# ---- the README's example (section "Users, syslog, error lines and fail2ban") ----

def readme_example():
    text = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "README.md")).read()
    blocks = re.findall(r"```nginx\n(.*?)```", text, re.S)
    (block,) = [b for b in blocks if b.startswith("user www-data;")]
    return block


def test_readme_example_runs(hush, listener):
    u = listener()
    text = readme_example().replace("127.0.0.1:514", "127.0.0.1:%d" % u.port)
    text = text.replace("listen 8080;", "listen 127.0.0.1:@PORT@;")
    srv = hush(conf="daemon off;\npid @DIR@/logs/hush.pid;\n" + text, start=False)
    srv.write("index.html", "hello\n")
    srv.start()
    (w,) = srv.workers()
    with open("/proc/%d/status" % w) as f:
        assert re.search(r"^Uid:\s+33\s+33\s+33\s+33$", f.read(), re.M)     # www-data
    assert srv.get("/").status == 200
    assert srv.get("/missing").status == 404
    assert srv.exchange(req("/wp-admin/x")).data == b""                      # drop
    assert u.wait(r'hush_access: 127\.0\.0\.1 - - \[[^]]+\] "GET / HTTP/1\.1" 200 6 "-" "-"$')
    assert u.wait(r'^<187>.* hush: .*\[error\] .*open\(\) ".*/missing" failed \(2: No such file or directory\)')
    lines = srv.wait_log(3)
    assert lines[-1].endswith('"GET /wp-admin/x HTTP/1.1" 444 0 "-" "-" rt=0.000 reason=drop rule=return'), lines
    assert srv.wait_log(3, name="connections.log")[-1].endswith(" drop return")
    f2b = shutil.which("fail2ban-regex")
    if f2b:
        filt = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "contrib", "fail2ban",
                            "filter.d", "hush-drops.conf")
        out = subprocess.run([f2b, os.path.join(srv.logs, "connections.log"), filt], capture_output=True,
                             text=True, timeout=60).stdout
        assert re.search(r"Lines: 3 lines, 0 ignored, 1 matched, 2 missed", out), out


def test_reload_moves_the_workers_error_log(hush, listener):
    """After a reload, the new workers write to the new error_log targets."""
    u = listener()
    site = "server { listen 127.0.0.1:@PORT@; server_name localhost; root html; }"
    srv = hush(site)
    with open(srv.conf_path) as f:
        text = f.read()
    old_line = "error_log %s/logs/error.log info;" % srv.dir
    assert old_line in text
    srv.write_conf(text.replace(old_line, "error_log @DIR@/logs/error2.log info;\n"
                                "error_log syslog:server=127.0.0.1:%d,tag=after error;" % u.port))
    old = srv.workers()
    srv.send_signal(signal.SIGHUP)
    deadline = time.time() + 5
    while time.time() < deadline and (set(srv.workers()) & set(old) or not srv.workers()):
        time.sleep(0.05)
    assert srv.get("/missing-after").status == 404
    assert u.wait(r'after: .*open\(\) ".*/missing-after" failed')
    assert "missing-after" in open(os.path.join(srv.logs, "error2.log")).read()
