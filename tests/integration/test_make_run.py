"""`make run` as the README promises: the bundled demo config served on
127.0.0.1:8080 from a checkout that only its owner can enter (a clone under
/root, as on a fresh machine). The server is started with the command line
of the Makefile's run target (read with `make -n run`), on a copy of the
demo's files in a 0700 directory, and on a free port instead of 8080."""
import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import HUSH_BIN, ROOT, free_port, listening, parse_responses, read_all, req


def run_command():
    out = subprocess.run(["make", "-n", "-s", "--no-print-directory", "run"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60).stdout
    lines = [l for l in out.splitlines() if "exec " in l]
    assert lines, out
    return lines[-1].split("exec ", 1)[1]


def ask(port, path, host="localhost"):
    import socket
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(req(path, host=host))
    data, _ = read_all(s, 3)
    s.close()
    return parse_responses(data)[0] if data else None


def test_demo_serves_from_a_private_checkout():
    outer = tempfile.mkdtemp(prefix="hush-makerun-")
    os.chmod(outer, 0o700)
    prefix = os.path.join(outer, "checkout")
    for d in ("conf", "html"):
        shutil.copytree(os.path.join(ROOT, d), os.path.join(prefix, d))
    port = free_port()
    conf = os.path.join(prefix, "conf", "hush.conf")
    with open(conf) as f:
        text = f.read()
    with open(conf, "w") as f:
        f.write(text.replace("127.0.0.1:8080", "127.0.0.1:%d" % port))
    cmd = run_command().replace(ROOT, prefix).replace("build/hush", HUSH_BIN, 1)
    proc = subprocess.Popen(["sh", "-c", "exec " + cmd], cwd=prefix, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 10
        while not listening(port) and time.time() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert listening(port), open(os.path.join(prefix, "logs", "error.log")).read()
        r = ask(port, "/")
        with open(os.path.join(ROOT, "html", "index.html"), "rb") as f:
            assert r.status == 200 and r.body == f.read(), r
        r = ask(port, "/hello")
        assert r.status == 200 and r.body.startswith(b"hello from hush"), r
        assert ask(port, "/drop-me") is None
        assert ask(port, "/", host="unknown.example") is None
        assert ask(port, "/nope").status == 404
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
        shutil.rmtree(outer, ignore_errors=True)
