"""The reverse proxy against real upstream processes (tests/integration/backend.py):
keep-alive reuse, weights, failover, retry rules, 502/504, bounded memory with a
slow client, chunked both ways, and the 499 contract (the upstream is released
within milliseconds of the client leaving; with proxy_ignore_client_abort the
late outcome is logged)."""
import socket
import time


from conftest import free_port, req  # the `backend` fixture lives in conftest

LOG = "log_format up '$status $close_reason \"$request\" us=$upstream_status ua=$upstream_addr " \
      "urt=$upstream_response_time uct=$upstream_connect_time bbs=$body_bytes_sent';\n" \
      "access_log logs/access.log up;\n"


def proxy_conf(upstream, location_extra="", extra=""):
    return LOG + upstream + """
server {
    listen 127.0.0.1:@PORT@;
    location / { proxy_pass http://app; %s }
    %s
}
""" % (location_extra, extra)


def test_keepalive_reuses_one_upstream_connection(hush, backend):
    b = backend()
    srv = hush(proxy_conf("upstream app { server 127.0.0.1:%d; keepalive 4; }" % b.port,
                          "proxy_http_version 1.1; proxy_set_header Connection \"\";"))
    for i in range(6):
        r = srv.exchange(req("/k%d" % i))
        assert r.responses()[0].status == 200
        assert r.responses()[0].body == b"hello from backend b\n"
    reqs = b.events("request")
    assert len(reqs) == 6
    assert len({e["conn"] for e in reqs}) == 1
    # the Connection header was cleared, so the upstream could keep the connection
    assert all(e["headers"].get("connection") is None for e in reqs)
    lines = srv.wait_log(6)
    assert all(" ok " in l and "us=200" in l and "ua=127.0.0.1:%d" % b.port in l for l in lines)


def test_default_headers_as_nginx(hush, backend):
    b = backend()
    srv = hush(proxy_conf("upstream app { server 127.0.0.1:%d; }" % b.port))
    r = srv.exchange(req("/h?x=1", headers=["X-Custom: yes", "Keep-Alive: 300"], close=False) + req("/h2"))
    rs = r.responses()
    assert [x.status for x in rs] == [200, 200]
    ev = b.events("request")
    assert ev[0]["version"] == "HTTP/1.0"            # proxy_http_version 1.0 by default
    assert ev[0]["headers"]["host"] == "app"         # $proxy_host
    assert ev[0]["headers"]["connection"] == "close"
    assert ev[0]["headers"]["x-custom"] == "yes"
    assert "keep-alive" not in ev[0]["headers"]      # hop-by-hop header dropped
    assert ev[0]["target"] == "/h?x=1"
    # the client keeps its keep-alive connection even though the upstream's closed
    assert rs[0].header("Connection") == "keep-alive"
    assert rs[0].header("X-Backend") == "b"
    assert rs[0].header("Server").startswith("hush")


def test_uri_replacement_and_set_header(hush, backend):
    b = backend()
    srv = hush(LOG + """
upstream app { server 127.0.0.1:%d; }
server {
    listen 127.0.0.1:@PORT@;
    location /api/ { proxy_pass http://app/v2/; proxy_set_header Host $host; proxy_set_header X-Real-IP $remote_addr;
                     proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; }
}
""" % b.port)
    r = srv.exchange(req("/api/users/7?full=1", host="site.test", headers=["X-Forwarded-For: 10.0.0.1"]))
    assert r.responses()[0].status == 200
    e = b.events("request")[0]
    assert e["target"] == "/v2/users/7?full=1"
    assert e["headers"]["host"] == "site.test"
    assert e["headers"]["x-real-ip"] == "127.0.0.1"
    assert e["headers"]["x-forwarded-for"] == "10.0.0.1, 127.0.0.1"


def test_weights(hush, backend):
    a, b = backend("a"), backend("b")
    srv = hush(proxy_conf("upstream app { server 127.0.0.1:%d weight=3; server 127.0.0.1:%d; }" % (a.port, b.port)))
    seen = [srv.exchange(req("/w%d" % i)).responses()[0].header("X-Backend") for i in range(8)]
    assert seen.count("a") == 6 and seen.count("b") == 2, seen


def test_failover_on_refused_connection(hush, backend):
    b = backend()
    dead = free_port()
    srv = hush(proxy_conf("upstream app { server 127.0.0.1:%d; server 127.0.0.1:%d; }" % (dead, b.port)))
    srv.allow_error_log(r"connect\(\) failed")
    for i in range(4):
        r = srv.exchange(req("/f%d" % i))
        assert r.responses()[0].status == 200
    lines = srv.wait_log(4)
    # the dead server was tried once, then marked down (max_fails=1) for fail_timeout
    assert sum(1 for l in lines if "us=502, 200" in l and "ua=127.0.0.1:%d, 127.0.0.1:%d" % (dead, b.port) in l) == 1
    assert len(b.events("request")) == 4


def test_post_not_retried_after_it_was_sent(hush, backend):
    a, b = backend("a"), backend("b")
    up = "upstream app { server 127.0.0.1:%d max_fails=0; server 127.0.0.1:%d max_fails=0; }" % (a.port, b.port)
    srv = hush(proxy_conf(up, extra="location /ni { proxy_pass http://app; proxy_next_upstream error timeout non_idempotent; }"))
    srv.allow_error_log(r"prematurely closed")
    # a reads the request and closes without answering
    r = srv.exchange(req("/p?noresp=1", method="POST", headers=["Content-Length: 4"], body=b"data"))
    assert r.responses()[0].status == 502
    assert [e["backend"] for e in a.events("request") + b.events("request")] == ["a"]
    # a GET is retried on the next server
    r = srv.exchange(req("/g?noresp=1"))
    assert r.responses()[0].status == 502  # b closes too: both tried
    assert len(b.events("request")) == 1
    # with non_idempotent, a POST goes on to the next server as well
    srv.exchange(req("/ni?noresp=1", method="POST", headers=["Content-Length: 4"], body=b"data"))
    assert sum(1 for e in a.events("request") + b.events("request") if e["target"].startswith("/ni")) == 2


def test_502_and_504_timings(hush, backend):
    b = backend()
    dead = free_port()
    srv = hush(LOG + """
upstream deadup { server 127.0.0.1:%d; }
upstream app { server 127.0.0.1:%d; }
server {
    listen 127.0.0.1:@PORT@;
    location /dead { proxy_pass http://deadup; }
    location /slow { proxy_pass http://app; proxy_read_timeout 500ms; }
}
""" % (dead, b.port))
    srv.allow_error_log(r"connect\(\) failed|timed out")
    t0 = time.time()
    r = srv.exchange(req("/dead"))
    assert r.responses()[0].status == 502
    assert time.time() - t0 < 0.5
    t0 = time.time()
    r = srv.exchange(req("/slow?ms=3000"), timeout=5)
    took = time.time() - t0
    assert r.responses()[0].status == 504
    assert 0.4 < took < 1.5, took
    lines = srv.wait_log(2)
    assert "us=502" in lines[0] and "us=504" in lines[1]


def test_malformed_upstream_response_is_502(hush, backend):
    b = backend()
    srv = hush(proxy_conf("upstream app { server 127.0.0.1:%d; }" % b.port))
    srv.allow_error_log(r"invalid header")
    r = srv.exchange(req("/x?garbage=1"))
    assert r.responses()[0].status == 502
    assert srv.alive()


def dechunk(data):
    out = b""
    while True:
        size_line, data = data.split(b"\r\n", 1)
        n = int(size_line, 16)
        if n == 0:
            return out
        out, data = out + data[:n], data[n + 2:]


def test_chunked_both_ways_and_interim(hush, backend):
    b = backend()
    srv = hush(proxy_conf("upstream app { server 127.0.0.1:%d; }" % b.port))
    body = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    r = srv.exchange(req("/c?chunked=1", method="POST", headers=["Transfer-Encoding: chunked"], body=body))
    rs = r.responses()
    assert rs[0].status == 200
    assert rs[0].header("Transfer-Encoding") == "chunked"
    assert dechunk(rs[0].body) == b"first second third\n"
    assert b.events("request")[0]["body"] == "hello world"
    r = srv.exchange(req("/i?interim=1"))
    assert [x.status for x in r.responses()] == [200]
    # an HTTP/1.0 client gets the body without chunks, ended by the close
    r = srv.exchange(req("/c?chunked=1", version="HTTP/1.0"))
    assert r.data.endswith(b"\r\n\r\nfirst second third\n")


def test_head_and_until_close(hush, backend):
    b = backend()
    srv = hush(proxy_conf("upstream app { server 127.0.0.1:%d; }" % b.port))
    r = srv.exchange(req("/h", method="HEAD", close=False) + req("/u?until_close=1"))
    rs = r.responses(head=[True, False])
    assert rs[0].status == 200 and rs[0].body == b""
    # a body ended by the upstream's close reaches an HTTP/1.1 client chunked, so it keeps its connection
    assert rs[1].header("Transfer-Encoding") == "chunked"
    assert rs[1].body in (b"body until close\n", b"11\r\nbody until close\n\r\n0\r\n\r\n")


def test_large_response_to_slow_client_keeps_memory_bounded(hush, backend):
    b = backend()
    srv = hush(proxy_conf("upstream app { server 127.0.0.1:%d; }" % b.port))
    worker = srv.workers()[0]

    def rss_kb():
        with open("/proc/%d/status" % worker) as f:
            return int([l for l in f if l.startswith("VmRSS")][0].split()[1])

    before = rss_kb()
    s = srv.connect()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.sendall(req("/big?mb=100"))
    time.sleep(1.0)                      # the client reads nothing for a while
    stalled = rss_kb()
    got = 0
    peak = stalled
    t0 = time.time()
    s.settimeout(10)
    while got < 100 * 1024 * 1024 + 100 and time.time() - t0 < 60:
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        got += len(chunk)
        if got % (8 << 20) < (1 << 20):
            peak = max(peak, rss_kb())
    s.close()
    print("hush worker RSS: before %d kB, client stalled %d kB, peak %d kB" % (before, stalled, peak))
    assert got > 100 * 1024 * 1024
    assert stalled - before < 8 * 1024 and peak - before < 8 * 1024


def slow_request_then_close(srv, data, after=0.2):
    s = srv.connect()
    s.sendall(data)
    time.sleep(after)
    t_close = time.time()
    s.close()
    return t_close


def released_within(b, t_close):
    deadline = time.time() + 2
    while time.time() < deadline:
        ev = [e for e in b.events("closed_while_working") if e["t"] >= t_close - 0.01]
        if ev:
            return (ev[0]["t"] - t_close) * 1000
        time.sleep(0.01)
    return None


def test_499_releases_the_upstream_at_once(hush, backend):
    b = backend()
    srv = hush(proxy_conf("upstream app { server 127.0.0.1:%d; }" % b.port))
    t_close = slow_request_then_close(srv, req("/slow?ms=2000", close=False))
    ms = released_within(b, t_close)
    print("499 detection: backend saw the close %.2f ms after the client" % ms)
    assert ms is not None and ms < 100
    line = srv.wait_log(1)[0]
    assert line.startswith('499 client_abort "GET /slow?ms=2000 HTTP/1.1" us=- ')
    assert not b.events("responded")


def test_499_post_variant(hush, backend):
    b = backend()
    srv = hush(proxy_conf("upstream app { server 127.0.0.1:%d; }" % b.port))
    t_close = slow_request_then_close(srv, req("/slow?ms=2000", method="POST", headers=["Content-Length: 100"], body=b"x" * 100, close=False))
    ms = released_within(b, t_close)
    assert ms is not None and ms < 100
    assert srv.wait_log(1)[0].startswith('499 client_abort "POST /slow?ms=2000 HTTP/1.1"')
    assert b.events("request")[0]["body"] == "x" * 100


def test_499_pipelined_variant(hush, backend):
    b = backend()
    srv = hush(proxy_conf("upstream app { server 127.0.0.1:%d; }" % b.port))
    data = req("/fast", close=False) + req("/slow?ms=2000", close=False) + req("/never")
    s = srv.connect()
    s.sendall(data)
    got = b""
    while b"hello from backend" not in got:
        got += s.recv(65536)
    time.sleep(0.2)
    t_close = time.time()
    s.close()
    ms = released_within(b, t_close)
    assert ms is not None and ms < 100
    lines = srv.wait_log(2)
    assert lines[0].startswith('200 ok "GET /fast')
    assert lines[1].startswith('499 client_abort "GET /slow?ms=2000')
    assert len(lines) == 2  # the third request never started
    assert [e["target"] for e in b.events("request")] == ["/fast", "/slow?ms=2000"]


def test_ignore_client_abort_logs_the_late_outcome(hush, backend):
    b = backend()
    srv = hush(proxy_conf("upstream app { server 127.0.0.1:%d; }" % b.port, "proxy_ignore_client_abort on;"))
    slow_request_then_close(srv, req("/slow?ms=1000", close=False))
    time.sleep(0.3)
    assert srv.log_lines() == []         # not logged before the upstream is done
    lines = srv.wait_log(1, timeout=3)
    assert lines[0].startswith('499 client_abort "GET /slow?ms=1000 HTTP/1.1" us=200 ')
    urt = float(lines[0].split("urt=")[1].split()[0])
    assert 0.9 <= urt < 2.0
    assert len(b.events("responded")) == 1


def test_client_gone_mid_body_closes_upstream(hush, backend):
    b = backend()
    srv = hush(proxy_conf("upstream app { server 127.0.0.1:%d; }" % b.port))
    s = srv.connect()
    s.sendall(b"POST /up HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\n" + b"y" * 100)
    time.sleep(0.2)
    s.close()
    line = srv.wait_log(1)[0]
    assert line.startswith('400 client_abort_body "POST /up HTTP/1.1"')
    assert b.events("request") == []
