"""A redis-server of the test's own, on a free loopback port (never a system
service), stopped by PID; a tiny RESP client; and a "mute" Redis that
accepts connections and never answers."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import free_port, listening

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


class Redis:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="hush-redis-")
        self.port = free_port()
        self.proc = None

    def start(self):
        log = open(os.path.join(self.dir, "redis.log"), "ab")
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--dir", self.dir],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.time() + 10
        while not listening(self.port):
            assert self.proc.poll() is None, "redis-server exited"
            assert time.time() < deadline, "redis-server did not listen"
            time.sleep(0.02)
        return self

    def kill(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def url(self):
        return "redis://127.0.0.1:%d" % self.port

    def cmd(self, *args):
        """One command over a fresh connection; the reply, roughly decoded."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=3)
        try:
            out = b"*%d\r\n" % len(args)
            for a in args:
                a = a if isinstance(a, bytes) else str(a).encode()
                out += b"$%d\r\n%s\r\n" % (len(a), a)
            s.sendall(out)
            return read_reply(s.makefile("rb"))
        finally:
            s.close()


def read_reply(f):
    line = f.readline().rstrip(b"\r\n")
    kind, rest = line[:1], line[1:]
    if kind in (b"+", b"-"):
        return rest.decode()
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)[:-2]
        return data.decode(errors="replace")
    if kind == b"*":
        return [read_reply(f) for _ in range(int(rest))]
    raise AssertionError("bad reply %r" % line)


@pytest.fixture
def redis():
    r = Redis().start()
    yield r
    r.kill()
    shutil.rmtree(r.dir, ignore_errors=True)


class MuteRedis:
    """Accepts connections, reads what comes, never answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.stop = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        self.sock.settimeout(0.2)
        while not self.stop:
            try:
                c, _ = self.sock.accept()
                c.settimeout(0.01)
                self.conns.append(c)
            except OSError:
                pass
            for c in self.conns:
                try:
                    c.recv(65536)
                except OSError:
                    pass

    def close(self):
        self.stop = True
        self.thread.join(2)
        for c in self.conns:
            c.close()
        self.sock.close()


@pytest.fixture
def mute_redis():
    m = MuteRedis()
    yield m
    m.close()
