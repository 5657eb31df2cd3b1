"""Request bodies that arrive in pieces, on the proxy path (the body read
through the core's body API) and on the discard path: the head must reach
the upstream and the log intact, whatever the split."""
import socket
import time

from conftest import req
from test_proxy import proxy_conf


def read_to_close(s):
    data = b""
    while True:
        x = s.recv(65536)
        if not x:
            return data
        data += x


def test_small_body_in_two_pieces(hush, backend):
    b = backend()
    srv = hush(proxy_conf("upstream app { server 127.0.0.1:%d; }" % b.port))
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.sendall(b"POST /two?x=1 HTTP/1.1\r\nHost: localhost\r\nX-Mine: yes\r\nConnection: close\r\n"
              b"Content-Length: 20\r\n\r\n" + b"0123456789")
    time.sleep(0.1)
    s.sendall(b"abcdefghij")
    s.settimeout(3)
    assert b"HTTP/1.1 200" in read_to_close(s)
    ev = b.events("request")
    assert ev[0]["target"] == "/two?x=1"
    assert ev[0]["headers"].get("x-mine") == "yes"
    assert ev[0]["body"] == "0123456789abcdefghij"
def test_large_streamed_body_in_pieces(hush, backend):
    b = backend()
    srv = hush(proxy_conf("upstream app { server 127.0.0.1:%d; }" % b.port, "client_max_body_size 10m;"))
    size = 3 * 1024 * 1024 + 17
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.sendall(b"POST /big HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n" % size + b"a" * 1000)
    time.sleep(0.05)
    sent = 1000
    while sent < size:
        n = min(200000, size - sent)
        s.sendall(b"a" * n)
        sent += n
    s.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    head = data.split(b"\r\n\r\n")[0].decode()
    assert " 200 " in head.split("\r\n")[0]
    assert "X-Seen-Body-Length: %d" % size in head
    line = srv.wait_log(1)[0]
    assert line.startswith('200 ok "POST /big HTTP/1.1" us=200')
    ev = b.events("request")
    assert len(ev[0]["body"]) == size


def test_expect_continue_small_and_large(hush, backend):
    b = backend()
    srv = hush(proxy_conf("upstream app { server 127.0.0.1:%d; }" % b.port, "client_max_body_size 10m;"))
    for size in (100, 200000):
        s = socket.create_connection(("127.0.0.1", srv.port))
        s.sendall(b"POST /e HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % size)
        s.settimeout(2)
        got = s.recv(100)
        assert got == b"HTTP/1.1 100 Continue\r\n\r\n"
        s.sendall(b"z" * size)
        data = b""
        while True:
            x = s.recv(65536)
            if not x:
                break
            data += x
        assert b"X-Seen-Body-Length: %d" % size in data
        assert b"HTTP/1.1 200" in data


def test_chunked_body_then_keepalive_pipelined(hush, backend):
    b = backend()
    srv = hush(proxy_conf("upstream app { server 127.0.0.1:%d; }" % b.port))
    body = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    r = srv.exchange(req("/c1", method="POST", headers=["Transfer-Encoding: chunked"], close=False, body=body) + req("/c2"))
    rs = r.responses()
    assert [x.status for x in rs] == [200, 200]
    assert rs[0].header("X-Seen-Body-Length") == "11"
    ev = b.events("request")
    assert ev[0]["body"] == "hello world"
    assert ev[1]["target"] == "/c2"


def test_discarded_body_in_pieces_keeps_the_head(hush):
    srv = hush("""
        log_format t '$status $close_reason "$request" $request_length';
        server { listen 127.0.0.1:@PORT@; server_name localhost; access_log logs/access.log t;
                 location / { return 200 "ok"; } }
    """)
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.sendall(b"POST /discard?q=2 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 10\r\n\r\n12345")
    time.sleep(0.1)
    s.settimeout(3)
    s.sendall(b"67890")
    data = read_to_close(s)
    assert data.startswith(b"HTTP/1.1 200") and data.endswith(b"ok")
    head = b"POST /discard?q=2 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 10\r\n\r\n"
    assert srv.wait_log(1) == ['200 ok "POST /discard?q=2 HTTP/1.1" %d' % (len(head) + 10)]


def test_no_100_continue_without_expect(hush):
    srv = hush("""
        server { listen 127.0.0.1:@PORT@; server_name localhost; location / { return 200 "ok"; } }
    """)
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.sendall(b"POST / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 4\r\n\r\n")
    s.settimeout(0.3)
    try:
        early = s.recv(100)
    except socket.timeout:
        early = b""
    assert early == b""  # nothing until the body is there
    s.settimeout(3)
    s.sendall(b"abcd")
    assert read_to_close(s).startswith(b"HTTP/1.1 200")
