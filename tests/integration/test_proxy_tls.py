"""The proxy to TLS upstreams (proxy_pass https://), against a real TLS backend
process on loopback: Python's ssl module serving HTTP/1.1, run from this file
(`python3 test_proxy_tls.py backend ...`), with a test CA and certificates
made at run time by the `openssl` command-line tool.

The backend appends every handshake (the SNI it saw, whether the session was
resumed, the client certificate's subject), request and close to a JSONL
file, so the tests see what the upstream saw. Covered: verification off, on
with the right CA, on with a wrong CA (502 and nginx's log line), a name
that does not match; SNI only with proxy_ssl_server_name on; proxy_ssl_name
(literal and with variables, port stripped); keep-alive pooling over TLS and
session resumption after a reconnect (and none with proxy_ssl_session_reuse
off); a pooled connection the upstream closed; retries over TLS; the
handshake under proxy_connect_timeout; a client certificate; 1 MiB both
ways; 499 when the client leaves; `hush -t` errors with file and line."""
import hashlib
import json
import os
import select
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from urllib.parse import parse_qs, urlsplit

if __name__ != "__main__":
    import pytest
    from conftest import Backend, free_port, req, run_hush  # noqa: E402


# ---------------------------------------------------------------- the backend

def note(path, **kw):
    kw["t"] = time.time()
    with open(path, "a") as f:
        f.write(json.dumps(kw) + "\n")


class Closed(Exception):
    pass


def recv_more(c, buf):
    b = c.recv(65536)
    if not b:
        raise Closed()
    return buf + b


def read_request(c, buf):
    while b"\r\n\r\n" not in buf:
        buf = recv_more(c, buf)
    head, buf = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    method, target, version = lines[0].split(" ")
    hdrs = {}
    for line in lines[1:]:
        k, v = line.split(":", 1)
        hdrs[k.strip().lower()] = v.strip()
    n = int(hdrs.get("content-length", "0"))
    while len(buf) < n:
        buf = recv_more(c, buf)
    return method, target, version, hdrs, buf[:n], buf[n:]


def noticed_close(c, ms):
    """Waits ms, watching for the proxy closing the connection."""
    r, _, _ = select.select([c], [], [], ms / 1000.0)
    if not r:
        return False
    try:
        return c.recv(1) == b""
    except (OSError, ssl.SSLError):
        return True


def respond(c, q, method, hdrs, body):
    """Answers one request; False when the connection ends after it."""
    seen = ("X-Seen-Body-Length: %d\r\nX-Seen-Body-Sha: %s\r\nX-Seen-Host: %s\r\n" % (
        len(body), hashlib.sha256(body).hexdigest(), hdrs.get("host", "-"))).encode()
    if "mb" in q:
        total = int(q["mb"]) * 1024 * 1024
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n" % (total, seen))
        block = bytes(range(256)) * 256
        for i in range(0, total, len(block)):
            c.sendall(block[:min(len(block), total - i)])
        return True
    close = "close" in q or hdrs.get("connection", "").lower() == "close"
    payload = b"hello over tls\n"
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nContent-Type: text/plain\r\n%s%s\r\n%s" % (
        len(payload), seen, b"Connection: close\r\n" if close else b"", b"" if method == "HEAD" else payload))
    return not close


def serve_connection(ctx, raw, addr, events):
    conn = "%s:%d" % addr
    try:
        c = ctx.wrap_socket(raw, server_side=True)
    except (OSError, ssl.SSLError) as e:
        note(events, ev="handshake_failed", conn=conn, err=str(e))
        raw.close()
        return
    peer = c.getpeercert()
    cn = dict(x[0] for x in peer["subject"])["commonName"] if peer else None
    note(events, ev="handshake", conn=conn, sni=getattr(c, "sni", None), reused=c.session_reused,
         version=c.version(), client_cn=cn)
    buf = b""
    try:
        while True:
            method, target, version, hdrs, body, buf = read_request(c, buf)
            q = {k: v[0] for k, v in parse_qs(urlsplit(target).query).items()}
            note(events, ev="request", conn=conn, method=method, target=target, version=version,
                 headers=hdrs, body_length=len(body))
            if "ms" in q and noticed_close(c, int(q["ms"])):
                note(events, ev="closed_while_working", conn=conn)
                return
            if not respond(c, q, method, hdrs, body):
                break
            if "idle_close" in q:
                time.sleep(0.1)  # then close the kept-alive connection while it is idle
                break
    except Closed:
        note(events, ev="client_closed", conn=conn)
    except (OSError, ssl.SSLError) as e:
        note(events, ev="error", conn=conn, err=str(e))
    finally:
        note(events, ev="closed", conn=conn)
        c.close()


def backend_main(port, events, cert, key, client_ca):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    if client_ca != "-":
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(client_ca)

    def sni(sock, name, _ctx):
        sock.sni = name
    ctx.sni_callback = sni
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(128)
    note(events, ev="listening")
    while True:
        raw, addr = s.accept()
        threading.Thread(target=serve_connection, args=(ctx, raw, addr, events), daemon=True).start()


if __name__ == "__main__":
    if sys.argv[1] == "backend":
        backend_main(int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6])
    sys.exit(0)


# ---------------------------------------------------------------- certificates

def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, capture_output=True, timeout=30)


def make_ca(d, name):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", name + ".key", "-out", name + ".pem", "-days", "2", "-subj", "/CN=%s" % name,
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign",
            cwd=d)


def make_leaf(d, name, ca, cn, ext):
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", name + ".key",
            "-out", name + ".csr", "-subj", "/CN=%s" % cn, cwd=d)
    with open(os.path.join(d, name + ".ext"), "w") as f:
        f.write(ext)
    openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key", "-CAcreateserial",
            "-out", name + ".pem", "-days", "2", "-extfile", name + ".ext", cwd=d)


class Pki:
    def __init__(self, d):
        self.dir = d

    def __getattr__(self, name):  # pki.ca -> .../ca.pem, pki.backend_key -> .../backend.key
        if name.endswith("_key"):
            return os.path.join(self.dir, name[:-4] + ".key")
        return os.path.join(self.dir, name + ".pem")


@pytest.fixture(scope="module")
def pki():
    d = tempfile.mkdtemp(prefix="hush-pki-")
    make_ca(d, "ca")
    make_ca(d, "otherca")
    make_leaf(d, "backend", "ca", "backend.test",
              "subjectAltName=DNS:backend.test,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    make_leaf(d, "client", "ca", "hush-proxy", "extendedKeyUsage=clientAuth\n")
    openssl("pkey", "-in", "client.key", "-aes128", "-passout", "pass:secret", "-out", "client-enc.key", cwd=d)
    yield Pki(d)
    shutil.rmtree(d, ignore_errors=True)


class TlsBackend(Backend):
    """backend.py's harness (events, stop) around the TLS backend above."""

    def __init__(self, pki, client_ca="-"):
        self.name = "tls"
        self.port = free_port()
        fd, self.events_path = tempfile.mkstemp(prefix="hush-tlsbe-", suffix=".jsonl")
        os.close(fd)
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "backend", str(self.port),
                                      self.events_path, pki.backend, pki.backend_key, client_ca])
        deadline = time.time() + 5
        while time.time() < deadline:
            if self.events("listening"):
                return
            time.sleep(0.02)
        raise RuntimeError("TLS backend did not start")


@pytest.fixture
def tls_backend(pki):
    made = []

    def make(**kw):
        b = TlsBackend(pki, **kw)
        made.append(b)
        return b

    yield make
    for b in made:
        b.stop()


# ---------------------------------------------------------------- hush

LOG = ("log_format up '$status $close_reason \"$request\" us=$upstream_status ua=$upstream_addr "
       "uct=$upstream_connect_time';\naccess_log logs/access.log up;\n")


def conf(upstream="", location="", server=""):
    return LOG + upstream + """
server {
    listen 127.0.0.1:@PORT@;
    %s
    location / { %s }
}
""" % (server, location)


def upstream(b, keepalive=0, name="backend.test"):
    return "upstream %s { server 127.0.0.1:%d; %s }\n" % (name, b.port, "keepalive %d;" % keepalive if keepalive else "")


def get(srv, path="/", **kw):
    r = srv.get(path, timeout=kw.pop("timeout", 5.0), **kw)
    return r


# ---------------------------------------------------------------- verification

def test_https_without_verification(hush, tls_backend):
    b = tls_backend()
    srv = hush(conf(location="proxy_pass https://127.0.0.1:%d;" % b.port))
    r = get(srv, "/x?y=1")
    assert r.status == 200 and r.body == b"hello over tls\n"
    hs = b.events("handshake")
    assert len(hs) == 1 and hs[0]["version"] in ("TLSv1.2", "TLSv1.3")
    assert hs[0]["sni"] is None                       # proxy_ssl_server_name off by default
    assert b.events("request")[0]["target"] == "/x?y=1"
    assert b.events("request")[0]["headers"]["host"] == "127.0.0.1:%d" % b.port
    line = srv.wait_log(1)[0]
    assert line.startswith('200 ok "GET /x?y=1 HTTP/1.1" us=200 ua=127.0.0.1:%d uct=' % b.port)


def test_verify_with_the_right_ca(hush, tls_backend, pki):
    b = tls_backend()
    srv = hush(conf(upstream(b), "proxy_pass https://backend.test; proxy_ssl_verify on; "
                                 "proxy_ssl_trusted_certificate %s;" % pki.ca))
    r = get(srv)
    assert r.status == 200 and r.body == b"hello over tls\n"
    assert "SSL" not in srv.error_log()


def test_verify_with_a_wrong_ca_is_502(hush, tls_backend, pki):
    b = tls_backend()
    srv = hush(conf(upstream(b), "proxy_pass https://backend.test; proxy_ssl_verify on; "
                                 "proxy_ssl_trusted_certificate %s;" % pki.otherca))
    r = get(srv)
    assert r.status == 502
    assert srv.wait_error_log(r"\[error\] .*\*\d+ upstream SSL certificate verify error: "
                              r"\(20:unable to get local issuer certificate\) while SSL handshaking to upstream, "
                              r"client: 127\.0\.0\.1, server: \S*, request: \"GET [^\"]*\", "
                              r"upstream: \"https://127\.0\.0\.1:%d/" % b.port)
    assert srv.wait_log(1)[0].startswith('502 ')
    assert not b.events("request")


def test_verify_checks_the_name(hush, tls_backend, pki):
    b = tls_backend()
    ca = "proxy_ssl_verify on; proxy_ssl_trusted_certificate %s;" % pki.ca
    srv = hush(conf(server="location /wrong { proxy_pass https://127.0.0.1:%d; proxy_ssl_name wrong.test; %s }\n"
                           "location /ip { proxy_pass https://127.0.0.1:%d; %s }\n" % (b.port, ca, b.port, ca),
                    location="proxy_pass https://127.0.0.1:%d; proxy_ssl_name backend.test:443; %s" % (b.port, ca)))
    assert get(srv, "/").status == 200        # the name, without its port, is in the certificate
    assert get(srv, "/ip").status == 200      # 127.0.0.1 is an IP address of the certificate
    assert get(srv, "/wrong").status == 502
    assert srv.wait_error_log(r'upstream SSL certificate does not match "wrong\.test" while SSL handshaking to upstream')


def test_https_default_port_is_443(hush):
    # implicit upstreams of the two schemes to one host are two upstreams: ports 80 and 443
    srv = hush(conf(server="location /s { proxy_pass https://127.0.0.1; }\n"
                           "location /p { proxy_pass http://127.0.0.1; }\n",
                    location="return 404;"))
    srv.get("/s", timeout=5.0)
    srv.get("/p", timeout=5.0)
    lines = srv.wait_log(2)
    assert " ua=127.0.0.1:443 " in lines[0] and " ua=127.0.0.1:80 " in lines[1], lines


# ---------------------------------------------------------------- names

def test_sni_only_with_proxy_ssl_server_name_on(hush, tls_backend):
    b = tls_backend()
    srv = hush(conf(upstream(b), server="""
    location /off { proxy_pass https://backend.test; }
    location /on { proxy_pass https://backend.test; proxy_ssl_server_name on; }
    location /ip { proxy_pass https://127.0.0.1:%d; proxy_ssl_server_name on; }
    location /named { proxy_pass https://127.0.0.1:%d; proxy_ssl_server_name on; proxy_ssl_name sni.example; }
    """ % (b.port, b.port)))
    for path in ("/off", "/on", "/ip", "/named"):
        assert get(srv, path).status == 200, path
    sni = [e["sni"] for e in b.events("handshake")]
    # off: none; on: $proxy_host; an address is never sent (RFC 6066); proxy_ssl_name
    assert sni == [None, "backend.test", None, "sni.example"]


def test_proxy_ssl_name_with_variables_and_inheritance(hush, tls_backend):
    b = tls_backend()
    srv = hush(conf(upstream(b, keepalive=4),
                    server="proxy_ssl_server_name on; proxy_ssl_name $http_host;",
                    location="proxy_pass https://backend.test; proxy_http_version 1.1;"))
    for host in ("a.test:8080", "b.test", "a.test:8080"):
        assert get(srv, "/", host=host).status == 200
    hs = b.events("handshake")
    # the name of each request, without the port; a pooled connection serves only its own name
    assert [e["sni"] for e in hs] == ["a.test", "b.test"]
    reqs = b.events("request")
    assert reqs[0]["conn"] == reqs[2]["conn"] != reqs[1]["conn"]


# ---------------------------------------------------------------- keep-alive and sessions

def test_keepalive_pools_tls_connections(hush, tls_backend):
    b = tls_backend()
    srv = hush(conf(upstream(b, keepalive=4), "proxy_pass https://backend.test; proxy_http_version 1.1;"))
    for i in range(6):
        r = get(srv, "/k%d" % i)
        assert r.status == 200 and r.body == b"hello over tls\n"
    assert len(b.events("handshake")) == 1
    assert len({e["conn"] for e in b.events("request")}) == 1
    lines = srv.wait_log(6)
    assert all(" us=200 " in l for l in lines)
    assert all(l.endswith("uct=0.000") for l in lines[1:])   # reused: no connect


def test_session_resumed_after_a_reconnect(hush, tls_backend):
    b = tls_backend()
    srv = hush(conf(upstream(b, keepalive=4), "proxy_pass https://backend.test; proxy_http_version 1.1;"))
    assert get(srv, "/first?close=1").status == 200    # the backend closes after answering
    assert get(srv, "/second").status == 200
    assert get(srv, "/third").status == 200
    hs = b.events("handshake")
    assert [e["reused"] for e in hs] == [False, True]
    reqs = b.events("request")
    assert reqs[1]["conn"] == reqs[2]["conn"] != reqs[0]["conn"]


def test_no_session_reuse_when_off(hush, tls_backend):
    b = tls_backend()
    srv = hush(conf(location="proxy_pass https://127.0.0.1:%d; proxy_ssl_session_reuse off;" % b.port))
    for _ in range(3):
        assert get(srv).status == 200
    assert [e["reused"] for e in b.events("handshake")] == [False, False, False]


def test_session_reuse_without_keepalive(hush, tls_backend):
    b = tls_backend()
    srv = hush(conf(location="proxy_pass https://127.0.0.1:%d;" % b.port))
    for _ in range(3):
        assert get(srv).status == 200
    assert [e["reused"] for e in b.events("handshake")] == [False, True, True]


def test_pooled_connection_closed_by_upstream_is_dropped(hush, tls_backend):
    b = tls_backend()
    srv = hush(conf(upstream(b, keepalive=4), "proxy_pass https://backend.test; proxy_http_version 1.1;"))
    assert get(srv, "/a?idle_close=1").status == 200  # the backend closes the idle connection 100 ms later
    time.sleep(0.4)
    assert get(srv, "/b").status == 200
    reqs = b.events("request")
    assert len(reqs) == 2 and reqs[0]["conn"] != reqs[1]["conn"]
    assert "[error]" not in srv.error_log()
    assert [l.split()[0] for l in srv.wait_log(2)] == ["200", "200"]


# ---------------------------------------------------------------- failures and retries

def plain_http_server():
    """A server that answers anything, a ClientHello too, with a plain HTTP 400."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)

    def run():
        while True:
            try:
                c, _ = s.accept()
            except OSError:
                return
            c.recv(4096)
            c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            c.close()
    threading.Thread(target=run, daemon=True).start()
    return s


def test_retry_over_tls_after_a_failed_handshake(hush, tls_backend):
    plain = plain_http_server()    # speaks HTTP, not TLS: the handshake fails
    port = plain.getsockname()[1]
    b = tls_backend()
    try:
        srv = hush(conf("upstream pair { server 127.0.0.1:%d; server 127.0.0.1:%d; }\n" % (port, b.port),
                        "proxy_pass https://pair;"))
        r = get(srv)
    finally:
        plain.close()
    assert r.status == 200 and r.body == b"hello over tls\n"
    line = srv.wait_log(1)[0]
    assert " us=502, 200 ua=127.0.0.1:%d, 127.0.0.1:%d " % (port, b.port) in line
    assert srv.wait_error_log(r"SSL_do_handshake\(\) failed \(SSL: .*\) while SSL handshaking to upstream")


def test_handshake_is_under_proxy_connect_timeout(hush):
    # a server that accepts the connection (the kernel does) and never answers the ClientHello
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    try:
        srv = hush(conf(location="proxy_pass https://127.0.0.1:%d; proxy_connect_timeout 300ms;"
                        % s.getsockname()[1]))
        t0 = time.time()
        r = get(srv)
        assert r.status == 504
        assert 0.25 < time.time() - t0 < 2.0
        assert srv.wait_error_log(r"upstream timed out \(110: Connection timed out\) while SSL handshaking to upstream, client: ")
    finally:
        s.close()


def test_client_certificate(hush, tls_backend, pki):
    b = tls_backend(client_ca=pki.ca)
    srv = hush(conf(server="""
    location /without { proxy_pass https://127.0.0.1:%d; }
    location /with { proxy_pass https://127.0.0.1:%d;
                     proxy_ssl_certificate %s; proxy_ssl_certificate_key %s; }
    """ % (b.port, b.port, pki.client, pki.client_key)))
    assert get(srv, "/without").status == 502
    assert get(srv, "/with").status == 200
    hs = b.events("handshake")
    assert [e["client_cn"] for e in hs] == ["hush-proxy"]
    assert b.events("request")[0]["target"] == "/with"


# ---------------------------------------------------------------- bodies and the client

def test_one_mib_both_ways(hush, tls_backend):
    b = tls_backend()
    srv = hush(conf(upstream(b, keepalive=2), "proxy_pass https://backend.test; proxy_http_version 1.1; "
                                              "client_max_body_size 4m;"))
    body = os.urandom(1024 * 1024)
    r = get(srv, "/up", method="POST", headers=["Content-Length: %d" % len(body)], body=body, timeout=10)
    assert r.status == 200
    assert r.header("X-Seen-Body-Length") == str(len(body))
    assert r.header("X-Seen-Body-Sha") == hashlib.sha256(body).hexdigest()
    r = get(srv, "/down?mb=1", timeout=10)
    assert r.status == 200 and len(r.body) == 1024 * 1024
    assert r.body == (bytes(range(256)) * 256) * 16
    assert len(b.events("handshake")) == 1


def test_client_leaving_is_499_and_releases_the_upstream(hush, tls_backend):
    b = tls_backend()
    srv = hush(conf(location="proxy_pass https://127.0.0.1:%d;" % b.port))
    s = srv.connect()
    s.sendall(req("/slow?ms=2000", close=False))
    time.sleep(0.3)
    t_close = time.time()
    s.close()
    deadline = time.time() + 2
    while time.time() < deadline and not b.events("closed_while_working"):
        time.sleep(0.01)
    ev = b.events("closed_while_working")
    assert ev and (ev[0]["t"] - t_close) * 1000 < 100
    assert srv.wait_log(1)[0].startswith('499 client_abort "GET /slow?ms=2000 HTTP/1.1" us=- ')


# ---------------------------------------------------------------- configuration

def check(d, http):
    path = os.path.join(d, "t.conf")
    with open(path, "w") as f:
        f.write("pid %s/logs/hush.pid;\nerror_log %s/logs/error.log;\nevents { }\nhttp {\n%s}\n" % (d, d, http))
    r = run_hush(["-t", "-p", d, "-c", path])
    return r.returncode, r.stdout + r.stderr, path


def test_hush_t_errors(tmpconf, pki):
    loc = "server {\n listen 127.0.0.1:1;\n location / {\n  proxy_pass https://127.0.0.1:2;\n  %s\n }\n}\n"
    rc, out, path = check(tmpconf, loc % "proxy_ssl_verify on;\n  proxy_ssl_trusted_certificate /nonexistent/ca.pem;")
    assert rc == 1 and "%s:10: " % path in out
    assert 'SSL_CTX_load_verify_locations("/nonexistent/ca.pem") failed (SSL: ' in out
    rc, out, path = check(tmpconf, loc % "proxy_ssl_verify on;")
    assert rc == 1 and "%s:8: no proxy_ssl_trusted_certificate for proxy_ssl_verify" % path in out
    rc, out, path = check(tmpconf, loc % "proxy_ssl_certificate %s;" % pki.client)
    assert rc == 1 and '%s:9: no "proxy_ssl_certificate_key" is defined for certificate' % path in out
    rc, out, path = check(tmpconf, loc % "proxy_ssl_certificate %s;\n  proxy_ssl_certificate_key /nonexistent/k;"
                          % pki.client)
    assert rc == 1 and '%s:10: cannot load certificate key "/nonexistent/k" (SSL: ' % path in out
    # an encrypted key is an error, not a password prompt
    rc, out, path = check(tmpconf, loc % "proxy_ssl_certificate %s;\n  proxy_ssl_certificate_key %s;"
                          % (pki.client, os.path.join(pki.dir, "client-enc.key")))
    assert rc == 1 and '%s:10: cannot load certificate key "' % path in out
    rc, out, path = check(tmpconf, loc % "proxy_ssl_protocols SSLv3;")
    assert rc == 1 and "SSL is not supported" in out
    # inherited from the server; a missing file there is its line's error
    rc, out, path = check(tmpconf, "proxy_ssl_trusted_certificate /nonexistent/x.pem;\nproxy_ssl_verify on;\n" +
                          loc % "")
    assert rc == 1 and "%s:5: " % path in out
    # verification off: the trusted file is not read (nginx's way); plain http ignores proxy_ssl_*
    rc, out, _ = check(tmpconf, loc % "proxy_ssl_trusted_certificate /nonexistent/ca.pem;")
    assert rc == 0, out
    rc, out, _ = check(tmpconf, "proxy_ssl_verify on;\n" + loc.replace("https", "http") % "")
    assert rc == 0, out
    rc, out, _ = check(tmpconf, loc % ("proxy_ssl_verify on; proxy_ssl_trusted_certificate %s; "
                                       "proxy_ssl_name $host; proxy_ssl_server_name on; proxy_ssl_verify_depth 2; "
                                       "proxy_ssl_protocols TLSv1.3; proxy_ssl_ciphers HIGH; "
                                       "proxy_ssl_session_reuse off;" % pki.ca))
    assert rc == 0, out


def test_https_with_variables_verifies_the_urls_host(hush, tls_backend, pki):
    b = tls_backend()
    srv = hush(conf(upstream(b), "proxy_pass https://$arg_g; proxy_ssl_verify on; proxy_ssl_server_name on; "
                                 "proxy_ssl_trusted_certificate %s;" % pki.ca))
    r = get(srv, "/v?g=backend.test")
    assert r.status == 200 and r.body == b"hello over tls\n"
    assert b.events("handshake")[0]["sni"] == "backend.test"
    # an address from the variable: no SNI for it, the certificate checked against it
    r = get(srv, "/v?g=127.0.0.1:%d" % b.port)
    assert r.status == 200
    assert b.events("handshake")[-1]["sni"] is None
