"""The PROXY protocol (issue #19, part 2): `listen ... proxy_protocol`
reads a load balancer's header (v1 and v2, IPv4 and IPv6, TLVs skipped,
v2 LOCAL) before anything else, also before TLS's ClientHello;
$proxy_protocol_addr/_port/_server_addr/_server_port; `real_ip_header
proxy_protocol` makes its source the client's address; a connection
without a valid header is closed at once with nothing sent
(bad_proxy_protocol, in the connection log and the metrics); deny_addr and
bans judge the PROXY address as soon as the header is read. The load
balancer is this test."""
import socket
import ssl
import struct
import time

from conftest import read_all, req
from tlsutil import certs, client_context, metric  # noqa: F401

LOGS = r"""
log_format pp '$remote_addr|$remote_port|$realip_remote_addr|$proxy_protocol_addr|$proxy_protocol_port|$proxy_protocol_server_addr|$proxy_protocol_server_port|$status';
access_log logs/access.log pp;
log_format conn '$remote_addr $proxy_protocol_addr $close_reason $drop_rule';
connection_log logs/conn.log conn;
"""

METRICS = "server { listen 127.0.0.1:@PORT2@; location = /metrics { metrics; } }"

SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def v1(src="203.0.113.7", dst="192.0.2.1", sport=51000, dport=443, proto="TCP4"):
    return ("PROXY %s %s %s %d %d\r\n" % (proto, src, dst, sport, dport)).encode()


def v2(src="203.0.113.7", dst="192.0.2.1", sport=51000, dport=443, cmd=0x21, tlvs=b"", six=False):
    if six:
        body = socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst)
        fam = 0x21
    else:
        body = socket.inet_aton(src) + socket.inet_aton(dst)
        fam = 0x11
    body += struct.pack("!HH", sport, dport) + tlvs
    return SIG + bytes([cmd, fam]) + struct.pack("!H", len(body)) + body


def tlv(t, value):
    return bytes([t]) + struct.pack("!H", len(value)) + value


def lb(srv, data, pieces=None, timeout=2.0):
    """The balancer: a connection that sends data (or pieces with pauses)."""
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
    try:
        for piece, pause in pieces or [(data, 0)]:
            s.sendall(piece)
            time.sleep(pause)
        return read_all(s, timeout)
    except (ConnectionResetError, BrokenPipeError):
        return b"", "reset"
    finally:
        s.close()


SERVER = """
server {
    listen 127.0.0.1:@PORT@ proxy_protocol;
    set_real_ip_from 127.0.0.1;
    real_ip_header proxy_protocol;
    location / { return 200 "$remote_addr:$remote_port\\n"; }
}
"""


def test_v1_and_v2_headers_give_the_client_address(hush):
    srv = hush(LOGS + SERVER + METRICS)
    cases = [
        (v1(), "203.0.113.7:51000"),
        (v1("2001:db8::7", "2001:db8::1", 40000, 8443, "TCP6"), "2001:db8::7:40000"),
        (v2(), "203.0.113.7:51000"),
        (v2("2001:db8::9", "2001:db8::1", 40001, 443, six=True,
            tlvs=tlv(0x01, b"h2") + tlv(0x02, b"example.com") + tlv(0x20, b"\x01" + b"\x00" * 4)),
         "2001:db8::9:40001"),
    ]
    for header, want in cases:
        data, how = lb(srv, header + req("/"))
        assert data.startswith(b"HTTP/1.1 200") and data.endswith(want.encode() + b"\n"), (header, data)
    lines = srv.wait_log(4)
    assert lines[0] == "203.0.113.7|51000|127.0.0.1|203.0.113.7|51000|192.0.2.1|443|200", lines
    assert lines[1] == "2001:db8::7|40000|127.0.0.1|2001:db8::7|40000|2001:db8::1|8443|200", lines
    conn = srv.wait_log(4, "conn.log")
    assert conn[0] == "203.0.113.7 203.0.113.7 ok -", conn


def test_local_and_unknown_keep_the_balancer_address(hush):
    srv = hush(LOGS + SERVER)
    for header in (v2(cmd=0x20), b"PROXY UNKNOWN\r\n", b"PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n",
                   SIG + b"\x21\x00\x00\x00"):
        data, how = lb(srv, header + req("/"))
        assert data.startswith(b"HTTP/1.1 200") and b"\r\n\r\n127.0.0.1:" in data, (header, data)
    lines = srv.wait_log(4)
    assert all(line.startswith("127.0.0.1|") and "|127.0.0.1|-|-|-|-|200" in line for line in lines), lines


def test_without_real_ip_header_the_address_stays_but_the_variables_say(hush):
    srv = hush(LOGS + """
server {
    listen 127.0.0.1:@PORT@ proxy_protocol;
    location / { return 200 "$remote_addr $proxy_protocol_addr\\n"; }
}""")
    data, how = lb(srv, v1() + req("/"))
    assert data.endswith(b"\r\n\r\n127.0.0.1 203.0.113.7\n"), data


def test_a_header_split_over_segments_is_read_whole(hush):
    srv = hush(LOGS + SERVER)
    h = v2(tlvs=tlv(0x04, b"x" * 300))
    data, how = lb(srv, None, pieces=[(h[:5], 0.15), (h[5:20], 0.15), (h[20:] + req("/"), 0)])
    assert data.endswith(b"203.0.113.7:51000\n"), data
    data, how = lb(srv, None, pieces=[(b"PROX", 0.15), (v1()[4:] + req("/"), 0)])
    assert data.endswith(b"203.0.113.7:51000\n"), data
    # longer than client_header_buffer_size (1k), in one write with its request, and split
    big = v2(tlvs=tlv(0x04, b"y" * 3000))
    data, how = lb(srv, big + req("/", headers=["X-Pad: " + "p" * 2000]))
    assert data.endswith(b"203.0.113.7:51000\n"), data
    data, how = lb(srv, None, pieces=[(big[:1500], 0.15), (big[1500:] + req("/"), 0)])
    assert data.endswith(b"203.0.113.7:51000\n"), data
    # the most hush takes, and one byte more
    data, how = lb(srv, v2(tlvs=tlv(0x04, b"z" * (4096 - 12 - 3))) + req("/"))
    assert data.endswith(b"203.0.113.7:51000\n"), data
    assert lb(srv, v2(tlvs=tlv(0x04, b"z" * (4096 - 12 - 2))) + req("/"))[0] == b""


BROKEN = [
    req("/"),                                             # no header at all: a direct client
    b"PROXY TCP4 203.0.113.7 192.0.2.1 51000\r\n",        # a field missing
    b"PROXY TCP4 2001:db8::1 192.0.2.1 1 2\r\n",          # the wrong family
    b"PROXY TCP4 203.0.113.7 192.0.2.1 51000 65536\r\n",  # a port out of range
    b"PROXY TCP4 203.0.113.7 192.0.2.1 051000 80\r\n",    # a leading zero
    b"PROXY TCP5 1 2 3 4\r\n",
    b"PROXY TCP4 203.0.113.7 192.0.2.1 1 2\rX",           # CR without LF
    b"PROXY " + b"A" * 120,                               # no end within 107 bytes
    SIG + b"\x31\x11\x00\x0c" + b"\x00" * 12,             # version 3
    SIG + b"\x22\x11\x00\x0c" + b"\x00" * 12,             # command 2
    SIG + b"\x21\x11\x00\x08" + b"\x00" * 8,              # addresses past the length
    v2(tlvs=b"\x01\x00\x09ab"),                           # a TLV past the header
    SIG + b"\x21\x11\xff\xff",                            # longer than hush takes
    b"\r\n\r\n\x00\r\nQUIX\n",                            # a broken signature
]


def test_broken_headers_are_closed_at_once_with_nothing_sent(hush):
    srv = hush(LOGS + SERVER + METRICS)
    for bad in BROKEN:
        t0 = time.time()
        data, how = lb(srv, bad + req("/"), timeout=3)
        assert data == b"" and how == "closed" and time.time() - t0 < 1, (bad, data, how)
    lines = srv.wait_log(len(BROKEN), "conn.log")
    assert lines == ["127.0.0.1 - bad_proxy_protocol -"] * len(BROKEN), lines
    assert metric(srv.port2, "hush_connection_endings_total", 'reason="bad_proxy_protocol"') == len(BROKEN)
    srv.wait_error_log(r'broken header: "GET / HTTP/1.1\\x0D\\x0AHost: localhost.*" while reading PROXY '
                       r'protocol, client: 127\.0\.0\.1, server: 127\.0\.0\.1:\d+')
    assert srv.log_lines() == []  # no request was ever seen


def test_a_partial_header_times_out_as_bad_proxy_protocol(hush):
    srv = hush(LOGS + SERVER.replace("proxy_protocol;", "proxy_protocol;\n    client_header_timeout 1s;", 1))
    s1 = socket.create_connection(("127.0.0.1", srv.port))
    s1.sendall(b"PROXY TCP4 203.0.113.7 ")  # and no more
    data, how = read_all(s1, 4)
    assert data == b"" and how == "closed"
    s1.close()
    data, how = lb(srv, b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2")  # half a header, then the balancer leaves
    assert data == b""
    lines = srv.wait_log(2, "conn.log")
    assert lines == ["127.0.0.1 - bad_proxy_protocol -"] * 2, lines


def test_deny_addr_and_bans_judge_the_proxy_address_at_once(hush):
    srv = hush(LOGS + """
deny_addr 198.51.100.0/24;
ban_zone zone=abuse:1m key=$binary_remote_addr threshold=3 window=30s duration=30s;
server {
    listen 127.0.0.1:@PORT@ proxy_protocol;
    set_real_ip_from 127.0.0.1;
    real_ip_header proxy_protocol;
    ban zone=abuse;
    location /bad { return 444; }
    location / { return 200 "ok\\n"; }
}""" + METRICS)
    assert lb(srv, v1("198.51.100.4") + req("/"))[0] == b""
    for _ in range(3):
        assert lb(srv, v2("203.0.113.50") + req("/bad"))[0] == b""
    assert lb(srv, v2("203.0.113.50") + req("/"))[0] == b""     # banned: dropped after the header
    assert lb(srv, v2("203.0.113.51") + req("/"))[0].startswith(b"HTTP/1.1 200")  # the balancer's others
    assert lb(srv, v2(cmd=0x20) + req("/"))[0].startswith(b"HTTP/1.1 200")       # and its health checks
    lines = srv.wait_log(7, "conn.log")
    assert lines[0] == "198.51.100.4 198.51.100.4 drop deny_addr", lines
    assert lines[4] == "203.0.113.50 203.0.113.50 drop ban:abuse", lines
    assert metric(srv.port2, "hush_drops_total", 'rule="ban:abuse"') == 1
    assert len(srv.log_lines()) == 5  # three 444s, the other client, the health check: no line for the drops


def test_proxy_protocol_on_a_tls_listener(hush, certs):
    srv = hush(LOGS + """
server {
    listen 127.0.0.1:@PORT@ ssl proxy_protocol;
    ssl_certificate %s;
    ssl_certificate_key %s;
    set_real_ip_from 127.0.0.1;
    real_ip_header proxy_protocol;
    location / { return 200 "$remote_addr $ssl_protocol\\n"; }
}""" % (certs.cert("localhost-ec"), certs.key("localhost-ec")))
    ctx = client_context(certs)
    for header in (v1(), v2("2001:db8::3", "2001:db8::1", six=True)):
        raw = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        raw.sendall(header)  # before the ClientHello
        s = ctx.wrap_socket(raw, server_hostname="localhost")
        s.sendall(req("/"))
        data = b""
        while True:
            b = s.recv(4096)
            if not b:
                break
            data += b
        s.close()
        assert data.startswith(b"HTTP/1.1 200") and b"TLSv1.3\n" in data, data
    lines = srv.wait_log(2)
    assert lines[0].startswith("203.0.113.7|51000|127.0.0.1|203.0.113.7|"), lines
    assert lines[1].startswith("2001:db8::3|51000|"), lines
    # a ClientHello without the header is a broken header, not a handshake
    raw = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
    try:
        ctx.wrap_socket(raw, server_hostname="localhost")
        assert False, "handshake without a PROXY header succeeded"
    except (ssl.SSLError, OSError):
        pass
    finally:
        raw.close()
    assert srv.wait_log(3, "conn.log")[-1] == "127.0.0.1 - bad_proxy_protocol -"


def test_a_unix_socket_listener_behind_a_local_balancer(hush):
    """haproxy on the same host often speaks to the server over a unix
    socket: `set_real_ip_from unix:` trusts it."""
    srv = hush(LOGS + """
limit_conn_zone $binary_remote_addr zone=perclient:1m;
server {
    listen unix:@DIR@/pp.sock proxy_protocol;
    listen 127.0.0.1:@PORT@;
    set_real_ip_from unix:;
    real_ip_header proxy_protocol;
    location / { limit_conn perclient 1; return 200 "$remote_addr $realip_remote_addr\\n"; }
}""")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(srv.dir + "/pp.sock")
    s.sendall(v2("198.51.100.77") + req("/"))
    data, how = read_all(s, 3)
    s.close()
    assert data.endswith(b"\r\n\r\n198.51.100.77 unix:\n"), data
    conn = srv.wait_log(1, "conn.log")
    assert conn[0] == "198.51.100.77 198.51.100.77 ok -", conn


def test_h2c_behind_the_header(hush):
    """HTTP/2 with prior knowledge after the header (and HTTP/1.1 beside it)."""
    from h2util import H2Client
    srv = hush(LOGS + """
server {
    listen 127.0.0.1:@PORT@ http2 proxy_protocol;
    set_real_ip_from 127.0.0.1;
    real_ip_header proxy_protocol;
    location / { return 200 "$remote_addr $server_protocol\\n"; }
}""")
    c = H2Client(srv.port, preface=False)
    c.send_raw(v2("203.0.113.88"))
    c.conn.initiate_connection()
    c.flush()
    assert c.get("/").data == b"203.0.113.88 HTTP/2.0\n"
    c.close()
    data, how = lb(srv, v1() + req("/"))
    assert data.endswith(b"\r\n\r\n203.0.113.7 HTTP/1.1\n"), data
