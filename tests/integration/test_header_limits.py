"""Limits: 414 for a long request line, 431 for a huge header line or head,
413 for client_max_body_size, worker_connections (excess connections are
refused, the server keeps running)."""
import socket
import time

from conftest import read_all, req

HTTP = """
log_format r '$status $close_reason "$request"';
access_log logs/access.log r;
client_header_buffer_size 1k;
large_client_header_buffers 4 8k;
client_max_body_size 1k;
server {
    listen 127.0.0.1:@PORT@;
    server_name localhost;
    location = /r { return 200 "r\\n"; }
    location /big/ { client_max_body_size 100k; return 200 "big\\n"; }
    location /nolimit/ { client_max_body_size 0; return 200 "nolimit\\n"; }
}
"""


def start(hush, http=HTTP):
    return hush(http)


def status(r):
    return int(r.data.split(b" ", 2)[1]) if r.data else None


def test_long_request_line_414(hush):
    srv = start(hush)
    r = srv.exchange(req("/r?" + "a" * 9000))
    assert status(r) == 414, r
    assert r.data.startswith(b"HTTP/1.1 414 Request-URI Too Large\r\n")
    assert r.how == "closed"
    (line,) = srv.wait_log(1)
    assert line.startswith("414 bad_request ")


def test_request_line_within_large_buffer_ok(hush):
    srv = start(hush)
    r = srv.exchange(req("/r?" + "a" * 7000))
    assert status(r) == 200


def test_huge_header_431(hush):
    srv = start(hush)
    r = srv.exchange(req("/r", headers=["X-Big: " + "b" * 40000]))
    assert status(r) == 431, r
    assert r.how == "closed"
    (line,) = srv.wait_log(1)
    assert line.startswith("431 bad_request ")


def test_total_head_too_large_431(hush):
    srv = start(hush)
    r = srv.exchange(req("/r", headers=["X-H%d: %s" % (i, "h" * 7000) for i in range(6)]))
    assert status(r) in (400, 431), r
    assert r.how == "closed"


def test_many_headers_within_limits_ok(hush):
    srv = start(hush)
    r = srv.exchange(req("/r", headers=["X-H%d: %s" % (i, "h" * 2000) for i in range(3)]))
    assert status(r) == 200


def test_500_small_headers_accepted(hush):
    """500 small fields that fit large_client_header_buffers are a normal
    request (under max_headers' default, 1000, as nginx 1.27)."""
    srv = start(hush)
    r = srv.exchange(req("/r", headers=["X-H%d: v" % i for i in range(500)]))
    assert status(r) == 200, r
    (line,) = srv.wait_log(1)
    assert line.startswith("200 ok ")


def test_max_headers(hush):
    """max_headers N: a request with more fields is a 400, as nginx 1.27."""
    srv = start(hush, HTTP.replace("server_name localhost;", "server_name localhost; max_headers 5;"))
    # req() adds Host and Connection
    assert status(srv.exchange(req("/r", headers=["X-H%d: v" % i for i in range(3)]))) == 200
    assert status(srv.exchange(req("/r", headers=["X-H%d: v" % i for i in range(4)]))) == 400
    srv2 = start(hush, HTTP.replace("large_client_header_buffers 4 8k;", "large_client_header_buffers 4 32k;"))
    assert status(srv2.exchange(req("/r", headers=["X%d: v" % i for i in range(998)]))) == 200
    assert status(srv2.exchange(req("/r", headers=["X%d: v" % i for i in range(999)]))) == 400  # the default


def test_many_headers_bounded_by_buffers_431(hush):
    """The buffers still bound them: 4000 fields (about 40 kB) exceed
    4 x 8k and get 431, as in nginx."""
    srv = start(hush)
    r = srv.exchange(req("/r", headers=["X-H%d: v" % i for i in range(4000)]))
    assert status(r) in (400, 431), r
    assert r.how in ("closed", "reset")


def test_many_headers_one_byte_at_a_time(hush):
    """The array grows while the head arrives in pieces."""
    srv = start(hush)
    head = req("/r", headers=["X%d: v" % i for i in range(300)])
    pieces = [(head[i:i + 97], 0.001) for i in range(0, len(head), 97)]
    r = srv.exchange(pieces)
    assert status(r) == 200, r


def test_body_too_large_413(hush):
    srv = start(hush)
    r = srv.exchange(b"POST /r HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2000\r\n\r\n" + b"x" * 2000)
    assert status(r) == 413, r
    assert r.data.startswith(b"HTTP/1.1 413 Request Entity Too Large\r\n")
    assert r.how in ("closed", "reset")
    (line,) = srv.wait_log(1)
    assert line.startswith("413 bad_request ")


def test_body_limit_per_location_and_zero(hush):
    srv = start(hush)
    body = b"x" * 50000
    r = srv.exchange(b"POST /big/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                     % len(body) + body)
    assert status(r) == 200
    body = b"x" * 300000
    r = srv.exchange(b"POST /nolimit/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                     % len(body) + body)
    assert status(r) == 200


def test_chunked_body_over_limit_413(hush):
    srv = start(hush)
    chunk = b"x" * 600
    body = b"258\r\n" + chunk + b"\r\n258\r\n" + chunk + b"\r\n0\r\n\r\n"
    r = srv.exchange(b"POST /r HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
    assert status(r) == 413, r


def test_body_at_limit_ok_and_keepalive(hush):
    srv = start(hush)
    r = srv.exchange(b"POST /r HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1024\r\n\r\n" + b"x" * 1024 +
                     req("/r"))
    assert [x.status for x in r.responses()] == [200, 200]


def test_worker_connections_limit_server_keeps_running(hush):
    srv = hush(HTTP, events="worker_connections 16;")
    srv.allow_error_log(r"worker_connections are not enough, connection refused")
    held = []
    refused = 0
    for _ in range(40):
        try:
            s = srv.connect(timeout=1)
            s.sendall(b"GET /r HTTP/1.1\r\nHost: localhost\r\n")   # partial head: stays open
            held.append(s)
        except OSError:
            refused += 1
    time.sleep(0.3)
    dead = 0
    for s in held:
        s.settimeout(0.05)
        try:
            if s.recv(1) == b"":
                dead += 1
        except socket.timeout:
            pass
        except ConnectionResetError:
            dead += 1
    assert dead + refused >= 40 - 16, (dead, refused)
    for s in held:
        s.close()
    time.sleep(0.3)
    # the server is still alive and serves
    assert srv.alive()
    r = srv.exchange(req("/r"))
    assert status(r) == 200, r


def test_out_of_descriptors_pauses_accept_without_spinning(hush):
    """EMFILE: idle connections make room first (test_connection_limit.py);
    with none left the connection is taken off the queue and closed, accepting
    pauses briefly, the worker does not busy-loop, and serving resumes."""
    srv = hush("""
access_log off;
server { listen 127.0.0.1:@PORT@; location / { return 200 "ok\\n"; } }
""", main="worker_rlimit_nofile 40;", events="worker_connections 1000;")
    srv.allow_error_log(r"\(24: Too many open files\)")
    worker = srv.workers()[0]

    def cpu_ns():
        with open("/proc/%d/schedstat" % worker) as f:
            return int(f.read().split()[0])

    held = []
    for _ in range(80):
        try:
            held.append(socket.create_connection(("127.0.0.1", srv.port), timeout=1))
        except OSError:
            pass
    time.sleep(0.3)
    before = cpu_ns()
    time.sleep(1.0)
    spent_ms = (cpu_ns() - before) / 1e6
    assert spent_ms < 200, "worker busy-looped at EMFILE: %.0f ms CPU in 1 s" % spent_ms
    assert srv.wait_error_log(r"\(24: Too many open files\)|reusing connections")
    for s in held:
        s.close()
    time.sleep(0.5)
    r = srv.exchange(req("/"))
    assert r.responses()[0].status == 200
