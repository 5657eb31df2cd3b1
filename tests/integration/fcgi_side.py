"""Backends for the FastCGI tests: Debian's PHP-FPM, started on a unix
socket in a temp dir with its own php-fpm.conf (never the system service;
stopped by its PID), serving a small PHP app; and a fake FastCGI responder
in Python that misbehaves on request (malformed records, resets, silence)
and records what it received (FCGI_ABORT_REQUEST)."""
import glob
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time


def php_fpm_binary():
    found = sorted(glob.glob("/usr/sbin/php-fpm*"))
    return found[-1] if found else None


APP = {
    "index.php": r"""<?php
header("X-Script: " . $_SERVER["SCRIPT_NAME"]);
$body = file_get_contents("php://input");
echo "script=", $_SERVER["SCRIPT_NAME"], "\n";
echo "path_info=", $_SERVER["PATH_INFO"] ?? "", "\n";
echo "method=", $_SERVER["REQUEST_METHOD"], "\n";
echo "query=", $_SERVER["QUERY_STRING"], "\n";
echo "uri=", $_SERVER["REQUEST_URI"], "\n";
echo "filename=", $_SERVER["SCRIPT_FILENAME"] ?? "", "\n";
echo "host=", $_SERVER["HTTP_HOST"] ?? "", "\n";
echo "x_test=", $_SERVER["HTTP_X_TEST"] ?? "", "\n";
echo "https=", isset($_SERVER["HTTPS"]) ? "set" : "unset", "\n";
echo "software=", $_SERVER["SERVER_SOFTWARE"] ?? "", "\n";
echo "content_length=", $_SERVER["CONTENT_LENGTH"] ?? "", "\n";
echo "body_len=", strlen($body), "\n";
echo "body_md5=", md5($body), "\n";
""",
    "status.php": r"""<?php
http_response_code((int)($_GET["code"] ?? 200));
header("X-Accel-Secret: no");
echo "status page\n";
""",
    "redirect.php": r"""<?php
header("Location: /elsewhere");
""",
    "stderr.php": r"""<?php
error_log("hello from php");
echo "logged\n";
""",
    "fatal.php": r"""<?php
undefined_function_here();
""",
    "big.php": r"""<?php
$n = (int)($_GET["kb"] ?? 1024);
$line = str_repeat("x", 1023) . "\n";
for ($i = 0; $i < $n; $i++) echo $line;
""",
    "length.php": r"""<?php
header("Content-Length: 5");
echo "12345";
""",
    "slow.php": r"""<?php
// sleeps, then leaves a mark: what PHP did after the client left
ignore_user_abort(true);
$t = (float)($_GET["t"] ?? 1);
usleep((int)($t * 1000000));
file_put_contents(__DIR__ . "/marks/" . basename($_GET["mark"] ?? "m"), "done");
echo "slept\n";
""",
    "hello.html": "static hello\n",
    "custom404.html": "custom not found\n",
}

FPM_CONF = """[global]
pid = {dir}/php-fpm.pid
error_log = {dir}/php-fpm.log
daemonize = no
[www]
listen = {dir}/php.sock
listen.mode = 0666
{user}pm = static
pm.max_children = 4
pm.status_path = /fpm-status
catch_workers_output = no
php_admin_flag[log_errors] = on
php_admin_flag[display_errors] = off
"""


class PhpFpm:
    """PHP-FPM on a unix socket in a temp dir, the app in dir/app."""

    def __init__(self):
        self.binary = php_fpm_binary()
        self.dir = tempfile.mkdtemp(prefix="hush-fpm-")
        os.chmod(self.dir, 0o755)
        self.app = os.path.join(self.dir, "app")
        self.marks = os.path.join(self.app, "marks")
        os.makedirs(self.marks)
        os.chmod(self.marks, 0o777)
        for name, text in APP.items():
            with open(os.path.join(self.app, name), "w") as f:
                f.write(text)
        self.sock = os.path.join(self.dir, "php.sock")
        user = "user = root\ngroup = root\n" if os.geteuid() == 0 else ""
        with open(os.path.join(self.dir, "php-fpm.conf"), "w") as f:
            f.write(FPM_CONF.format(dir=self.dir, user=user))
        self.proc = None

    def start(self):
        args = [self.binary, "-y", os.path.join(self.dir, "php-fpm.conf"), "-F"]
        if os.geteuid() == 0:
            args.append("-R")
        self.log = open(os.path.join(self.dir, "stdout.log"), "ab")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("php-fpm exited: %s" % self.output())
            if os.path.exists(self.sock):
                return self
            time.sleep(0.05)
        raise AssertionError("php-fpm did not listen: %s" % self.output())

    def output(self):
        out = ""
        for name in ("stdout.log", "php-fpm.log"):
            try:
                with open(os.path.join(self.dir, name)) as f:
                    out += f.read()
            except OSError:
                pass
        return out

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGQUIT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        if self.proc:
            self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


# ---- the fake responder ----------------------------------------------------

def record(rtype, content=b"", rid=1, version=1, pad=0):
    return struct.pack(">BBHHBB", version, rtype, rid, len(content), pad, 0) + content + b"\0" * pad


def end_request(rid=1, app=0, proto=0):
    return record(3, struct.pack(">IB3x", app, proto), rid)


def read_records(conn, until):
    """Reads records until until(rtype, content) is true or EOF; returns the list."""
    got, buf = [], b""
    while True:
        try:
            b = conn.recv(65536)
        except OSError:
            return got
        if not b:
            return got
        buf += b
        while len(buf) >= 8:
            ver, rtype, rid, clen, pad, _ = struct.unpack(">BBHHBB", buf[:8])
            if len(buf) < 8 + clen + pad:
                break
            content = buf[8:8 + clen]
            buf = buf[8 + clen + pad:]
            got.append((rtype, content))
            if until(rtype, content):
                return got


def params_of(records):
    data = b"".join(c for t, c in records if t == 4)
    out, i = {}, 0
    while i < len(data):
        lens = []
        for _ in range(2):
            n = data[i]
            if n & 0x80:
                n = struct.unpack(">I", data[i:i + 4])[0] & 0x7fffffff
                i += 4
            else:
                i += 1
            lens.append(n)
        name = data[i:i + lens[0]].decode()
        value = data[i + lens[0]:i + lens[0] + lens[1]].decode("latin-1")
        i += lens[0] + lens[1]
        out[name] = value
    return out


def stdin_done(rtype, content):
    return rtype == 5 and content == b""


class FakeFcgi:
    """Answers by REQUEST_URI's path: /ok, /badversion, /badtype, /badhead,
    /truncated, /closed, /reset, /silent (waits: records what comes, e.g.
    FCGI_ABORT_REQUEST), /stderr (split stderr records with padding),
    /cl_short (Content-Length longer than the body)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.seen = []          # (path, records after the request), per request
        self.connections = 0
        self.stopped = False
        threading.Thread(target=self.loop, daemon=True).start()

    def loop(self):
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def serve(self, conn):
        with conn:
            while True:
                recs = read_records(conn, stdin_done)
                if not recs or not stdin_done(*recs[-1]):
                    return
                path = "/" + params_of(recs).get("REQUEST_URI", "/").split("?")[0].rsplit("/", 1)[-1]
                if not self.answer(conn, path):
                    return

    def answer(self, conn, path):
        out = lambda data: record(6, data)  # noqa: E731
        head = b"Content-Type: text/plain\r\n\r\n"
        if path == "/ok":
            conn.sendall(out(head + b"fake ok\n") + out(b"") + end_request())
            return True
        if path == "/badversion":
            conn.sendall(record(6, head, version=2))
        elif path == "/badtype":
            conn.sendall(record(9, b"x"))
        elif path == "/badhead":
            conn.sendall(out(b"this is not a header\r\n\r\n") + out(b"") + end_request())
        elif path == "/truncated":
            conn.sendall(out(head + b"part of the body"))
            time.sleep(0.1)
        elif path == "/reset":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif path == "/stderr":
            conn.sendall(record(7, b"first ", pad=3) + record(7, b"half\n", pad=5) + record(7, b"") +
                         out(head) + record(7, b"second line") + out(b"body\n", ) + out(b"") + end_request())
            return True
        elif path == "/cl_short":
            conn.sendall(out(b"Content-Length: 100\r\n\r\nonly this") + out(b"") + end_request())
        elif path == "/silent":
            self.seen.append((path, read_records(conn, lambda t, c: False)))
        return False

    def stop(self):
        self.stopped = True
        self.sock.close()
