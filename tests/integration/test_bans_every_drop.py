"""Every drop counts toward every `ban` that applies, whatever phase or level
decided it (issue #16, item 2): accept (deny_addr), a server-level `if`, a
location-level `if`, a location's `return 444`, limit_req and limit_conn with
status 444, and a TLS ClientHello drop. Each test drops three requests from
its own address (threshold=3) and then asserts that a good request from that
address is dropped at accept as `ban:abuse`, while another address is served."""
import socket
import time

from conftest import read_all, req
from test_edge_accept import connect_from, exchange_from
from tlsutil import certs, client_hello  # noqa: F401

LOGS = """
log_format conn '$remote_addr $close_reason $drop_rule';
connection_log logs/conn.log conn;
ban_zone zone=abuse:1m key=$binary_remote_addr threshold=3 window=30s duration=30s;
"""


def assert_banned(srv, src, port=None):
    deadline = time.time() + 3
    while True:
        data, how = exchange_from(srv, src, req("/ok"))
        if data == b"" or time.time() > deadline:
            break
        time.sleep(0.05)
    assert data == b"", "a good request from the banned %s was answered: %r" % (src, data[:60])
    assert exchange_from(srv, "127.0.0.200", req("/ok"))[0].startswith(b"HTTP/1.1 200")
    lines = srv.wait_log(1, "conn.log", match="^%s drop ban:abuse$" % src)
    assert lines, srv.log_lines("conn.log")


def drop_three(srv, src, data):
    for _ in range(3):
        assert exchange_from(srv, src, data)[0] == b""


def test_server_level_if_counts(hush):
    srv = hush(LOGS + """
server {
    listen 127.0.0.1:@PORT@;
    ban zone=abuse;
    if ($http_x_bad) { return 444; }
    location / { return 200 "ok\\n"; }
}""")
    drop_three(srv, "127.0.0.11", req("/", headers=["X-Bad: 1"]))
    assert_banned(srv, "127.0.0.11")


def test_location_if_and_return_444_count_toward_an_http_level_ban(hush):
    srv = hush(LOGS + """
ban zone=abuse;
server {
    listen 127.0.0.1:@PORT@;
    location / { if ($http_x_bad) { return 444; } return 200 "ok\\n"; }
    location /bad { return 444; }
}""")
    drop_three(srv, "127.0.0.12", req("/", headers=["X-Bad: 1"]))
    assert_banned(srv, "127.0.0.12")
    drop_three(srv, "127.0.0.13", req("/bad"))
    assert_banned(srv, "127.0.0.13")


def test_limit_req_444_counts(hush):
    srv = hush(LOGS + """
limit_req_zone $binary_remote_addr zone=one:1m rate=1r/m;
server {
    listen 127.0.0.1:@PORT@;
    ban zone=abuse;
    location /ok { return 200 "ok\\n"; }
    location / { limit_req zone=one; limit_req_status 444; }
}""")
    srv.write("index.html", "ok\n")
    assert exchange_from(srv, "127.0.0.14", req("/"))[0].startswith(b"HTTP/1.1 200")
    drop_three(srv, "127.0.0.14", req("/"))
    assert_banned(srv, "127.0.0.14")


def test_limit_conn_444_counts(hush):
    srv = hush(LOGS + """
limit_conn_zone $binary_remote_addr zone=perip:1m;
server {
    listen 127.0.0.1:@PORT@;
    ban zone=abuse;
    location /ok { return 200 "ok\\n"; }
    location / { limit_conn perip 1; limit_conn_status 444; }
}""")
    srv.write("big", b"x" * (16 << 20))
    held = connect_from(srv, "127.0.0.15")
    held.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    held.sendall(req("/big"))                 # not read: the request stays in flight
    time.sleep(0.3)
    drop_three(srv, "127.0.0.15", req("/big"))
    held.close()
    assert_banned(srv, "127.0.0.15")


def test_deny_addr_counts(hush):
    # an accept-phase drop by deny_addr counts too (a ban's own drops do not)
    srv = hush(LOGS + """
deny_addr 127.0.0.16;
ban zone=abuse;
server { listen 127.0.0.1:@PORT@; location / { return 200 "ok\\n"; } }
""")
    drop_three(srv, "127.0.0.16", req("/"))
    out = srv.wait_log(3, "conn.log", match="127.0.0.16 drop deny_addr")
    assert len(out) == 3
    from conftest import run_hush
    deadline = time.time() + 3
    while True:
        bans = run_hush(["-s", "bans", "-p", srv.dir, "-c", srv.conf_path]).stdout
        if "127.0.0.16 " in bans or time.time() > deadline:
            break
        time.sleep(0.1)
    assert "127.0.0.16 " in bans, bans


def test_tls_hello_drop_in_a_named_server_counts(hush, certs):
    srv = hush(LOGS.replace("ban_zone", "map $ssl_server_name $bad_name { default 0; bad.test 1; }\nban_zone") + """
ban zone=abuse;
server {
    listen 127.0.0.1:@PORT@ ssl default_server;
    server_name localhost;
    ssl_certificate %(d)s/localhost-ec.pem;
    ssl_certificate_key %(d)s/localhost-ec.key;
}
server {
    listen 127.0.0.1:@PORT@ ssl;
    server_name bad.test;
    ssl_certificate %(d)s/localhost-ec.pem;
    ssl_certificate_key %(d)s/localhost-ec.key;
    ssl_hello_drop $bad_name;
}
server { listen 127.0.0.1:@PORT2@; location / { return 200 "ok\\n"; } }
""" % {"d": certs.dir})
    for _ in range(3):
        s = connect_from(srv, "127.0.0.17")
        s.sendall(client_hello(sni="bad.test"))
        assert read_all(s, 2.0)[0] == b""
        s.close()
    srv.port = srv.port2   # the plain server: the ban holds for every listener
    assert_banned(srv, "127.0.0.17")
