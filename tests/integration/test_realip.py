"""Real client addresses (issue #19, part 1): set_real_ip_from,
real_ip_header (X-Real-IP, X-Forwarded-For with real_ip_recursive, any
header), $realip_remote_addr; and every edge rule acting on the address
found: allow/deny, limit_req, map, bans, the access and error logs. The
load balancer is this test connecting from 127.0.0.1 (trusted) or another
loopback address (not trusted)."""
import os
import re

import socket

from conftest import read_all, req, run_hush


def exchange_from(srv, src, data, port=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.settimeout(5)
    try:
        s.connect(("127.0.0.1", port or srv.port))
        s.sendall(data)
        return read_all(s, 2.0)
    except (ConnectionResetError, BrokenPipeError):
        return b"", "reset"
    finally:
        s.close()

LOG = r"""
log_format rip '$remote_addr|$remote_port|$realip_remote_addr|$status|$close_reason|$drop_rule';
access_log logs/access.log rip;
"""


def get_from(srv, src, path="/", xff=None, headers=(), port=None):
    hs = list(headers)
    if xff is not None:
        hs.append("X-Forwarded-For: " + xff)
    return exchange_from(srv, src, req(path, headers=hs), port)[0]


def body(data):
    return data.split(b"\r\n\r\n", 1)[1].decode() if b"\r\n\r\n" in data else ""


ECHO = 'location / { return 200 "$remote_addr $remote_port $realip_remote_addr $realip_remote_port\\n"; }'


def test_x_forwarded_for_trusted_and_untrusted_hops(hush):
    srv = hush(LOG + """
server {
    listen 127.0.0.1:@PORT@;
    set_real_ip_from 127.0.0.1;
    set_real_ip_from 10.0.0.0/8;
    real_ip_header X-Forwarded-For;
    %s
}
server {
    listen 127.0.0.1:@PORT2@;
    set_real_ip_from 127.0.0.1;
    set_real_ip_from 10.0.0.0/8;
    real_ip_header X-Forwarded-For;
    real_ip_recursive on;
    location / { return 200 "$remote_addr\\n"; }
}""" % ECHO)
    r = srv.port2
    # not recursive: the last address replaces a trusted peer's
    assert body(get_from(srv, "127.0.0.1", xff="198.51.100.1, 203.0.113.7")).startswith("203.0.113.7  127.0.0.1 ")
    assert body(get_from(srv, "127.0.0.1", xff="198.51.100.1, 10.1.1.1")).startswith("10.1.1.1  127.0.0.1")
    # with a port (RFC 3986 form), IPv6
    assert body(get_from(srv, "127.0.0.1", xff="[2001:db8::5]:4431")).startswith("2001:db8::5 4431 127.0.0.1")
    assert body(get_from(srv, "127.0.0.1", xff="192.0.2.8:8080")).startswith("192.0.2.8 8080 ")
    # an untrusted peer's header is ignored: spoofing from outside does not work
    b = body(get_from(srv, "127.0.0.5", xff="203.0.113.7"))
    assert re.match(r"^127\.0\.0\.5 \d+ 127\.0\.0\.5 \d+$", b.strip()), b
    # recursive: the last untrusted address, over trusted hops
    assert body(get_from(srv, "127.0.0.1", "/", port=r, xff="198.51.100.1, 203.0.113.7, 10.1.1.1, 10.2.2.2")) == \
        "203.0.113.7\n"
    # every hop trusted: the first one
    assert body(get_from(srv, "127.0.0.1", "/", port=r, xff="10.9.9.9, 10.1.1.1")) == "10.9.9.9\n"
    # over several X-Forwarded-For fields, the last field first
    data = exchange_from(srv, "127.0.0.1", req("/", headers=["X-Forwarded-For: 198.51.100.3",
                                                             "X-Forwarded-For: 10.1.1.1"]), r)[0]
    assert body(data) == "198.51.100.3\n"
    # garbage: the address stays the last one that parsed
    assert body(get_from(srv, "127.0.0.1", "/", port=r, xff="junk, 10.1.1.1")) == "10.1.1.1\n"
    assert body(get_from(srv, "127.0.0.1", "/", port=r, xff="junk")) == "127.0.0.1\n"
    lines = srv.wait_log(10)
    assert lines[0].startswith("203.0.113.7||127.0.0.1|200|ok|"), lines
    assert lines[2].startswith("2001:db8::5|4431|127.0.0.1|200"), lines


def test_x_real_ip_default_and_any_header(hush):
    srv = hush(LOG + """
server {
    listen 127.0.0.1:@PORT@;
    set_real_ip_from 127.0.0.1;
    root html;
    location /cf/ { real_ip_header CF-Connecting-IP; }
    location / { return 200 "$remote_addr\\n"; }
}""")
    srv.write("cf/index.html", "cf\n")
    assert body(exchange_from(srv, "127.0.0.1", req("/", headers=["X-Real-IP: 192.0.2.44"]))[0]) == "192.0.2.44\n"
    # a location's own header (any name, any case) applies after its server's (nginx's preaccess)
    assert exchange_from(srv, "127.0.0.1", req("/cf/", headers=["cf-connecting-ip: 192.0.2.45"]))[0] \
        .startswith(b"HTTP/1.1 200")
    # ... unless the server's already did (nginx's post-read)
    exchange_from(srv, "127.0.0.1", req("/cf/", headers=["cf-connecting-ip: 192.0.2.46", "X-Real-IP: 192.0.2.47"]))
    # X-Forwarded-For is not X-Real-IP
    assert body(exchange_from(srv, "127.0.0.1", req("/", headers=["X-Forwarded-For: 192.0.2.9"]))[0]) == \
        "127.0.0.1\n"
    lines = srv.wait_log(4)
    assert [l.split("|")[0] for l in lines] == ["192.0.2.44", "192.0.2.45", "192.0.2.47", "127.0.0.1"], lines


def test_allow_deny_and_map_act_on_the_forwarded_address(hush):
    srv = hush(LOG + """
map $remote_addr $who { 203.0.113.7 bad; default good; }
server {
    listen 127.0.0.1:@PORT@;
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;
    location /admin/ { allow 192.0.2.0/24; deny all; root html; }
    location / { return 200 "$who\\n"; }
}""")
    srv.write("admin/index.html", "admin\n")
    assert b" 200 " in get_from(srv, "127.0.0.1", "/admin/", xff="192.0.2.10").split(b"\r\n")[0]
    assert b" 403 " in get_from(srv, "127.0.0.1", "/admin/", xff="203.0.113.7").split(b"\r\n")[0]
    assert body(get_from(srv, "127.0.0.1", xff="203.0.113.7")) == "bad\n"
    assert body(get_from(srv, "127.0.0.1", xff="203.0.113.8")) == "good\n"
    # the error log names the real client
    srv.wait_error_log(r"access forbidden by rule, client: 203\.0\.113\.7, server: ")


def test_limit_req_rejects_only_the_abusive_forwarded_client(hush):
    srv = hush(LOG + """
limit_req_zone $binary_remote_addr zone=per:1m rate=1r/m;
server {
    listen 127.0.0.1:@PORT@;
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;
    location / { limit_req zone=per; root html; }
}""")
    srv.write("index.html", "hi\n")
    codes = [get_from(srv, "127.0.0.1", xff="203.0.113.9").split(b" ")[1] for _ in range(3)]
    assert codes == [b"200", b"503", b"503"], codes
    for ip in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        assert get_from(srv, "127.0.0.1", xff=ip).startswith(b"HTTP/1.1 200"), ip
    srv.wait_error_log(r"limiting requests, excess: .* by zone \"per\", client: 203\.0\.113\.9,")


def test_a_ban_bans_only_the_forwarded_client(hush):
    srv = hush(LOG + """
log_format conn '$remote_addr $close_reason $drop_rule';
connection_log logs/conn.log conn;
ban_zone zone=abuse:1m key=$binary_remote_addr threshold=3 window=30s duration=30s;
server {
    listen 127.0.0.1:@PORT@;
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;
    ban zone=abuse;
    location /bad { return 444; }
    location / { return 200 "ok\\n"; }
}""")
    for _ in range(3):
        assert get_from(srv, "127.0.0.1", "/bad", xff="203.0.113.66") == b""
    # its next request through the same load balancer is dropped: ban:abuse
    assert get_from(srv, "127.0.0.1", "/", xff="203.0.113.66") == b""
    # the others behind the load balancer are served, and so is the balancer itself
    assert get_from(srv, "127.0.0.1", "/", xff="198.51.100.20").startswith(b"HTTP/1.1 200")
    assert get_from(srv, "127.0.0.1", "/").startswith(b"HTTP/1.1 200")
    lines = srv.wait_log(6)
    assert lines[3].startswith("203.0.113.66||127.0.0.1|444|drop|ban:abuse"), lines
    assert lines[4].startswith("198.51.100.20||127.0.0.1|200|ok|"), lines
    out = run_hush(["-p", srv.dir, "-c", srv.conf_path, "-s", "bans"])
    assert "203.0.113.66" in out.stdout and "127.0.0.1 " not in out.stdout, out.stdout


def check(d, text):
    path = os.path.join(d, "hush.conf")
    with open(path, "w") as f:
        f.write("events {}\n" + text + "\n")
    return run_hush(["-t", "-p", d, "-c", path])


def test_bad_directives_are_errors(tmpconf):
    for line, msg in [
        ("set_real_ip_from example.com;", 'invalid address "example.com" in "set_real_ip_from"'),
        ("set_real_ip_from 10.0.0.0/33;", 'invalid address "10.0.0.0/33"'),
        ("set_real_ip_from all;", 'invalid address "all"'),
        ("real_ip_header X-Real-IP; real_ip_header X-Forwarded-For;", '"real_ip_header" directive is duplicate'),
        ("real_ip_recursive yes;", 'invalid value "yes" in "real_ip_recursive"'),
        ("real_ip_header $x;", 'variables in "real_ip_header" are not supported'),
        ("set_real_ip_from 10.0.0.1 10.0.0.2;", 'invalid number of arguments'),
    ]:
        out = check(tmpconf, "http { %s server { listen 127.0.0.1:1; } }" % line)
        assert out.returncode == 1 and msg in out.stderr, (line, out.stderr)
    out = check(tmpconf, "http { set_real_ip_from unix:; set_real_ip_from ::1; real_ip_recursive off; "
                  "server { listen 127.0.0.1:1; location / { real_ip_header proxy_protocol; } } }")
    assert out.returncode == 0, out.stderr


def test_http2_streams_of_one_connection_each_have_their_client(hush):
    from h2util import H2Client
    srv = hush(LOG + """
server {
    listen 127.0.0.1:@PORT@ http2;
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;
    location / { return 200 "$remote_addr\\n"; }
}""")
    c = H2Client(srv.port)
    ids = [c.request("/", headers=[("x-forwarded-for", "192.0.2.%d" % i)]) for i in range(1, 5)]
    got = [c.wait(sid).data for sid in ids]
    c.close()
    assert got == [b"192.0.2.%d\n" % i for i in range(1, 5)], got
    lines = srv.wait_log(4)
    assert sorted(line.split("|")[0] for line in lines) == ["192.0.2.%d" % i for i in range(1, 5)], lines


def test_limit_conn_counts_the_forwarded_client(hush):
    srv = hush(LOG + """
limit_conn_zone $binary_remote_addr zone=perclient:1m;
server {
    listen 127.0.0.1:@PORT@;
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;
    root html;
    limit_rate 20k;
    location / { limit_conn perclient 1; }
}""")
    srv.write("big.bin", "x" * 400000)
    srv.write("small.txt", "small\n")
    s1 = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
    s1.sendall(req("/big.bin", headers=["X-Forwarded-For: 203.0.113.1"]))
    assert s1.recv(100).startswith(b"HTTP/1.1 200")  # under way, held by limit_rate
    try:
        # the same client through another connection of the balancer: over its limit
        assert get_from(srv, "127.0.0.1", "/small.txt", xff="203.0.113.1").startswith(b"HTTP/1.1 503")
        # another client behind the same balancer is not
        assert get_from(srv, "127.0.0.1", "/small.txt", xff="203.0.113.2").startswith(b"HTTP/1.1 200")
    finally:
        s1.close()
    srv.wait_error_log(r'limiting connections by zone "perclient", client: 203\.0\.113\.1,')
