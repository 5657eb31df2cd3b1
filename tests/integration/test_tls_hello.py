"""The ClientHello phase of `listen ... ssl` (before any OpenSSL object):
ssl_reject_handshake (an unrecognized_name alert and no certificate, the
name in the connection log, counted); ssl_hello_drop by JA4 (measured here
from Python's own hello) and by a $ssl_server_name pattern, in each drop
mode and with an alert, $drop_rule in the logs and hush_drops_total; plain
HTTP on a TLS port and a ClientHello on a plain port; handshake timeouts;
malformed hellos and handshake failures (tls_failed, $ssl_handshake_error)."""
import re
import socket
import ssl
import subprocess
import time

import pytest

from conftest import read_all, req
from test_metrics_parser import scrape
from tlsutil import certs, client_context, client_hello, curl, s_client, tls_connect, tls_read_all  # noqa: F401

ALERT_UNRECOGNIZED_NAME = b"\x15\x03\x03\x00\x02\x02\x70"
ALERT_HANDSHAKE_FAILURE = b"\x15\x03\x03\x00\x02\x02\x28"
ALERT_DECODE_ERROR = b"\x15\x03\x03\x00\x02\x02\x32"

LOGS = """
log_format tls '$status $close_reason $drop_rule "$ssl_server_name" "$request"';
access_log logs/access.log tls;
log_format conn '$close_reason $drop_rule "$ssl_server_name" $ssl_ja4 $ssl_hello_version "$ssl_hello_alpn" '
                '"$ssl_handshake_error"';
connection_log logs/conn.log conn if=$https;
server {
    listen 127.0.0.1:@PORT2@;
    location = /metrics { metrics; access_log off; }
}
"""


def tls_http(certs, text):
    return LOGS + text.replace("@CERTS@", certs.dir)


def metrics(srv):
    return scrape(srv, port=srv.port2)


def raw_hello(srv, hello, timeout=2.0, port=None):
    """Send a ClientHello's bytes on a raw socket; returns (bytes, how)."""
    s = socket.create_connection(("127.0.0.1", port or srv.port), timeout=5)
    try:
        s.sendall(hello)
        return read_all(s, timeout)
    finally:
        s.close()


REJECT = """
server {
    listen 127.0.0.1:@PORT@ ssl default_server;
    ssl_reject_handshake on;
}
server {
    listen 127.0.0.1:@PORT@ ssl;
    server_name localhost;
    ssl_certificate @CERTS@/localhost-ec.pem;
    ssl_certificate_key @CERTS@/localhost-ec.key;
    location / { return 200 "ok\\n"; }
}
"""


def test_reject_handshake_unknown_name(hush, certs):
    srv = hush(tls_http(certs, REJECT))
    before = metrics(srv)
    # on the wire: the alert, then FIN; nothing else (no ServerHello, no certificate)
    data, how = raw_hello(srv, client_hello(sni="unknown.test"))
    assert (data, how) == (ALERT_UNRECOGNIZED_NAME, "closed")
    # Python's ssl sees the alert
    with pytest.raises(ssl.SSLError, match="(?i)unrecognized.name"):
        tls_connect(srv.port, client_context(certs), sni="nope.test").close()
    # s_client: the alert, and no peer certificate
    rc, out = s_client(srv.port, "-servername", "evil.test")
    assert rc != 0 and "unrecognized name" in out and "alert number 112" in out, out
    assert "no peer certificate available" in out, out
    # no SNI at all: the default server rejects too
    ctx = client_context(certs)
    with pytest.raises(ssl.SSLError, match="(?i)unrecognized.name"):
        tls_connect(srv.port, ctx, sni=None).close()
    # a name that has a server is served
    s = tls_connect(srv.port, client_context(certs), sni="localhost")
    s.sendall(req("/"))
    assert tls_read_all(s)[0].endswith(b"\r\n\r\nok\n")
    s.close()
    lines = srv.wait_log(5, "conn.log")
    rejected = [l for l in lines if l.startswith("tls_rejected ")]
    assert len(rejected) == 4, lines
    names = [l.split()[2] for l in rejected]
    assert names == ['"unknown.test"', '"nope.test"', '"evil.test"', '"-"'], rejected
    assert all(l.split()[1] == "ssl_reject_handshake" for l in rejected), rejected
    assert all(l.endswith('"-"') for l in rejected), rejected          # no handshake error: a rejection
    after = metrics(srv)
    got = (after.total("hush_connection_endings_total", reason="tls_rejected") -
           before.total("hush_connection_endings_total", reason="tls_rejected"))
    assert got == 4, after.text
    assert srv.log_lines("access.log") == [] or all(" 200 " not in l or "ok" in l
                                                    for l in srv.log_lines("access.log"))


def measure_ja4(hush, certs, ctx_factory):
    """The JA4 of a client, read from a connection log line of its first connection."""
    srv = hush(tls_http(certs, """
server {
    listen 127.0.0.1:@PORT@ ssl;
    server_name localhost;
    ssl_certificate @CERTS@/localhost-ec.pem;
    ssl_certificate_key @CERTS@/localhost-ec.key;
    location / { return 200 "ok\\n"; }
}
"""))
    ctx_factory(srv)
    lines = srv.wait_log(1, "conn.log")
    assert lines, srv.error_log()
    srv.stop()
    return lines[0].split()[3]


def python_client(srv, ctx=None):
    s = tls_connect(srv.port, ctx or client_context(), sni="localhost")
    s.sendall(req("/"))
    tls_read_all(s)
    s.close()


def test_hello_drop_by_ja4(hush, certs):
    ja4 = measure_ja4(hush, certs, lambda srv: python_client(srv, client_context(certs)))
    assert re.match(r"t13d\d{4}00_[0-9a-f]{12}_[0-9a-f]{12}$", ja4), ja4
    print("JA4 of Python %s (no ALPN): %s" % (ssl.OPENSSL_VERSION, ja4))
    srv = hush(tls_http(certs, """
map $ssl_ja4 $bad_ja4 { default 0; "%s" 1; }
ssl_hello_drop $bad_ja4;
server {
    listen 127.0.0.1:@PORT@ ssl;
    server_name localhost;
    ssl_certificate @CERTS@/localhost-ec.pem;
    ssl_certificate_key @CERTS@/localhost-ec.key;
    location / { return 200 "ok $ssl_ja4\\n"; }
}
""" % ja4))
    before = metrics(srv)
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        python_client(srv, client_context(certs))
    data, how = raw_hello(srv, client_hello(client_context(certs)))     # the same hello, raw
    assert (data, how) == (b"", "closed")                                # drop_mode close: FIN, no byte
    # other clients pass: Python offering ALPN, curl, s_client
    s = tls_connect(srv.port, client_context(certs, alpn=["http/1.1"]))
    s.sendall(req("/"))
    body = tls_read_all(s)[0].split(b"\r\n\r\n", 1)[1]
    s.close()
    assert body.startswith(b"ok t13d") and ja4.encode() not in body, body
    r = curl(srv.port, "/", certs=certs)
    assert r.returncode == 0 and r.stdout.startswith(b"ok t13d"), r
    rc, out = s_client(srv.port, "-servername", "localhost", "-ign_eof", input=req("/"))
    assert "HTTP/1.1 200 OK" in out, out
    lines = srv.wait_log(5, "conn.log")
    assert len(lines) == 5, lines
    dropped = [l for l in lines if l.startswith("tls_rejected ")]
    assert len(dropped) == 2 and all(l.split()[1] == "ssl_hello_drop:bad_ja4" for l in dropped), lines
    assert all(l.split()[3] == ja4 for l in dropped), lines
    after = metrics(srv)
    assert after.total("hush_drops_total", rule="ssl_hello_drop:bad_ja4") - \
        before.total("hush_drops_total", rule="ssl_hello_drop:bad_ja4") == 2, after.text
    assert after.total("hush_connection_endings_total", reason="tls_rejected") - \
        before.total("hush_connection_endings_total", reason="tls_rejected") == 2
    others = sorted({l.split()[3] for l in lines if not l.startswith("tls_rejected ")})
    print("JA4 of the others (Python+ALPN http/1.1, curl, s_client): %s" % others)


MODES = """
map $ssl_server_name $bad_name { default 0; ~^(close|reset|tarpit|alert)\\.bad\\.test$ 1; }
ssl_certificate @CERTS@/localhost-ec.pem;
ssl_certificate_key @CERTS@/localhost-ec.key;
server {
    listen 127.0.0.1:@PORT@ ssl default_server;
    server_name localhost;
    location / { return 200 "ok\\n"; }
}
server { listen 127.0.0.1:@PORT@ ssl; server_name close.bad.test; ssl_hello_drop $bad_name; }
server { listen 127.0.0.1:@PORT@ ssl; server_name reset.bad.test; ssl_hello_drop $bad_name; drop_mode reset; }
server { listen 127.0.0.1:@PORT@ ssl; server_name tarpit.bad.test; ssl_hello_drop $bad_name;
         drop_mode tarpit=700ms; }
server { listen 127.0.0.1:@PORT@ ssl; server_name alert.bad.test; ssl_hello_drop $bad_name alert; }
server { listen 127.0.0.1:@PORT@ ssl; server_name good.bad.test; ssl_hello_drop $bad_name;
         location / { return 200 "good\\n"; } }
"""


def test_hello_drop_by_server_name_in_each_mode(hush, certs):
    srv = hush(tls_http(certs, MODES))
    before = metrics(srv)
    assert raw_hello(srv, client_hello(sni="close.bad.test")) == (b"", "closed")
    assert raw_hello(srv, client_hello(sni="reset.bad.test")) == (b"", "reset")
    t0 = time.time()
    assert raw_hello(srv, client_hello(sni="tarpit.bad.test"), timeout=3) == (b"", "reset")  # held, then RST
    assert 0.5 < time.time() - t0 < 2.5
    assert raw_hello(srv, client_hello(sni="alert.bad.test")) == (ALERT_HANDSHAKE_FAILURE, "closed")
    with pytest.raises(ssl.SSLError, match="(?i)handshake.failure"):
        tls_connect(srv.port, client_context(certs), sni="alert.bad.test").close()
    # the map does not match: served (by the server the SNI chose)
    ctx = client_context(certs)
    ctx.check_hostname = False
    s = tls_connect(srv.port, ctx, sni="good.bad.test")
    s.sendall(req("/", host="good.bad.test"))
    assert tls_read_all(s)[0].endswith(b"\r\n\r\ngood\n")
    s.close()
    lines = srv.wait_log(6, "conn.log")
    dropped = [l.split()[:3] for l in lines if l.startswith("tls_rejected ")]
    assert dropped == [["tls_rejected", "ssl_hello_drop:bad_name", '"%s.bad.test"' % m]
                       for m in ("close", "reset", "tarpit", "alert", "alert")], lines
    after = metrics(srv)
    assert after.total("hush_drops_total", rule="ssl_hello_drop:bad_name") - \
        before.total("hush_drops_total", rule="ssl_hello_drop:bad_name") == 5, after.text
    assert srv.wait_log(1) == ['200 ok - "good.bad.test" "GET / HTTP/1.1"']


PLAIN_AND_TLS = """
server {
    listen 127.0.0.1:@PORT@ ssl;
    server_name localhost;
    ssl_certificate @CERTS@/localhost-ec.pem;
    ssl_certificate_key @CERTS@/localhost-ec.key;
    location / { return 200 "ok\\n"; }
}
server {
    listen 127.0.0.1:@PORT2@;
    location / { return 200 "plain\\n"; }
    location = /metrics { metrics; access_log off; }
}
"""


def test_plain_http_on_the_tls_port(hush, certs):
    srv = hush(LOGS.split("server {")[0] + PLAIN_AND_TLS.replace("@CERTS@", certs.dir))
    r = srv.exchange(req("/"))
    assert r.how == "closed" and r.data.startswith(b"HTTP/1.1 400 Bad Request\r\n"), r
    assert b"The plain HTTP request was sent to HTTPS port" in r.data, r
    assert srv.wait_log(1) == ['400 bad_request - "-" "GET / HTTP/1.1"']
    # and a ClientHello on the plain port: an ordinary bad request
    data, how = raw_hello(srv, client_hello(), port=srv.port2)
    assert data.startswith(b"HTTP/1.1 400 Bad Request\r\n") and how in ("closed", "reset"), (data, how)
    lines = srv.wait_log(2)
    assert lines[1].startswith("400 bad_request - "), lines


TIMEOUT = """
client_header_timeout 1s;
server {
    listen 127.0.0.1:@PORT@ ssl deferred=off;
    server_name localhost;
    ssl_certificate @CERTS@/localhost-ec.pem;
    ssl_certificate_key @CERTS@/localhost-ec.key;
    location / { return 200 "ok\\n"; }
}
"""


def test_handshake_timeout(hush, certs):
    srv = hush(tls_http(certs, TIMEOUT))
    hello = client_hello()
    # half a ClientHello: tls_timeout after client_header_timeout
    t0 = time.time()
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.sendall(hello[:len(hello) // 2])
    data, how = read_all(s, 3)
    s.close()
    assert data == b"" and how in ("closed", "reset") and 0.8 < time.time() - t0 < 2.0, (data, how)
    # a whole ClientHello, then silence: the handshake waits for the client's answer, then times out
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.sendall(hello)
    data, how = read_all(s, 3)
    s.close()
    assert data.startswith(b"\x16\x03\x03") and how in ("closed", "reset"), (data[:10], how)  # a ServerHello
    # nothing at all: no_request (no byte arrived), not a TLS ending
    s = socket.create_connection(("127.0.0.1", srv.port))
    data, how = read_all(s, 3)
    s.close()
    assert data == b"" and how == "closed"
    lines = srv.wait_log(3, "conn.log")
    assert [l.split()[0] for l in lines] == ["tls_timeout", "tls_timeout", "no_request"], lines
    assert lines[1].split()[2] == '"localhost"', lines
    m = metrics(srv)
    assert m.total("hush_connection_endings_total", reason="tls_timeout") == 2
    assert m.total("hush_connection_endings_total", reason="no_request") >= 1


def test_client_closes_in_the_middle_of_the_hello(hush, certs):
    """Half a hello, then FIN: the client is gone; the connection ends at
    once (tls_failed), not at client_header_timeout."""
    srv = hush(tls_http(certs, TIMEOUT.replace("1s", "5s")))
    hello = client_hello()
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.sendall(hello[:40])
    time.sleep(0.1)
    s.shutdown(socket.SHUT_WR)
    t0 = time.time()
    data, how = read_all(s, 4)
    s.close()
    assert data == b"" and time.time() - t0 < 1.0, (data, how)
    lines = srv.wait_log(1, "conn.log")
    assert lines and lines[0].startswith("tls_failed - ") and not lines[0].endswith('"-"'), lines


def test_malformed_hellos_and_failed_handshakes(hush, certs):
    srv = hush(tls_http(certs, TIMEOUT))
    hello = client_hello()
    # garbage after a TLS record header
    data, how = raw_hello(srv, b"\x16\x03\x01\x00\x20" + b"\xff" * 32)
    assert (data, how) == (ALERT_DECODE_ERROR, "closed")      # as OpenSSL answers, then FIN
    # a handshake message that is not a ClientHello
    data, how = raw_hello(srv, b"\x16\x03\x01\x00\x08\x02\x00\x00\x04\x03\x03\x00\x00")
    assert (data, how) == (ALERT_DECODE_ERROR, "closed")
    # a hello that lies about its length
    bad = bytearray(hello)
    bad[8] ^= 0x40
    data, how = raw_hello(srv, bytes(bad))
    assert (data, how) == (ALERT_DECODE_ERROR, "closed")
    # a valid hello, then application data before the handshake is done: OpenSSL fails it
    data, how = raw_hello(srv, hello + b"\x17\x03\x03\x00\x05hello")
    assert how in ("closed", "reset"), (data, how)
    # no cipher in common (TLS 1.2 with a cipher the server does not have)
    ctx = client_context(certs, versions=(ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2), ciphers="AES128-SHA256")
    ctx.set_ciphers("ECDHE-RSA-AES128-GCM-SHA256")       # the server has only an ECDSA certificate
    with pytest.raises(ssl.SSLError, match="(?i)handshake.failure|no.shared.cipher"):
        tls_connect(srv.port, ctx).close()
    lines = srv.wait_log(5, "conn.log")
    assert [l.split()[0] for l in lines] == ["tls_failed"] * 5, lines
    errors = [re.search(r'"([^"]*)"$', l).group(1) for l in lines]
    assert all(e and e != "-" for e in errors), lines
    assert errors[:3] == ["first handshake message is not a ClientHello"] * 2 + ["data after the ClientHello"]
    assert errors[3] == "decryption failed or bad record mac" and errors[4] == "no shared cipher", errors
    print("handshake errors: %s" % errors)
    m = metrics(srv)
    assert m.total("hush_connection_endings_total", reason="tls_failed") == 5


def split_records(hello, at):
    """The same ClientHello message carried in two TLS records."""
    body = hello[5:]
    rec = lambda b: hello[:3] + len(b).to_bytes(2, "big") + b  # noqa: E731
    return rec(body[:at]) + rec(body[at:])


def test_hello_in_pieces_is_judged_whole(hush, certs):
    """A hello split over TCP segments waits for its rest; one split over
    two records is judged the same (the SNI is read across them): both
    reach the server they name, or its rejection."""
    srv = hush(tls_http(certs, REJECT))
    hello = client_hello(sni="nope.test")
    # two segments, 200 ms apart: rejected by name once it is whole
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.sendall(hello[:30])
    time.sleep(0.2)
    s.sendall(hello[30:])
    data, how = read_all(s, 2)
    s.close()
    assert (data, how) == (ALERT_UNRECOGNIZED_NAME, "closed")
    # two records, the split inside the extensions
    data, how = raw_hello(srv, split_records(hello, 60))
    assert (data, how) == (ALERT_UNRECOGNIZED_NAME, "closed")
    # the good name in two records and two segments: a real handshake follows (a ServerHello)
    good = split_records(client_hello(sni="localhost"), 100)
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.sendall(good[:50])
    time.sleep(0.2)
    s.sendall(good[50:])
    s.settimeout(2)
    first = s.recv(5)
    s.close()
    assert first[:1] == b"\x16", first     # a handshake record, not an alert
    lines = srv.wait_log(3, "conn.log")
    assert [l.split()[:3] for l in lines[:2]] == [["tls_rejected", "ssl_reject_handshake", '"nope.test"']] * 2, lines


def test_reject_handshake_in_a_named_server(hush, certs):
    """ssl_reject_handshake in the server the SNI names (nginx allows it in
    any server): that name is refused, the default server serves others."""
    srv = hush(tls_http(certs, """
server {
    listen 127.0.0.1:@PORT@ ssl default_server;
    server_name localhost;
    ssl_certificate @CERTS@/localhost-ec.pem;
    ssl_certificate_key @CERTS@/localhost-ec.key;
    location / { return 200 "ok\\n"; }
}
server {
    listen 127.0.0.1:@PORT@ ssl;
    server_name *.closed.test;
    ssl_reject_handshake on;
}
"""))
    data, how = raw_hello(srv, client_hello(sni="www.closed.test"))
    assert (data, how) == (ALERT_UNRECOGNIZED_NAME, "closed")
    ctx = client_context(certs)
    ctx.check_hostname = False
    s = tls_connect(srv.port, ctx, sni="other.test")
    s.sendall(req("/"))
    assert tls_read_all(s)[0].endswith(b"\r\n\r\nok\n")
    s.close()
    lines = srv.wait_log(2, "conn.log")
    assert lines[0].startswith('tls_rejected ssl_reject_handshake "www.closed.test" '), lines


def test_hello_drops_count_toward_bans(hush, certs):
    """A connection refused at the ClientHello by a rule counts as a 444 for
    `ban` (the default server's): after the threshold the address is
    dropped at accept, whatever name it asks for next."""
    srv = hush(tls_http(certs, """
log_format bans '$close_reason $drop_rule';
connection_log logs/all.log bans;
map $ssl_server_name $bad_name { default 0; scan.test 1; }
ban_zone zone=hello:1m key=$binary_remote_addr threshold=2 window=10s duration=5s;
server {
    listen 127.0.0.1:@PORT@ ssl default_server;
    server_name localhost;
    ssl_certificate @CERTS@/localhost-ec.pem;
    ssl_certificate_key @CERTS@/localhost-ec.key;
    ssl_hello_drop $bad_name;
    ban zone=hello on=444;
    location / { return 200 "ok\\n"; }
}
"""))
    ok = client_context(certs)
    s = tls_connect(srv.port, ok)                       # served before any drop
    s.sendall(req("/"))
    assert tls_read_all(s)[0].endswith(b"ok\n")
    s.close()
    for _ in range(2):
        assert raw_hello(srv, client_hello(sni="scan.test")) == (b"", "closed")
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        tls_connect(srv.port, ok).close()               # banned now: dropped at accept
    lines = srv.wait_log(4, "all.log")
    assert lines[1:] == ["tls_rejected ssl_hello_drop:bad_name"] * 2 + ["drop ban:hello"], lines


def test_raw_ja4_matches_the_fingerprint(hush, certs):
    """$ssl_ja4_r is FoxIO's raw form: the same prefix as $ssl_ja4, and the
    hashed sections of $ssl_ja4 are the first 12 hex digits of SHA-256 of
    its sorted cipher list and of its sorted extensions + signature
    algorithms."""
    import hashlib
    srv = hush(tls_http(certs, """
server {
    listen 127.0.0.1:@PORT@ ssl;
    server_name localhost;
    ssl_certificate @CERTS@/localhost-ec.pem;
    ssl_certificate_key @CERTS@/localhost-ec.key;
    location / { return 200 "$ssl_ja4 $ssl_ja4_r\\n"; }
}
"""))
    for alpn in (None, ["http/1.1"]):
        s = tls_connect(srv.port, client_context(certs, alpn=alpn))
        s.sendall(req("/"))
        body = tls_read_all(s)[0].split(b"\r\n\r\n", 1)[1].decode()
        s.close()
        ja4, raw = body.split()
        a, b, c, sigs = raw.split("_")
        assert ja4.split("_")[0] == a, (ja4, raw)
        assert re.fullmatch(r"[0-9a-f]{4}(,[0-9a-f]{4})*", b) and b.split(",") == sorted(b.split(",")), raw
        assert ja4.split("_")[1] == hashlib.sha256(b.encode()).hexdigest()[:12], (ja4, raw)
        assert ja4.split("_")[2] == hashlib.sha256((c + "_" + sigs).encode()).hexdigest()[:12], (ja4, raw)
