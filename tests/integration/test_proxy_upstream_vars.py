"""$upstream_response_length (the body bytes each try received, as nginx's
comma-separated list), $upstream_bytes_sent / _received, and
proxy_next_upstream_timeout (no further try once that long has passed since
the first began), against real upstreams."""
import socket

from conftest import req

LOG = "log_format up '$status us=$upstream_status len=$upstream_response_length';\n" \
      "access_log logs/access.log up;\n"


def test_upstream_response_length_counts_each_tries_body(hush, backend):
    a, b = backend("a"), backend("b")
    srv = hush(LOG + """
upstream app { server 127.0.0.1:%d; server 127.0.0.1:%d; }
server {
    listen 127.0.0.1:@PORT@;
    location / { proxy_pass http://app; proxy_next_upstream http_404; }
}
""" % (a.port, b.port))
    rs = srv.exchange(req("/big?mb=1"), timeout=5).responses()
    assert rs[0].status == 200 and len(rs[0].body) == 1 << 20
    rs = srv.exchange(req("/c?chunked=1")).responses()
    assert rs[0].status == 200
    # as nginx, the chunked body is counted as it came, framing included:
    # 6 "first ", 7 "second ", 6 "third\n", the last chunk with a trailer
    chunked_len = 11 + 12 + 11 + len(b"0\r\nX-Trailer: t\r\n\r\n")
    rs = srv.exchange(req("/n?only=a&status=404")).responses()
    assert rs[0].status == 200
    lines = srv.wait_log(3)
    assert lines[0] == "200 us=200 len=1048576", lines
    assert lines[1] == "200 us=200 len=%d" % chunked_len, lines
    # the 404 try's body was not passed on; the second try's was
    assert lines[2].startswith("200 us=404, 200 len=") and lines[2].endswith(", %d" % len(rs[0].body)), lines


def test_upstream_bytes_sent_and_received(hush, backend):
    """$upstream_bytes_sent / _received: every byte of each try, head included."""
    b = backend("b")
    srv = hush("""
log_format bytes '$upstream_bytes_sent $upstream_bytes_received $upstream_response_length';
access_log logs/access.log bytes;
server { listen 127.0.0.1:@PORT@; location / { proxy_pass http://127.0.0.1:%d; } }
""" % b.port)
    body = b"x" * 5000
    rs = srv.exchange(req("/big?mb=1", method="POST", headers=("Content-Length: %d" % len(body),)) + body,
                      timeout=5).responses()
    assert rs[0].status == 200
    sent, received, length = (int(x) for x in srv.wait_log(1)[0].split())
    assert len(body) + 40 < sent < len(body) + 1000, sent        # the request head and the body
    assert length == 1 << 20 and length + 40 < received < length + 1000, (received, length)


def silent_upstream():
    """A socket that queues connections and never answers: a read timeout."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    return s


def test_next_upstream_timeout_stops_further_tries(hush, backend):
    b = backend("b")
    mute = silent_upstream()
    conf = LOG + """
upstream app { server 127.0.0.1:%d max_fails=0; server 127.0.0.1:%d backup; }
server {
    listen 127.0.0.1:@PORT@;
    proxy_read_timeout 1s;
    location /limited { proxy_pass http://app; proxy_next_upstream_timeout 500ms; }
    location / { proxy_pass http://app; }
}
""" % (mute.getsockname()[1], b.port)
    srv = hush(conf)
    srv.allow_error_log(r"timed out")
    try:
        rs = srv.exchange(req("/free"), timeout=5).responses()
        assert rs[0].status == 200 and rs[0].header("X-Backend") == "b", rs
        rs = srv.exchange(req("/limited"), timeout=5).responses()
        assert rs[0].status == 504, rs
        lines = srv.wait_log(2)
        assert lines[0].startswith("200 us=504, 200 "), lines
        assert lines[1].startswith("504 us=504 len="), lines
    finally:
        mute.close()


def test_proxy_host_and_port_and_a_unix_socket_upstream_gets_localhost(hush, backend):
    """$proxy_host / $proxy_port as nginx; to a unix socket the Host sent is
    "localhost" (the socket path is not a host name)."""
    b = backend("b")
    srv = hush("""
server {
    listen 127.0.0.1:@PORT@;
    listen unix:@DIR@/u.sock;
    location /tcp/ { proxy_pass http://127.0.0.1:%d/; add_header X-PP "$proxy_host|$proxy_port"; }
    location /sock/ { proxy_pass http://unix:@DIR@/u.sock:/back/; add_header X-PP "$proxy_host|$proxy_port"; }
    location /back/ { return 200 "host=$http_host\\n"; }
}
""" % b.port)
    rs = srv.exchange(req("/tcp/x")).responses()
    assert rs[0].status == 200 and rs[0].header("X-PP") == "127.0.0.1:%d|%d" % (b.port, b.port), rs[0]
    rs = srv.exchange(req("/sock/x")).responses()
    assert rs[0].status == 200 and rs[0].body == b"host=localhost\n", rs[0]
    assert rs[0].header("X-PP") == "localhost|", rs[0]
