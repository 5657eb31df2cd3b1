"""Regressions found by the foundation test sweep: each was a hush bug (pipelined
requests after a body, line limits, Expect: 100-continue, redirects without Host,
304 heads, $args, $remote_user, escape=none, named captures)."""
import time

from conftest import read_all, req

PIPE = """
log_format r '$status $close_reason "$request" $connection $connection_requests $pipe';
access_log logs/access.log r;
keepalive_timeout 1s;
server {
    listen 127.0.0.1:@PORT@;
    server_name localhost;
    location = /r { return 200 "r=$arg_n\\n"; }
}
"""


def test_bug_connection_requests_counts(hush):
    srv = hush(PIPE)
    r = srv.exchange(req("/r?n=1", close=False) + req("/r?n=2", close=False) + req("/r?n=3"))
    assert len(r.responses()) == 3
    lines = srv.wait_log(3)
    assert [l.split()[6] for l in lines] == ["1", "2", "3"]


def test_bug_body_end_and_pipelined_request_in_one_read(hush):
    srv = hush(PIPE)
    r = srv.exchange([(b"POST /r?n=1 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\n", 0.1),
                      (b"hello" + req("/r?n=2"), 0)], timeout=1.0)
    assert [x.body for x in r.responses()] == [b"r=1\n", b"r=2\n"]
    assert r.how == "closed"


def test_bug_chunked_end_and_pipelined_request_in_one_read(hush):
    srv = hush(PIPE)
    r = srv.exchange([(b"POST /r?n=1 HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n", 0.1),
                      (b"5\r\nhello\r\n0\r\n\r\n" + req("/r?n=2"), 0)], timeout=1.0)
    assert [x.body for x in r.responses()] == [b"r=1\n", b"r=2\n"]


def test_bug_expect_100_continue_like_nginx(hush):
    srv = hush(PIPE)
    s = srv.connect()
    s.sendall(b"POST /r?n=1 HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\n"
              b"Content-Length: 5\r\n\r\n")
    s.settimeout(2)
    assert s.recv(4096) == b"HTTP/1.1 100 Continue\r\n\r\n"
    s.sendall(b"hello" + req("/r?n=2"))
    data, how = read_all(s)
    assert data.count(b"HTTP/1.1 200 OK") == 2


def test_bug_args_without_query_logged_as_dash(hush):
    # nginx 1.22: "GET /r HTTP/1.0" -> "-|-||-"
    srv = hush("""log_format v '$args|$query_string|$is_args|$arg_a';
        access_log logs/access.log v;
        server { listen 127.0.0.1:@PORT@; location = /r { return 200 "r"; } }""")
    srv.exchange(b"GET /r HTTP/1.0\r\n\r\n")
    assert srv.wait_log(1) == ["-|-||-"]


def test_bug_remote_user_from_basic_auth(hush):
    # nginx 1.22: Authorization: Basic dXNlcjpwYXNz -> $remote_user "user"
    srv = hush("""server { listen 127.0.0.1:@PORT@; location = /r { return 200 "r"; } }""")
    srv.exchange(b"GET /r HTTP/1.0\r\nAuthorization: Basic dXNlcjpwYXNz\r\n\r\n")
    (line,) = srv.wait_log(1)
    assert line.startswith("127.0.0.1 - user [")


def test_bug_escape_none_empty_value(hush):
    # nginx 1.22 writes nothing for a missing variable with escape=none
    srv = hush("""log_format n escape=none '$request|$http_user_agent';
        access_log logs/access.log n;
        server { listen 127.0.0.1:@PORT@; location = /r { return 200 "r"; } }""")
    srv.exchange(b"GET /r HTTP/1.0\r\n\r\n")
    assert srv.wait_log(1) == ["GET /r HTTP/1.0|"]


def test_bug_named_capture_in_server_name(hush):
    # nginx: server_name ~^(?<name>\w+)\.test$; makes $name available
    srv = hush("""server { listen 127.0.0.1:@PORT@; server_name ~^(?<name>\\w+)\\.test$; return 200 "$name"; }""")
    assert srv.get("/", host="abc.test").body == b"abc"


def test_bug_redirect_without_host_uses_local_address(hush):
    # nginx: GET /sub HTTP/1.0 (no Host, server_name "") -> Location: http://127.0.0.1:PORT/sub/
    srv = hush("""server { listen 127.0.0.1:@PORT@; }""", start=False)
    srv.write("sub/index.html", "x")
    srv.start()
    r = srv.exchange(b"GET /sub HTTP/1.0\r\n\r\n")
    assert r.responses()[0].header("Location") == "http://127.0.0.1:%d/sub/" % srv.port


def test_bug_header_line_over_large_buffer_size_431(hush):
    # large_client_header_buffers 4 8k: a 9000-byte header line must be 431
    # (nginx: 400). hush answers 200 for lines up to ~16 kB.
    srv = hush("""large_client_header_buffers 4 8k;
        server { listen 127.0.0.1:@PORT@; location = /r { return 200 "r"; } }""")
    r = srv.exchange(req("/r", headers=["X-Big: " + "b" * 9000]))
    assert r.data.startswith(b"HTTP/1.1 431 "), r


# --- reload: new workers inherit the old generation's listening sockets ---
import signal  # noqa: E402
from test_signals import conf, body, wait_body  # noqa: E402


def test_bug_every_request_after_reload_is_answered(hush):
    srv = hush(conf=conf("one"))
    srv.write_conf(conf("two"))
    srv.send_signal(signal.SIGHUP)
    assert wait_body(srv, b"two") == b"two"
    time.sleep(0.5)
    results = [srv.exchange(req("/v"), timeout=1).how for _ in range(20)]
    assert results == ["closed"] * 20


def test_bug_listeners_after_reload(hush):
    from conftest import listening  # noqa
    srv = hush(conf=conf("one"))
    srv.write_conf(conf("two"))
    srv.send_signal(signal.SIGHUP)
    assert wait_body(srv, b"two") == b"two"
    time.sleep(1)
    want = ":%04X" % srv.port
    n = sum(1 for l in open("/proc/net/tcp") if l.split()[1].endswith(want) and l.split()[3] == "0A")
    assert n == 1          # one worker: one listening socket


def test_reload_applies_new_config(hush):
    srv = hush(conf=conf("one"))
    assert body(srv) == b"one"
    old_workers = srv.workers()
    srv.write_conf(conf("two"))
    srv.send_signal(signal.SIGHUP)
    assert wait_body(srv, b"two") == b"two"
    assert srv.wait_error_log("reloading configuration")
    # the old workers go away
    deadline = time.time() + 5
    while time.time() < deadline and set(old_workers) & set(srv.workers()):
        time.sleep(0.05)
    assert not set(old_workers) & set(srv.workers())
    assert len(srv.workers()) == 1


def test_reload_with_requests_in_flight_on_keepalive(hush):
    srv = hush(conf=conf("one"))
    s = srv.connect()
    s.sendall(req("/v", close=False))
    time.sleep(0.2)
    srv.write_conf(conf("two"))
    srv.send_signal(signal.SIGHUP)
    assert wait_body(srv, b"two") == b"two"
    # the old worker closes the idle keep-alive connection
    data, how = read_all(s, timeout=3)
    s.close()
    assert how in ("closed", "reset")
    assert data.count(b"HTTP/1.1 200 OK") == 1


def test_two_workers_reload(hush):
    srv = hush(conf=conf("one", workers=2))
    srv.write_conf(conf("two", workers=2))
    srv.send_signal(signal.SIGHUP)
    assert wait_body(srv, b"two") == b"two"
    for _ in range(20):
        assert body(srv) == b"two"


def test_bug_304_headers_like_nginx(hush):
    # nginx 1.22 304: Server, Date, Last-Modified, Connection, ETag (no Content-Type, no Accept-Ranges)
    srv = hush("server { listen 127.0.0.1:@PORT@; }", start=False)
    srv.write("a.txt", "0123456789")
    srv.start()
    r = srv.get("/a.txt", headers=['If-None-Match: "6553f100-a"'])
    assert r.names() == ["Server", "Date", "Last-Modified", "Connection", "ETag"]
