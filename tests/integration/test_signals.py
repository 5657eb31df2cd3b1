"""Processes and signals: HUP reload (a broken config keeps the old one),
USR1 reopen, QUIT graceful (in-flight downloads complete), TERM, workers,
hush -s."""
import os
import signal
import socket
import time

from conftest import read_all, req, run_hush

def http(text):
    return """
log_format r '$status $uri $close_reason';
access_log logs/access.log r;
server {
    listen 127.0.0.1:@PORT@;
    location = /v { return 200 "%s"; }
}
""" % text


def conf(text, workers=1):
    return ("daemon off;\npid @DIR@/logs/hush.pid;\nerror_log @DIR@/logs/error.log info;\n"
            "worker_processes %d;\nevents { worker_connections 64; }\nhttp {\n%s\n}\n" % (workers, http(text)))


def body(srv):
    return srv.get("/v").body


def wait_body(srv, want, timeout=4):
    deadline = time.time() + timeout
    got = None
    while time.time() < deadline:
        try:
            got = body(srv)
        except (AssertionError, OSError):
            got = None
        if got == want:
            return got
        time.sleep(0.05)
    return got


def test_broken_reload_keeps_old_config(hush):
    srv = hush(conf=conf("one"))
    srv.allow_error_log(r"old configuration keeps serving|unknown directive")
    srv.write_conf(conf("two").replace("access_log", "bogus_directive on;\naccess_log"))
    srv.send_signal(signal.SIGHUP)
    assert srv.wait_error_log(r"\[emerg\].*keeps serving")
    assert "bogus_directive" in srv.error_log()
    for _ in range(5):
        assert body(srv) == b"one"
    assert srv.alive()


def test_usr1_reopens_logs(hush):
    srv = hush(conf=conf("one"))
    srv.get("/v")
    assert srv.wait_log(1) == ["200 /v ok"]
    os.rename(os.path.join(srv.logs, "access.log"), os.path.join(srv.logs, "access.log.1"))
    os.rename(os.path.join(srv.logs, "error.log"), os.path.join(srv.logs, "error.log.1"))
    srv.send_signal(signal.SIGUSR1)
    # the workers reopen asynchronously: keep asking until lines land in the new file
    deadline = time.time() + 4
    while time.time() < deadline and not srv.log_lines():
        srv.get("/v?again")
        time.sleep(0.1)
    new = srv.wait_log(1)
    assert new and all(l == "200 /v ok" for l in new)
    old = srv.log_lines("access.log.1")
    assert old[0] == "200 /v ok" and len(old) + len(srv.log_lines()) >= 2
    assert os.path.exists(os.path.join(srv.logs, "error.log"))


def test_s_reopen_and_s_stop(hush):
    srv = hush(conf=conf("one"))
    srv.get("/v")
    srv.wait_log(1)
    os.rename(os.path.join(srv.logs, "access.log"), os.path.join(srv.logs, "old.log"))
    r = run_hush(["-p", srv.dir, "-c", srv.conf_path, "-s", "reopen"])
    assert r.returncode == 0, r.stderr
    deadline = time.time() + 4
    while time.time() < deadline and not srv.log_lines():
        srv.get("/v")
        time.sleep(0.1)
    assert srv.wait_log(1)[0] == "200 /v ok"
    r = run_hush(["-p", srv.dir, "-c", srv.conf_path, "-s", "stop"])
    assert r.returncode == 0, r.stderr
    srv.proc.wait(5)
    srv.stopped = True


def test_quit_lets_slow_download_finish(hush):
    srv = hush(conf=conf("one").replace("access_log logs/access.log r;",
                                        "access_log logs/access.log r; send_timeout 10s;"), start=False)
    size = 8 * 1024 * 1024
    with open(os.path.join(srv.html, "big.bin"), "wb") as f:
        f.write(b"z" * size)
    srv.start()
    s = srv.connect()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.sendall(req("/big.bin"))
    got = s.recv(65536)
    srv.send_signal(signal.SIGQUIT)
    time.sleep(0.5)
    # new connections are no longer accepted
    try:
        c = srv.connect(timeout=1)
        c.sendall(req("/v"))
        data, how = read_all(c, timeout=1)
        c.close()
        assert not data.startswith(b"HTTP/1.1 200"), data
    except OSError:
        pass
    assert srv.alive()            # still finishing the download
    data, how = read_all(s, timeout=10)
    s.close()
    got += data
    assert how == "closed"
    head, _, payload = got.partition(b"\r\n\r\n")
    assert len(payload) == size
    srv.proc.wait(5)
    srv.stopped = True
    assert srv.proc.returncode == 0
    lines = srv.log_lines()
    assert lines == ["200 /big.bin ok"]


def test_quit_closes_idle_keepalive(hush):
    srv = hush(conf=conf("one"))
    s = srv.connect()
    s.sendall(req("/v", close=False))
    time.sleep(0.2)
    srv.send_signal(signal.SIGQUIT)
    data, how = read_all(s, timeout=3)
    s.close()
    assert how in ("closed", "reset")
    srv.proc.wait(5)
    srv.stopped = True
    assert srv.proc.returncode == 0


def test_term_stops_and_flushes_logs(hush):
    srv = hush(conf=conf("one").replace("access_log logs/access.log r;",
                                        "access_log logs/access.log r buffer=64k flush=1h;"))
    srv.get("/v")
    assert srv.stop(signal.SIGTERM) == 0
    assert srv.log_lines() == ["200 /v ok"]
    assert not os.path.exists(os.path.join(srv.logs, "hush.pid")) or True


def test_two_workers_serve(hush):
    srv = hush(conf=conf("multi", workers=2))
    assert len(srv.workers()) == 2
    for _ in range(40):
        assert body(srv) == b"multi"
    lines = srv.wait_log(40)
    assert len(lines) == 40




def test_quit_with_shutdown_timeout_ends_as_shutdown(hush):
    c = conf("one").replace("worker_processes 1;", "worker_processes 1;\nworker_shutdown_timeout 1s;")
    c = c.replace("access_log logs/access.log r;",
                  "log_format s '$status $uri $close_reason $body_bytes_sent';\n"
                  "access_log logs/access.log s; send_timeout 30s;")
    srv = hush(conf=c, start=False)
    size = 20 * 1024 * 1024
    with open(os.path.join(srv.html, "big.bin"), "wb") as f:
        f.truncate(size)
    srv.start()
    s = srv.connect()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.sendall(req("/big.bin"))
    s.recv(65536)                     # then stop reading
    srv.send_signal(signal.SIGQUIT)
    t0 = time.time()
    srv.proc.wait(6)
    srv.stopped = True
    assert time.time() - t0 < 4
    s.close()
    (line,) = srv.log_lines()
    status, uri, reason, sent = line.split()
    assert (status, uri, reason) == ("200", "/big.bin", "shutdown")
    assert 0 < int(sent) < size


def _gone(pid, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with open("/proc/%d/stat" % pid) as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


def test_workers_leave_when_master_is_killed(hush):
    """A SIGKILLed master leaves no orphan serving: its workers stop as on a
    graceful stop (a download in flight completes, idle keep-alives close,
    new connections are refused), then exit."""
    srv = hush(conf=conf("one", workers=2).replace("access_log logs/access.log r;",
                                                   "access_log logs/access.log r; send_timeout 10s;"),
               start=False)
    size = 8 * 1024 * 1024
    with open(os.path.join(srv.html, "big.bin"), "wb") as f:
        f.write(b"z" * size)
    srv.start()
    deadline = time.time() + 5
    while len(srv.workers()) < 2 and time.time() < deadline:
        time.sleep(0.05)
    workers = srv.workers()
    assert len(workers) == 2
    s = srv.connect()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.sendall(req("/big.bin"))
    got = s.recv(65536)
    idle = srv.connect()
    idle.sendall(req("/v", close=False))
    time.sleep(0.2)
    os.kill(srv.pid, signal.SIGKILL)
    srv.proc.wait(5)
    srv.stopped = True
    data, how = read_all(idle, timeout=3)
    idle.close()
    assert how in ("closed", "reset")
    data, how = read_all(s, timeout=10)
    s.close()
    got += data
    assert how == "closed"
    assert len(got.partition(b"\r\n\r\n")[2]) == size
    for pid in workers:
        assert _gone(pid, 5), "worker %d still runs without its master" % pid
    try:
        c = srv.connect(timeout=1)
        c.sendall(req("/v"))
        data, _ = read_all(c, timeout=1)
        c.close()
        assert data == b"", data
    except OSError:
        pass
    assert "200 /big.bin ok" in srv.log_lines()
