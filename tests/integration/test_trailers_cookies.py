"""add_trailer (fields after the last chunk; the response is chunked for
them, as nginx), $sent_trailer_NAME, $cookie_NAME, $upstream_http_NAME and
$upstream_cookie_NAME, on the wire and in the log."""
from conftest import req
from h2util import H2Client

CONF = """
    log_format t '$uri $status|$sent_trailer_x_time|$cookie_session|$upstream_http_x_up|$upstream_cookie_id';
    access_log logs/access.log t;
    server {
        listen 127.0.0.1:@PORT@;
        location /t {
            add_trailer Foo foo;
            add_trailer Foo bar;
            add_trailer X-Time $request_time;
            add_trailer X-Sent-Foo $sent_trailer_foo;
            add_trailer X-Empty "";
            add_trailer X-Always yes always;
            return 200 "body\\n";
        }
        location /miss { add_trailer X-A a; add_trailer X-B b always; }
        location /c { return 200 "[$cookie_session][$cookie_lang][$cookie_nope]\\n"; }
        location /u { proxy_pass http://127.0.0.1:@PORT@/backend; add_header X-Seen "$upstream_http_x_up|$upstream_cookie_id|$upstream_cookie_theme"; }
        location /backend {
            add_header X-Up one;
            add_header X-Up two;
            add_header Set-Cookie "id=42; Path=/; HttpOnly";
            add_header Set-Cookie "theme=dark";
            return 200 "up\\n";
        }
    }
"""


def raw_get(srv, path, version="HTTP/1.1", headers=()):
    return srv.exchange(req(path, version=version, headers=headers)).data


def test_add_trailer_chunks_the_response_and_ends_with_the_fields(hush):
    srv = hush(CONF)
    data = raw_get(srv, "/t")
    head, body = data.split(b"\r\n\r\n", 1)
    assert b"\r\nTransfer-Encoding: chunked" in head and b"Content-Length" not in head, head
    assert body.startswith(b"5\r\nbody\n\r\n0\r\n"), body
    trailer = body[len(b"5\r\nbody\n\r\n0\r\n"):]
    assert trailer.endswith(b"\r\n\r\n")
    lines = trailer[:-4].split(b"\r\n")
    names = [l.split(b":")[0] for l in lines]
    assert names == [b"Foo", b"Foo", b"X-Time", b"X-Sent-Foo", b"X-Always"], lines  # empty values left out
    assert b"X-Sent-Foo: foo, bar" in lines
    # HTTP/1.0 cannot carry trailers: the plain response, as nginx
    data = raw_get(srv, "/t", version="HTTP/1.0")
    assert b"Content-Length: 5\r\n" in data and data.endswith(b"\r\n\r\nbody\n"), data
    log = srv.wait_log(2)
    assert log[0].startswith("/t 200|0.") or log[0].startswith("/t 200|1."), log


def test_add_trailer_status_rule_and_always(hush):
    srv = hush(CONF)
    data = raw_get(srv, "/miss")  # no such file: 404, only the always one
    assert data.startswith(b"HTTP/1.1 404 ")
    assert data.endswith(b"\r\n0\r\nX-B: b\r\n\r\n"), data


def test_cookie_variables(hush):
    srv = hush(CONF)
    data = raw_get(srv, "/c", headers=("Cookie: lang=en; session=abc", "Cookie: x=1, session=late"))
    assert data.endswith(b"\r\n\r\n[abc][en][]\n"), data
    assert srv.wait_log(1)[0] == "/c 200|-|abc|-|-", srv.log_lines()


def test_upstream_field_and_cookie_variables(hush):
    srv = hush(CONF)
    rs = srv.exchange(req("/u")).responses()
    assert rs[0].status == 200 and rs[0].body == b"up\n"
    assert rs[0].header("X-Seen") == "one, two|42|dark", rs[0]
    lines = srv.wait_log(2)
    assert "/u 200|-|-|one, two|42" in lines, lines


def test_add_trailer_over_http2_is_a_headers_frame_after_the_data(hush):
    """As nginx: on HTTP/2 the same fields end the stream in a HEADERS
    frame, lower-cased; the response keeps its Content-Length."""
    srv = hush(CONF.replace("listen 127.0.0.1:@PORT@;", "listen 127.0.0.1:@PORT@ http2;"))
    c = H2Client(srv.port)
    st = c.get("/t")
    assert st.status == 200 and st.data == b"body\n" and st.ended, st.headers
    assert st.header("content-length") == "5", st.headers
    names = [k for k, _ in st.trailers]
    assert names == ["foo", "foo", "x-time", "x-sent-foo", "x-always"], st.trailers
    assert ("x-sent-foo", "foo, bar") in st.trailers
    miss = c.get("/miss")
    assert miss.status == 404 and miss.trailers == [("x-b", "b")], miss.trailers
    plain = c.get("/c")
    assert plain.status == 200 and plain.trailers is None
    c.close()
