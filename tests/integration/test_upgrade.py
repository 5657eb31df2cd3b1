"""Binary upgrade on the fly, as nginx's, and reload, under a bounded load
with every request counted: USR2 starts the binary now at the path hush was
started from, with the listening sockets inherited ($HUSH); the pid file
becomes .oldbin; WINCH stops the old workers; a reload of the new master;
QUIT ends the old master. Not one request fails. Then the way back: a new
master that exits hands the pid file back, HUP restarts the old master's
workers after WINCH, and a binary that cannot be executed changes nothing."""
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import HUSH_BIN, free_port

CLIENTS = 4
MAX_REQUESTS = 20000   # per run, all clients together
MAX_SECONDS = 40


def conf(d, port, text):
    return ("daemon off;\nworker_processes 2;\npid %s/logs/hush.pid;\nerror_log %s/logs/error.log info;\n"
            "events { worker_connections 256; }\nhttp {\naccess_log off;\nserver {\n"
            "listen 127.0.0.1:%d;\nlocation / { return 200 \"%s\"; }\n}\n}\n" % (d, d, port, text))


def read_pid(path):
    try:
        with open(path) as f:
            return int(f.read())
    except (OSError, ValueError):
        return None


def state(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return fields[0], int(fields[1])
    except OSError:
        return None, None


def alive(pid):
    return state(pid)[0] not in (None, "Z")


def children(pid):
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit() and state(int(p)) [1] == pid and alive(int(p)):
            out.append(int(p))
    return sorted(out)


def title(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().split(b"\0")[0].decode()
    except OSError:
        return ""


def until(cond, timeout=10, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.02)
    raise AssertionError("timed out waiting for %s" % what)


def workers_of(master, n=2):
    return until(lambda: [w for w in children(master) if title(w) == "hush: worker process"]
                 if len([w for w in children(master) if title(w) == "hush: worker process"]) >= n else None,
                 what="%d workers of %d" % (n, master))


class Load:
    """CLIENTS threads, one request per connection, until stopped or bounded."""

    def __init__(self, port, bodies):
        self.port, self.bodies = port, bodies
        self.ok = self.failed = 0
        self.failures = []
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(CLIENTS)]
        self.deadline = time.time() + MAX_SECONDS

    def one(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                b = s.recv(65536)
                if not b:
                    break
                data += b
        head, _, body = data.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200 ") or body not in self.bodies:
            raise AssertionError("unexpected reply %r" % data[:200])

    def run(self):
        while not self.stop.is_set() and time.time() < self.deadline:
            with self.lock:
                if self.ok + self.failed >= MAX_REQUESTS:
                    return
            try:
                self.one()
                ok = True
            except (OSError, AssertionError) as e:
                ok = False
                err = repr(e)
            with self.lock:
                if ok:
                    self.ok += 1
                else:
                    self.failed += 1
                    self.failures.append(err)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def settle(self, n=200):
        """Lets at least n more requests through (the load goes on meanwhile)."""
        start = self.ok + self.failed
        until(lambda: self.ok + self.failed >= start + n, timeout=20, what="%d requests" % n)

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(10)


@pytest.fixture
def upgrade_env(tmp_path):
    """A copy of the binary to start from and replace, and cleanup by PID."""
    d = str(tmp_path)
    os.makedirs(os.path.join(d, "logs"))
    binary = os.path.join(d, "sbin", "hush")
    os.makedirs(os.path.dirname(binary))
    shutil.copy2(HUSH_BIN, binary)
    started = []
    yield d, binary, started
    for pid in started + [read_pid(os.path.join(d, "logs", "hush.pid"))]:
        if pid and alive(pid):
            os.kill(pid, signal.SIGTERM)
            until(lambda: not alive(pid), timeout=15, what="pid %d to stop" % pid)
    with open(os.path.join(d, "logs", "error.log")) as f:
        log = f.read()
    bad = [l for l in log.splitlines() if ("[alert]" in l or "[emerg]" in l) and "execve()" not in l
           and "changing binary signal is ignored" not in l]
    assert not bad, log


def start(d, binary, port, text, started):
    path = os.path.join(d, "hush.conf")
    with open(path, "w") as f:
        f.write(conf(d, port, text))
    err = open(os.path.join(d, "stderr.log"), "ab")
    proc = subprocess.Popen([binary, "-p", d, "-c", path], stdin=subprocess.DEVNULL, stdout=err,
                            stderr=err, cwd=d)
    started.append(proc.pid)
    pidfile = os.path.join(d, "logs", "hush.pid")
    until(lambda: read_pid(pidfile) == proc.pid, what="the pid file")
    workers_of(proc.pid)
    return proc, path, pidfile


def replace_binary(binary):
    """A new file at the same path, as a package upgrade leaves it."""
    tmp = binary + ".new"
    shutil.copy2(HUSH_BIN, tmp)
    os.replace(tmp, binary)
    return os.stat(binary).st_ino


def test_upgrade_and_reload_under_load_lose_nothing(upgrade_env):
    d, binary, started = upgrade_env
    port = free_port()
    old, path, pidfile = start(d, binary, port, "one", started)
    old_workers = workers_of(old.pid)
    with Load(port, (b"one", b"two")) as load:
        load.settle()
        inode = replace_binary(binary)
        os.kill(old.pid, signal.SIGUSR2)
        new = until(lambda: read_pid(pidfile) if read_pid(pidfile) not in (None, old.pid) else None,
                    what="the new master's pid file")
        started.append(new)
        assert read_pid(pidfile + ".oldbin") == old.pid
        assert state(new)[1] == old.pid                      # a child of the old master
        assert os.stat("/proc/%d/exe" % new).st_ino == inode  # the binary now at the path
        assert title(new) == "hush: master process %s -p %s -c %s" % (binary, d, path)
        new_workers = workers_of(new)
        assert "HUSH" not in open("/proc/%d/environ" % new_workers[0], "rb").read().decode("latin-1")
        load.settle()
        os.kill(old.pid, signal.SIGWINCH)                     # old workers finish and go
        until(lambda: not any(alive(w) for w in old_workers), what="the old workers to exit")
        assert alive(old.pid) and children(old.pid) == [new]
        load.settle()
        with open(path, "w") as f:
            f.write(conf(d, port, "two"))
        os.kill(new, signal.SIGHUP)                          # a reload of the new master
        until(lambda: not any(alive(w) for w in new_workers), what="the reload's old workers to exit")
        load.settle()
        os.kill(old.pid, signal.SIGQUIT)
        assert old.wait(15) == 0
        assert not os.path.exists(pidfile + ".oldbin") and read_pid(pidfile) == new
        load.settle()
    assert load.failed == 0, (load.failed, load.ok, load.failures[:5])
    assert load.ok >= 1000, load.ok
    log = open(os.path.join(d, "logs", "error.log")).read()
    assert re.search(r"\[notice\] %d#0: start new binary process %d" % (old.pid, new), log)
    os.kill(new, signal.SIGQUIT)
    until(lambda: not alive(new), timeout=15, what="the new master to stop")
    assert not os.path.exists(pidfile)


def test_the_way_back(upgrade_env):
    d, binary, started = upgrade_env
    port = free_port()
    old, path, pidfile = start(d, binary, port, "one", started)
    with Load(port, (b"one",)) as load:
        load.settle()
        os.kill(old.pid, signal.SIGUSR2)
        new = until(lambda: read_pid(pidfile) if read_pid(pidfile) not in (None, old.pid) else None,
                    what="the new master's pid file")
        started.append(new)
        workers_of(new)
        os.kill(old.pid, signal.SIGUSR2)                     # a second upgrade is refused
        os.kill(old.pid, signal.SIGWINCH)
        until(lambda: children(old.pid) == [new], what="the old workers to exit")
        load.settle()
        os.kill(old.pid, signal.SIGHUP)                      # workers again, same configuration
        workers_of(old.pid)
        load.settle()
        os.kill(new, signal.SIGQUIT)                         # the new binary goes away
        until(lambda: read_pid(pidfile) == old.pid, what="the pid file back")
        assert not os.path.exists(pidfile + ".oldbin")
        load.settle()
    assert load.failed == 0, (load.failed, load.ok, load.failures[:5])
    log = open(os.path.join(d, "logs", "error.log")).read()
    assert "the changing binary signal is ignored" in log
    assert "start worker processes" in log


def test_a_binary_that_cannot_run_changes_nothing(upgrade_env):
    d, binary, started = upgrade_env
    port = free_port()
    old, path, pidfile = start(d, binary, port, "one", started)
    os.unlink(binary)
    os.kill(old.pid, signal.SIGUSR2)
    log = os.path.join(d, "logs", "error.log")
    until(lambda: "new binary process" in open(log).read() and read_pid(pidfile) == old.pid
          and not os.path.exists(pidfile + ".oldbin"), what="the pid file back")
    assert 'execve() failed while executing new binary process "%s"' % binary in open(log).read()
    assert len(workers_of(old.pid)) == 2 and alive(old.pid)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        assert s.recv(1000).startswith(b"HTTP/1.1 200")
    os.kill(old.pid, signal.SIGQUIT)
    assert old.wait(15) == 0 and not os.path.exists(pidfile)


@pytest.mark.parametrize("value", ["garbage", "3;", "99;", "-1;", "4"])
def test_a_bad_hush_variable_is_reported_and_ignored(upgrade_env, value):
    d, binary, started = upgrade_env
    port = free_port()
    path = os.path.join(d, "hush.conf")
    with open(path, "w") as f:
        f.write(conf(d, port, "fresh"))
    r = subprocess.run([binary, "-p", d, "-c", path, "-g", "daemon on;"], capture_output=True, text=True,
                       timeout=20, env=dict(os.environ, HUSH=value), stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    master = read_pid(os.path.join(d, "logs", "hush.pid"))
    started.append(master)
    assert 'invalid socket number "%s" in HUSH environment variable' % value in r.stderr
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        assert s.recv(1000).endswith(b"fresh")
