"""Debian's nginx beside hush: the same http{} body, started on its own
loopback port from its own prefix, stopped by PID. Tests compare what both
answer to the same requests.

    ng = Nginx(dir, http_body)      # @PORT@ and @DIR@ substituted as for hush
    ng.start(); ...; ng.stop()
"""
import os
import shutil
import signal
import socket
import subprocess
import time

from conftest import free_port, listening

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
HAVE_NGINX = os.path.exists(NGINX)


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
