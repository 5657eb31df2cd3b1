"""Helpers for the hush-logstat tests: run the tool, a real nginx from Debian
in a temp prefix on a free loopback port, and a slow HTTP backend (a thread in
the test process).  Everything started here is stopped here, by PID."""
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[3]
BUILD = ROOT / os.environ.get("HUSH_BUILD", "build")
LOGSTAT = BUILD / "hush-logstat"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CHROMIUM = "/usr/bin/chromium"


def need(path, what):
    if not os.access(path, os.X_OK):
        raise AssertionError("%s not found at %s (run scripts/deps.sh test / make)" % (what, path))


def run(args, input=None, timeout=60, check=True):
    """Runs hush-logstat with args; returns the CompletedProcess."""
    need(LOGSTAT, "hush-logstat")
    r = subprocess.run([str(LOGSTAT)] + [str(a) for a in args], input=input,
                       capture_output=True, timeout=timeout)
    if check:
        assert r.returncode == 0, r.stderr.decode(errors="replace")[-2000:]
    return r


def report(args, input=None):
    """Runs hush-logstat --json and returns the parsed report."""
    r = run(["--json"] + list(args), input=input)
    return json.loads(r.stdout)


def ending(doc, name):
    return next(e["count"] for e in doc["endings"] if e["ending"] == name)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, deadline=5.0):
    end = time.time() + deadline
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("nothing listening on 127.0.0.1:%d" % port)


class SlowBackend:
    """An HTTP/1.0 backend answering every request after `delay` seconds."""

    def __init__(self, delay):
        self.delay = delay
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(c,), daemon=True).start()

    def _answer(self, c):
        try:
            c.settimeout(5)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = c.recv(4096)
                if not chunk:
                    return
                data += chunk
            delay = 0.05 if b" /fast" in data else self.delay
            time.sleep(delay)
            c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n")
        except OSError:
            pass
        finally:
            c.close()

    def stop(self):
        self.stopping = True
        self.sock.close()


class Nginx:
    """Debian's nginx in its own prefix, on a free port, in the foreground."""

    def __init__(self, tmp, http_body):
        need(NGINX, "nginx")
        self.prefix = pathlib.Path(tmp)
        self.port = free_port()
        (self.prefix / "logs").mkdir(parents=True, exist_ok=True)
        (self.prefix / "html").mkdir(exist_ok=True)
        (self.prefix / "html" / "index.html").write_text("hello\n")
        # workers run as nobody when the tests run as root: let them read html/
        os.chmod(self.prefix, 0o755)
        os.chmod(self.prefix / "html", 0o755)
        conf = self.prefix / "nginx.conf"
        p = str(self.prefix)
        conf.write_text(
            "worker_processes 1;\npid %s/nginx.pid;\nerror_log %s/logs/error.log info;\n"
            "events { worker_connections 128; }\n"
            "http {\n"
            "  client_body_temp_path %s/t_body; proxy_temp_path %s/t_proxy;\n"
            "  fastcgi_temp_path %s/t_fcgi; uwsgi_temp_path %s/t_uwsgi; scgi_temp_path %s/t_scgi;\n"
            "%s\n}\n" % (p, p, p, p, p, p, p, http_body.replace("PREFIX", p).replace("PORT", str(self.port))))
        self.proc = subprocess.Popen(
            [NGINX, "-p", p, "-c", str(conf), "-e", p + "/logs/error.log", "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_port(self.port)
        except AssertionError:
            self.stop()
            raise AssertionError("nginx did not start: " + (self.prefix / "logs" / "error.log").read_text()[-1000:])

    def stop(self):
        """Stops the master we started (by its PID) and waits for it."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self.proc.stderr:
            self.proc.stderr.close()


def client(port, data, wait=0.0, shut_wr=False, read=True):
    """One raw connection: send data, optionally half-close, wait, read, close."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        if data:
            s.sendall(data)
        if shut_wr:
            s.shutdown(socket.SHUT_WR)
        if wait:
            time.sleep(wait)
        if read:
            try:
                s.settimeout(3)
                while s.recv(65536):
                    pass
            except OSError:
                pass
    finally:
        s.close()


def in_parallel(jobs):
    """Runs callables in threads and waits for all of them."""
    threads = [threading.Thread(target=j) for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
