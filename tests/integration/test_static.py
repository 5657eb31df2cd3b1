"""Static files: exact response bytes, HEAD, conditional requests, ranges,
index / 403 / 301 / 404 / 405, types, symlinks."""
import re
import os

from conftest import MTIME_HTTP, etag_for, mask_date, parse_responses, req

SERVER = """
server {
    listen 127.0.0.1:@PORT@;
    server_name localhost;
}
"""


def site(hush, http=SERVER):
    srv = hush(http, start=False)
    srv.write("index.html", "<p>hi</p>\n")
    srv.write("a.txt", "0123456789")
    srv.write("dir/x.txt", "x")
    srv.write("sub/index.html", "sub")
    return srv.start()


def test_get_exact_bytes(hush):
    srv = site(hush)
    r = srv.exchange(req("/a.txt"))
    assert r.how == "closed"
    assert mask_date(r.data) == (
        b"HTTP/1.1 200 OK\r\n"
        b"Server: hush/0.1.0\r\n"
        b"Date: DATE\r\n"
        b"Content-Type: text/plain\r\n"
        b"Content-Length: 10\r\n"
        b"Last-Modified: " + MTIME_HTTP.encode() + b"\r\n"
        b"Connection: close\r\n"
        b"ETag: \"6553f100-a\"\r\n"
        b"Accept-Ranges: bytes\r\n"
        b"\r\n"
        b"0123456789")


def test_date_header_is_current(hush):
    import time
    from conftest import parse_http_date
    srv = site(hush)
    resp = srv.get("/a.txt")
    assert abs(parse_http_date(resp.header("Date")) - time.time()) < 3


def test_index_html_type_and_keepalive_http11(hush):
    srv = site(hush)
    r = srv.exchange(req("/", close=False), timeout=0.5)
    assert r.how == "timeout"      # keep-alive: the connection stays open
    (resp,) = r.responses()
    assert resp.status == 200
    assert resp.body == b"<p>hi</p>\n"
    assert resp.names() == ["Server", "Date", "Content-Type", "Content-Length", "Last-Modified",
                            "Connection", "ETag", "Accept-Ranges"]
    assert resp.header("Content-Type") == "text/html"
    assert resp.header("Connection") == "keep-alive"
    assert resp.header("ETag") == etag_for(10)


def test_head_has_headers_but_no_body(hush):
    srv = site(hush)
    r = srv.exchange(req("/a.txt", method="HEAD"))
    assert r.how == "closed"
    assert r.data.endswith(b"Accept-Ranges: bytes\r\n\r\n")
    (resp,) = r.responses(head=True)
    assert resp.status == 200 and resp.header("Content-Length") == "10" and resp.body == b""


def test_server_tokens_off(hush):
    srv = site(hush, "server_tokens off;" + SERVER)
    resp = srv.get("/nope")
    assert resp.status == 404
    assert resp.header("Server") == "hush"
    assert b"<hr><center>hush</center>" in resp.body


def test_404_exact_bytes(hush):
    srv = site(hush)
    r = srv.exchange(req("/missing"))
    body = (b"<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"
            b"<center><h1>404 Not Found</h1></center>\r\n<hr><center>hush/0.1.0</center>\r\n"
            b"</body>\r\n</html>\r\n")
    assert mask_date(r.data) == (
        b"HTTP/1.1 404 Not Found\r\nServer: hush/0.1.0\r\nDate: DATE\r\n"
        b"Content-Type: text/html\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body)) + body


def test_directory_without_slash_redirects(hush):
    srv = site(hush)
    resp = srv.get("/sub", host="example.test")
    assert resp.status == 301
    assert resp.header("Location") == "http://example.test:%d/sub/" % srv.port
    resp = srv.get("/sub?x=1", host="example.test")
    assert resp.status == 301
    assert resp.header("Location") == "http://example.test:%d/sub/?x=1" % srv.port


def test_directory_index_and_forbidden(hush):
    srv = site(hush)
    assert srv.get("/sub/").body == b"sub"
    resp = srv.get("/dir/")
    assert resp.status == 403
    assert b"403 Forbidden" in resp.body


def test_405_for_other_methods(hush):
    srv = site(hush)
    for m in ("POST", "PUT", "DELETE", "OPTIONS"):
        resp = srv.get("/a.txt", method=m)
        assert resp.status == 405, m
        assert resp.reason == "Not Allowed"


def test_if_none_match_304(hush):
    srv = site(hush)
    r = srv.exchange(req("/a.txt", headers=['If-None-Match: "6553f100-a"']))
    (resp,) = r.responses()
    assert resp.status == 304
    assert resp.body == b""
    assert resp.header("Content-Length") is None
    assert resp.header("ETag") == '"6553f100-a"'
    assert resp.header("Last-Modified") == MTIME_HTTP
    # a list and the wildcard match too; a different tag does not
    assert srv.get("/a.txt", headers=['If-None-Match: "x", "6553f100-a"']).status == 304
    assert srv.get("/a.txt", headers=["If-None-Match: *"]).status == 304
    assert srv.get("/a.txt", headers=['If-None-Match: "6553f100-b"']).status == 200


def test_if_modified_since(hush):
    srv = site(hush)
    assert srv.get("/a.txt", headers=["If-Modified-Since: " + MTIME_HTTP]).status == 304
    # exact (the default): a different date gets the file
    assert srv.get("/a.txt", headers=["If-Modified-Since: Tue, 14 Nov 2023 22:13:19 GMT"]).status == 200
    assert srv.get("/a.txt", headers=["If-Modified-Since: Tue, 14 Nov 2023 22:13:21 GMT"]).status == 200


def test_if_modified_since_before(hush):
    srv = site(hush, "if_modified_since before;" + SERVER)
    assert srv.get("/a.txt", headers=["If-Modified-Since: Tue, 14 Nov 2023 22:13:21 GMT"]).status == 304
    assert srv.get("/a.txt", headers=["If-Modified-Since: Tue, 14 Nov 2023 22:13:19 GMT"]).status == 200


def test_if_modified_since_off_and_etag_off(hush):
    srv = site(hush, "if_modified_since off; etag off;" + SERVER)
    resp = srv.get("/a.txt", headers=["If-Modified-Since: " + MTIME_HTTP])
    assert resp.status == 200
    assert resp.header("ETag") is None


def test_412_preconditions(hush):
    srv = site(hush)
    resp = srv.get("/a.txt", headers=['If-Match: "nope"'])
    assert resp.status == 412 and resp.reason == "Precondition Failed"
    assert srv.get("/a.txt", headers=['If-Match: "6553f100-a"']).status == 200
    assert srv.get("/a.txt", headers=["If-Match: *"]).status == 200
    assert srv.get("/a.txt", headers=["If-Unmodified-Since: Tue, 14 Nov 2023 22:13:19 GMT"]).status == 412
    assert srv.get("/a.txt", headers=["If-Unmodified-Since: " + MTIME_HTTP]).status == 200


def test_range_206(hush):
    srv = site(hush)
    resp = srv.get("/a.txt", headers=["Range: bytes=2-4"])
    assert resp.status == 206 and resp.reason == "Partial Content"
    assert resp.body == b"234"
    assert resp.header("Content-Length") == "3"
    assert resp.header("Content-Range") == "bytes 2-4/10"
    r = srv.get("/a.txt", headers=["Range: bytes=-3"])
    assert (r.status, r.body, r.header("Content-Range")) == (206, b"789", "bytes 7-9/10")
    r = srv.get("/a.txt", headers=["Range: bytes=7-"])
    assert (r.status, r.body, r.header("Content-Range")) == (206, b"789", "bytes 7-9/10")
    r = srv.get("/a.txt", headers=["Range: bytes=5-100"])
    assert (r.status, r.body, r.header("Content-Range")) == (206, b"56789", "bytes 5-9/10")


def test_range_206_headers_like_nginx(hush):
    srv = site(hush)
    r = srv.get("/a.txt", headers=["Range: bytes=2-4"])
    assert r.names() == ["Server", "Date", "Content-Type", "Content-Length", "Last-Modified",
                         "Connection", "ETag", "Content-Range"]


def test_range_416(hush):
    srv = site(hush)
    resp = srv.get("/a.txt", headers=["Range: bytes=20-"])
    assert resp.status == 416
    assert resp.reason == "Requested Range Not Satisfiable"
    assert resp.header("Content-Range") == "bytes */10"


def test_range_ignored_cases(hush):
    srv = site(hush)
    # If-Range with a different validator: the whole file
    r = srv.get("/a.txt", headers=["Range: bytes=5-", 'If-Range: "other"'])
    assert (r.status, r.body) == (200, b"0123456789")
    r = srv.get("/a.txt", headers=["Range: bytes=5-", 'If-Range: "6553f100-a"'])
    assert (r.status, r.body) == (206, b"56789")
    # ranges that add up to more than the file: the whole file, as nginx
    r = srv.get("/a.txt", headers=["Range: bytes=0-9,0-0"])
    assert (r.status, r.body) == (200, b"0123456789")
    # an unsatisfiable or malformed Range: 416, as nginx
    for v in ("bytes=100-", "bytes=alpha", "bytes=1-x", "bytes=3", "bytes=1-2 4-", "bytes=5-2"):
        assert srv.get("/a.txt", headers=["Range: " + v]).status == 416, v


def test_if_range_is_judged_against_the_validators_add_header_set(hush):
    """As nginx (range filter after add_header): an If-Range matches the
    Last-Modified or ETag the response carries, not the file's own one."""
    srv = hush("""server { listen 127.0.0.1:@PORT@;
        location /none/ { add_header Last-Modified ""; }
        location /old/ { add_header Last-Modified "Mon, 28 Sep 1970 06:00:00 GMT"; }
        location /tag/ { add_header ETag '"mine"'; }
    }""", start=False)
    for d in ("none", "old", "tag"):
        srv.write(d + "/a.txt", b"0123456789")
    srv.start()
    r = srv.get("/none/a.txt", headers=["Range: bytes=0-2", "If-Range: wrong"])
    assert (r.status, r.header("Last-Modified")) == (200, None)
    r = srv.get("/old/a.txt", headers=["Range: bytes=0-2", "If-Range: wrong"])
    assert (r.status, r.header("Last-Modified")) == (200, "Mon, 28 Sep 1970 06:00:00 GMT")
    r = srv.get("/old/a.txt", headers=["Range: bytes=0-2", "If-Range: Mon, 28 Sep 1970 06:00:00 GMT"])
    assert (r.status, r.body, r.header("Content-Range")) == (206, b"012", "bytes 0-2/10")
    file_lm = srv.get("/tag/a.txt").header("Last-Modified")
    r = srv.get("/old/a.txt", headers=["Range: bytes=0-2", "If-Range: " + file_lm])
    assert (r.status, r.body) == (200, b"0123456789")   # the file's own date no longer counts
    r = srv.get("/tag/a.txt", headers=["Range: bytes=4-", 'If-Range: "mine"'])
    assert (r.status, r.body, r.header("ETag")) == (206, b"456789", '"mine"')


def test_multipart_ranges_and_max_ranges(hush):
    """Several ranges: a multipart/byteranges body (each part with its
    Content-Type and Content-Range), unsatisfiable ones left out; max_ranges
    bounds them (beyond: the whole file), 0 turns ranges off, as nginx."""
    srv = hush("""server { listen 127.0.0.1:@PORT@;
        location / { }
        location /two/ { max_ranges 2; }
        location /none/ { max_ranges 0; }
    }""", start=False)
    data = b"".join(b"X%03dXXXXXX" % i for i in range(100))
    for d in ("", "two/", "none/"):
        srv.write(d + "t.html", data)
    srv.start()
    r = srv.get("/t.html", headers=["Range: bytes=0-9, -10, 100000-, 10-19"])
    assert r.status == 206
    m = re.match(r"multipart/byteranges; boundary=(\d+)$", r.header("Content-Type"))
    assert m, r.header("Content-Type")
    b = m.group(1).encode()
    parts = r.body.split(b"\r\n--" + b)
    assert parts[0] == b"" and parts[-1] == b"--\r\n", parts
    want = [(0, 9), (990, 999), (10, 19)]
    for part, (lo, hi) in zip(parts[1:-1], want):
        head, body = part.split(b"\r\n\r\n", 1)
        assert b"Content-Type: text/html" in head
        assert b"Content-Range: bytes %d-%d/1000" % (lo, hi) in head
        assert body == data[lo:hi + 1]
    assert int(r.header("Content-Length")) == len(r.body)
    assert srv.get("/two/t.html", headers=["Range: bytes=0-9, -10"]).status == 206
    assert srv.get("/two/t.html", headers=["Range: bytes=0-9, -10, 10-19"]).status == 200
    r = srv.get("/none/t.html", headers=["Range: bytes=0-9"])
    assert r.status == 200 and r.header("Accept-Ranges") is None


def test_range_on_large_file(hush):
    srv = site(hush)
    data = bytes(range(256)) * 1024 * 2   # 512 KiB: beyond the small-file cache
    srv.write("big.bin", data)
    r = srv.get("/big.bin", headers=["Range: bytes=100000-100099"])
    assert r.status == 206 and r.body == data[100000:100100]
    r = srv.get("/big.bin")
    assert r.body == data


def test_types_and_default_type(hush):
    srv = site(hush, """
        types { text/x-thing thing; image/png png; }
        default_type application/x-default;
        server { listen 127.0.0.1:@PORT@; location /t/ { default_type text/x-loc; } }
    """)
    srv.write("f.thing", "t")
    srv.write("f.png", "p")
    srv.write("f.unknown", "u")
    srv.write("t/f.unknown", "u")
    srv.write("f.THING", "t")
    assert srv.get("/f.thing").header("Content-Type") == "text/x-thing"
    assert srv.get("/f.png").header("Content-Type") == "image/png"
    assert srv.get("/f.unknown").header("Content-Type") == "application/x-default"
    assert srv.get("/t/f.unknown").header("Content-Type") == "text/x-loc"
    # nginx matches extensions case-insensitively
    assert srv.get("/f.THING").header("Content-Type") == "text/x-thing"


def test_symlinks_followed(hush):
    srv = site(hush)
    os.symlink(os.path.join(srv.html, "a.txt"), os.path.join(srv.html, "link.txt"))
    assert srv.get("/link.txt").body == b"0123456789"


def test_changed_file_seen_within_a_second(hush):
    import time
    srv = site(hush)
    assert srv.get("/a.txt").body == b"0123456789"
    srv.write("a.txt", "changed!", mtime=MTIME + 100)
    deadline = time.time() + 2.5
    while time.time() < deadline:
        body = srv.get("/a.txt").body
        if body == b"changed!":
            break
        time.sleep(0.1)
    assert body == b"changed!"


from conftest import MTIME  # noqa: E402


def test_open_file_cache_off_sees_changes_at_once(hush):
    srv = site(hush, "open_file_cache off;" + SERVER)
    assert srv.get("/a.txt").body == b"0123456789"
    srv.write("a.txt", "new", mtime=MTIME + 5)
    r = srv.get("/a.txt")
    assert r.body == b"new" and r.header("ETag") == etag_for(3, MTIME + 5)
    os.unlink(os.path.join(srv.html, "a.txt"))
    assert srv.get("/a.txt").status == 404


def test_odd_file_names_and_query(hush):
    srv = site(hush)
    srv.write("with space.txt", "space")
    srv.write("caf\u00e9.txt", "cafe")
    srv.write("empty.txt", "")
    assert srv.get("/with%20space.txt").body == b"space"
    assert srv.get("/caf%C3%A9.txt").body == b"cafe"
    assert srv.get("/a.txt?x=1&y=%2F").body == b"0123456789"
    r = srv.get("/empty.txt")
    assert (r.status, r.header("Content-Length"), r.body) == (200, "0", b"")


def test_head_of_error_has_no_body(hush):
    srv = site(hush)
    r = srv.exchange(req("/missing", method="HEAD"))
    (resp,) = r.responses(head=True)
    assert resp.status == 404 and resp.body == b""
    assert r.data.endswith(b"\r\n\r\n")


def test_file_as_directory_is_404(hush):
    srv = site(hush)
    assert srv.get("/a.txt/").status == 404
    assert srv.get("/a.txt/x").status == 404


def test_unreadable_file_is_403(hush):
    if os.geteuid() == 0:
        import pytest
        pytest.skip("root reads everything")
    srv = site(hush)
    os.chmod(os.path.join(srv.html, "a.txt"), 0)
    assert srv.get("/a.txt").status == 403
