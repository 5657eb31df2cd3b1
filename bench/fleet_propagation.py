#!/usr/bin/env python3
"""bench/fleet.sh's ban propagation: N bans triggered on instance A (one
dropped request from a fresh loopback address each, threshold=1), each timed
until instance B drops a new connection from that address. Prints
"N median_ms p99_ms max_ms".

Usage: fleet_propagation.py PORT_A PORT_B N"""
import socket
import statistics
import sys
import time


def exchange(port, src, path):
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(2)
    try:
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path.encode())
        return s.recv(64)
    except (ConnectionResetError, BrokenPipeError):
        return b""
    finally:
        s.close()


def main():
    a, b, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    times = []
    for i in range(n):
        src = "127.0.%d.%d" % (100 + i // 250, 1 + i % 250)
        t0 = time.perf_counter()
        exchange(a, src, "/bad")
        while exchange(b, src, "/") != b"":
            if time.perf_counter() - t0 > 5:
                sys.exit("ban of %s never reached B" % src)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    print("%d %.2f %.2f %.2f" % (n, statistics.median(times), times[max(0, int(n * 0.99) - 1)], times[-1]))


main()
