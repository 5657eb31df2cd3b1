"""WebSocket (and any Upgrade) through the proxy, configured as nginx's
documentation shows, against a real WebSocket server (ws_backend.py): the
101 with its Upgrade/Connection fields, frames both ways, each side closing
first, the idle and send timeouts, a big message through a slow client with
bounded memory, the access-log line written when the tunnel ends (status
101, bytes both ways, $close_reason), the endings' metrics, a graceful stop,
TLS on the client side, a 101 nobody asked for (502), and HTTP/2."""
import base64
import hashlib
import json
import os
import re
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time

import pytest

from conftest import MAIN_PREAMBLE, free_port, req
from h2util import H2Client
from test_metrics_parser import scrape
from tlsutil import certs, client_context, tls_connect  # noqa: F401

HERE = os.path.dirname(os.path.abspath(__file__))

LOG = ("log_format ws '$status $close_reason \"$request\" bs=$bytes_sent rl=$request_length '\n"
       "    'ubr=$upstream_bytes_received ubs=$upstream_bytes_sent us=$upstream_status "
       "up=$http_upgrade cu=$connection_upgrade';\n"
       "access_log logs/access.log ws;\n")

# nginx's documented configuration (README "WebSocket and Upgrade")
MAP = """
map $http_upgrade $connection_upgrade {
    default upgrade;
    ''      close;
}
"""


def ws_conf(port, location_extra="", extra="", listen="listen 127.0.0.1:@PORT@;"):
    return LOG + MAP + """
upstream wsapp { server 127.0.0.1:%d; }
server {
    %s
    location / {
        proxy_pass http://wsapp;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $connection_upgrade;
        %s
    }
    location = /metrics { metrics; }
    %s
}
""" % (port, listen, location_extra, extra)


class WsBackend:
    def __init__(self, tls=()):
        self.port = free_port()
        fd, self.events_path = tempfile.mkstemp(prefix="hush-ws-", suffix=".jsonl")
        os.close(fd)
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "ws_backend.py"), str(self.port),
                                      self.events_path] + list(tls))
        deadline = time.time() + 5
        while time.time() < deadline:
            if self.events("listening"):
                return
            time.sleep(0.02)
        raise RuntimeError("ws backend did not start")

    def events(self, ev=None):
        with open(self.events_path) as f:
            out = [json.loads(l) for l in f if l.strip()]
        return [e for e in out if ev is None or e["ev"] == ev]

    def wait(self, ev, n=1, timeout=3.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = self.events(ev)
            if len(got) >= n:
                return got
            time.sleep(0.02)
        return self.events(ev)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(5)
        os.unlink(self.events_path)


@pytest.fixture
def wsb():
    made = []

    def make(tls=()):
        b = WsBackend(tls)
        made.append(b)
        return b

    yield make
    for b in made:
        b.stop()


# ---- a WebSocket client -------------------------------------------------

KEY = base64.b64encode(b"0123456789abcdef").decode()
# RFC 6455: base64(sha1(key + its GUID))
ACCEPT = base64.b64encode(hashlib.sha1(KEY.encode() + b"258EAFA5-E914-47DA-95CA-C5AB0DC11B65").digest()).decode()
MASK = b"\x01\x02\x03\x04"


def frame(opcode, payload):
    n = len(payload)
    head = bytes([0x80 | opcode])
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    return head + MASK + bytes(b ^ MASK[i % 4] for i, b in enumerate(payload))


class Ws:
    """A client connection: the handshake's response head, then frames."""

    def __init__(self, sock, path="/echo", upgrade=True, extra=b""):
        self.sock = sock
        hdrs = "Upgrade: websocket\r\nConnection: Upgrade\r\n" if upgrade else ""
        sock.sendall(("GET %s HTTP/1.1\r\nHost: localhost\r\n%sSec-WebSocket-Key: %s\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n" % (path, hdrs, KEY)).encode() + extra)
        self.buf = bytearray()
        while b"\r\n\r\n" not in self.buf:
            b = sock.recv(65536)
            if not b:
                break
            self.buf += b
        head, _, rest = bytes(self.buf).partition(b"\r\n\r\n")
        self.buf = bytearray(rest)
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1]) if lines[0] else 0
        self.headers = {}
        for l in lines[1:]:
            k, _, v = l.partition(":")
            self.headers.setdefault(k.strip().lower(), v.strip())

    def send(self, opcode, payload):
        self.sock.sendall(frame(opcode, payload))

    def _exact(self, n):
        while len(self.buf) < n:
            b = self.sock.recv(1 << 20)
            if not b:
                raise EOFError
            self.buf += b
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def recv(self):
        b0, b1 = self._exact(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._exact(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._exact(8))[0]
        return b0 & 0x0F, self._exact(n)

    def eof(self, timeout=3.0):
        """True when the server closes within timeout (nothing more to read)."""
        self.sock.settimeout(timeout)
        try:
            while True:
                if self.buf:
                    self.buf.clear()
                b = self.sock.recv(65536)
                if not b:
                    return True
        except (socket.timeout, ConnectionResetError):
            return False


def connect(srv, path="/echo", **kw):
    return Ws(srv.connect(), path, **kw)


def log_line(srv, match=r"^101 "):
    lines = srv.wait_log(1, match=match, timeout=4)
    assert lines, srv.log_lines()
    return lines[-1]


def field(line, name):
    return re.search(r"\b%s=(\S+)" % name, line).group(1)


# ---- the handshake and frames ---------------------------------------------

def test_echo_frames_both_ways_then_client_closes(hush, wsb):
    b = wsb()
    srv = hush(ws_conf(b.port))
    ws = connect(srv)
    assert ws.status == 101
    assert ws.headers["upgrade"] == "websocket"
    assert ws.headers["connection"].lower() == "upgrade"
    assert ws.headers["sec-websocket-accept"] == ACCEPT
    assert ws.headers["x-backend"] == "ws"
    assert "content-length" not in ws.headers and "transfer-encoding" not in ws.headers
    for msg in (b"hello", b"x" * 300, b"y" * 70000):
        ws.send(1 if len(msg) < 1000 else 2, msg)
        op, data = ws.recv()
        assert data == msg
    ws.send(9, b"ping")
    assert ws.recv() == (10, b"ping")
    ev = b.events("request")[0]
    assert ev["headers"]["upgrade"] == "websocket"
    assert ev["headers"]["connection"] == "upgrade"  # $connection_upgrade
    assert ev["target"] == "/echo"
    assert not srv.log_lines()  # the line is written when the tunnel ends
    ws.sock.close()
    line = log_line(srv)
    assert " tunnel_client_close " in line, line
    assert "us=101" in line and "up=websocket cu=upgrade" in line
    sent = 5 + 2 + 300 + 4 + 70000 + 10 + 4 + 6  # echoed frames + pong
    assert int(field(line, "bs")) > sent
    assert int(field(line, "ubr")) > sent
    assert int(field(line, "ubs")) > 5 + 300 + 70000
    assert srv.wait_log(1) and len(srv.log_lines()) == 1  # no stray "-" 400 line


def test_close_handshake_upstream_closes(hush, wsb):
    """The client's Close frame is echoed and the server closes TCP first."""
    b = wsb()
    srv = hush(ws_conf(b.port))
    ws = connect(srv)
    ws.send(1, b"hi")
    assert ws.recv() == (1, b"hi")
    ws.send(8, b"\x03\xe8")
    assert ws.recv() == (8, b"\x03\xe8")
    assert ws.eof()
    line = log_line(srv)
    assert line.startswith("101 tunnel_upstream_close "), line


def test_upstream_closes_first(hush, wsb):
    b = wsb()
    srv = hush(ws_conf(b.port))
    ws = connect(srv, "/bye")
    assert ws.recv() == (1, b"bye")
    assert ws.eof()
    assert log_line(srv).startswith("101 tunnel_upstream_close ")


def test_data_right_after_the_101_and_after_the_request(hush, wsb):
    """The upstream's first frame in the 101's packet, and a client frame sent
    with the request head before any answer, both pass."""
    b = wsb()
    srv = hush(ws_conf(b.port))
    ws = connect(srv, "/early", extra=frame(1, b"first"))
    assert ws.status == 101
    assert ws.recv() == (1, b"early")
    assert ws.recv() == (1, b"first")
    ws.sock.close()
    assert " tunnel_client_close " in log_line(srv)


# ---- timeouts ---------------------------------------------------------------

def test_idle_timeout_either_way(hush, wsb):
    """proxy_read_timeout: the tunnel lives while bytes move either way (the
    client's pings keep it), and ends when nothing moves for that long."""
    b = wsb()
    srv = hush(ws_conf(b.port, "proxy_read_timeout 1s;"))
    ws = connect(srv)
    for i in range(6):  # 2.4 s of traffic, more than the timeout
        time.sleep(0.4)
        ws.send(9, b"p%d" % i)
        assert ws.recv() == (10, b"p%d" % i)
    t0 = time.time()
    assert ws.eof(timeout=4)
    assert 0.8 < time.time() - t0 < 2.5
    line = log_line(srv)
    assert line.startswith("101 tunnel_timeout "), line
    assert srv.wait_error_log(r"upstream timed out \(110: Connection timed out\) while proxying upgraded connection")


def test_silent_both_ways_times_out(hush, wsb):
    b = wsb()
    srv = hush(ws_conf(b.port, "proxy_read_timeout 500ms;"))
    ws = connect(srv, "/silent")
    assert ws.eof(timeout=3)
    assert log_line(srv).startswith("101 tunnel_timeout ")
    assert b.wait("closed") and b.events("closed")[0]["how"] == "client"  # the upstream side was closed


def test_client_not_reading_send_timeout(hush, wsb):
    """The client takes nothing: send_timeout ends the tunnel (the upstream
    went on sending until the buffers filled)."""
    b = wsb()
    srv = hush(ws_conf(b.port, "proxy_read_timeout 30s;", "send_timeout 1s;"))
    s = srv.connect()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    ws = Ws(s, "/push?n=%d" % (256 << 20))
    assert ws.status == 101
    line = log_line(srv, r"^101 tunnel_send_timeout ")
    assert line, srv.log_lines()
    assert srv.wait_error_log(r"client timed out \(110: Connection timed out\) while proxying upgraded connection")
    s.close()



def test_upstream_not_reading_proxy_send_timeout(hush, wsb):
    """The upstream takes nothing: once the buffers toward it are full,
    proxy_send_timeout ends the tunnel (while proxy_read_timeout, longer,
    would not have yet)."""
    b = wsb()
    srv = hush(ws_conf(b.port, "proxy_read_timeout 30s; proxy_send_timeout 1s;"))
    ws = connect(srv, "/noread")
    assert ws.status == 101
    ws.sock.setblocking(False)
    chunk, sent, t0 = frame(2, b"u" * 65000), 0, time.time()
    while time.time() - t0 < 5 and sent < 256 << 20:
        try:
            sent += ws.sock.send(chunk)
        except BlockingIOError:
            time.sleep(0.05)
            if srv.log_lines():
                break
        except ConnectionError:  # ended (and reset: our bytes were unread)
            break
    line = log_line(srv, r"^101 tunnel_send_timeout ")
    assert line, srv.log_lines()
    assert time.time() - t0 < 8
    assert srv.wait_error_log(r"upstream timed out \(110: Connection timed out\) while proxying upgraded connection")


# ---- backpressure ------------------------------------------------------------

def worker_rss_kb(srv):
    total = 0
    for pid in srv.workers():
        with open("/proc/%d/status" % pid) as f:
            for l in f:
                if l.startswith("VmRSS:"):
                    total += int(l.split()[1])
    return total


def test_big_message_through_a_slow_client_bounded_memory(hush, wsb):
    """A 64 MiB message to a client that does not read: the backend's sends
    block once the buffers on the way are full (hush holds one
    proxy_buffer_size per direction), hush's memory stays flat; then the
    client reads it all, intact."""
    n = 64 << 20
    b = wsb()
    srv = hush(ws_conf(b.port, "proxy_read_timeout 30s;", "send_timeout 30s;"))
    ws = connect(srv, "/push?n=%d" % n)
    rss0 = worker_rss_kb(srv)
    time.sleep(1.5)
    before = b.events("progress")
    time.sleep(0.5)
    after = b.events("progress")
    sent = after[-1]["sent"] if after else 0
    assert len(after) == len(before), "the backend kept sending while the client read nothing"
    assert sent < 40 << 20, sent
    assert worker_rss_kb(srv) - rss0 < 8 * 1024
    op, data = ws.recv()
    assert op == 2 and len(data) == n
    assert data == (bytes(range(256)) * (n // 256))
    ws.send(1, b"after")
    assert ws.recv() == (1, b"after")
    ws.sock.close()
    line = log_line(srv)
    assert " tunnel_client_close " in line
    assert int(field(line, "bs")) > n and int(field(line, "ubr")) > n


# ---- what is not a tunnel -----------------------------------------------------

def test_101_without_upgrade_is_502(hush, wsb):
    """A 101 to a request that did not ask to upgrade is the upstream's
    error (502), as nginx; nothing is tunnelled."""
    b = wsb()
    srv = hush(ws_conf(b.port))
    srv.allow_error_log("101 Switching Protocols")
    ws = connect(srv, "/force101", upgrade=False)
    assert ws.status == 502
    ev = b.events("request")[0]
    assert ev["headers"]["connection"] == "close" and "upgrade" not in ev["headers"]  # the map's ''
    line = log_line(srv, r"^502 ")
    assert line.startswith("502 upstream_invalid ") and "us=502" in line, line
    assert srv.wait_error_log(r'upstream sent "101 Switching Protocols" to a request without "Upgrade"')


def test_refused_upgrade_is_an_ordinary_response(hush, wsb):
    b = wsb()
    srv = hush(ws_conf(b.port))
    r = srv.get("/reject", headers=["Upgrade: websocket", "Connection: Upgrade"])
    assert r.status == 426 and r.body == b"upgrade required\n"
    assert r.header("Upgrade") is None
    line = log_line(srv, r"^426 ")
    assert line.startswith("426 ok ") and "up=websocket cu=upgrade" in line


def test_http2_client_gets_no_tunnel(hush, wsb):
    """HTTP/2 has no Upgrade (nginx does no extended CONNECT): a 101 to an
    HTTP/2 request is a 502, and nothing is tunnelled."""
    b = wsb()
    srv = hush(ws_conf(b.port, listen="listen 127.0.0.1:@PORT@ http2;"))
    srv.allow_error_log("101 Switching Protocols")
    c = H2Client(srv.port)
    st = c.get("/force101")
    assert st.status == 502
    st = c.get("/echo", headers=[("sec-websocket-key", KEY)])
    assert st.status == 426  # the upstream was not asked to upgrade
    c.close()
    # an Upgrade field is malformed in HTTP/2 (RFC 9113 8.2.2): the stream is reset
    # (PROTOCOL_ERROR, libnghttp2's check), never tunnelled
    c = H2Client(srv.port)
    st = c.get("/echo", headers=[("upgrade", "websocket"), ("sec-websocket-key", KEY)])
    assert st.reset is not None or st.status in (400, 426, 502), (st.status, st.reset)
    c.close()
    assert srv.alive()


# ---- the endings in metrics, a graceful stop ---------------------------------

def test_endings_counted_in_metrics(hush, wsb):
    b = wsb()
    srv = hush(ws_conf(b.port, "proxy_read_timeout 500ms;"))
    m0 = scrape(srv)
    connect(srv).sock.close()
    assert connect(srv, "/bye").eof()
    assert connect(srv, "/silent").eof(timeout=3)
    srv.wait_log(3, match=r"^101 ")
    m1 = scrape(srv)
    for reason in ("tunnel_client_close", "tunnel_upstream_close", "tunnel_timeout"):
        n = m1.total("hush_connection_endings_total", reason=reason) - \
            m0.total("hush_connection_endings_total", reason=reason)
        assert n == 1, reason


def test_graceful_stop_closes_tunnels_after_worker_shutdown_timeout(hush, wsb):
    b = wsb()
    srv = hush(ws_conf(b.port), main="worker_shutdown_timeout 1s;\n")
    ws = connect(srv)
    srv.send_signal(signal.SIGQUIT)
    time.sleep(0.3)
    ws.send(1, b"still")  # the tunnel goes on while the worker stops
    assert ws.recv() == (1, b"still")
    t0 = time.time()
    assert ws.eof(timeout=4)
    assert time.time() - t0 < 2.5
    assert log_line(srv).startswith("101 shutdown ")
    srv.proc.wait(5)


# ---- TLS -----------------------------------------------------------------------

def test_tls_client_side(hush, wsb, certs):
    b = wsb()
    listen = ("listen 127.0.0.1:@PORT@ ssl;\n    ssl_certificate %s;\n    ssl_certificate_key %s;"
              % (certs.cert("localhost-ec"), certs.key("localhost-ec")))
    srv = hush(ws_conf(b.port, listen=listen))
    s = tls_connect(srv.port, client_context(certs))
    ws = Ws(s)
    assert ws.status == 101 and ws.headers["sec-websocket-accept"] == ACCEPT
    for msg in (b"over tls", b"z" * 200000):
        ws.send(2, msg)
        assert ws.recv() == (2, msg)
    ws.send(8, b"\x03\xe8")
    assert ws.recv() == (8, b"\x03\xe8")
    assert log_line(srv).startswith("101 tunnel_upstream_close ")


def test_tls_upstream(hush, wsb, certs):
    b = wsb(tls=(certs.cert("localhost-ec"), certs.key("localhost-ec")))
    conf = ws_conf(b.port).replace("proxy_pass http://wsapp;", "proxy_pass https://wsapp;")
    srv = hush(conf)
    ws = connect(srv)
    assert ws.status == 101
    for msg in (b"to tls upstream", b"w" * 150000):
        ws.send(2, msg)
        assert ws.recv() == (2, msg)
    ws.sock.close()
    line = log_line(srv)
    assert " tunnel_client_close " in line and int(field(line, "ubs")) > 150000


# ---- the README's example ------------------------------------------------------

def test_readme_example(hush, wsb):
    from test_readme import example
    text = example("map $http_upgrade $connection_upgrade")
    b = wsb()
    srv = hush(conf="placeholder", start=False)
    local = text.replace("127.0.0.1:8090", "127.0.0.1:%d" % b.port).replace(
        "listen 8080;", "listen 127.0.0.1:%d;" % srv.port)
    srv.write_conf(MAIN_PREAMBLE + "events { worker_connections 64; }\nhttp {\n" + LOG + local + "}\n")
    srv.start()
    ws = connect(srv, "/chat/echo")
    assert ws.status == 101 and ws.headers["sec-websocket-accept"] == ACCEPT
    ws.send(1, b"readme")
    assert ws.recv() == (1, b"readme")
    assert b.events("request")[0]["target"] == "/chat/echo"
    ws.send(8, b"")
    assert ws.recv() == (8, b"")
    assert ws.eof()
    assert log_line(srv).startswith("101 tunnel_upstream_close ")
