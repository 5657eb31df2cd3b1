"""How connections end: header_timeout, no_request (logged only with
log_empty_connections on), client_abort_body, send_timeout, body_timeout,
bad_request on a partial head, keepalive_close (not logged)."""
import socket
import time

import pytest

from conftest import read_all, req

FMT = """
log_format r '$status $close_reason $drop_rule $body_bytes_sent "$request"';
access_log logs/access.log r;
client_header_timeout 1s;
client_body_timeout 1s;
send_timeout 1s;
keepalive_timeout 1s;
"""
SERVER = """
server {
    listen 127.0.0.1:@PORT@;
    server_name localhost;
    location = /r { return 200 "r\\n"; }
}
"""
BIG = 20 * 1024 * 1024


def start(hush, extra="", big=False):
    srv = hush(FMT + extra + SERVER, start=False)
    srv.write("a.txt", "A")
    if big:
        with open(srv.html + "/big.bin", "wb") as f:
            f.truncate(BIG)
    return srv.start()


def test_header_timeout_408_nothing_sent(hush):
    srv = start(hush)
    r = srv.exchange(b"GET /a.txt HTTP/1.1\r\nHost: local", timeout=4)
    assert r.data == b""
    assert r.how == "closed"
    assert 0.8 < r.elapsed < 2.5
    assert srv.wait_log(1) == ['408 header_timeout - 0 "GET /a.txt HTTP/1.1"']


def test_header_timeout_partial_request_line(hush):
    srv = start(hush)
    r = srv.exchange(b"GET /a.t", timeout=4)
    assert (r.data, r.how) == (b"", "closed")
    lines = srv.wait_log(1)
    assert len(lines) == 1 and lines[0].startswith("408 header_timeout - 0 ")


def test_header_timeout_not_reset_by_trickle(hush):
    """client_header_timeout bounds the whole head, not the gap between bytes."""
    srv = start(hush)
    pieces = [(b"GET / HTTP/1.1\r\n", 0.3)] + [(b"X-%d: y\r\n" % i, 0.3) for i in range(8)]
    s = srv.connect()
    t0 = time.time()
    closed_at = None
    try:
        for piece, delay in pieces:
            s.sendall(piece)
            time.sleep(delay)
    except (BrokenPipeError, ConnectionResetError):
        closed_at = time.time() - t0
    data, how = read_all(s, timeout=3)
    s.close()
    assert data == b""
    assert closed_at is None or closed_at < 2.5
    lines = srv.wait_log(1)
    assert lines[0].startswith("408 header_timeout ")


def test_empty_connection_not_logged_by_default(hush):
    srv = start(hush)
    s = srv.connect()
    s.close()
    r = srv.exchange(b"", timeout=3)     # idle past client_header_timeout
    assert (r.data, r.how) == (b"", "closed")
    srv.exchange(req("/r"))                # a marker request
    lines = srv.expect_log(1)
    assert lines == ['200 ok - 2 "GET /r HTTP/1.1"']


def test_empty_connection_logged_when_asked(hush):
    srv = start(hush, "log_empty_connections on;")
    s = srv.connect()
    s.close()
    lines = srv.wait_log(1)
    assert lines == ['400 no_request - 0 "-"']
    r = srv.exchange(b"", timeout=3)
    assert (r.data, r.how) == (b"", "closed")
    lines = srv.wait_log(2)
    assert lines == ['400 no_request - 0 "-"'] * 2


def test_partial_head_then_close_is_bad_request(hush):
    srv = start(hush)
    srv.exchange(b"GET /a.txt HTTP/1.1\r\nHost: x", shut_wr=True)
    lines = srv.wait_log(1)
    assert len(lines) == 1 and lines[0].startswith("400 bad_request - 0 ")


def test_keepalive_close_not_logged(hush):
    srv = start(hush)
    s = srv.connect()
    s.sendall(req("/r", close=False))
    time.sleep(0.2)
    s.close()                               # client closes the idle keep-alive connection
    r = srv.exchange(req("/r", close=False), timeout=3)  # server closes it on timeout
    assert r.how == "closed"
    lines = srv.expect_log(2)
    assert lines == ['200 ok - 2 "GET /r HTTP/1.1"'] * 2


def test_client_abort_mid_body_of_large_file(hush):
    srv = start(hush, big=True)
    s = srv.connect()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.sendall(req("/big.bin"))
    got = 0
    while got < 300000:
        got += len(s.recv(65536))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()                                # RST: the client is gone
    lines = srv.wait_log(1, timeout=4)
    assert len(lines) == 1, lines
    status, reason, rule, sent, request = lines[0].split(" ", 4)
    assert (status, reason, rule, request) == ("200", "client_abort_body", "-", '"GET /big.bin HTTP/1.1"')
    assert 0 < int(sent) < BIG


def test_client_fin_mid_body_of_large_file(hush):
    srv = start(hush, big=True)
    s = srv.connect()
    s.sendall(req("/big.bin"))
    s.recv(65536)
    s.close()                                # FIN with unread data -> RST from our kernel
    lines = srv.wait_log(1, timeout=4)
    assert len(lines) == 1, lines
    status, reason, _, sent, _ = lines[0].split(" ", 4)
    assert (status, reason) == ("200", "client_abort_body")
    assert int(sent) < BIG


def test_send_timeout_when_client_stops_reading(hush):
    srv = start(hush, big=True)
    s = srv.connect()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.sendall(req("/big.bin"))
    s.recv(1000)
    lines = srv.wait_log(1, timeout=5)      # send_timeout 1s
    s.close()
    assert len(lines) == 1, lines
    status, reason, _, sent, _ = lines[0].split(" ", 4)
    assert (status, reason) == ("200", "send_timeout")
    assert 0 < int(sent) < BIG


def test_full_large_download_is_ok(hush):
    srv = start(hush, big=True)
    r = srv.exchange(req("/big.bin"), timeout=5)
    assert r.how == "closed"
    (resp,) = r.responses()
    assert len(resp.body) == BIG and resp.body.count(b"\0") == BIG
    assert srv.wait_log(1) == ['200 ok - %d "GET /big.bin HTTP/1.1"' % BIG]


@pytest.mark.parametrize("body", [
    b"Content-Length: 100\r\n\r\n0123456789",
    b"Transfer-Encoding: chunked\r\n\r\n5\r\nab",
], ids=["length", "chunked"])
def test_body_timeout_408_nothing_sent(hush, body):
    srv = start(hush)
    r = srv.exchange(b"POST /r HTTP/1.1\r\nHost: localhost\r\n" + body, timeout=4)
    assert (r.data, r.how) == (b"", "closed")
    assert 0.8 < r.elapsed < 2.5
    assert srv.wait_log(1, timeout=4) == ['408 body_timeout - 0 "POST /r HTTP/1.1"']


@pytest.mark.parametrize("body", [
    b"Content-Length: 100\r\n\r\n0123456789",
    b"Transfer-Encoding: chunked\r\n\r\n5\r\nab",
], ids=["length", "chunked"])
def test_client_abort_mid_request_body(hush, body):
    srv = start(hush)
    r = srv.exchange(b"POST /r HTTP/1.1\r\nHost: localhost\r\n" + body, shut_wr=True, timeout=2)
    assert r.data == b""
    assert srv.wait_log(1, timeout=3) == ['400 client_abort_body - 0 "POST /r HTTP/1.1"']


def test_every_connection_ends_once(hush):
    """A mix of endings on one server: each request gets exactly one line."""
    srv = start(hush, "log_empty_connections on;")
    srv.exchange(req("/r"))
    srv.exchange(b"GET / HTTP/1.1\r\nX : y\r\n\r\n")
    srv.exchange(b"GET /r HTTP/1.1\r\nHo", timeout=3)
    srv.exchange(b"", shut_wr=True)
    lines = srv.expect_log(4, settle=1.2)
    reasons = sorted(l.split()[1] for l in lines)
    assert reasons == ["bad_request", "header_timeout", "no_request", "ok"]


def test_header_timeout_on_second_keepalive_request(hush):
    srv = start(hush)
    r = srv.exchange([(req("/r", close=False), 0.2), (b"GET /r HT", 0)], timeout=4)
    assert r.how == "closed"
    assert r.data.count(b"HTTP/1.1 200 OK") == 1
    lines = srv.wait_log(2, timeout=4)
    # an incomplete request line is logged as "-" (nginx does the same)
    assert lines == ['200 ok - 2 "GET /r HTTP/1.1"', '408 header_timeout - 0 "-"']


def test_bad_request_mid_pipeline(hush):
    srv = start(hush)
    r = srv.exchange(req("/r", close=False) + b"GET / HTTP/1.1\r\nHost : x\r\n\r\n" + req("/r"))
    assert r.how == "closed"
    rs = r.responses()
    assert [x.status for x in rs] == [200, 400]
    lines = srv.wait_log(2)
    assert [l.split()[1] for l in lines] == ["ok", "bad_request"]
