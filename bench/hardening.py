#!/usr/bin/env python3
"""bench/hardening.py — the clients of bench/hardening.sh (one server at a time).

  slow PORT SECONDS MODE    slowhttptest MODE (slowloris, slowbody, range,
                            slowread) for SECONDS beside a well-behaved client
                            (a new connection per request to /ok, every 20 ms)
  limit PORT HOLD NEW       HOLD idle keep-alive connections (one GET each),
                            then NEW clients at once, each a GET on a new
                            connection with 3 s to be answered: served
                            (200 and the file), answered (any response)
  reload PORT PID N MODE    N reloads (SIGHUP to PID, 0.25 s apart) under
                            MODE: "conns" (3 clients, a new connection per
                            request) or "downloads" (10 slow downloads of
                            /big, read at ~3 MiB/s each, started first)

Each prints one line of KEY=VALUE figures on stdout.  Loopback only; every
wait is bounded.
"""
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time

SLOW_ARGS = {
    "slowloris": (["-H", "-i", "5"], "/"),
    "slowbody": (["-B", "-i", "5", "-s", "100000"], "/upload"),
    "range": (["-R", "-a", "10", "-b", "3000"], "/big"),
    "slowread": (["-X", "-w", "512", "-y", "1024", "-n", "5", "-z", "32", "-k", "3"], "/big"),
}
BIG = 16 << 20


def get(port, path, timeout=3.0, close=True):
    """One GET on a new connection: (socket or None, ok)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.settimeout(timeout)
    conn = "close" if close else "keep-alive"
    s.sendall(("GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: %s\r\n\r\n" % (path, conn)).encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            return None, False
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        body += chunk
    ok = head.startswith(b"HTTP/1.1 200") and len(body) == length
    if close:
        s.close()
        return None, ok
    return s, ok


def good_client(port, stop, out):
    while not stop.is_set():
        t0 = time.monotonic()
        try:
            _, ok = get(port, "/ok", timeout=2.0)
        except OSError:
            ok = False
        out.append((ok, time.monotonic() - t0))
        time.sleep(0.02)


def slow(port, seconds, mode):
    args, path = SLOW_ARGS[mode]
    stop = threading.Event()
    results = []
    t = threading.Thread(target=good_client, args=(port, stop, results))
    t.start()
    try:
        p = subprocess.run(["slowhttptest", "-l", str(seconds), "-c", "400", "-r", "200", "-p", "3"] + args +
                           ["-u", "http://127.0.0.1:%d%s" % (port, path)],
                           capture_output=True, text=True, timeout=seconds + 60)
        out = p.stdout + p.stderr
    finally:
        stop.set()
        t.join(10)
    ok = sum(1 for r in results if r[0])
    times = sorted(r[1] for r in results)
    p99 = times[max(int(len(times) * 0.99) - 1, 0)] if times else 0
    connected = "connected" in out
    print("requests=%d ok_pct=%.2f p99_ms=%.1f attack_connected=%d" % (
        len(results), 100.0 * ok / max(len(results), 1), p99 * 1000, connected))


def limit(port, hold, new):
    held = []
    for _ in range(hold):
        try:
            s, ok = get(port, "/100b.html", timeout=3.0, close=False)
            if s:
                held.append(s)
        except OSError:
            pass
    time.sleep(0.5)
    served = []

    answered = []

    def one():
        ok = False
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=3.0)
            s.settimeout(3.0)
            s.sendall(b"GET /100b.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            s.close()
            ok = data.startswith(b"HTTP/1.1 200") and data.endswith(b"x" * 99 + b"\n")
            answered.append(data.startswith(b"HTTP/"))
        except OSError:
            answered.append(False)
        served.append(ok)

    threads = [threading.Thread(target=one) for _ in range(new)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    still = 0
    for s in held:
        s.setblocking(False)
        try:
            still += s.recv(1) != b""
        except BlockingIOError:
            still += 1
        except OSError:
            pass
        s.close()
    print("held=%d served=%d answered=%d new=%d idle_left=%d" % (len(held), sum(served), sum(answered), new, still))


def hammer(port, stop, counts):
    while not stop.is_set():
        try:
            _, ok = get(port, "/100b.html", timeout=3.0)
        except OSError:
            ok = False
        counts[0 if ok else 1] += 1


def slow_download(port, results):
    got = 0
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        s.settimeout(30)
        s.sendall(b"GET /big HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        got = len(data.partition(b"\r\n\r\n")[2])
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += len(chunk)
            time.sleep(0.02)
        s.close()
    except OSError:
        pass
    results.append(got == BIG)


def reload(port, pid, n, mode):
    stop = threading.Event()
    counts = [0, 0]
    dl = []
    if mode == "conns":
        threads = [threading.Thread(target=hammer, args=(port, stop, counts)) for _ in range(3)]
    else:
        threads = [threading.Thread(target=slow_download, args=(port, dl)) for _ in range(10)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    for _ in range(n):
        os.kill(pid, signal.SIGHUP)
        time.sleep(0.25)
    time.sleep(0.5)
    stop.set()
    for t in threads:
        t.join(90)
    if mode == "conns":
        print("ok=%d failed=%d" % (counts[0], counts[1]))
    else:
        print("complete=%d cut=%d" % (sum(dl), len(dl) - sum(dl)))


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    cmd, port = sys.argv[1], int(sys.argv[2])
    if cmd == "slow":
        slow(port, int(sys.argv[3]), sys.argv[4])
    elif cmd == "limit":
        limit(port, int(sys.argv[3]), int(sys.argv[4]))
    elif cmd == "reload":
        reload(port, int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    else:
        sys.exit("usage: see the docstring")


if __name__ == "__main__":
    main()
