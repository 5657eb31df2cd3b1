"""Bugs nginx's own regression tests (../shared/nginx-tests) found in hush,
each pinned here by a test of its own (issue #16, item 6)."""
import os

from conftest import parse_responses, req

SRV = """
server {
    listen 127.0.0.1:@PORT@;
    server_name localhost;
    location = /host { return 200 "$host"; }
    location / { }
}
"""


def status_of(srv, data):
    r = srv.exchange(data)
    rs = parse_responses(r.data)
    return rs[0].status if rs else None


def test_ipvfuture_host_accepted_and_lowercased(hush):
    srv = hush(SRV)
    lit = "[v0123456789aBcDeF.!$&'()*+,;=-._~AbCdEfGh:]"
    r = srv.get("/host", host=lit)
    assert r.status == 200 and r.body == lit.lower().encode()
    r = srv.get("http://%s/host" % lit, host="localhost")
    assert r.status == 200 and r.body == lit.lower().encode()
    # "v" needs hex digits, a dot and something after it
    for bad in ("[v.a]", "[v1.]", "[v1a]", "[vg.a]", "[v1.a/b]"):
        assert status_of(srv, req("/host", host=bad)) == 400, bad


def test_ipv6_literal_with_double_dot_rejected(hush):
    srv = hush(SRV)
    assert status_of(srv, req("http://[ab..cd::ef98:0:7654:321]/host")) == 400
    assert status_of(srv, req("/host", host="[ab..cd::1]")) == 400
    assert srv.get("/host", host="[::ffff:1.2.3.4]").body == b"[::ffff:1.2.3.4]"


def test_port_over_65535_rejected(hush):
    # nginx 1.29.4
    srv = hush(SRV)
    assert status_of(srv, req("/host", host="1.2.3.4:98777")) == 400
    assert status_of(srv, req("http://1.2.3.4:123456/host")) == 400
    assert srv.get("/host", host="1.2.3.4:65535").body == b"1.2.3.4"


def test_trace_is_405(hush):
    srv = hush(SRV)
    r = srv.exchange(req("/host", method="TRACE"))
    (rs,) = parse_responses(r.data)
    assert rs.status == 405 and b"405 Not Allowed" in rs.body
    assert " 405 " in srv.wait_log(1)[0]


def test_if_match_is_strong_and_allows_tabs(hush):
    srv = hush(SRV)
    srv.write("t", "x")
    etag = srv.get("/t").header("ETag")
    assert srv.get("/t", headers=["If-Match: " + etag]).status == 200
    # a weak tag never matches under If-Match (RFC 9110 13.1.1)
    assert srv.get("/t", headers=["If-Match: W/" + etag]).status == 412
    assert srv.get("/t", headers=['If-Match: "a",\t%s , "b"' % etag]).status == 200
    # If-None-Match still compares weakly
    assert srv.get("/t", headers=["If-None-Match: W/" + etag]).status == 304


def test_directory_redirect_location_escaped(hush):
    srv = hush(SRV)
    os.makedirs(os.path.join(srv.html, "dir sp"))
    os.makedirs(os.path.join(srv.html, 'a"#%<>?^`{|}'))
    r = srv.get("/dir%20sp?a=b")
    assert r.status == 301
    assert r.header("Location") == "http://localhost:%d/dir%%20sp/?a=b" % srv.port
    r = srv.get("/a%22%23%25%3C%3E%3F%5E%60%7B%7C%7D")
    assert r.header("Location").endswith("/a%22%23%25%3C%3E%3F%5E%60%7B%7C%7D/")


def test_limit_conn_log_level_is_honoured(hush):
    srv = hush("""
limit_conn_zone $binary_remote_addr zone=one:1m;
server {
    listen 127.0.0.1:@PORT@;
    location / { limit_conn one 1; limit_conn_log_level warn; }
}""")
    srv.write("big", b"x" * (16 << 20))
    s = srv.connect()
    s.setsockopt(__import__("socket").SOL_SOCKET, __import__("socket").SO_RCVBUF, 4096)
    s.sendall(req("/big"))
    import time
    time.sleep(0.3)
    assert srv.get("/big").status == 503
    s.close()
    assert srv.wait_error_log(r"\[warn\] .*limiting connections by zone \"one\"")
    assert "[error]" not in srv.error_log()


def test_no_drop_mode_silent_warning_unless_configured(hush):
    srv = hush(SRV)
    assert "drop_mode silent" not in srv.error_log() + srv.stderr()
    if os.geteuid() == 0:
        return  # root has CAP_NET_ADMIN: no warning either way
    srv2 = hush(SRV + "drop_mode silent;")
    assert "drop_mode silent needs CAP_NET_ADMIN" in srv2.error_log() + srv2.stderr()


def test_error_page_applies_to_hushs_own_400s(hush):
    srv = hush("""
log_format l '$status $close_reason "$request"';
access_log logs/access.log l;
server {
    listen 127.0.0.1:@PORT@;
    error_page 400 405 414 /bad.html;
    location / { }
    location = /bad.html { }
}""")
    srv.write("bad.html", "BAD\n")
    cases = [(b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400), (b"GARBAGE\r\n\r\n", 400),
             (b"TRACE / HTTP/1.1\r\nHost: a\r\n\r\n", 405),
             (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", 414)]
    for data, status in cases:
        r = srv.exchange(data)
        (rs,) = parse_responses(r.data)
        assert (rs.status, rs.body, rs.header("Connection"), r.how) == (status, b"BAD\n", "close", "closed"), r
    lines = srv.wait_log(4)
    assert [l.split()[:2] for l in lines] == [["400", "bad_request"], ["400", "bad_request"],
                                              ["405", "bad_request"], ["414", "bad_request"]], lines


def test_error_page_for_return_codes_and_302_url(hush):
    srv = hush("""
server {
    listen 127.0.0.1:@PORT@;
    location / { error_page 404 /e.html; return 404; }
    location /r { error_page 302 http://example.com/other; return 302 /y; }
    location = /e.html { }
}""")
    srv.write("e.html", "E\n")
    r = srv.get("/")
    assert (r.status, r.body) == (404, b"E\n")
    r = srv.get("/r")
    assert (r.status, r.header("Location")) == (302, "http://example.com/other")


def test_client_leaving_a_limit_req_delay_is_499_and_quit_is_quick(hush):
    import signal
    import time
    srv = hush("""
log_format l '$status $close_reason $limit_req_status';
access_log logs/access.log l;
limit_req_zone $binary_remote_addr zone=slow:1m rate=1r/m;
server {
    listen 127.0.0.1:@PORT@;
    location / { limit_req zone=slow burst=5; }
}""")
    srv.write("index.html", "ok\n")
    assert srv.get("/").status == 200
    s = srv.connect()
    s.sendall(req("/"))                    # delayed a minute
    time.sleep(0.3)
    s.close()                              # the client leaves during the delay
    assert srv.wait_log(2)[1] == "499 client_abort DELAYED"
    t0 = time.time()
    assert srv.stop(signal.SIGQUIT, timeout=10) == 0
    assert time.time() - t0 < 3            # nothing left to wait for (was ~60 s)


def test_error_lines_carry_no_errno_for_an_eof(hush):
    import socket
    import threading
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(4)
    port = ls.getsockname()[1]

    def upstream():                        # sends 3 of 100 bytes, then closes
        c, _ = ls.accept()
        c.recv(65536)
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc")
        c.close()
    t = threading.Thread(target=upstream)
    t.start()
    srv = hush("server { listen 127.0.0.1:@PORT@; location / { proxy_pass http://127.0.0.1:%d; } }" % port)
    srv.exchange(req("/"))
    t.join(5)
    ls.close()
    assert srv.wait_error_log(r"upstream prematurely closed connection while reading upstream")
    line = [l for l in srv.error_log().splitlines() if "prematurely" in l][0]
    assert "(0: " not in line and "(11: " not in line, line


def test_invalid_header_line_names_client_server_request_host(hush):
    srv = hush(SRV)
    assert srv.get("/host", headers=["X_Foo: bar"]).status == 200
    assert srv.wait_error_log(r"client sent invalid header line")
    line = [l for l in srv.error_log().splitlines() if "invalid header line" in l][0]
    assert line.endswith('[info] %s' % line.split("[info] ")[1])
    assert ('client sent invalid header line: "X_Foo: bar" while reading client request headers, '
            'client: 127.0.0.1, server: localhost, request: "GET /host HTTP/1.1", host: "localhost"') in line, line
