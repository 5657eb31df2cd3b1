"""A small real HTTP/1.1 upstream for the proxy tests, run as its own process:

    python3 backend.py PORT EVENTS.jsonl NAME     (PORT: a number, or unix:/path)

Keep-alive, Content-Length and chunked request bodies. Every request, response
and connection close is appended to EVENTS.jsonl with a timestamp, so tests
can see what the upstream saw (how many connections, which bodies, when the
proxy let go). Endpoints (any path; the query selects the behaviour):

    ?ms=N          answer after N ms, noticing meanwhile if the proxy closes
    ?mb=N          a body of N MiB, streamed (Content-Length)
    ?chunked=1     a chunked body in several chunks
    ?status=N      that status
    ?close=1       answer with Connection: close and close
    ?noresp=1      read the request, then close without answering
    ?garbage=1     answer with a malformed status line
    ?interim=1     send "100 Continue" before the answer
    ?until_close=1 an HTTP/1.0-style body ended by closing
    ?fault=F       a broken answer (test_upstream_endings.py): reset_first (RST
                   before a byte), reset_mid (a head with Content-Length: 100
                   and 10 bytes, then RST), short (the same, then FIN), nolast
                   (chunks, then FIN without the last chunk), nocolon (a header
                   line without a colon), dup_length (two Content-Length: 0),
                   dup_chunked (two Transfer-Encoding: chunked), dup_single
                   (two Expires, two ETag, two X-Many)
    ?empty=1       200 with Content-Length: 0, the connection kept
    ?only=NAME     status, noresp, garbage and fault apply only on backend NAME
    ?h=NAME:VALUE  that header field in the answer (repeatable)
    ?etag=TAG      304 Not Modified when If-None-Match is "TAG", else ETag: "TAG"
Every answer carries X-Backend: NAME and echoes what arrived:
X-Seen-Method, X-Seen-Body-Length, X-Seen-Host, X-Seen-Connection.
"""
import json
import os
import socket
import struct
import sys
import threading
import time
from urllib.parse import parse_qs, urlsplit

PORT, EVENTS, NAME = sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "b"
lock = threading.Lock()


def note(**kw):
    kw["t"] = time.time()
    kw["backend"] = NAME
    with lock, open(EVENTS, "a") as f:
        f.write(json.dumps(kw) + "\n")


class Closed(Exception):
    pass


def recv_more(c, buf):
    b = c.recv(65536)
    if not b:
        raise Closed()
    return buf + b


def read_chunked(c, buf):
    body = b""
    while True:
        while b"\r\n" not in buf:
            buf = recv_more(c, buf)
        line, buf = buf.split(b"\r\n", 1)
        size = int(line.split(b";")[0], 16)
        if size == 0:
            while b"\r\n\r\n" not in buf and not buf.startswith(b"\r\n"):
                buf = recv_more(c, buf)
            buf = buf[2:] if buf.startswith(b"\r\n") else buf.split(b"\r\n\r\n", 1)[1]
            return body, buf
        while len(buf) < size + 2:
            buf = recv_more(c, buf)
        body += buf[:size]
        buf = buf[size + 2:]


def read_request(c, buf):
    while b"\r\n\r\n" not in buf:
        buf = recv_more(c, buf)
    head, buf = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    method, target, version = lines[0].split(" ")
    hdrs = {}
    for l in lines[1:]:
        k, v = l.split(":", 1)
        hdrs[k.strip().lower()] = v.strip()
    if hdrs.get("transfer-encoding", "").lower() == "chunked":
        body, buf = read_chunked(c, buf)
    else:
        n = int(hdrs.get("content-length", "0"))
        while len(buf) < n:
            buf = recv_more(c, buf)
        body, buf = buf[:n], buf[n:]
    return method, target, version, hdrs, body, buf


def wait_or_notice_close(c, ms, conn_id):
    c.settimeout(ms / 1000.0)
    try:
        b = c.recv(1, socket.MSG_PEEK)
        if not b:
            note(ev="closed_while_working", conn=conn_id)
            return False
    except socket.timeout:
        pass
    except OSError:
        note(ev="closed_while_working", conn=conn_id)
        return False
    finally:
        c.settimeout(None)
    return True


def reset(c):
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()


def fault(c, f):
    """Answers with the broken response f; returns False (the connection is done)."""
    if f == "reset_first":
        reset(c)
    elif f in ("reset_mid", "short"):
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nContent-Type: text/plain\r\n\r\n0123456789")
        time.sleep(0.05)
        reset(c) if f == "reset_mid" else c.shutdown(socket.SHUT_WR)
    elif f == "nolast":
        c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n6\r\nsecond\r\n")
        time.sleep(0.05)
        c.shutdown(socket.SHUT_WR)
    elif f == "nocolon":
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nNoColonHere\r\n\r\nok")
    elif f == "dup_single":
        c.sendall(b"HTTP/1.1 200 OK\r\nExpires: foo\r\nETag: \"1\"\r\nExpires: bar\r\nETag: \"2\"\r\n"
                  b"X-Many: 1\r\nX-Many: 2\r\nContent-Length: 2\r\n\r\nok")
    elif f == "dup_length":
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n")
    elif f == "dup_chunked":
        c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"
                  b"2\r\nok\r\n0\r\n\r\n")
    return False


def respond(c, conn_id, method, target, hdrs, body):
    q = {k: v[0] for k, v in parse_qs(urlsplit(target).query).items()}
    extra = "".join(h + "\r\n" for h in parse_qs(urlsplit(target).query).get("h", []))
    seen = extra.encode() + ("X-Backend: %s\r\nX-Seen-Method: %s\r\nX-Seen-Body-Length: %d\r\nX-Seen-Host: %s\r\n"
            "X-Seen-Connection: %s\r\n" % (NAME, method, len(body), hdrs.get("host", "-"),
                                         hdrs.get("connection", "-"))).encode()
    if q.get("only", NAME) != NAME:
        for k in ("status", "noresp", "garbage", "fault"):
            q.pop(k, None)
    if "noresp" in q:
        return False
    if "empty" in q:
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n%s\r\n" % seen)
        return True
    if "fault" in q:
        return fault(c, q["fault"])
    if "garbage" in q:
        c.sendall(b"HTTP/1.1 2x0 Whatever\r\n\r\n")
        return False
    if "ms" in q and not wait_or_notice_close(c, int(q["ms"]), conn_id):
        return False
    if "etag" in q:
        tag = b'"%s"' % q["etag"].encode()
        if hdrs.get("if-none-match", "").encode() == tag:
            c.sendall(b"HTTP/1.1 304 Not Modified\r\nETag: %s\r\n%s\r\n" % (tag, seen))
            return True
        seen = b"ETag: %s\r\n" % tag + seen
    if "interim" in q:
        c.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
    status = int(q.get("status", "200"))
    if "mb" in q:
        total = int(q["mb"]) * 1024 * 1024
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n" % (total, seen))
        block = b"x" * 65536
        sent = 0
        while sent < total:
            c.sendall(block[:min(65536, total - sent)])
            sent += min(65536, total - sent)
        return True
    if "chunked" in q:
        c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n%s\r\n" % seen)
        for part in (b"first ", b"second ", b"third\n"):
            c.sendall(b"%x\r\n%s\r\n" % (len(part), part))
            time.sleep(0.01)
        c.sendall(b"0\r\nX-Trailer: t\r\n\r\n")
        return True
    if "until_close" in q:
        c.sendall(b"HTTP/1.0 200 OK\r\n%s\r\nbody until close\n" % seen)
        return False
    payload = b"" if method == "HEAD" else b"hello from backend %s\n" % NAME.encode()
    length = len(b"hello from backend %s\n" % NAME.encode())
    close = "close" in q
    c.sendall(b"HTTP/1.1 %d X\r\nContent-Length: %d\r\nContent-Type: text/plain\r\n%s%s\r\n%s" % (
        status, length, seen, b"Connection: close\r\n" if close else b"", payload))
    return not close


def handle(c, addr):
    conn_id = "%s:%d" % addr if isinstance(addr, tuple) else "unix:%d" % c.fileno()
    note(ev="connected", conn=conn_id)
    buf = b""
    try:
        while True:
            method, target, version, hdrs, body, buf = read_request(c, buf)
            note(ev="request", conn=conn_id, method=method, target=target, version=version,
                 headers=hdrs, body=body.decode("latin-1"))
            if not respond(c, conn_id, method, target, hdrs, body):
                break
            note(ev="responded", conn=conn_id, target=target)
    except Closed:
        note(ev="client_closed", conn=conn_id)
    except OSError as e:
        note(ev="error", conn=conn_id, err=str(e))
    finally:
        c.close()


def main():
    if PORT.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX)
        s.bind(PORT[5:])
        os.chmod(PORT[5:], 0o777)  # hush's workers may run as nobody
    else:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", int(PORT)))
    s.listen(128)
    note(ev="listening")
    while True:
        c, a = s.accept()
        threading.Thread(target=handle, args=(c, a), daemon=True).start()


if __name__ == "__main__":
    main()
