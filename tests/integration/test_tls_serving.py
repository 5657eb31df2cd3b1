"""TLS serving (`listen ... ssl`): SNI chooses the server and its
certificate, the default server without SNI; an RSA and an ECDSA pair side by
side, each client getting the one it can use; ssl_protocols (per server, by
SNI); files of 100 B and 1 MiB intact (the transport's sendfile path), also
to a slow reader; keep-alive and pipelined requests, also pipelined in
separate TLS records of one TCP segment; ALPN; the $ssl_* variables, $https
and $scheme in the access log. Clients: Python's ssl module, curl and
`openssl s_client`. The certificates are made at run time (tlsutil.py)."""
import hashlib
import os
import re
import socket
import ssl
import time

import pytest

from conftest import req
from tlsutil import (certs, client_context, client_hello, curl, peer_cn, peer_key_type, read_response,  # noqa: F401
                     s_client, tls_connect, tls_read_all, RecordClient)

LOGS = """
log_format tls '$status $close_reason $ssl_protocol $ssl_cipher "$ssl_server_name" $ssl_session_reused '
               '"$ssl_alpn_protocol" "$https" $scheme $connection_requests "$request" $body_bytes_sent';
access_log logs/access.log tls;
log_format conn '$close_reason "$drop_rule" "$ssl_server_name" "$ssl_handshake_error" $connection_requests';
connection_log logs/conn.log conn;
"""


def tls_http(certs, text):
    return LOGS + text.replace("@CERTS@", certs.dir)


def get(port, ctx, path="/", sni="localhost", host=None):
    """One request on a new TLS connection (Connection: close); returns
    (socket facts, raw reply)."""
    s = tls_connect(port, ctx, sni=sni)
    try:
        facts = {"cn": peer_cn(s), "key": peer_key_type(s), "version": s.version(),
                 "cipher": s.cipher()[0], "alpn": s.selected_alpn_protocol()}
        s.sendall(req(path, host=host or sni or "localhost"))
        data, how = tls_read_all(s)
    finally:
        s.close()
    assert how == "closed", (how, data)
    return facts, data


SNI = """
server {
    listen 127.0.0.1:@PORT@ ssl default_server;
    server_name a.test;
    ssl_certificate @CERTS@/a.test-ec.pem;
    ssl_certificate_key @CERTS@/a.test-ec.key;
    location / { return 200 "a sni=$ssl_server_name host=$host\\n"; }
}
server {
    listen 127.0.0.1:@PORT@ ssl;
    server_name b.test;
    ssl_certificate @CERTS@/b.test-ec.pem;
    ssl_certificate_key @CERTS@/b.test-ec.key;
    location / { return 200 "b sni=$ssl_server_name host=$host\\n"; }
}
"""


def test_sni_selects_server_and_certificate(hush, certs):
    srv = hush(tls_http(certs, SNI))
    ctx = client_context(certs)
    facts, data = get(srv.port, ctx, sni="a.test")
    assert facts["cn"] == "a.test" and data.endswith(b"\r\n\r\na sni=a.test host=a.test\n"), data
    facts, data = get(srv.port, ctx, sni="b.test")
    assert facts["cn"] == "b.test" and data.endswith(b"\r\n\r\nb sni=b.test host=b.test\n"), data
    # curl: SNI from the URL, verified against the test CA
    r = curl(srv.port, "/", host="b.test", certs=certs)
    assert r.returncode == 0 and r.stdout == b"b sni=b.test host=b.test\n", r
    # s_client: the certificate it was shown
    rc, out = s_client(srv.port, "-servername", "b.test", "-CAfile", certs.ca, input=b"")
    assert re.search(r"subject=CN\s*=\s*b\.test", out) and "Verify return code: 0 (ok)" in out, out


def test_no_sni_and_unknown_sni_get_the_default_server(hush, certs):
    srv = hush(tls_http(certs, SNI))
    ctx = client_context(certs)
    ctx.check_hostname = False
    facts, data = get(srv.port, ctx, sni=None, host="b.test")
    # the certificate is the default server's; the request then goes by Host, as in nginx
    assert facts["cn"] == "a.test", facts
    assert data.endswith(b"b sni=- host=b.test\n") or data.endswith(b"b sni= host=b.test\n"), data
    facts, data = get(srv.port, ctx, sni="c.test", host="c.test")
    assert facts["cn"] == "a.test" and data.endswith(b"a sni=c.test host=c.test\n"), data
    lines = srv.wait_log(2)
    assert lines[0].startswith('200 ok TLSv1.3 ') and ' "-" ' in lines[0], lines
    assert ' "c.test" ' in lines[1], lines


BOTH = """
server {
    listen 127.0.0.1:@PORT@ ssl;
    server_name localhost;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_certificate @CERTS@/localhost-rsa.pem;
    ssl_certificate_key @CERTS@/localhost-rsa.key;
    ssl_certificate @CERTS@/localhost-ec.pem;
    ssl_certificate_key @CERTS@/localhost-ec.key;
    location / { return 200 "ok $ssl_cipher\\n"; }
}
"""


def test_rsa_and_ecdsa_pair_each_client_gets_what_it_can_use(hush, certs):
    srv = hush(tls_http(certs, BOTH))
    tls12 = (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2)
    facts, data = get(srv.port, client_context(certs, versions=tls12, ciphers="ECDHE-ECDSA-AES128-GCM-SHA256"))
    assert (facts["key"], facts["cipher"]) == ("EC", "ECDHE-ECDSA-AES128-GCM-SHA256"), facts
    assert data.endswith(b"ok ECDHE-ECDSA-AES128-GCM-SHA256\n")
    facts, data = get(srv.port, client_context(certs, versions=tls12, ciphers="ECDHE-RSA-AES256-GCM-SHA384"))
    assert (facts["key"], facts["cipher"]) == ("RSA", "ECDHE-RSA-AES256-GCM-SHA384"), facts
    # TLS 1.3: the signature algorithms the client accepts decide
    rc, out = s_client(srv.port, "-tls1_3", "-servername", "localhost", "-CAfile", certs.ca,
                       "-sigalgs", "ecdsa_secp256r1_sha256")
    assert "Peer signature type: ECDSA" in out and "Verify return code: 0 (ok)" in out, out
    rc, out = s_client(srv.port, "-tls1_3", "-servername", "localhost", "-CAfile", certs.ca,
                       "-sigalgs", "rsa_pss_rsae_sha256")
    assert "Peer signature type: RSA-PSS" in out and "Server public key is 2048 bit" in out, out
    # a client that offers both gets one of them, verified
    facts, _ = get(srv.port, client_context(certs))
    assert facts["key"] in ("EC", "RSA") and facts["version"] == "TLSv1.3"


PROTOCOLS = """
server {
    listen 127.0.0.1:@PORT@ ssl default_server;
    server_name a.test;
    ssl_protocols TLSv1.2;
    ssl_certificate @CERTS@/a.test-ec.pem;
    ssl_certificate_key @CERTS@/a.test-ec.key;
    location / { return 200 "a $ssl_protocol\\n"; }
}
server {
    listen 127.0.0.1:@PORT@ ssl;
    server_name b.test;
    ssl_protocols TLSv1.3;
    ssl_certificate @CERTS@/b.test-ec.pem;
    ssl_certificate_key @CERTS@/b.test-ec.key;
    location / { return 200 "b $ssl_protocol\\n"; }
}
"""


def test_ssl_protocols_per_server(hush, certs):
    srv = hush(tls_http(certs, PROTOCOLS))
    any_version = client_context(certs)
    facts, data = get(srv.port, any_version, sni="a.test")
    assert facts["version"] == "TLSv1.2" and data.endswith(b"a TLSv1.2\n"), (facts, data)
    # the server is chosen before the handshake: b.test's own protocols apply (nginx can only
    # apply the default server's)
    facts, data = get(srv.port, any_version, sni="b.test")
    assert facts["version"] == "TLSv1.3" and data.endswith(b"b TLSv1.3\n"), (facts, data)
    only13 = client_context(certs, versions=(ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_3))
    with pytest.raises(ssl.SSLError, match="(?i)protocol version|unsupported protocol"):
        get(srv.port, only13, sni="a.test")
    only12 = client_context(certs, versions=(ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2))
    with pytest.raises(ssl.SSLError, match="(?i)protocol version|unsupported protocol"):
        get(srv.port, only12, sni="b.test")
    lines = srv.wait_log(4, "conn.log")
    failed = [l for l in lines if l.startswith("tls_failed ")]
    assert len(failed) == 2, lines
    for l in failed:
        assert re.match(r'tls_failed "-" "[ab]\.test" "unsupported protocol" 0$', l), l
    access = srv.wait_log(2)
    assert len(access) == 2 and all(" TLSv1." in l for l in access), access


FILES = """
sendfile on;
server {
    listen 127.0.0.1:@PORT@ ssl;
    server_name localhost;
    ssl_certificate @CERTS@/localhost-ec.pem;
    ssl_certificate_key @CERTS@/localhost-ec.key;
    send_timeout 10s;
    location / { root @DIR@/html; }
    location = /r { return 200 "ret\\n"; }
}
"""


def files_server(hush, certs):
    srv = hush(tls_http(certs, FILES), start=False)
    big = os.urandom(1 << 20)
    small = os.urandom(100)
    srv.write("big.bin", big)
    srv.write("small.bin", small)
    srv.start()
    return srv, big, small


def body_of(data):
    head, _, body = data.partition(b"\r\n\r\n")
    return head, body


def test_files_intact_over_tls(hush, certs):
    srv, big, small = files_server(hush, certs)
    ctx = client_context(certs)
    for path, want in (("/big.bin", big), ("/small.bin", small)):
        _, data = get(srv.port, ctx, path)
        head, body = body_of(data)
        assert head.startswith(b"HTTP/1.1 200") and b"Content-Length: %d" % len(want) in head, head
        assert hashlib.sha256(body).digest() == hashlib.sha256(want).digest(), (len(body), len(want))
    r = curl(srv.port, "/big.bin", certs=certs)
    assert r.returncode == 0 and r.stdout == big, (r.returncode, r.stderr, len(r.stdout))
    lines = srv.wait_log(3)
    assert lines[0].endswith('"GET /big.bin HTTP/1.1" 1048576'), lines
    assert lines[1].endswith('"GET /small.bin HTTP/1.1" 100'), lines


def test_big_file_to_a_slow_reader(hush, certs):
    """The file goes out in records while the socket keeps filling: every
    would-block is resumed with the same bytes (OpenSSL's write retry)."""
    srv, big, _ = files_server(hush, certs)
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.settimeout(10)
    raw.connect(("127.0.0.1", srv.port))
    s = client_context(certs).wrap_socket(raw, server_hostname="localhost")
    s.sendall(req("/big.bin", close=False) + req("/small.bin"))
    got = b""
    while True:
        time.sleep(0.002)
        try:
            b = s.recv(2048)
        except ssl.SSLZeroReturnError:
            break
        if not b:
            break
        got += b
    s.close()
    head, rest = got.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200"), head
    assert rest[:len(big)] == big
    assert rest[len(big):].startswith(b"HTTP/1.1 200"), rest[len(big):len(big) + 100]
    lines = srv.wait_log(2)
    assert lines[0].startswith("200 ok ") and lines[0].endswith(" 1048576"), lines


def test_keepalive_and_pipelining_over_tls(hush, certs):
    srv, big, small = files_server(hush, certs)
    s = tls_connect(srv.port, client_context(certs))
    for _ in range(3):  # keep-alive, one at a time
        s.sendall(req("/r", close=False))
        assert read_response(s).endswith(b"\r\n\r\nret\n")
    # pipelined in one TLS record: a file, a return, the big file, a small one
    s.sendall(req("/small.bin", close=False) + req("/r", close=False) + req("/big.bin", close=False) +
              req("/small.bin"))
    data, how = tls_read_all(s, timeout=5)
    s.close()
    assert how == "closed"
    parts = data.split(b"HTTP/1.1 200 OK\r\n")
    assert len(parts) == 5 and parts[0] == b"", parts[:1]
    assert parts[1].endswith(small) and parts[2].endswith(b"ret\n") and parts[3].endswith(big)
    assert parts[4].endswith(small)
    lines = srv.wait_log(7)
    assert [l.split()[9] for l in lines] == [str(i) for i in range(1, 8)], lines   # $connection_requests
    assert srv.wait_log(1, "conn.log") == ['ok "-" "localhost" "-" 7']


def test_pipelined_requests_in_separate_records_of_one_segment(hush, certs):
    """Each request in its own TLS record, all in one TCP send: the server
    reads one record per SSL_read; the others are already off the socket's
    edge (EPOLLET) and must not wait for a next event that never comes."""
    srv, _, small = files_server(hush, certs)
    c = RecordClient(srv.port, client_context(certs), "localhost")
    c.send_records([req("/r", close=False), req("/small.bin", close=False), req("/r")])
    data, how = c.read_all(timeout=3)
    c.close()
    assert how == "closed" and data.count(b"HTTP/1.1 200 OK") == 3, (how, data[:300])
    # and a request split in records: head in three pieces, all in one segment
    c = RecordClient(srv.port, client_context(certs), "localhost")
    whole = req("/r")
    c.send_records([whole[:5], whole[5:20], whole[20:]])
    data, how = c.read_all(timeout=3)
    c.close()
    assert how == "closed" and data.endswith(b"\r\n\r\nret\n"), (how, data[:300])


def test_alpn(hush, certs):
    srv, _, _ = files_server(hush, certs)
    facts, data = get(srv.port, client_context(certs, alpn=["h2", "http/1.1"]), "/r")
    assert facts["alpn"] == "http/1.1" and data.endswith(b"ret\n")
    facts, data = get(srv.port, client_context(certs, alpn=["http/1.1"]), "/r")
    assert facts["alpn"] == "http/1.1"
    # only h2 offered: no ALPN in the answer (the client may go on, as with nginx without h2)
    facts, data = get(srv.port, client_context(certs, alpn=["h2"]), "/r")
    assert facts["alpn"] is None and data.endswith(b"ret\n")
    facts, data = get(srv.port, client_context(certs), "/r")
    assert facts["alpn"] is None
    rc, out = s_client(srv.port, "-servername", "localhost", "-alpn", "h2,http/1.1", "-CAfile", certs.ca)
    assert "ALPN protocol: http/1.1" in out, out
    lines = srv.wait_log(4)
    assert [l.split()[6] for l in lines] == ['"http/1.1"', '"http/1.1"', '"-"', '"-"'], lines


def test_ssl_variables_in_the_access_log(hush, certs):
    srv = hush(tls_http(certs, BOTH).replace("server {", """server {
    listen 127.0.0.1:@PORT2@;
    server_name plain;
    location / { return 200 "plain\\n"; }
}
server {""", 1))
    ctx = client_context(certs, alpn=["http/1.1"], versions=(ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2),
                         ciphers="ECDHE-ECDSA-AES256-GCM-SHA384")
    get(srv.port, ctx, "/v")
    get(srv.port, client_context(certs), "/v")
    srv.exchange(req("/p"), port=srv.port2)
    lines = srv.wait_log(3)
    assert lines[0] == ('200 ok TLSv1.2 ECDHE-ECDSA-AES256-GCM-SHA384 "localhost" . "http/1.1" "on" https 1 '
                        '"GET /v HTTP/1.1" 33'), lines
    assert re.match(r'200 ok TLSv1\.3 TLS_\w+ "localhost" \. "-" "on" https 1 "GET /v HTTP/1.1" \d+$',
                    lines[1]), lines
    assert lines[2] == '200 ok - - "-" - "-" "" http 1 "GET /p HTTP/1.1" 6', lines   # as nginx: not found


def test_redirect_to_https_names_https_and_port(hush, certs):
    srv = hush(tls_http(certs, """
server {
    listen 127.0.0.1:@PORT@ ssl;
    server_name localhost;
    ssl_certificate @CERTS@/localhost-ec.pem;
    ssl_certificate_key @CERTS@/localhost-ec.key;
    location = /old { return 301 /new; }
    location /dir/ { root @DIR@/html; }
}
"""), start=False)
    srv.write("dir/sub/index.html", "x")
    srv.start()
    _, data = get(srv.port, client_context(certs), "/old")
    assert b"\r\nLocation: https://localhost:%d/new\r\n" % srv.port in data, data
    _, data = get(srv.port, client_context(certs), "/dir/sub")
    assert b"\r\nLocation: https://localhost:%d/dir/sub/\r\n" % srv.port in data, data


DROPS = """
server {
    listen 127.0.0.1:@PORT@ ssl;
    server_name localhost;
    ssl_certificate @CERTS@/localhost-ec.pem;
    ssl_certificate_key @CERTS@/localhost-ec.key;
    location = /r { return 200 "ret\\n"; }
    location = /drop { return 444; }
    location = /reset { drop_mode reset; return 444; }
    location = /tarpit { drop_mode tarpit=300ms; return 444; }
}
"""


def test_close_notify_after_a_response_and_nothing_after_a_drop(hush, certs):
    """A connection that ends in order ends with close_notify (a client that
    reads to the end can tell the end from a truncation); a `return 444`
    sends nothing at all, not even close_notify, in each drop mode."""
    srv = hush(tls_http(certs, DROPS))
    ctx = client_context(certs)
    c = RecordClient(srv.port, ctx)
    c.send_records([req("/r")])
    data, how = c.read_all()
    c.close()
    assert how == "closed" and data.endswith(b"\r\n\r\nret\n"), (how, data)
    for path, want in (("/drop", "eof"), ("/reset", "reset"), ("/tarpit", "reset")):
        c = RecordClient(srv.port, ctx)
        t0 = time.time()
        c.send_records([req(path)])
        data, how = c.read_all()
        c.close()
        assert (data, how) == (b"", want), path
        if path == "/tarpit":
            assert time.time() - t0 >= 0.25
    lines = srv.wait_log(4)
    assert [l.split()[:2] for l in lines] == [["200", "ok"]] + [["444", "drop"]] * 3, lines


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def sanitized():
    """Whether the binary under test is built with AddressSanitizer (its
    quarantine keeps freed memory: RSS says nothing about leaks there)."""
    from conftest import HUSH_BIN
    with open(HUSH_BIN, "rb") as f:
        return b"__asan_init" in f.read()


@pytest.mark.skipif(sanitized(), reason="ASan's quarantine holds freed memory")
def test_tarpitted_tls_connections_free_their_tls_state(hush, certs):
    """A dropped connection's socket goes to the tarpit without its
    connection object: its TLS state (the SSL object, ~16 kB) must go with
    the object, after a request (return 444) and at the ClientHello
    (ssl_hello_drop). A leak shows as worker memory growing per drop (the
    workers _exit, so LeakSanitizer never sees them)."""
    srv = hush(tls_http(certs, DROPS.replace("location = /r ", """ssl_hello_drop $bad;
    location = /r """)).replace("server {", """map $ssl_server_name $bad { default 0; tarpit.test 1; }
server {""", 1).replace("return 444; }\n}", "return 444; }\n    drop_mode tarpit=10ms;\n}"),
               events="worker_connections 2048;")
    worker = srv.workers()[0]
    ctx = client_context(verify=False)
    hello = client_hello(sni="tarpit.test")

    def burst(n):
        for _ in range(n):
            s = tls_connect(srv.port, ctx)
            s.sendall(req("/tarpit"))
            s.close()
            raw = socket.create_connection(("127.0.0.1", srv.port))
            raw.sendall(hello)
            raw.close()

    burst(100)
    time.sleep(0.3)
    before = rss_kb(worker)
    burst(400)
    time.sleep(0.3)
    grown = rss_kb(worker) - before
    assert grown < 2000, "the worker grew by %d kB over 800 tarpitted TLS connections" % grown
    assert len(srv.wait_log(500)) == 500          # the request drops; the hello drops have no request


def test_end_of_stream_in_the_same_segment_as_the_last_bytes(hush, certs):
    """Bytes, close_notify and FIN in one segment: recv returns the bytes and
    keeps the end for its next call; the end's edge is used up, so the
    connection must not wait for one (client_header_timeout is 10 s)."""
    srv = hush(tls_http(certs, FILES.replace("send_timeout 10s;", "send_timeout 10s; client_header_timeout 10s;")))
    ctx = client_context(certs)
    cases = [
        ([b"GET /r HTTP/1.1\r\nHost: loc"], True, True),        # a partial head, then the end
        ([b"\r\n"], True, True),                               # an empty line (s_client's), then the end
        ([req("/r", close=False)], True, True),                # a whole request, then the end
        ([req("/r", close=False)], False, True),               # the same without close_notify
    ]
    for i, (pieces, notify, fin) in enumerate(cases):
        c = RecordClient(srv.port, ctx)
        t0 = time.time()
        c.send_records(pieces, close_notify=notify, fin=fin)
        data, how = c.read_all(timeout=5)
        c.close()
        assert how in ("closed", "eof", "reset", "tls-error") and time.time() - t0 < 2, (pieces, how)
        assert len(srv.wait_log(i + 1, "conn.log", timeout=1.5)) == i + 1, pieces  # ended now, not at the timeout
    ends = [l.split()[0] for l in srv.log_lines("conn.log")]
    assert ends[:2] == ["bad_request", "bad_request"], ends     # a head begun, then the end: 400 (as plain HTTP)


def test_proxied_responses_to_a_tls_client(hush, certs, backend):
    """The proxy's relay writes through the TLS transport: a 4 MiB body to a
    slow reader (write retries with a buffer that moves and grows), a
    chunked one, and one that ends when the upstream closes (re-chunked);
    each connection ends with close_notify."""
    b = backend()
    srv = hush(tls_http(certs, """
upstream be { server 127.0.0.1:%d; }
server {
    listen 127.0.0.1:@PORT@ ssl;
    server_name localhost;
    ssl_certificate @CERTS@/localhost-ec.pem;
    ssl_certificate_key @CERTS@/localhost-ec.key;
    location / { proxy_pass http://be; }
}
""" % b.port))
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.settimeout(10)
    raw.connect(("127.0.0.1", srv.port))
    s = client_context(certs).wrap_socket(raw, server_hostname="localhost")
    s.sendall(req("/big?mb=4"))
    got = b""
    while True:
        if len(got) < 1 << 20:
            time.sleep(0.001)
        try:
            chunk = s.recv(65536)
        except ssl.SSLZeroReturnError:
            break
        if not chunk:
            break
        got += chunk
    s.close()
    head, body = got.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200") and body == b"x" * (4 << 20), (head, len(body))
    c = RecordClient(srv.port, client_context(certs))
    c.send_records([req("/c?chunked=1")])
    data, how = c.read_all()
    c.close()
    assert how == "closed" and b"Transfer-Encoding: chunked" in data and data.endswith(b"0\r\n\r\n"), (how, data)
    c = RecordClient(srv.port, client_context(certs))
    c.send_records([req("/u?until_close=1")])
    data, how = c.read_all()
    c.close()
    assert how == "closed" and b"\r\nbody until close\n\r\n0\r\n\r\n" in data, (how, data)  # re-chunked
    r = curl(srv.port, "/u?until_close=1", certs=certs)
    assert r.returncode == 0 and r.stdout == b"body until close\n", r
    lines = srv.wait_log(4)
    assert all(l.startswith("200 ok ") for l in lines), lines
