"""The response head as the core writes it from a status, its known fields
and its header list: the exact fields on the wire (in nginx's order) for
files, `return`, error pages and proxied responses (Content-Length, chunked,
until close), and $sent_http_NAME reading the final set in the access log."""
from conftest import MTIME_HTTP, etag_for, req

LOG = ("log_format sent '$status ct=$sent_http_content_type cl=$sent_http_content_length "
       "te=$sent_http_transfer_encoding conn=$sent_http_connection ar=$sent_http_accept_ranges "
       "cr=$sent_http_content_range et=$sent_http_etag lm=$sent_http_last_modified "
       "loc=$sent_http_location xb=$sent_http_x_backend cc=$sent_http_cache_control';\n"
       "access_log logs/access.log sent;\n")


def fields(resp):
    return [(k, v) for k, v in resp.headers if k not in ("Date", "Server")]


def site(hush, backend_port=None):
    up = "upstream app { server 127.0.0.1:%d; }" % backend_port if backend_port else ""
    px = "location /up/ { proxy_pass http://app; }" if backend_port else ""
    srv = hush(LOG + up + """
server {
    listen 127.0.0.1:@PORT@;
    root @DIR@/html;
    location = /text { return 200 "fixed"; }
    location = /moved { return 301 /elsewhere; }
    location = /metrics { metrics; }
    %s
}""" % px)
    srv.write("a.txt", "0123456789")
    return srv


def test_static_return_and_error_heads(hush):
    srv = site(hush)
    r = srv.exchange(req("/a.txt")).responses()[0]
    assert r.names()[:2] == ["Server", "Date"]
    assert fields(r) == [("Content-Type", "text/plain"), ("Content-Length", "10"),
                         ("Last-Modified", MTIME_HTTP), ("Connection", "close"),
                         ("ETag", etag_for(10)), ("Accept-Ranges", "bytes")]
    r = srv.exchange(req("/a.txt", headers=["Range: bytes=2-4"])).responses()[0]
    assert r.status == 206 and r.body == b"234"
    assert fields(r)[-1] == ("Content-Range", "bytes 2-4/10")
    assert "Accept-Ranges" not in r.names()
    r = srv.exchange(req("/text")).responses()[0]
    assert fields(r) == [("Content-Type", "text/plain"), ("Content-Length", "5"), ("Connection", "close")]
    r = srv.exchange(req("/moved")).responses()[0]
    assert [k for k, _ in fields(r)] == ["Content-Type", "Content-Length", "Location", "Connection"]
    r = srv.exchange(req("/missing")).responses()[0]
    assert r.status == 404 and [k for k, _ in fields(r)] == ["Content-Type", "Content-Length", "Connection"]
    r = srv.exchange(req("/metrics")).responses()[0]
    assert r.header("Cache-Control") == "no-cache"
    lines = srv.wait_log(6)
    assert lines[0] == ("200 ct=text/plain cl=10 te=- conn=close ar=bytes cr=- et=%s lm=%s loc=- xb=- cc=-"
                        % (etag_for(10).replace('"', "\\x22"), MTIME_HTTP))
    assert lines[1].startswith("206 ") and "cr=bytes 2-4/10" in lines[1] and "ar=-" in lines[1]
    assert "loc=http://" in lines[3] and lines[3].endswith("/elsewhere xb=- cc=-")
    assert lines[5].endswith("cc=no-cache")


def test_proxied_heads_are_framed_by_the_core(hush, backend):
    b = backend()
    srv = site(hush, b.port)
    r = srv.exchange(req("/up/x")).responses()[0]
    # nginx's order: the core's fields, then the upstream's in their order
    assert r.names()[:6] == ["Server", "Date", "Content-Type", "Content-Length", "Connection", "X-Backend"]
    assert r.header("Server").startswith("hush") and r.body == b"hello from backend b\n"
    # chunked upstream body: re-chunked by the core for HTTP/1.1, until close for HTTP/1.0
    raw = srv.exchange(req("/up/c?chunked=1")).data
    head, body = raw.split(b"\r\n\r\n", 1)
    assert b"\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n" in head
    assert body.endswith(b"0\r\n\r\n") and b"first " in body
    raw = srv.exchange(req("/up/c?chunked=1", version="HTTP/1.0")).data
    head, body = raw.split(b"\r\n\r\n", 1)
    assert b"Transfer-Encoding" not in head and body == b"first second third\n"
    # an upstream body ended by its close: chunked for a keep-alive HTTP/1.1 client
    r = srv.exchange(req("/up/u?until_close=1", close=False) + req("/up/after"))
    assert r.data.count(b"HTTP/1.1 200") == 2
    lines = srv.wait_log(5)
    assert lines[0].startswith("200 ct=text/plain cl=21 te=- conn=close ar=- ") and lines[0].endswith("xb=b cc=-")
    assert "te=chunked" in lines[1] and "cl=-" in lines[1]
    assert "te=-" in lines[2] and "conn=close" in lines[2]
    assert "te=chunked conn=keep-alive" in lines[3]


def test_head_and_304_through_the_proxy(hush, backend):
    b = backend()
    srv = site(hush, b.port)
    r = srv.exchange(req("/up/h", method="HEAD")).responses(head=True)[0]
    assert r.header("Content-Length") == "21" and r.body == b""
    r = srv.exchange(req("/up/s?status=304")).responses()[0]
    assert r.status == 304 and "Content-Length" not in r.names() and "Transfer-Encoding" not in r.names()
