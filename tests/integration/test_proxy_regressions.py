"""The proxy's bugs that nginx's own tests found (issue 16), each against a
real upstream process (backend.py): proxy_next_upstream on a status, an
empty body on a kept-alive upstream connection, max_fails with failures
between successes, 100 Continue for an empty body, duplicate framing
headers from an upstream, and request headers with underscores."""
import os
import socket
import time

from conftest import read_all, req, run_hush

LOG = "log_format up '$status $close_reason us=$upstream_status ua=$upstream_addr';\n" \
      "access_log logs/access.log up;\n"


def test_next_upstream_http_404_sends_the_next_servers_answer(hush, backend):
    a, b = backend("a"), backend("b")
    srv = hush(LOG + """
upstream app { server 127.0.0.1:%d; server 127.0.0.1:%d; }
server {
    listen 127.0.0.1:@PORT@;
    location / { proxy_pass http://app; proxy_next_upstream http_404 http_500; }
}
""" % (a.port, b.port))
    statuses = (404, 404, 500, 500)  # the servers take turns: each status meets a once
    for i, status in enumerate(statuses):
        r = srv.exchange(req("/n%d?only=a&status=%d" % (i, status)))
        rs = r.responses()
        assert len(rs) == 1 and rs[0].status == 200 and rs[0].header("X-Backend") == "b", r
        assert rs[0].body == b"hello from backend b\n"
    lines = srv.wait_log(4)
    for status, line in zip(statuses, lines):
        assert line.startswith("200 ok us=200 ") or line.startswith("200 ok us=%d, 200 " % status), lines
    assert sum(1 for l in lines if l.startswith("200 ok us=404, 200 ")) == 1, lines
    assert sum(1 for l in lines if l.startswith("200 ok us=500, 200 ")) == 1, lines


def test_empty_body_on_a_kept_upstream_connection_ends_for_http10(hush, backend):
    b = backend()
    srv = hush(LOG + """
upstream app { server 127.0.0.1:%d; keepalive 2; }
server {
    listen 127.0.0.1:@PORT@;
    proxy_read_timeout 10s;
    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; }
}
""" % b.port)
    for version in ("HTTP/1.0", "HTTP/1.1"):
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        t0 = time.time()
        s.sendall(req("/?empty=1", version=version))  # HTTP/1.1: Connection: close
        data, how = read_all(s, timeout=3.0)
        s.close()
        assert how == "closed" and time.time() - t0 < 2, (version, how, data)
        assert data.startswith(b"HTTP/1.1 200 ") and b"\r\nContent-Length: 0\r\n" in data, data
    lines = srv.wait_log(2)
    assert all(l.startswith("200 ok us=200 ") for l in lines), lines
    assert len({e["conn"] for e in b.events("request")}) == 1  # the upstream connection was kept


def test_max_fails_counts_failures_between_successes(hush, backend):
    a, b = backend("a"), backend("b")
    srv = hush(LOG + """
upstream app { server 127.0.0.1:%d max_fails=2 fail_timeout=30s; server 127.0.0.1:%d backup; }
server {
    listen 127.0.0.1:@PORT@;
    location / { proxy_pass http://app; }
}
""" % (a.port, b.port))
    srv.allow_error_log(r"prematurely closed")
    seen = []
    for path in ("/1?only=a&noresp=1", "/2", "/3?only=a&noresp=1", "/4", "/5"):
        rs = srv.exchange(req(path)).responses()
        assert rs[0].status == 200, rs
        seen.append(rs[0].header("X-Backend"))
    # a failed, served, failed again: two failures within fail_timeout, so
    # it is out of rotation and the backup serves
    assert seen == ["b", "a", "b", "b", "b"], seen


def test_100_continue_for_a_proxied_empty_body(hush, backend):
    b = backend()
    srv = hush(LOG + """
server {
    listen 127.0.0.1:@PORT@;
    location / { proxy_pass http://127.0.0.1:%d; }
}
""" % b.port)
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
    s.sendall(req("/c", method="POST", headers=["Expect: 100-continue", "Content-Length: 0"]))
    data, how = read_all(s, timeout=3.0)
    s.close()
    assert data.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 "), data
    assert b.events("request")[0]["method"] == "POST"


def test_duplicate_framing_headers_from_upstream_are_502(hush, backend):
    b = backend()
    srv = hush(LOG + """
server {
    listen 127.0.0.1:@PORT@;
    location / { proxy_pass http://127.0.0.1:%d; }
}
""" % b.port)
    srv.allow_error_log(r"upstream sent invalid header \(duplicate (Content-Length|Transfer-Encoding)\)")
    for f in ("dup_length", "dup_chunked"):
        rs = srv.exchange(req("/?fault=" + f)).responses()
        assert rs[0].status == 502, (f, rs)
    assert srv.wait_log(2) == ["502 upstream_invalid us=502 ua=127.0.0.1:%d" % b.port] * 2


def test_request_headers_with_underscores_are_not_forwarded(hush, backend):
    b = backend()
    srv = hush(LOG + """
server {
    listen 127.0.0.1:@PORT@;
    location / { proxy_pass http://127.0.0.1:%d; }
    location /u/ { proxy_pass http://127.0.0.1:%d; }
}
server {
    listen 127.0.0.1:@PORT2@;
    underscores_in_headers on;
    location / { proxy_pass http://127.0.0.1:%d; }
}
""" % (b.port, b.port, b.port))
    assert srv.exchange(req("/x", headers=["X_Under: 1", "X-Dash: 2"])).responses()[0].status == 200
    assert srv.exchange(req("/y", headers=["X_Under: 1"]), port=srv.port2).responses()[0].status == 200
    ev = b.events("request")
    assert "x_under" not in ev[0]["headers"] and ev[0]["headers"]["x-dash"] == "2"
    assert ev[1]["headers"]["x_under"] == "1"


def test_proxied_prefix_with_slash_redirects_without_it(hush, backend):
    b = backend()
    srv = hush(LOG + """
server {
    listen 127.0.0.1:@PORT@;
    location / { return 200 "root\\n"; }
    location /api/ { proxy_pass http://127.0.0.1:%d; }
    location = /exact/ { proxy_pass http://127.0.0.1:%d; }
    location /own/ { proxy_pass http://127.0.0.1:%d; }
    location = /own { return 200 "own\\n"; }
    location /static/ { return 200 "static\\n"; }
    location "/with space/" { proxy_pass http://127.0.0.1:%d; }
}
""" % (b.port, b.port, b.port, b.port))
    for path, want in (("/api", "http://localhost:%d/api/" % srv.port),
                       ("/with%20space?a=b", "http://localhost:%d/with%%20space/?a=b" % srv.port),
                       ("/api?x=1", "http://localhost:%d/api/?x=1" % srv.port),
                       ("/exact", "http://localhost:%d/exact/" % srv.port)):
        rs = srv.exchange(req(path)).responses()
        assert rs[0].status == 301 and rs[0].header("Location") == want, (path, rs)
    # "location = /own" wins; a location that does not proxy does not redirect
    assert srv.exchange(req("/own")).responses()[0].body == b"own\n"
    assert srv.exchange(req("/static")).responses()[0].body == b"root\n"
    assert srv.exchange(req("/api/x")).responses()[0].header("X-Backend") == "b"
    assert srv.exchange(req("/apix")).responses()[0].body == b"root\n"


def test_next_upstream_http_500_counts_toward_max_fails_and_404_does_not(hush, backend):
    a, b = backend("a"), backend("b")
    srv = hush(LOG + """
upstream app { server 127.0.0.1:%d; server 127.0.0.1:%d; }
server {
    listen 127.0.0.1:@PORT@;
    location / { proxy_pass http://app; proxy_next_upstream http_500 http_404; }
}
""" % (a.port, b.port))
    def backends(path, n=4):
        return [srv.exchange(req(path)).responses()[0].header("X-Backend") for _ in range(n)]
    # a's 404s send the requests on to b but do not take a out of rotation
    backends("/?only=a&status=404")
    assert "a" in backends("/ok")
    # a 500 does (max_fails=1 by default): for fail_timeout only b answers
    backends("/?only=a&status=500", 2)
    assert backends("/ok") == ["b"] * 4


def test_proxy_intercept_errors(hush, backend):
    b = backend()
    srv = hush(LOG + """
server {
    listen 127.0.0.1:@PORT@;
    location / { proxy_pass http://127.0.0.1:%d; proxy_intercept_errors on; error_page 404 = /nf; }
    location /pass/ { proxy_pass http://127.0.0.1:%d; error_page 404 = /nf; }
    location = /nf { return 200 "page: $upstream_status\\n"; }
}
""" % (b.port, b.port))
    r = srv.exchange(req("/x?status=404")).responses()[0]
    assert r.status == 200 and r.body == b"page: 404\n", r
    r = srv.exchange(req("/x?status=500")).responses()[0]   # no error_page for 500: passed
    assert r.status == 500 and r.header("X-Backend") == "b", r
    r = srv.exchange(req("/pass/x?status=404")).responses()[0]  # off by default
    assert r.status == 404 and r.header("X-Backend") == "b", r


def test_duplicate_single_headers_from_upstream_keep_the_first(hush, backend):
    b = backend()
    srv = hush(LOG + """
server {
    listen 127.0.0.1:@PORT@;
    location / { proxy_pass http://127.0.0.1:%d; }
}
""" % b.port)
    r = srv.exchange(req("/?fault=dup_single")).responses()[0]
    assert r.status == 200 and r.body == b"ok"
    head = r.raw.split(b"\r\n\r\n")[0]
    assert head.count(b"\r\nExpires: ") == 1 and b"\r\nExpires: foo\r\n" in head + b"\r\n", head
    assert head.count(b"\r\nETag: ") == 1 and b'\r\nETag: "1"' in head, head
    assert head.count(b"\r\nX-Many: ") == 2, head  # other fields pass as they came


def test_small_proxy_buffers_relay_whole_bodies(hush, backend, tmpconf):
    """proxy_buffers with small sizes (nginx's tests use 4 128): the relay
    works through them; a head larger than the buffer is a 502 as nginx's
    "too big header"; fewer than 2 buffers is nginx's -t error."""
    b = backend()
    srv = hush(LOG + """
upstream app { server 127.0.0.1:%d; }
server {
    listen 127.0.0.1:@PORT@;
    location / { proxy_pass http://app; proxy_buffer_size 128; proxy_buffers 4 128; }
    location /tiny/ { proxy_pass http://app; proxy_buffers 2 16; }
}
""" % b.port)
    srv.allow_error_log(r"too big header")
    rs = srv.exchange(req("/big?mb=1"), timeout=10).responses()
    assert rs[0].status == 200 and len(rs[0].body) == 1 << 20
    rs = srv.exchange(req("/c?chunked=1")).responses()
    assert rs[0].status == 200
    rs = srv.exchange(req("/tiny/")).responses()
    assert rs[0].status == 502, rs
    lines = srv.wait_log(3)
    assert lines[2].startswith("502 upstream_invalid "), lines
    srv.wait_error_log(r"upstream sent too big header")
    path = os.path.join(tmpconf, "t.conf")
    with open(path, "w") as f:
        f.write("events {}\nhttp { server { listen 127.0.0.1:1; proxy_buffers 1 4k; } }\n")
    r = run_hush(["-t", "-p", tmpconf, "-c", path])
    assert r.returncode == 1 and 'there must be at least 2 "proxy_buffers"' in r.stderr, r.stderr
