"""Keep-alive, pipelining (answers in order), HTTP/1.0 rules, request bodies
discarded so the connection is kept, Expect: 100-continue, keepalive limits."""
import time

from conftest import read_all, req

HTTP = """
log_format r '$status $close_reason "$request" $connection $connection_requests $pipe';
access_log logs/access.log r;
keepalive_timeout 1s;
server {
    listen 127.0.0.1:@PORT@;
    server_name localhost;
    location = /r { return 200 "r=$arg_n\\n"; }
}
"""


def start(hush, http=HTTP):
    srv = hush(http, start=False)
    srv.write("a.txt", "A" * 10)
    srv.write("b.txt", "B" * 20000)
    return srv.start()


def test_pipelined_answers_in_order(hush):
    srv = start(hush)
    data = b"".join(req("/r?n=%d" % i, close=False) for i in range(20)) + req("/r?n=last")
    r = srv.exchange(data)
    assert r.how == "closed"
    rs = r.responses()
    assert [x.body for x in rs] == [b"r=%d\n" % i for i in range(20)] + [b"r=last\n"]
    assert [x.header("Connection") for x in rs] == ["keep-alive"] * 20 + ["close"]
    lines = srv.wait_log(21)
    assert len(lines) == 21
    conn = lines[0].split()[4]
    assert all(l.split()[4] == conn for l in lines)
    # every request but the first arrived pipelined
    assert lines[0].endswith(" .") and all(l.endswith(" p") for l in lines[1:-1])


def test_pipelined_mixed_static_head_404(hush):
    srv = start(hush)
    data = (req("/a.txt", close=False) + req("/b.txt", close=False) +
            req("/a.txt", method="HEAD", close=False) + req("/missing", close=False) + req("/a.txt"))
    r = srv.exchange(data)
    assert r.how == "closed"
    rs = r.responses(head=[False, False, True, False, False])
    assert [x.status for x in rs] == [200, 200, 200, 404, 200]
    assert rs[1].body == b"B" * 20000
    assert rs[2].body == b""


def test_keepalive_sequential_on_one_connection(hush):
    srv = start(hush)
    s = srv.connect()
    for i in range(5):
        s.sendall(req("/r?n=%d" % i, close=False))
        got = b""
        while not got.endswith(b"r=%d\n" % i):
            got += s.recv(4096)
        assert got.startswith(b"HTTP/1.1 200 OK\r\n")
    s.close()
    lines = srv.wait_log(5)
    assert len(set(l.split()[4] for l in lines)) == 1


def test_http10_closes_by_default(hush):
    srv = start(hush)
    r = srv.exchange(b"GET /a.txt HTTP/1.0\r\n\r\nGET /a.txt HTTP/1.0\r\n\r\n")
    assert r.how == "closed"
    rs = r.responses()
    assert len(rs) == 1 and rs[0].header("Connection") == "close"


def test_http10_keepalive_requested(hush):
    srv = start(hush)
    r = srv.exchange(b"GET /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                     b"GET /a.txt HTTP/1.0\r\n\r\n")
    assert r.how == "closed"
    rs = r.responses()
    assert len(rs) == 2
    assert rs[0].header("Connection") == "keep-alive"
    assert rs[1].header("Connection") == "close"


def test_http11_connection_close_stops_pipeline(hush):
    srv = start(hush)
    r = srv.exchange(req("/r?n=1") + req("/r?n=2"))
    assert r.how == "closed"
    assert [x.body for x in r.responses()] == [b"r=1\n"]


def test_keepalive_timeout_closes_idle_connection(hush):
    srv = start(hush)
    s = srv.connect()
    s.sendall(req("/a.txt", close=False))
    t0 = time.time()
    data, how = read_all(s, timeout=4)
    elapsed = time.time() - t0
    s.close()
    assert how == "closed"
    assert data.startswith(b"HTTP/1.1 200 OK\r\n")
    assert 0.7 < elapsed < 2.5
    lines = srv.expect_log(1)       # keepalive_close is not logged
    assert lines[0].startswith("200 ok ")


def test_keepalive_timeout_zero_disables(hush):
    srv = start(hush, HTTP.replace("keepalive_timeout 1s;", "keepalive_timeout 0;"))
    r = srv.exchange(req("/a.txt", close=False) + req("/a.txt", close=False))
    assert r.how == "closed"
    rs = r.responses()
    assert len(rs) == 1 and rs[0].header("Connection") == "close"


def test_keepalive_requests_limit(hush):
    srv = start(hush, HTTP.replace("keepalive_timeout 1s;", "keepalive_timeout 1s; keepalive_requests 3;"))
    r = srv.exchange(b"".join(req("/r?n=%d" % i, close=False) for i in range(5)))
    assert r.how == "closed"
    rs = r.responses()
    assert [x.body for x in rs] == [b"r=0\n", b"r=1\n", b"r=2\n"]
    assert rs[2].header("Connection") == "close"


def test_request_body_discarded_keepalive_kept(hush):
    srv = start(hush)
    r = srv.exchange(b"POST /r?n=1 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 11\r\n\r\nhello world" +
                     req("/r?n=2"))
    assert r.how == "closed"
    rs = r.responses()
    assert [x.body for x in rs] == [b"r=1\n", b"r=2\n"]
    assert rs[0].header("Connection") == "keep-alive"


def test_chunked_body_discarded_keepalive_kept(hush):
    srv = start(hush)
    body = b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n"
    r = srv.exchange(b"POST /r?n=1 HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n" +
                     body + req("/r?n=2"))
    assert r.how == "closed"
    rs = r.responses()
    assert [x.body for x in rs] == [b"r=1\n", b"r=2\n"]
    assert rs[0].header("Connection") == "keep-alive"


def test_chunked_body_split_across_packets(hush):
    srv = start(hush)
    head = b"POST /r?n=1 HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
    pieces = [head, b"5\r", b"\nhel", b"lo\r\n", b"0\r\n", b"\r\n"]
    r = srv.exchange([(p, 0.05) for p in pieces] + [(req("/r?n=2"), 0)])
    assert [x.body for x in r.responses()] == [b"r=1\n", b"r=2\n"]


def test_static_file_body_discarded(hush):
    srv = start(hush)
    r = srv.exchange(b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\n\r\nbody" +
                     req("/a.txt"))
    assert [x.status for x in r.responses()] == [200, 200]


def test_expect_100_continue_gets_an_answer(hush):
    """The client waits before sending the body: as nginx, hush says "100
    Continue", reads (and discards) the body, then answers (RFC 9110 10.1.1)."""
    srv = start(hush)
    s = srv.connect()
    s.sendall(b"POST /r?n=1 HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\n"
              b"Content-Length: 5\r\n\r\n")
    s.settimeout(2)
    got = b""
    while b"\r\n\r\n" not in got:
        got += s.recv(4096)
    assert got == b"HTTP/1.1 100 Continue\r\n\r\n"
    s.sendall(b"hello")
    while b"r=1\n" not in got:
        b = s.recv(4096)
        if not b:
            break
        got += b
    s.close()
    got = got.replace(b"HTTP/1.1 100 Continue\r\n\r\n", b"", 1)
    assert got.startswith(b"HTTP/1.1 200 OK\r\n") and got.endswith(b"r=1\n")


def test_large_pipeline_with_slow_reader(hush):
    """Many pipelined requests for a 20 kB file while the client does not read:
    hush must stop reading/answering until the socket drains, then finish in order."""
    srv = start(hush)
    n = 400     # 8 MB: more than the socket buffers hold
    s = srv.connect()
    s.sendall(b"".join(req("/b.txt", close=False) for _ in range(n - 1)) + req("/b.txt"))
    time.sleep(0.5)
    data, how = read_all(s, timeout=5)
    s.close()
    assert how == "closed"
    rs = data.count(b"HTTP/1.1 200 OK\r\n")
    assert rs == n
    assert len(data) > n * 20000
