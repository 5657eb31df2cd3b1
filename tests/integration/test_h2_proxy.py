"""HTTP/2 streams through the proxy to HTTP/1.1 upstreams (issue #13):
request bodies from DATA frames, large responses under the client's window,
and each stream's ending: RST_STREAM while the upstream works is 499
client_abort at once with the upstream released (or kept, and the late
outcome logged, with proxy_ignore_client_abort on) while the connection's
other streams go on; a GOAWAY from the client lets streams in flight finish;
a connection closed with streams in flight ends each of them."""
import subprocess
import time

from h2util import H2Client, frame

LOG = """
log_format h2 '$status $close_reason "$request" $http2 $http2_stream_id us=$upstream_status bbs=$body_bytes_sent';
access_log logs/access.log h2;
"""


def proxied(hush, backend, location_extra=""):
    b = backend()
    srv = hush(LOG + """
upstream app { server 127.0.0.1:%d; }
server {
    listen 127.0.0.1:@PORT@ http2;
    location / { proxy_pass http://app; %s }
    location = /r { return 200 "here\\n"; }
}""" % (b.port, location_extra))
    return srv, b


def closed_after(b, t0, timeout=2.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        ev = [e for e in b.events("closed_while_working") if e["t"] >= t0 - 0.01]
        if ev:
            return (ev[0]["t"] - t0) * 1000
        time.sleep(0.01)
    return None


def test_get_and_post_bodies_from_data_frames(hush, backend):
    srv, b = proxied(hush, backend)
    c = H2Client(srv.port)
    g = c.get("/hello")
    assert g.status == 200 and g.header("x-backend") == "b"
    body = bytes(range(256)) * 1024  # 256 KiB: more than a stream's window (64k)
    sid = c.request("/up", method="POST", headers=[("content-length", str(len(body)))], body=None, end=False)
    for i in range(0, len(body), 16384):
        c.conn.send_data(sid, body[i:i + 16384], end_stream=i + 16384 >= len(body))
        c.flush()
        c.pump(lambda cl: cl.conn.local_flow_control_window(sid) >= 16384 or cl.streams[sid].ended, timeout=3)
    p = c.wait(sid, timeout=5)
    assert p.status == 200 and p.header("x-seen-body-length") == str(len(body)), p.headers
    u = c.get("/nolen", method="POST", body=b"abc")  # no content-length: the body ends with the stream
    assert u.status == 200 and u.header("x-seen-body-length") == "3"
    lines = srv.wait_log(3)
    assert lines[1].startswith('200 ok "POST /up HTTP/2.0" h2c 3 us=200 ')


def test_large_response_under_a_small_client_window(hush, backend):
    srv, b = proxied(hush, backend)
    c = H2Client(srv.port, settings={4: 65535})
    st = c.get("/big?mb=4", timeout=15)
    assert st.status == 200 and len(st.data) == 4 << 20


def test_rst_stream_is_499_at_once_and_the_upstream_released(hush, backend):
    srv, b = proxied(hush, backend)
    c = H2Client(srv.port)
    sid = c.request("/slow?ms=2000")
    time.sleep(0.2)
    t0 = time.time()
    c.reset(sid)
    ms = closed_after(b, t0)
    assert ms is not None and ms < 100, ms
    assert srv.wait_log(1)[0].startswith('499 client_abort "GET /slow?ms=2000 HTTP/2.0" h2c 1 us=- ')
    ok = c.get("/r")  # the connection goes on
    assert ok.status == 200 and ok.data == b"here\n"


def test_rst_stream_with_ignore_client_abort_logs_the_late_outcome(hush, backend):
    srv, b = proxied(hush, backend, "proxy_ignore_client_abort on;")
    c = H2Client(srv.port)
    sid = c.request("/slow?ms=800")
    time.sleep(0.2)
    c.reset(sid)
    ok = c.get("/r")
    assert ok.status == 200
    lines = srv.wait_log(2, timeout=3)
    assert lines[0].startswith('200 ok "GET /r HTTP/2.0"')
    assert lines[1].startswith('499 client_abort "GET /slow?ms=800 HTTP/2.0" h2c 1 us=200 ')
    assert len(b.events("responded")) == 1


def test_goaway_from_the_client_lets_streams_in_flight_finish(hush, backend):
    srv, b = proxied(hush, backend)
    c = H2Client(srv.port)
    sid = c.request("/slow?ms=300")
    time.sleep(0.05)
    c.send_raw(frame(7, 0, 0, b"\x00\x00\x00\x00\x00\x00\x00\x00"))  # GOAWAY NO_ERROR (raw: h2 would stop reading)
    st = c.wait(sid, timeout=3)
    assert st.status == 200 and st.ended
    assert srv.wait_log(1)[0].startswith('200 ok "GET /slow?ms=300 HTTP/2.0" h2c 1 us=200 ')


def test_connection_closed_with_streams_in_flight(hush, backend):
    srv, b = proxied(hush, backend)
    c = H2Client(srv.port)
    c.request("/slow?ms=2000")
    c.request("/slow?ms=2000&x=2")
    time.sleep(0.2)
    c.close()
    lines = sorted(srv.wait_log(2))
    assert lines[0].startswith('499 client_abort "GET /slow?ms=2000 HTTP/2.0" h2c 1 ')
    assert lines[1].startswith('499 client_abort "GET /slow?ms=2000&x=2 HTTP/2.0" h2c 3 ')


def test_graceful_stop_lets_streams_finish_then_goaway(hush, backend):
    import signal
    srv, b = proxied(hush, backend)
    c = H2Client(srv.port)
    sid = c.request("/slow?ms=500")
    time.sleep(0.1)
    srv.send_signal(signal.SIGQUIT)
    st = c.wait(sid, timeout=3)
    assert st.status == 200 and st.ended
    assert c.read_closed(timeout=3)
    assert c.goaway is not None and c.goaway.error_code == 0
    assert srv.wait_log(1)[0].startswith('200 ok "GET /slow?ms=500 HTTP/2.0" h2c 1 us=200 ')


def test_graceful_stop_sends_goaway_on_idle_connections(hush, backend):
    """An idle HTTP/2 connection at a graceful stop is told so (GOAWAY,
    NO_ERROR, the last stream it served) before it is closed, as nginx."""
    import signal
    srv, b = proxied(hush, backend)
    c = H2Client(srv.port)
    assert c.get("/r").status == 200
    srv.send_signal(signal.SIGQUIT)
    assert c.read_closed(timeout=3)
    assert c.goaway is not None and c.goaway.error_code == 0 and c.goaway.last_stream_id == 1


def test_proxied_stream_stalled_by_its_window_is_send_timeout(hush, backend):
    srv, b = proxied(hush, backend, "send_timeout 1s;")
    c = H2Client(srv.port, settings={4: 0})
    c.auto_ack = False
    sid = c.request("/big?mb=4")
    t0 = time.time()
    st = c.wait(sid, timeout=5)
    assert st.reset is not None and 0.8 < time.time() - t0 < 4
    line = srv.wait_log(1)[0]
    assert line.startswith('200 send_timeout "GET /big?mb=4 HTTP/2.0" h2c 1 us=200 '), line
    ok = c.get("/r")
    assert ok.status == 200


def test_unbuffered_request_body_streams_from_data_frames(hush, backend):
    srv, b = proxied(hush, backend, "proxy_request_buffering off; client_max_body_size 10m;")
    c = H2Client(srv.port)
    body = bytes(range(256)) * 4096  # 1 MiB, many windows' worth
    sid = c.request("/up", method="POST", headers=[("content-length", str(len(body)))], end=False)
    for i in range(0, len(body), 16384):
        c.pump(lambda cl: cl.conn.local_flow_control_window(sid) >= 16384 or cl.streams[sid].reset is not None,
               timeout=3)
        c.conn.send_data(sid, body[i:i + 16384], end_stream=i + 16384 >= len(body))
        c.flush()
    st = c.wait(sid, timeout=5)
    assert st.status == 200 and st.header("x-seen-body-length") == str(len(body)), st.headers
    big = c.get("/up2", method="POST", body=b"x" * 100, headers=[("content-length", "100")])
    assert big.status == 200


def test_body_over_client_max_body_size_is_413(hush, backend):
    srv, b = proxied(hush, backend, "client_max_body_size 1k;")
    c = H2Client(srv.port)
    st = c.get("/up", method="POST", body=b"x" * 5000)  # no content-length: found while reading
    assert st.status == 413
    st = c.get("/up", method="POST", body=b"x" * 5000, headers=[("content-length", "5000")])
    assert st.status == 413
    assert c.get("/r").status == 200


def test_fast_stop_ends_streams_in_flight_as_shutdown(hush, backend):
    """TERM: each stream in flight ends as an HTTP/1.1 request cut by a fast
    stop does: `shutdown`, 499 before its head went out, else its status."""
    import signal
    srv, b = proxied(hush, backend)
    c = H2Client(srv.port, settings={4: 1000})
    c.auto_ack = False
    slow = c.request("/slow?ms=3000")
    big = c.request("/big?mb=4")
    c.pump(lambda cl: len(cl.streams[big].data) >= 1000, timeout=3)
    assert srv.stop(signal.SIGTERM) == 0
    lines = sorted(srv.log_lines())
    assert lines[0].startswith('200 shutdown "GET /big?mb=4 HTTP/2.0" h2c 3 us=200 bbs='), lines
    assert lines[1].startswith('499 shutdown "GET /slow?ms=3000 HTTP/2.0" h2c 1 us=- '), lines


def test_a_stream_reset_in_the_same_read_never_runs(hush, backend):
    """Rapid reset made cheap: HEADERS and RST_STREAM read together, the
    stream's request never runs (no upstream request), and it still ends on
    its own line, 499 client_abort; a stream whose HEADERS came alone runs."""
    from h2util import PREFACE
    import socket
    srv, b = proxied(hush, backend)
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=3)
    get = b"\x82\x84\x86\x01\x09localhost"  # GET / http, :authority localhost
    s.sendall(PREFACE + frame(4, 0, 0) + frame(1, 5, 1, get) + frame(3, 0, 1, (8).to_bytes(4, "big")))
    lines = srv.wait_log(1)
    assert lines[0].startswith('499 client_abort "GET / HTTP/2.0" h2c 1 us=- '), lines
    s.close()
    c = H2Client(srv.port)
    assert c.get("/ran").status == 200
    assert [e["target"] for e in b.events("request")] == ["/ran"]
    assert len(b.events("connected")) == 1  # not even a connection for the reset stream


def test_a_small_proxied_body_ends_the_stream_in_its_data_frame(hush, backend):
    # as nginx: the body and END_STREAM in one DATA frame, not the body and
    # then an empty DATA frame once the relay has had its next turn
    srv, b = proxied(hush, backend)
    out = subprocess.run(["nghttp", "-nv", "http://127.0.0.1:%d/hello" % srv.port], capture_output=True,
                         timeout=10).stdout.decode()
    data = [ln for ln in out.splitlines() if "recv DATA frame" in ln]
    assert len(data) == 1 and "flags=0x01" in data[0] and "length=0" not in data[0], out


def kept_pool(hush, backend, keepalive):
    b = backend()
    srv = hush(LOG + """
upstream app { server 127.0.0.1:%d; keepalive %d; }
server {
    listen 127.0.0.1:@PORT@ http2;
    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; }
}""" % (b.port, keepalive))
    return srv, b


def wait_events(b, ev, n, timeout=3.0):
    deadline = time.time() + timeout
    while len(b.events(ev)) < n and time.time() < deadline:
        time.sleep(0.02)
    time.sleep(0.2)  # and no more come
    return b.events(ev)


def test_a_burst_keeps_keepalive_connections_and_the_next_burst_takes_them(hush, backend):
    """Twelve streams at once with `keepalive 3`: twelve upstream connections;
    once all are answered the pool keeps three (the least recently used nine
    are closed at the end of the iteration, never kept past it), and the
    next three streams at once take the three kept."""
    srv, b = kept_pool(hush, backend, 3)
    c = H2Client(srv.port)
    sids = [c.request("/slow?ms=150&n=%d" % i) for i in range(12)]
    for sid in sids:
        assert c.wait(sid, timeout=5).status == 200
    assert len(b.events("connected")) == 12
    assert len(wait_events(b, "client_closed", 9)) == 9
    for sid in [c.request("/again?n=%d" % i) for i in range(3)]:
        assert c.wait(sid, timeout=5).status == 200
    assert len(b.events("connected")) == 12
    assert len(b.events("request")) == 15
    assert len(wait_events(b, "client_closed", 9)) == 9

