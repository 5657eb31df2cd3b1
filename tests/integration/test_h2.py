"""HTTP/2 (issue #13): h2c with prior knowledge and h2 by ALPN (http/1.1
fallback), every handler over a stream (files with ranges and conditionals,
return, error pages, metrics, stub_status, the proxy with request bodies
from DATA frames), flow control both ways, and each stream's ending on its
own access-log line ($http2, $http2_stream_id): RST_STREAM from the client
while the upstream works (499 at once, upstream released or kept), return
444 (RST_STREAM, no HEADERS), send_timeout for a stream stalled by its
window, GOAWAY, protocol errors named in the connection log. Clients:
Python's h2 (frame level), curl --http2 / --http2-prior-knowledge, nghttp."""
import os
import socket
import subprocess
import time

import pytest

from conftest import free_port
from h2util import H2Client, PREFACE, frame
from tlsutil import certs, client_context, curl, metric  # noqa: F401

LOG = """
log_format h2 '$status $close_reason "$request" $http2 $http2_stream_id "$drop_rule" $body_bytes_sent '
              '$connection_requests us=$upstream_status';
access_log logs/access.log h2;
log_format conn '$close_reason "$drop_rule" $http2 $connection_requests $http2_resets "$http2_error"';
connection_log logs/conn.log conn;
"""

PLAIN = LOG + """
server {
    listen 127.0.0.1:@PORT@ http2;
    root @DIR@/html;
    location = /r { return 200 "returned\\n"; }
    location = /drop { return 444; }
    location = /teapot { return 418; }
    location = /metrics { metrics; }
    location = /status { stub_status; }
    %s
}
"""


def plain(hush, extra="", http=""):
    srv = hush(http + PLAIN % extra)
    srv.write("index.html", "hello\n")
    srv.write("big.bin", bytes(range(256)) * 4096)  # 1 MiB
    return srv


def test_h2c_prior_knowledge_files_return_and_log(hush):
    srv = plain(hush)
    c = H2Client(srv.port)
    a = c.get("/")
    b = c.get("/r")
    n = c.get("/nothing")
    assert (a.status, a.data) == (200, b"hello\n")
    assert a.header("content-length") == "6" and a.header("server").startswith("hush")
    assert (b.status, b.data) == (200, b"returned\n")
    assert n.status == 404 and b"404 Not Found" in n.data
    c.close()
    lines = srv.wait_log(3)
    assert lines[0] == '200 ok "GET / HTTP/2.0" h2c 1 "-" 6 1 us=-'
    assert lines[1] == '200 ok "GET /r HTTP/2.0" h2c 3 "-" 9 2 us=-'
    assert lines[2].startswith('404 ok "GET /nothing HTTP/2.0" h2c 5 ')
    conn = srv.wait_log(1, name="conn.log")
    assert conn == ['keepalive_close "-" h2c 3 0 "-"']


def test_http11_still_served_where_http2_is_on(hush):
    srv = plain(hush)
    r = srv.get("/r")
    assert r.status == 200 and r.body == b"returned\n"
    assert srv.wait_log(1)[0] == '200 ok "GET /r HTTP/1.1" - - "-" 9 1 us=-'


def test_curl_prior_knowledge_and_many_streams(hush):
    srv = plain(hush)
    for path, size in [("/big.bin", 1048576), ("/r", 9)]:  # (curl 7.88 cannot reuse an h2c connection)
        out = subprocess.run(["curl", "-sS", "--http2-prior-knowledge", "-o", "/dev/null", "-w",
                              "%{http_version} %{size_download}", "http://127.0.0.1:%d%s" % (srv.port, path)],
                             capture_output=True, timeout=20)
        assert out.stdout.decode() == "2 %d" % size, out
    c = H2Client(srv.port)
    ids = [c.request("/r") for _ in range(20)]
    c.pump(lambda cl: all(cl.streams[i].ended for i in ids), timeout=5)
    assert all(c.streams[i].status == 200 and c.streams[i].data == b"returned\n" for i in ids)


def test_ranges_and_conditionals(hush):
    srv = plain(hush)
    c = H2Client(srv.port)
    r = c.get("/big.bin", headers=[("range", "bytes=256-511")])
    assert r.status == 206 and r.data == bytes(range(256))
    assert r.header("content-range") == "bytes 256-511/1048576"
    etag = c.get("/", method="HEAD").header("etag")
    nm = c.get("/", headers=[("if-none-match", etag)])
    assert nm.status == 304 and nm.data == b""
    h = c.get("/", method="HEAD")
    assert h.status == 200 and h.data == b"" and h.header("content-length") == "6"


def test_error_pages_metrics_stub_status(hush):
    srv = plain(hush)
    c = H2Client(srv.port)
    t = c.get("/teapot")
    assert t.status == 418
    m = c.get("/metrics")
    assert m.status == 200 and b"hush_" in m.data
    s = c.get("/status")
    assert s.status == 200 and b"Active connections" in s.data
    sid = c.request("/big.bin")
    c.reset(sid)
    c.get("/r")
    assert metric(srv.port, "hush_http2_connections_total") == 1
    assert metric(srv.port, "hush_http2_streams_total") == 5
    assert metric(srv.port, "hush_http2_client_resets_total") == 1
    c.close()
    assert srv.wait_log(1, name="conn.log", match="h2c") == ['keepalive_close "-" h2c 5 1 "-"']


def test_return_444_resets_the_stream_without_headers(hush):
    srv = plain(hush)
    c = H2Client(srv.port)
    d = c.get("/drop")
    assert d.headers is None and d.reset is not None
    ok = c.get("/r")  # the connection goes on
    assert ok.status == 200
    lines = srv.wait_log(2)
    assert lines[0] == '444 drop "GET /drop HTTP/2.0" h2c 1 "return" 0 1 us=-'


def test_flow_control_client_window_is_honoured(hush):
    srv = plain(hush)
    c = H2Client(srv.port, settings={4: 1000})  # SETTINGS_INITIAL_WINDOW_SIZE
    c.auto_ack = False
    sid = c.request("/big.bin")
    c.pump(lambda cl: False, timeout=0.5)
    assert len(c.streams[sid].data) == 1000 and not c.streams[sid].ended
    c.auto_ack = True
    c.conn.increment_flow_control_window(2 ** 24, sid)
    c.conn.increment_flow_control_window(2 ** 24)
    c.flush()
    st = c.wait(sid, timeout=5)
    assert st.ended and len(st.data) == 1048576


def test_send_timeout_for_a_stream_stalled_by_its_window(hush):
    srv = plain(hush, "send_timeout 1s;")
    c = H2Client(srv.port, settings={4: 0})
    c.auto_ack = False
    sid = c.request("/big.bin")
    t0 = time.time()
    st = c.wait(sid, timeout=4)
    assert st.reset is not None and 0.8 < time.time() - t0 < 3
    assert st.status == 200
    assert srv.wait_log(1)[0].startswith('200 send_timeout "GET /big.bin HTTP/2.0" h2c 1 ')


def test_protocol_error_is_a_named_connection_ending(hush):
    srv = plain(hush)
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.sendall(PREFACE + frame(4, 0, 0) + frame(8, 0, 0, b"\x00\x00\x00\x00"))  # WINDOW_UPDATE 0 on the connection
    s.settimeout(3)
    got = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
    except (socket.timeout, ConnectionResetError):
        pass
    assert b"\x07\x00\x00\x00\x00\x00" in got  # a GOAWAY
    assert srv.wait_log(1, name="conn.log") == ['protocol_error "-" h2c 0 0 "PROTOCOL_ERROR"']


def test_tls_alpn_h2_and_http11_fallback(hush, certs):
    srv = hush(LOG + """
server {
    listen 127.0.0.1:@PORT@ ssl;
    http2 on;
    ssl_certificate %s/localhost-ec.pem;
    ssl_certificate_key %s/localhost-ec.key;
    location / { return 200 "tls $server_protocol\\n"; }
}
server {
    listen 127.0.0.1:@PORT2@ ssl;
    ssl_certificate %s/localhost-ec.pem;
    ssl_certificate_key %s/localhost-ec.key;
    location / { return 200 "tls $server_protocol\\n"; }
}""" % ((certs.dir,) * 4))
    r = curl(srv.port, "/", certs=certs, args=("--http2", "-w", "%{http_version}"))
    assert r.stdout == b"tls HTTP/2.0\n2", r
    r = curl(srv.port, "/", certs=certs, args=("--http1.1", "-w", "%{http_version}"))
    assert r.stdout == b"tls HTTP/1.1\n1.1", r
    r = curl(srv.port2, "/", certs=certs, args=("--http2", "-w", "%{http_version}"))
    assert r.stdout == b"tls HTTP/1.1\n1.1", r  # no http2 there: ALPN says http/1.1
    c = H2Client(srv.port, tls_ctx=client_context(certs, alpn=["h2", "http/1.1"]), settings={})
    st = c.get("/x", scheme="https")
    assert st.status == 200 and st.data == b"tls HTTP/2.0\n"
    lines = srv.wait_log(4)
    assert lines[0].startswith('200 ok "GET / HTTP/2.0" h2 1 ')
    out = subprocess.run(["nghttp", "-v", "https://localhost:%d/n" % srv.port], capture_output=True, timeout=10)
    assert b"tls HTTP/2.0" in out.stdout, out  # nghttp does not check certificates by default


def test_config_directives(hush, tmpconf):
    from conftest import run_hush
    good = LOG + """
http2_recv_buffer_size 128k;
http2_flood_limit rapid_reset 50 1s;
server {
    listen 127.0.0.1:8080 http2;
    http2 on;
    http2_max_concurrent_streams 64;
    http2_chunk_size 16k;
    http2_body_preread_size 32k;
    http2_max_field_size 8k;
    http2_max_header_size 32k;
    http2_idle_timeout 30s;
    http2_recv_timeout 10s;
    http2_max_requests 500;
    http2_flood_limit continuation 4;
    location / { http2_chunk_size 4k; }
}"""
    conf = os.path.join(tmpconf, "hush.conf")
    for body, want in [(good, None),
                       ("server { http2_flood_limit nonsense 4; }", "unknown HTTP/2 flood rule"),
                       ("server { http2_flood_limit ping_flood 4; }", "needs a time window"),
                       ("server { http2_max_concurrent_streams 0; }", "invalid value"),
                       ("server { listen 127.0.0.1:8080 quic; }", "not supported")]:
        with open(conf, "w") as f:
            f.write("events {}\nhttp {\n%s\n}\n" % body.replace("logs/", tmpconf + "/logs/"))
        r = run_hush(["-t", "-p", tmpconf, "-c", conf])
        text = (r.stdout + r.stderr)
        if want is None:
            assert r.returncode == 0, text
        else:
            assert r.returncode == 1 and want in text, text


def test_logstat_counts_protocols_and_h2_endings(hush):
    import json
    from conftest import BUILD
    srv = plain(hush, http="log_format c2 '$remote_addr - - [$time_local] \"$request\" $status $body_bytes_sent "
                           "\"-\" \"-\" $close_reason \"$drop_rule\"';\naccess_log logs/c2.log c2;\n")
    c = H2Client(srv.port)
    c.get("/r")
    c.get("/drop")
    srv.get("/r")
    sid = c.conn.get_next_available_stream_id()  # reset with its HEADERS (one write): 499
    c.conn.send_headers(sid, [(":method", "GET"), (":scheme", "http"), (":authority", "localhost"),
                              (":path", "/r")], end_stream=True)
    c.conn.reset_stream(sid, error_code=8)
    c.flush()
    c.get("/r")
    c.close()
    srv.wait_log(5, name="c2.log")
    out = subprocess.run([os.path.join(BUILD, "hush-logstat"), "--json", "-f",
                          "$remote_addr - - [$time_local] \"$request\" $status $body_bytes_sent \"-\" \"-\" "
                          "$close_reason \"$drop_rule\"", os.path.join(srv.dir, "logs", "c2.log")],
                         capture_output=True, timeout=20)
    doc = json.loads(out.stdout)
    assert doc["protocols"] == {"HTTP/2.0": 4, "HTTP/1.1": 1}, doc["protocols"]
    assert doc["http2_client_resets"] == 1
    assert doc["close_reasons"]["drop"] == 1


def test_gzip_filters_files_and_return_over_h2(hush):
    import gzip
    srv = plain(hush, "gzip on; gzip_types text/plain; gzip_min_length 1; location = /g { return 200 \"gzip me gzip me\"; }")
    text = "".join("line %d %s\n" % (i, "x" * (i % 50)) for i in range(20000)).encode()
    srv.write("t.txt", text)
    c = H2Client(srv.port)
    st = c.get("/t.txt", headers=[("accept-encoding", "gzip")], timeout=5)
    assert st.status == 200 and st.header("content-encoding") == "gzip"
    assert gzip.decompress(st.data) == text and len(st.data) < len(text) // 2
    g = c.get("/g", headers=[("accept-encoding", "gzip")])
    assert g.header("content-encoding") == "gzip" and gzip.decompress(g.data) == b"gzip me gzip me"
    plain_ = c.get("/t.txt")
    assert plain_.data == text and plain_.header("content-encoding") is None


def test_the_server_the_sni_chose_decides_http2(hush, certs):
    """nginx 1.25: `http2 on` of the server the SNI names decides ALPN h2, and
    that server's http2_* settings apply to the connection."""
    pair = "ssl_certificate %s/%%s-ec.pem; ssl_certificate_key %s/%%s-ec.key;" % (certs.dir, certs.dir)
    srv = hush(LOG + """
server {
    listen 127.0.0.1:@PORT@ ssl;
    server_name localhost;
    %s
    location / { return 200 "default $server_protocol\\n"; }
}
server {
    listen 127.0.0.1:@PORT@ ssl;
    server_name a.test;
    http2 on;
    http2_max_concurrent_streams 5;
    %s
    location / { return 200 "a $server_protocol\\n"; }
}
server {
    listen 127.0.0.1:@PORT2@ ssl;
    server_name localhost;
    http2 on;
    %s
    location / { return 200 "h2 default\\n"; }
}
server {
    listen 127.0.0.1:@PORT2@ ssl;
    server_name b.test;
    %s
    location / { return 200 "b\\n"; }
}""" % (pair % ("localhost", "localhost"), pair % ("a.test", "a.test"), pair % ("localhost", "localhost"),
        pair % ("b.test", "b.test")))
    from tlsutil import tls_connect

    def alpn(port, sni):
        s = tls_connect(port, client_context(certs, alpn=["h2", "http/1.1"]), sni=sni)
        got = s.selected_alpn_protocol()
        s.close()
        return got
    assert alpn(srv.port, "a.test") == "h2"
    assert alpn(srv.port, "localhost") == "http/1.1"   # the default server has no http2
    assert alpn(srv.port, None) == "http/1.1"
    assert alpn(srv.port2, "localhost") == "h2"
    assert alpn(srv.port2, "b.test") == "http/1.1"     # the default server's http2 is not b.test's
    c = H2Client(srv.port, tls_ctx=client_context(certs, alpn=["h2", "http/1.1"]), sni="a.test")
    st = c.get("/", scheme="https", authority="a.test")
    assert (st.status, st.data) == (200, b"a HTTP/2.0\n")
    assert c.remote_settings[3] == 5  # SETTINGS_MAX_CONCURRENT_STREAMS: a.test's
    r = curl(srv.port, "/", host="localhost", certs=certs, args=("--http2", "-w", "%{http_version}"))
    assert r.stdout == b"default HTTP/1.1\n1.1", r


def timed_get(c, paths, timeout=10):
    t0 = time.time()
    ids = [c.request(p) for p in paths]
    c.pump(lambda cl: all(cl.streams[i].ended or cl.streams[i].reset is not None for i in ids), timeout=timeout)
    return [c.streams[i] for i in ids], time.time() - t0


def test_limit_rate_and_limit_rate_after_per_stream(hush):
    srv = plain(hush, """
    location /slow/ { limit_rate 100k; }
    location /after/ { limit_rate 100k; limit_rate_after 200k; }
    location /var/ { set $limit_rate 100k; }""",
                http="log_format rate '$uri $limit_rate $body_bytes_sent $http2';\n"
                     "access_log logs/rate.log rate;\n")
    body = os.urandom(300 * 1024)
    for d in ("slow", "after", "var"):
        srv.write(d + "/f.bin", body)
    srv.write("after/f.bin", body[:250 * 1024])
    c = H2Client(srv.port)
    c.conn.increment_flow_control_window(2 ** 24)
    c.flush()
    # two streams of one connection, each at its own 100k/s: both in ~2 s, not ~5 s
    (a, b), took = timed_get(c, ["/slow/f.bin", "/slow/f.bin"])
    assert a.data == body and b.data == body and 1.5 < took < 4.5, took
    (v,), took = timed_get(c, ["/var/f.bin"])
    assert v.data == body and 1.5 < took < 4.5, took  # set $limit_rate
    (f,), took = timed_get(c, ["/after/f.bin"])
    assert f.data == body[:250 * 1024] and took < 0.9, took  # 200k free, then 100k of the first second
    (r,), took = timed_get(c, ["/index.html"])
    assert r.status == 200 and took < 0.5
    lines = srv.wait_log(5, name="rate.log")
    assert lines[0] == "/slow/f.bin 102400 %d h2c" % len(body)


def test_limit_rate_on_a_proxied_stream(hush, backend):
    b = backend()
    srv = hush(LOG + """
upstream app { server 127.0.0.1:%d; }
server {
    listen 127.0.0.1:@PORT@ http2;
    location / { proxy_pass http://app; limit_rate 400k; }
}""" % b.port)
    c = H2Client(srv.port)
    c.conn.increment_flow_control_window(2 ** 24)
    c.flush()
    (st,), took = timed_get(c, ["/x?mb=1"])
    assert st.status == 200 and len(st.data) == 1 << 20 and 1.5 < took < 5, took


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_a_large_file_is_not_held_in_memory(hush):
    """No sendfile over HTTP/2: a file goes out by pieces as the windows
    allow (and through gzip by 16k pieces), never read whole."""
    srv = plain(hush, "gzip on; gzip_types application/octet-stream; gzip_min_length 1;")
    size = 24 << 20
    srv.write("huge.bin", b"")
    with open(os.path.join(srv.dir, "html", "huge.bin"), "wb") as f:
        f.truncate(size)  # sparse: reading it costs no disk
    (worker,) = srv.workers()
    c = H2Client(srv.port)
    c.get("/r")
    base = rss_kib(worker)
    c.conn.increment_flow_control_window(2 ** 30)
    c.flush()
    peak = base
    ids = [c.request("/huge.bin"), c.request("/huge.bin", headers=[("accept-encoding", "gzip")])]
    deadline = time.time() + 60
    while time.time() < deadline and not all(c.streams[i].ended for i in ids):
        c.pump(lambda cl: False, timeout=0.2)
        peak = max(peak, rss_kib(worker))
        for i in ids:
            c.streams[i].length = getattr(c.streams[i], "length", 0) + len(c.streams[i].data)
            c.streams[i].data = b""
    assert all(c.streams[i].ended for i in ids)
    assert c.streams[ids[0]].length == size
    assert peak - base < 8 * 1024, (base, peak)  # KiB: far below the file's 24 MiB


def _server_nodelay(srv, client_sock):
    """TCP_NODELAY on the worker's end of client_sock's connection, read
    through a copy of the worker's descriptor (pidfd_getfd, as root)."""
    import ctypes
    cport = client_sock.getsockname()[1]
    want = "0100007F:%04X 0100007F:%04X" % (srv.port, cport)
    with open("/proc/net/tcp") as f:
        inode = next(ln.split()[9] for ln in f if " ".join(ln.split()[1:3]) == want)
    libc = ctypes.CDLL(None, use_errno=True)
    for pid in srv.workers():
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                if os.readlink("/proc/%d/fd/%s" % (pid, fd)) != "socket:[%s]" % inode:
                    continue
            except OSError:
                continue
            pidfd = os.pidfd_open(pid)
            try:
                mine = libc.syscall(438, pidfd, int(fd), 0)  # pidfd_getfd
                assert mine >= 0, ctypes.get_errno()
            finally:
                os.close(pidfd)
            s = socket.socket(fileno=mine)
            try:
                return s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
            finally:
                s.close()
    raise AssertionError("no worker socket for port %d" % cport)


@pytest.mark.parametrize("setting,expect", [("", True), ("tcp_nodelay off;", False)])
def test_tcp_nodelay_on_the_connection_as_nginx(hush, setting, expect):
    # nginx sets TCP_NODELAY on an HTTP/2 connection (tcp_nodelay, on by
    # default): without it a proxied stream's small frames waited for the
    # client's delayed ACK (Nagle), ~40 ms each
    srv = plain(hush, http=setting)
    c = H2Client(srv.port)
    assert c.get("/r").status == 200
    assert _server_nodelay(srv, c.sock) is expect
    c.close()
