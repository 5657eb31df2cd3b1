"""Shared harness for hush's black-box integration tests.

Each test gets a factory, `hush`, that writes a configuration (nginx syntax,
inline in the test, with @PORT@ / @PORT2@ / @DIR@ substituted) into a fresh
temporary directory holding html/ and logs/, picks free loopback ports, starts
the real binary (from $HUSH_BUILD, default build/) with `-p DIR -c DIR/hush.conf`,
waits until it listens, and stops it by PID at teardown (SIGTERM, then wait).

    srv = hush('server { listen 127.0.0.1:@PORT@; }')          # http { } body
    srv = hush(conf=FULL_CONFIG)                                 # whole file
    r = srv.exchange(b"GET / HTTP/1.0\\r\\n\\r\\n")                # raw bytes
    r.data, r.how                                                # how: closed|reset|timeout
    srv.wait_log(1)                                              # poll access.log

Teardown fails the test when hush's error log has an [alert] or [emerg] line
(unless the test declared it expected with srv.allow_error_log(regex)), when
the process died on its own, or when its stderr (captured to DIR/stderr.log)
holds an AddressSanitizer / UBSan / LeakSanitizer report.

HUSH_KEEP_TMP=1 keeps the temporary directories (their paths are printed).
"""
import calendar
import json
import errno
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("HUSH_BUILD", "build")
if not os.path.isabs(BUILD):
    BUILD = os.path.join(ROOT, BUILD)
HUSH_BIN = os.path.join(BUILD, "hush")

# A fixed modification time for the files tests create, so ETag and
# Last-Modified are known in advance.
MTIME = 1700000000  # Tue, 14 Nov 2023 22:13:20 GMT
MTIME_HTTP = "Tue, 14 Nov 2023 22:13:20 GMT"

MAIN_PREAMBLE = """\
daemon off;
pid @DIR@/logs/hush.pid;
error_log @DIR@/logs/error.log info;
"""

SANITIZER_RE = re.compile(r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|"
                          r"UndefinedBehaviorSanitizer|SUMMARY: \w+Sanitizer")


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def listening(port):
    """True when some socket listens on 127.0.0.1:port or *:port (IPv4)."""
    want = ":%04X" % port
    try:
        with open("/proc/net/tcp") as f:
            next(f)
            for line in f:
                parts = line.split()
                if parts[1].endswith(want) and parts[3] == "0A":
                    return True
    except OSError:
        pass
    return False


def etag_for(size, mtime=MTIME):
    return '"%x-%x"' % (mtime, size)


def http_date(ts):
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(ts))


def parse_http_date(s):
    return calendar.timegm(time.strptime(s, "%a, %d %b %Y %H:%M:%S GMT"))


class Reply:
    """What a raw exchange produced: the bytes received and how it ended."""

    def __init__(self, data, how, elapsed):
        self.data = data
        self.how = how          # "closed" (FIN), "reset" (RST) or "timeout"
        self.elapsed = elapsed

    def responses(self, head=False):
        return parse_responses(self.data, head=head)

    def __repr__(self):
        return "Reply(how=%s, %d bytes: %r)" % (self.how, len(self.data), self.data[:300])


class Response:
    def __init__(self, status, reason, version, headers, body, raw):
        self.status = status
        self.reason = reason
        self.version = version
        self.headers = headers  # list of (name, value) in order
        self.body = body
        self.raw = raw

    def header(self, name, default=None):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return default

    def names(self):
        return [k for k, _ in self.headers]

    def __repr__(self):
        return "Response(%d, %r, body=%r)" % (self.status, self.headers, self.body[:80])


def parse_responses(data, head=False):
    """Split a byte stream into responses (Content-Length framing only).
    `head` may be a bool or a list of bools, one per response (HEAD replies
    carry no body). A truncated trailing response raises ValueError."""
    out = []
    i = 0
    n = 0
    while i < len(data):
        end = data.find(b"\r\n\r\n", i)
        if end < 0:
            raise ValueError("truncated head at %d: %r" % (i, data[i:i + 200]))
        lines = data[i:end].decode("latin-1").split("\r\n")
        version, code, reason = (lines[0].split(" ", 2) + [""])[:3]
        headers = []
        for line in lines[1:]:
            k, v = line.split(":", 1)
            headers.append((k, v.strip()))
        start = end + 4
        is_head = head[n] if isinstance(head, (list, tuple)) else head
        cl = None
        for k, v in headers:
            if k.lower() == "content-length":
                cl = int(v)
        status = int(code)
        if is_head or status in (204, 304) or 100 <= status < 200:
            blen = 0
        elif cl is None:
            blen = len(data) - start
        else:
            blen = cl
        if start + blen > len(data):
            raise ValueError("truncated body: want %d, have %d" % (blen, len(data) - start))
        out.append(Response(status, reason, version, headers, data[start:start + blen],
                            data[i:start + blen]))
        i = start + blen
        n += 1
    return out


def mask_date(raw):
    """Replace the Date header's value (it changes every second) with DATE."""
    return re.sub(rb"\r\nDate: [^\r]*\r\n", b"\r\nDate: DATE\r\n", raw)


def req(path="/", method="GET", host="localhost", version="HTTP/1.1", headers=(),
        close=True, body=b""):
    """Build a request head (and body) as bytes."""
    lines = ["%s %s %s" % (method, path, version)]
    if host is not None:
        lines.append("Host: %s" % host)
    for h in headers:
        lines.append(h)
    if close and version == "HTTP/1.1":
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def read_all(sock, timeout=2.0, limit=None):
    """Read until EOF, RST, `timeout` seconds of silence, or `limit` bytes.
    Returns (data, how)."""
    sock.settimeout(timeout)
    chunks = []
    total = 0
    how = "timeout"
    while True:
        try:
            b = sock.recv(1 << 16)
        except socket.timeout:
            how = "timeout"
            break
        except ConnectionResetError:
            how = "reset"
            break
        if not b:
            how = "closed"
            break
        chunks.append(b)
        total += len(b)
        if limit is not None and total >= limit:
            how = "limit"
            break
    return b"".join(chunks), how


class Hush:
    def __init__(self, tmpdir, conf_text, name):
        self.dir = tmpdir
        # started as root, hush's workers run as nobody (nginx's default user):
        # they must reach html/ as any nginx's would
        os.chmod(tmpdir, 0o755)
        self.html = os.path.join(tmpdir, "html")
        self.logs = os.path.join(tmpdir, "logs")
        os.makedirs(self.html, exist_ok=True)
        os.makedirs(self.logs, exist_ok=True)
        self.port = free_port()
        self.port2 = free_port()
        while self.port2 == self.port:
            self.port2 = free_port()
        self.conf_path = os.path.join(tmpdir, "hush.conf")
        self.stderr_path = os.path.join(tmpdir, "stderr.log")
        self.name = name
        self.proc = None
        self.stopped = False
        self.allowed = []
        self.write_conf(conf_text)

    # -- configuration -----------------------------------------------------
    def subst(self, text):
        return (text.replace("@PORT2@", str(self.port2)).replace("@PORT@", str(self.port))
                .replace("@DIR@", self.dir))

    def write_conf(self, text, path=None):
        with open(path or self.conf_path, "w") as f:
            f.write(self.subst(text))

    def write(self, rel, content, mtime=MTIME, root=None):
        """Create a file under html/ (or under `root`, relative to the temp dir)."""
        base = os.path.join(self.dir, root) if root else self.html
        path = os.path.join(base, rel.lstrip("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if isinstance(content, str):
            content = content.encode()
        with open(path, "wb") as f:
            f.write(content)
        if mtime is not None:
            os.utime(path, (mtime, mtime))
        return path

    # -- process -----------------------------------------------------------
    def start(self, wait=True, args=()):
        env = dict(os.environ)
        self._stderr = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen([HUSH_BIN, "-p", self.dir, "-c", self.conf_path] + list(args),
                                     cwd=self.dir, stdin=subprocess.DEVNULL,
                                     stdout=self._stderr, stderr=self._stderr, env=env)
        if wait:
            self.wait_listening()
        return self

    def wait_listening(self, port=None, timeout=10.0):
        port = port or self.port
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("hush exited with %s while starting:\n%s\n%s" % (
                    self.proc.returncode, self.stderr(), self.error_log()))
            if listening(port):
                # the master listens before its workers run; give them a moment
                time.sleep(0.05)
                return
            time.sleep(0.02)
        raise AssertionError("hush did not listen on %d within %.0fs" % (port, timeout))

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def send_signal(self, signo):
        assert self.alive(), "hush is not running"
        os.kill(self.proc.pid, signo)

    def stop(self, signo=signal.SIGTERM, timeout=15.0):
        """Stop the process we started (by PID) and wait; returns its exit code."""
        if self.proc is None or self.stopped:
            return self.proc.returncode if self.proc else None
        self.stopped = True
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signo)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
                raise AssertionError("hush did not stop within %.0fs after signal %d" % (timeout, signo))
        self._stderr.close()
        return self.proc.returncode

    def workers(self):
        """PIDs of the master's children (its workers)."""
        out = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % pid) as f:
                    st = f.read()
            except OSError:
                continue
            fields = st.rsplit(")", 1)[1].split()
            if int(fields[1]) == self.proc.pid and fields[0] != "Z":
                out.append(int(pid))
        return sorted(out)

    # -- traffic -------------------------------------------------------------
    def connect(self, port=None, timeout=5.0):
        return socket.create_connection(("127.0.0.1", port or self.port), timeout=timeout)

    def exchange(self, data, timeout=2.0, port=None, shut_wr=False, limit=None):
        """Send raw bytes (a bytes object or a list of (bytes, delay) pieces),
        read until close/reset/timeout."""
        t0 = time.time()
        s = self.connect(port)
        try:
            if isinstance(data, (list, tuple)):
                for piece, delay in data:
                    s.sendall(piece)
                    if delay:
                        time.sleep(delay)
            elif data:
                s.sendall(data)
            if shut_wr:
                s.shutdown(socket.SHUT_WR)
            got, how = read_all(s, timeout, limit)
        finally:
            s.close()
        return Reply(got, how, time.time() - t0)

    def get(self, path="/", **kw):
        """One request with Connection: close; returns the single Response."""
        timeout = kw.pop("timeout", 2.0)
        head = kw.get("method") == "HEAD"
        r = self.exchange(req(path, **kw), timeout=timeout)
        assert r.how == "closed", r
        rs = parse_responses(r.data, head=head)
        assert len(rs) == 1, rs
        return rs[0]

    # -- logs --------------------------------------------------------------
    def log_lines(self, name="access.log"):
        path = name if os.path.isabs(name) else os.path.join(self.logs, name)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return []
        return [l.decode("latin-1") for l in data.split(b"\n") if l]

    def wait_log(self, n=1, name="access.log", match=None, timeout=2.5):
        """Poll a log until it has at least n lines (matching `match`, a regex,
        if given); returns all (matching) lines."""
        deadline = time.time() + timeout
        while True:
            lines = self.log_lines(name)
            if match:
                lines = [l for l in lines if re.search(match, l)]
            if len(lines) >= n or time.time() > deadline:
                return lines
            time.sleep(0.02)

    def expect_log(self, n, name="access.log", settle=0.3):
        """Wait for exactly n lines: poll until n, then make sure no more come."""
        lines = self.wait_log(n, name)
        time.sleep(settle)
        lines = self.log_lines(name)
        assert len(lines) == n, lines
        return lines

    def error_log(self):
        try:
            with open(os.path.join(self.logs, "error.log"), "rb") as f:
                return f.read().decode("latin-1")
        except FileNotFoundError:
            return ""

    def wait_error_log(self, regex, timeout=3.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if re.search(regex, self.error_log()):
                return True
            time.sleep(0.02)
        return False

    def stderr(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("latin-1")
        except FileNotFoundError:
            return ""

    def allow_error_log(self, regex):
        """Declare an [alert]/[emerg] line the test provokes on purpose."""
        self.allowed.append(re.compile(regex))

    # -- teardown checks -----------------------------------------------------
    def problems(self):
        out = []
        if self.proc is not None and not self.stopped and self.proc.poll() is not None:
            out.append("hush died unexpectedly with status %s" % self.proc.returncode)
        for line in self.error_log().splitlines():
            if "[alert]" in line or "[emerg]" in line:
                if not any(a.search(line) for a in self.allowed):
                    out.append("error log: " + line)
        err = self.stderr()
        if SANITIZER_RE.search(err):
            out.append("sanitizer report on stderr:\n" + err[-4000:])
        return out


def run_hush(args, cwd=None, timeout=10):
    """Run the binary to completion (e.g. -t); returns CompletedProcess with text."""
    return subprocess.run([HUSH_BIN] + list(args), cwd=cwd, capture_output=True,
                          timeout=timeout, text=True, errors="replace")


@pytest.fixture
def hush(request):
    """Factory: hush(http_body) or hush(conf=full_text, start=False, ...)."""
    made = []

    def make(http=None, conf=None, start=True, events="worker_connections 256;", main="",
             args=()):
        tmpdir = tempfile.mkdtemp(prefix="hush-it-")
        if conf is None:
            conf = MAIN_PREAMBLE + main + "\nevents { %s }\nhttp {\n%s\n}\n" % (events, http or "")
        srv = Hush(tmpdir, conf, request.node.name)
        made.append(srv)
        if start:
            srv.start(args=args)
        return srv

    yield make

    failures = []
    for srv in made:
        try:
            srv.stop()
        except AssertionError as e:
            failures.append(str(e))
        failures.extend(srv.problems())
        if os.environ.get("HUSH_KEEP_TMP") == "1":
            print("kept %s" % srv.dir)
        else:
            shutil.rmtree(srv.dir, ignore_errors=True)
    if failures:
        pytest.fail("\n".join(failures), pytrace=False)


@pytest.fixture
def tmpconf():
    """A temp dir for `hush -t` tests (no server started)."""
    d = tempfile.mkdtemp(prefix="hush-t-")
    os.chmod(d, 0o755)
    os.makedirs(os.path.join(d, "logs"))
    os.makedirs(os.path.join(d, "html"))
    yield d
    if os.environ.get("HUSH_KEEP_TMP") != "1":
        shutil.rmtree(d, ignore_errors=True)


# ---- a real upstream process (backend.py) for proxy and metrics tests ----

HERE = os.path.dirname(os.path.abspath(__file__))


class Backend:
    def __init__(self, name, unix=None):
        self.name = name
        self.port = free_port()
        self.unix = unix
        fd, self.events_path = tempfile.mkstemp(prefix="hush-be-", suffix=".jsonl")
        os.close(fd)
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "backend.py"),
                                      "unix:" + unix if unix else str(self.port),
                                      self.events_path, name])
        deadline = time.time() + 5
        while time.time() < deadline:
            if any(e["ev"] == "listening" for e in self.events()):
                return
            time.sleep(0.02)
        raise RuntimeError("backend did not start")

    def events(self, ev=None):
        with open(self.events_path) as f:
            out = [json.loads(l) for l in f if l.strip()]
        return [e for e in out if ev is None or e["ev"] == ev]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(5)
        os.unlink(self.events_path)


@pytest.fixture
def backend():
    made = []

    def make(name="b", unix=None):
        b = Backend(name, unix)
        made.append(b)
        return b

    yield make
    for b in made:
        b.stop()


def dechunk(body):
    """The payload of a chunked body (extensions ignored); asserts that the
    last chunk is there."""
    out = b""
    while body:
        size, _, rest = body.partition(b"\r\n")
        n = int(size.split(b";")[0], 16)
        if n == 0:
            return out
        out += rest[:n]
        body = rest[n + 2:]
    raise AssertionError("no last chunk")
