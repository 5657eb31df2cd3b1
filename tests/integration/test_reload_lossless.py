"""Reloads lose nothing (issue #16, item 3): a worker's listening socket is
handed on to its successor and never closed with connections queued on it,
so twenty reloads under a new-connection-per-request load fail no request;
old generations are never killed to make room while they serve (slow
downloads across twenty reloads all complete); past 32 old generations a
reload waits, says so, and runs when one of them is done."""
import re
import signal
import socket
import threading
import time

from conftest import parse_responses, req

BIG = 2 << 20


def conf(version, workers=2):
    return ("daemon off;\npid @DIR@/logs/hush.pid;\nerror_log @DIR@/logs/error.log info;\n"
            "worker_processes %d;\nevents { worker_connections 256; }\nhttp {\n"
            "access_log off;\n"
            "server {\n    listen 127.0.0.1:@PORT@;\n    location = /v { return 200 \"%s\"; }\n"
            "    location / { }\n}\n}\n" % (workers, version))


def hammer(port, stop, counts):
    """New connection per request, as fast as it goes; counts ok / failed."""
    while not stop.is_set():
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=3)
            s.sendall(req("/v"))
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            s.close()
            rs = parse_responses(data)
            ok = len(rs) == 1 and rs[0].status == 200
        except OSError as e:
            ok = False
            counts.setdefault("errors", []).append(repr(e))
        counts["ok" if ok else "failed"] = counts.get("ok" if ok else "failed", 0) + 1


def reload_times(srv, n, gap):
    for i in range(n):
        srv.write_conf(conf("v%d" % (i + 1)))
        srv.send_signal(signal.SIGHUP)
        time.sleep(gap)


def test_twenty_reloads_under_new_connections_lose_nothing(hush):
    srv = hush(conf=conf("v0"))
    stop = threading.Event()
    counts = [{} for _ in range(3)]
    threads = [threading.Thread(target=hammer, args=(srv.port, stop, c)) for c in counts]
    for t in threads:
        t.start()
    try:
        time.sleep(0.3)
        reload_times(srv, 20, 0.2)
        time.sleep(0.3)
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    ok = sum(c.get("ok", 0) for c in counts)
    failed = sum(c.get("failed", 0) for c in counts)
    print("requests across 20 reloads: %d ok, %d failed" % (ok, failed))
    assert failed == 0, [c.get("errors", [])[:3] for c in counts]
    assert ok > 200
    assert srv.get("/v").body == b"v20"
    assert srv.error_log().count("reloading configuration") == 20


def slow_download(port, results, i):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        s.sendall(req("/big"))
        got = 0
        while True:
            chunk = s.recv(16384)
            if not chunk:
                break
            got += len(chunk)
            time.sleep(0.004)            # ~4 MB/s at most: the download spans the reloads
        s.close()
        results[i] = got
    except OSError as e:
        results[i] = repr(e)


def test_slow_downloads_across_twenty_reloads_all_complete(hush):
    srv = hush(conf=conf("v0", workers=1))
    srv.write("big", b"x" * BIG)
    head = len(srv.exchange(req("/big", method="HEAD")).data)
    results = [None] * 6
    threads = []
    for i in range(len(results)):          # downloads start in several generations
        t = threading.Thread(target=slow_download, args=(srv.port, results, i))
        t.start()
        threads.append(t)
        srv.write_conf(conf("v%d" % (i + 1), workers=1))
        srv.send_signal(signal.SIGHUP)
        time.sleep(0.1)
    reload_times(srv, 14, 0.1)
    for t in threads:
        t.join(30)
    assert results == [head + BIG] * len(results), results
    assert not re.search(r"\[alert\]|\[crit\]", srv.error_log()), srv.error_log()


def test_past_32_old_generations_a_reload_waits(hush):
    srv = hush(conf=conf("v0", workers=1))
    srv.write("big", b"x" * (8 << 20))
    held = []
    version = 0
    # a download that is never read keeps its generation serving; a stopping
    # worker may still take a connection of the next round, so go on until
    # the master says it waits (32 generations alive), at most 50 rounds
    while "reload postponed" not in srv.error_log() and version < 50:
        s = srv.connect()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(req("/big"))
        deadline = time.time() + 3
        while len(s.recv(4096, socket.MSG_PEEK)) == 0 and time.time() < deadline:
            time.sleep(0.01)
        held.append(s)
        version += 1
        srv.write_conf(conf("v%d" % version, workers=1))
        srv.send_signal(signal.SIGHUP)
        deadline = time.time() + 5        # the new generation serves before the next
        while srv.get("/v").body != b"v%d" % version and time.time() < deadline:
            if "reload postponed" in srv.error_log():
                break
            time.sleep(0.02)
    assert srv.wait_error_log(r"\[warn\].*reload postponed: 32 old generations still finish their requests")
    assert srv.get("/v").body == b"v%d" % (version - 1)
    assert len(srv.workers()) == 33       # 32 old, none killed, and the current one
    for s in held:                        # old generations finish: the waiting reload runs
        s.close()
        if srv.get("/v").body == b"v%d" % version:
            break
        time.sleep(0.05)
    deadline = time.time() + 5
    while srv.get("/v").body != b"v%d" % version and time.time() < deadline:
        time.sleep(0.05)
    assert srv.get("/v").body == b"v%d" % version
    for s in held:
        s.close()
