"""No lock-out at the connection limit (issue #16, item 4): idle keep-alive
connections held at worker_connections, or at the descriptor limit, are
closed to make room for new clients, the longest idle first (nginx's
"worker_connections are not enough, reusing connections"); a connection
refused because none is idle is reset, counted and logged, and the alerts
come at most once a second with a count of what was suppressed."""
import re
import socket
import time

from conftest import parse_responses, read_all, req
from test_metrics_parser import scrape
from tlsutil import certs  # noqa: F401  (the fixture)

SRV = """
log_format l '$status $close_reason';
access_log logs/access.log l;
server {
    listen 127.0.0.1:@PORT@;
    location / { return 200 "ok\\n"; }
}
server { listen 127.0.0.1:@PORT2@; location = /metrics { metrics; access_log off; } }
"""


def hold_keepalive(srv, n):
    """n connections that each made one request and now wait, kept alive."""
    held = []
    for _ in range(n):
        s = srv.connect()
        s.sendall(req("/", close=False))
        got = b""
        s.settimeout(3)
        try:
            while not got.endswith(b"ok\n"):
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
        except (ConnectionResetError, socket.timeout):
            pass
        held.append(s)
    return held


def served(srv, n):
    ok = 0
    for _ in range(n):
        r = srv.exchange(req("/"), timeout=3)
        rs = parse_responses(r.data)
        ok += len(rs) == 1 and rs[0].status == 200
    return ok


def closed_count(held):
    n = 0
    for s in held:
        s.settimeout(0.01)
        try:
            n += s.recv(1) == b""
        except socket.timeout:
            pass
        except ConnectionResetError:
            n += 1
    return n


def test_idle_keepalives_at_worker_connections_make_room(hush):
    srv = hush(SRV, events="worker_connections 64;")
    held = hold_keepalive(srv, 80)       # more than the worker holds
    try:
        assert served(srv, 30) == 30      # every new client is served
        time.sleep(0.2)
        closed = closed_count(held)
        assert 16 <= closed <= 80, closed  # the longest idle made room
        assert closed_count(held[-8:]) < 8  # the newest idle ones are still open
        err = srv.error_log()
        lines = re.findall(r"\[warn\].*64 worker_connections are not enough, reusing connections.*", err)
        assert 1 <= len(lines) <= 3, err   # once a second at most
        m = scrape(srv, port=srv.port2)
        assert m.total("hush_connection_endings_total", reason="keepalive_close") >= 16
        assert m.total("hush_connections_refused_total") == 0
    finally:
        for s in held:
            s.close()


def test_idle_keepalives_at_the_descriptor_limit_make_room(hush):
    srv = hush(SRV, events="worker_connections 512;", main="worker_rlimit_nofile 48;\n")
    held = hold_keepalive(srv, 60)
    try:
        assert served(srv, 30) == 30
        assert closed_count(held) >= 15
        assert "reusing connections" in srv.error_log()
    finally:
        for s in held:
            s.close()


def test_refused_when_nothing_is_idle_logged_once_a_second(hush):
    srv = hush(SRV, events="worker_connections 16;")
    busy = []
    for _ in range(16):                  # a partial head each: busy, not idle
        s = srv.connect()
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        busy.append(s)
    time.sleep(0.3)
    srv.allow_error_log("worker_connections are not enough, connection refused")
    try:
        refused = 0
        for _ in range(20):
            data, how = srv.exchange(req("/"), timeout=2).data, None
            refused += data == b""
        assert refused == 20
        time.sleep(1.1)
        assert srv.exchange(req("/"), timeout=2).data == b""
        lines = [l for l in srv.error_log().splitlines() if "connection refused" in l]
        assert len(lines) == 2 and "[alert]" in lines[0], lines
        assert re.search(r"16 worker_connections are not enough, connection refused, 19 similar lines suppressed$",
                         lines[1]), lines
    finally:
        for s in busy:
            s.close()
    m = scrape(srv, port=srv.port2)
    assert m.total("hush_connections_refused_total") == 21


H2 = """
log_format l '$status $close_reason';
access_log logs/access.log l;
log_format conn '$close_reason $connection_requests';
connection_log logs/conn.log conn;
server {
    listen 127.0.0.1:@PORT@ http2;
    location / { return 200 "ok\\n"; }
    location = /big { root @DIR@/html; }
}
server { listen 127.0.0.1:@PORT2@; location = /metrics { metrics; access_log off; } }
"""


def test_idle_h2_connections_make_room_with_goaway(hush):
    """An HTTP/2 connection without an open stream waits like a keep-alive:
    at the limit it is closed to make room, the longest idle first, after a
    GOAWAY (NO_ERROR) telling its client to open another (nginx's too)."""
    from h2util import H2Client
    srv = hush(H2, events="worker_connections 64;", start=False)
    srv.write("big", b"b" * (1 << 20))
    srv.start()
    busy = H2Client(srv.port, timeout=3)     # the oldest, but a stream open: never reaped
    busy.auto_ack = False                     # its window closes: the stream waits on the client
    sid = busy.request("/big")
    busy.pump(lambda c: len(c.streams[sid].data) >= 65535, timeout=3)
    held = []
    for _ in range(80):                  # more than the worker holds, each idle after a request
        c = H2Client(srv.port, timeout=3)
        try:
            st = c.get("/")
            assert st.status == 200
        except OSError:
            pass
        held.append(c)
    try:
        assert served(srv, 30) == 30      # every new HTTP/1.1 client is served
        for c in held:
            c.pump(lambda x: x.closed, timeout=0.05)
        closed = [c for c in held if c.closed]
        assert 16 <= len(closed) <= 80, len(closed)
        held[0].pump(lambda x: x.closed, timeout=2)
        assert held[0].closed             # the longest idle went first
        assert held[0].goaway is not None and held[0].goaway.error_code == 0, held[0].goaway
        assert sum(c.closed for c in held[-8:]) < 8
        busy.pump(lambda c: c.closed, timeout=0.2)
        assert not busy.closed and busy.goaway is None
        busy.auto_ack = True
        busy.conn.acknowledge_received_data(len(busy.streams[sid].data), sid)
        busy.flush()
        assert busy.wait(sid, timeout=5).data == b"b" * (1 << 20)
        st = held[-1].get("/")            # a recent one still serves
        assert st.status == 200
        assert "reusing connections" in srv.error_log()
        m = scrape(srv, port=srv.port2)
        assert m.total("hush_connection_endings_total", reason="keepalive_close") >= 16
        assert m.total("hush_connections_refused_total") == 0
    finally:
        busy.close()
        for c in held:
            c.close()


TLS = """
log_format conn '$close_reason';
connection_log logs/conn.log conn;
server {
    listen 127.0.0.1:@PORT@ ssl;
    ssl_certificate @CERTS@/localhost-ec.pem;
    ssl_certificate_key @CERTS@/localhost-ec.key;
    location / { return 200 "ok\\n"; }
}
server { listen 127.0.0.1:@PORT2@; location = /metrics { metrics; access_log off; } }
"""


def test_stalled_tls_handshakes_make_room(hush, certs):
    """Connections stalled in the TLS handshake (a ClientHello sent, the
    server's answer never acknowledged) are fair game at the limit too, the
    one stalled the longest first: new TLS clients are served."""
    from tlsutil import client_context, client_hello, tls_connect, tls_read_all
    srv = hush(TLS.replace("@CERTS@", certs.dir), events="worker_connections 64;")
    hello = client_hello()
    stalled = []
    for _ in range(80):
        s = srv.connect()
        s.sendall(hello)                 # then nothing: the handshake stalls
        stalled.append(s)
        time.sleep(0.002)
    ctx = client_context(certs)
    try:
        ok = 0
        for _ in range(20):
            s = tls_connect(srv.port, ctx)
            s.sendall(req("/"))
            data, how = tls_read_all(s)
            s.close()
            ok += data.startswith(b"HTTP/1.1 200")
        assert ok == 20
        time.sleep(0.2)

        def closed(s):
            s.settimeout(0.01)
            try:
                while True:
                    d = s.recv(65536)
                    if not d:
                        return True
            except socket.timeout:
                return False
            except ConnectionResetError:
                return True
        gone = [closed(s) for s in stalled]
        assert sum(gone) >= 16, sum(gone)
        assert gone[0] and not all(gone[-8:]), gone
        m = scrape(srv, port=srv.port2)
        assert m.total("hush_connection_endings_total", reason="tls_timeout") >= 16
        assert m.total("hush_connections_refused_total") == 0
    finally:
        for s in stalled:
            s.close()
