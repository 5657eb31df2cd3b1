"""`return`: codes with text, redirects, and 444 drops (zero bytes sent, a 444
line with $close_reason drop and $drop_rule return), drop modes."""
import time

from conftest import req

HTTP = """
log_format r '$status $close_reason $drop_rule $body_bytes_sent "$request" $host';
access_log logs/access.log r;
server {
    listen 127.0.0.1:@PORT@ default_server;
    server_name _;
    return 444;
}
server {
    listen 127.0.0.1:@PORT@;
    server_name localhost;
    location = /drop { return 444; }
    location = /text { return 200 "method=$request_method uri=$uri\\n"; }
    location = /teapot { return 418; }
    location = /gone { return 410 "gone"; }
    location = /nocontent { return 204; }
    location = /moved { return 301 http://example.com/new?a=$arg_a; }
    location = /temp { return 302 /relative; }
    location = /bare { return https://example.org/; }
    location = /see { return 303 /other; }
    location = /perm { return 308 "http://x.test/"; }
    location /reset/ { drop_mode reset; return 444; }
    location /tarpit/ { drop_mode tarpit=1s; return 444; }
    location /nested/ { location /nested/drop { return 444; } }
}
"""


def start(hush, http=HTTP):
    srv = hush(http, start=False)
    srv.write("nested/ok.txt", "ok")
    return srv.start()


def test_return_444_sends_nothing_and_logs_drop(hush):
    srv = start(hush)
    r = srv.exchange(req("/drop", close=False))
    assert r.data == b""
    assert r.how == "closed"     # drop_mode close: FIN, not RST
    assert srv.wait_log(1) == ['444 drop return 0 "GET /drop HTTP/1.1" localhost']


def test_return_444_after_earlier_keepalive_requests(hush):
    srv = start(hush)
    r = srv.exchange(req("/text", close=False) + req("/drop", close=False) + req("/text"))
    assert r.how == "closed"
    rs = r.responses()
    assert len(rs) == 1 and rs[0].body == b"method=GET uri=/text\n"
    lines = srv.expect_log(2)
    assert lines[1] == '444 drop return 0 "GET /drop HTTP/1.1" localhost'


def test_unknown_host_dropped_by_default_server(hush):
    srv = start(hush)
    r = srv.exchange(req("/text", host="evil.example"))
    assert (r.data, r.how) == (b"", "closed")
    r = srv.exchange(b"GET /text HTTP/1.0\r\n\r\n")      # no Host: default server too
    assert (r.data, r.how) == (b"", "closed")
    lines = srv.wait_log(2)
    assert lines == ['444 drop return 0 "GET /text HTTP/1.1" evil.example',
                     '444 drop return 0 "GET /text HTTP/1.0" _']   # $host: the server_name


def test_drop_mode_reset(hush):
    srv = start(hush)
    r = srv.exchange(req("/reset/x"))
    assert r.data == b""
    assert r.how == "reset"
    assert srv.wait_log(1) == ['444 drop return 0 "GET /reset/x HTTP/1.1" localhost']


def test_drop_mode_tarpit(hush):
    srv = start(hush)
    r = srv.exchange(req("/tarpit/x"), timeout=4)
    assert r.data == b""
    assert r.how == "reset"
    assert 0.8 < r.elapsed < 2.5
    assert srv.wait_log(1) == ['444 drop return 0 "GET /tarpit/x HTTP/1.1" localhost']


def test_drop_in_nested_location(hush):
    srv = start(hush)
    assert srv.exchange(req("/nested/drop")).data == b""
    assert srv.get("/nested/ok.txt").body == b"ok"


def test_return_text(hush):
    srv = start(hush)
    r = srv.get("/text")
    assert (r.status, r.body) == (200, b"method=GET uri=/text\n")
    assert r.header("Content-Type") == "text/plain"
    assert r.header("Content-Length") == str(len(r.body))
    r = srv.get("/gone")
    assert (r.status, r.reason, r.body) == (410, "Gone", b"gone")
    r = srv.get("/text", method="HEAD")
    assert r.status == 200 and r.body == b""


def test_return_code_only_uses_error_page(hush):
    srv = start(hush)
    r = srv.get("/teapot")
    assert r.status == 418
    r = srv.get("/nocontent")
    assert r.status == 204 and r.body == b"" and r.header("Content-Length") is None


def test_return_redirects(hush):
    srv = start(hush)
    r = srv.get("/moved?a=1")
    assert (r.status, r.reason) == (301, "Moved Permanently")
    assert r.header("Location") == "http://example.com/new?a=1"
    assert b"<center><h1>301 Moved Permanently</h1></center>" in r.body
    r = srv.get("/temp", host="localhost")
    assert (r.status, r.reason) == (302, "Moved Temporarily")
    assert r.header("Location") == "http://localhost:%d/relative" % srv.port
    r = srv.get("/bare")
    assert (r.status, r.header("Location")) == (302, "https://example.org/")
    r = srv.get("/see")
    assert (r.status, r.reason) == (303, "See Other")
    r = srv.get("/perm")
    assert (r.status, r.reason, r.header("Location")) == (308, "Permanent Redirect", "http://x.test/")


def test_drop_with_request_body_in_flight_is_not_reset(hush):
    """drop_mode close reads what the client already sent, so the client sees
    a clean FIN rather than an RST."""
    srv = start(hush)
    body = b"x" * 30000
    r = srv.exchange(b"POST /drop HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    assert r.data == b""
    assert r.how == "closed"


def test_drop_mode_silent_sends_nothing(hush):
    """silent: no FIN, no RST (TCP_REPAIR); without CAP_NET_ADMIN hush warns
    once and resets. Either way the client never gets a byte."""
    srv = start(hush, HTTP.replace("location /reset/ { drop_mode reset;",
                                   "location /silent/ { drop_mode silent; return 444; }\n"
                                   "    location /reset/ { drop_mode reset;"))
    r = srv.exchange(req("/silent/x"), timeout=1.5)
    assert r.data == b""
    assert r.how in ("timeout", "reset")
    assert srv.wait_log(1) == ['444 drop return 0 "GET /silent/x HTTP/1.1" localhost']
    assert srv.get("/text").status == 200     # the worker is fine afterwards


def test_drop_before_reading_body_logs_once(hush):
    srv = start(hush)
    r = srv.exchange(b"POST /drop HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"5\r\nhello\r\n0\r\n\r\n" + req("/text"))
    assert r.data == b""
    assert srv.expect_log(1) == ['444 drop return 0 "POST /drop HTTP/1.1" localhost']
