"""RFC 9113 conformance of hush's HTTP/2 (issue #13), frame by frame with
Python's h2: the server's SETTINGS and their ACK, priorities ignored
safely, stream states (even stream ids, streams over the concurrency
limit), HPACK (uppercase names, a header list over the limit), request
trailers, a Content-Length that the DATA frames contradict, and the
connection's request limit ending in GOAWAY."""
import socket
import time

from h2util import H2Client, PREFACE, frame

LOG = """
log_format h2 '$status $close_reason "$request" $http2_stream_id';
access_log logs/access.log h2;
log_format conn '$close_reason "$drop_rule" $connection_requests "$http2_error"';
connection_log logs/conn.log conn;
"""


def server(hush, extra="", http=""):
    return hush(LOG + http + """
server {
    listen 127.0.0.1:@PORT@ http2;
    location = /r { return 200 "here\\n"; }
    %s
}""" % extra)


def test_settings_exchanged_and_acknowledged(hush):
    srv = server(hush)
    c = H2Client(srv.port, settings={3: 50})
    assert c.pump(lambda cl: cl.settings_acked and cl.remote_settings, timeout=3)
    assert c.remote_settings[3] == 128    # MAX_CONCURRENT_STREAMS
    assert c.remote_settings[4] == 65536  # INITIAL_WINDOW_SIZE: http2_body_preread_size 64k
    assert c.get("/r").status == 200


def test_priorities_are_ignored_safely(hush):
    srv = server(hush)
    c = H2Client(srv.port)
    c.send_raw(frame(2, 0, 1, b"\x00\x00\x00\x00\x10"))  # PRIORITY for an idle stream
    c.send_raw(frame(2, 0, 3, b"\x80\x00\x00\x01\xff"))  # exclusive, on stream 1
    sid = c.conn.get_next_available_stream_id()
    st = c.get("/r", headers=[])
    assert st.status == 200 and st.data == b"here\n"
    assert sid >= 1


def test_even_stream_id_is_a_connection_error(hush):
    srv = server(hush)
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=3)
    s.sendall(PREFACE + frame(4, 0, 0) + frame(1, 5, 2, b"\x82\x84\x86\x01\x09localhost"))
    got = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
    except (socket.timeout, ConnectionResetError):
        pass
    assert b"\x07\x00\x00\x00\x00\x00" in got  # GOAWAY
    line = srv.wait_log(1, name="conn.log")[0]
    assert line.startswith('protocol_error "-" 0 "PROTOCOL_ERROR"'), line


def test_uppercase_header_name_resets_only_its_stream(hush):
    srv = server(hush)
    c = H2Client(srv.port)
    bad = c.get("/r", headers=[("X-Upper", "1")])
    assert bad.reset is not None and bad.headers is None
    ok = c.get("/r")
    assert ok.status == 200


def test_header_list_over_the_limit_is_431(hush):
    srv = server(hush, http="large_client_header_buffers 2 1k;\n")
    c = H2Client(srv.port)
    st = c.get("/r", headers=[("x-big-%d" % i, "v" * 200) for i in range(12)])
    assert st.status == 431
    assert c.get("/r").status == 200
    assert srv.wait_log(1)[0].startswith('431 bad_request "GET /r HTTP/2.0" 1')


def test_streams_over_the_concurrency_limit_are_refused(hush, backend):
    b = backend()
    srv = server(hush, "http2_max_concurrent_streams 2; location / { proxy_pass http://127.0.0.1:%d; }" % b.port)
    c = H2Client(srv.port)
    ids = [c.request("/slow?ms=400&i=%d" % i) for i in range(3)]  # before its SETTINGS arrive here
    c.pump(lambda cl: all(cl.streams[i].ended or cl.streams[i].reset is not None for i in ids), timeout=4)
    states = [(c.streams[i].status, c.streams[i].reset) for i in ids]
    assert states[:2] == [(200, None), (200, None)], states
    assert states[2] == (None, 7), states  # REFUSED_STREAM


def test_request_trailers_and_content_length_mismatch(hush, backend):
    b = backend()
    srv = server(hush, "location / { proxy_pass http://127.0.0.1:%d; }" % b.port)
    c = H2Client(srv.port)
    sid = c.request("/t", method="POST", end=False)
    c.conn.send_data(sid, b"abcdef")
    c.conn.send_headers(sid, [("x-trailer", "1")], end_stream=True)
    c.flush()
    st = c.wait(sid)
    assert st.status == 200 and st.header("x-seen-body-length") == "6"
    sid = c.request("/cl", method="POST", headers=[("content-length", "10")], end=False)
    c.conn.send_data(sid, b"abc", end_stream=True)
    c.flush()
    bad = c.wait(sid)
    assert bad.reset is not None or bad.status == 400
    assert c.get("/r").status == 200


def test_max_requests_ends_with_goaway(hush):
    srv = server(hush, "http2_max_requests 2;")
    c = H2Client(srv.port)
    assert c.get("/r").status == 200
    assert c.get("/r").status == 200
    assert c.read_closed(timeout=3)
    assert c.goaway is not None and c.goaway.error_code == 0 and c.goaway.last_stream_id == 3
    assert srv.wait_log(1, name="conn.log")[0].startswith('keepalive_close "-" 2 ')


def test_keepalive_requests_limits_the_streams_without_http2_max_requests(hush):
    srv = server(hush, "keepalive_requests 2;")
    c = H2Client(srv.port)
    assert c.get("/r").status == 200 and c.get("/r").status == 200
    assert c.read_closed(timeout=3)
    assert c.goaway is not None and c.goaway.error_code == 0 and c.goaway.last_stream_id == 3


def test_an_idle_connection_closes_after_keepalive_timeout(hush):
    srv = server(hush, "keepalive_timeout 1s;")
    c = H2Client(srv.port)
    assert c.get("/r").status == 200
    t0 = time.time()
    assert c.read_closed(timeout=4)
    assert 0.7 < time.time() - t0 < 3
    assert srv.wait_log(1, name="conn.log")[0].startswith('keepalive_close "-" 1 ')


def test_http2_chunk_size_bounds_the_data_frames(hush):
    import h2.events
    srv = server(hush, "location /f/ { http2_chunk_size 4k; } location /g/ { }")
    body = bytes(range(256)) * 80  # 20 KiB
    srv.write("f/x.bin", body)
    srv.write("g/x.bin", body)
    c = H2Client(srv.port)
    sizes = []
    handle = c._handle

    def spy(ev):
        if isinstance(ev, h2.events.DataReceived):
            sizes.append(len(ev.data))
        handle(ev)
    c._handle = spy
    assert c.get("/f/x.bin").data == body
    assert max(sizes) == 4096 and len(sizes) == 5, sizes
    sizes.clear()
    assert c.get("/g/x.bin").data == body
    assert max(sizes) == 8192, sizes  # the default, 8k
