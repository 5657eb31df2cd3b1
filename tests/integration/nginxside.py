"""Debian's nginx beside hush: the same http{} body, started on its own
loopback port from its own prefix, stopped by PID. Tests compare what both
answer to the same requests.

    ng = Nginx(dir, http_body)      # @PORT@ and @DIR@ substituted as for hush
    ng.start(); ...; ng.stop()

Beside a running hush test server (same html/, relative roots and log paths
work for both), with a pytest fixture:

    ngx = nginx_beside(srv, HTTP)            # srv: the hush fixture's server
    h, n = both(srv, ngx, req("/x"))         # parsed responses of each
"""
import os
import shutil
import signal
import socket
import subprocess
import time

import pytest

from conftest import free_port, listening, parse_responses, read_all

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
HAVE_NGINX = os.path.exists(NGINX)
needs_nginx = pytest.mark.skipif(not HAVE_NGINX, reason="nginx is not installed (scripts/deps.sh test installs it)")


class Nginx:
    def __init__(self, d, http_body):
        self.dir = d
        self.port = free_port()
        os.makedirs(os.path.join(d, "logs"), exist_ok=True)
        self.conf = os.path.join(d, "nginx.conf")
        body = http_body.replace("@PORT@", str(self.port)).replace("@DIR@", d)
        with open(self.conf, "w") as f:
            f.write("daemon off; master_process on; user root; pid %s/logs/nginx.pid;\n"
                    "error_log %s/logs/nginx-error.log info;\nevents { worker_connections 64; }\n"
                    "http {\naccess_log %s/logs/nginx-access.log;\n%s\n}\n" % (d, d, d, body))
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([NGINX, "-p", self.dir, "-e", os.path.join(self.dir, "logs", "nginx-error.log"),
                                      "-c", self.conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("nginx exited: %s" % self.error_log()[-2000:])
            if listening(self.port):
                time.sleep(0.05)
                return self
            time.sleep(0.02)
        self.stop()
        raise RuntimeError("nginx did not listen")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def error_log(self):
        try:
            with open(os.path.join(self.dir, "logs", "nginx-error.log"), "rb") as f:
                return f.read().decode("latin-1")
        except FileNotFoundError:
            return ""

    def exchange(self, data, src=None, timeout=3.0):
        return raw_exchange(self.port, data, src, timeout)


def raw_exchange(port, data, src=None, timeout=3.0):
    """Send data to 127.0.0.1:port (from the loopback address src), read
    until the peer closes."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if src:
        s.bind((src, 0))
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
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


CONF = """user root;
daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/logs/error.log notice;
events {{ worker_connections 64; }}
http {{
    client_body_temp_path {d}/tmp/body; proxy_temp_path {d}/tmp/proxy; fastcgi_temp_path {d}/tmp/fcgi;
    uwsgi_temp_path {d}/tmp/uwsgi; scgi_temp_path {d}/tmp/scgi;
{body}
}}
"""


class Beside:
    """nginx on the same html/ as a running hush test server (its prefix is
    DIR/ngx beside hush's DIR, html/ linked), for side-by-side answers."""

    def __init__(self, hush_srv, body):
        self.dir = os.path.join(hush_srv.dir, "ngx")
        for sub in ("logs", "tmp"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        os.symlink(hush_srv.html, os.path.join(self.dir, "html"))
        os.chmod(hush_srv.dir, 0o755)
        self.port = free_port()
        text = body.replace("@PORT@", str(self.port)).replace("@DIR@", self.dir)
        self.conf = os.path.join(self.dir, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(CONF.format(d=self.dir, body=text))
        self.proc = subprocess.Popen([NGINX, "-p", self.dir, "-e", os.path.join(self.dir, "logs", "early.log"),
                                      "-c", self.conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("nginx exited: %s" % self.error_log())
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("nginx did not listen")

    def exchange(self, data, timeout=3.0):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        s.sendall(data)
        got, _ = read_all(s, timeout)
        s.close()
        return got

    def error_log(self):
        out = ""
        for name in ("early.log", "error.log"):
            p = os.path.join(self.dir, "logs", name)
            if os.path.exists(p):
                with open(p, errors="replace") as f:
                    out += f.read()
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def nginx_beside():
    made = []

    def make(hush_srv, body):
        n = Beside(hush_srv, body)
        made.append(n)
        return n

    yield make
    for n in made:
        n.stop()


def both(srv, ngx, data):
    """The response of hush and of nginx to the same raw request, with each
    one's port in Location headers written as PORT."""
    out = []
    for port, raw in ((srv.port, srv.exchange(data).data), (ngx.port, ngx.exchange(data))):
        raw = raw.replace(b":%d" % port, b":PORT")
        rs = parse_responses(raw)
        out.append(rs[0] if rs else None)
    return out[0], out[1]
