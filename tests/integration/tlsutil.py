"""Helpers for the TLS integration tests (test_tls*.py).

A test CA and its certificates are made at run time with the `openssl`
command-line tool, once per test session, into a temporary directory:

    certs = tls_certs()          # a session fixture in the test files
    certs.path("a.test-ec")      # .../a.test-ec.pem and .key: ECDSA P-256, CN and SAN a.test
    certs.path("a.test-rsa")     # RSA 2048
    certs.ca                     # the CA certificate (PEM) the clients trust

Names: localhost, a.test, b.test, each as -ec and -rsa; "client" (a client
certificate for mTLS, ECDSA); "localhost-ec.enc.key" (the localhost ECDSA
key encrypted with the password "secret"; passwords.txt holds a wrong
password, then the right one); "localhost-ec.ocsp.der" (a "good" OCSP
response for localhost-ec, signed by the CA); "other-ca.pem" / "other-ec"
(a second CA and a localhost certificate from it, for a certificate a
client does not trust and a key that matches nothing here).

Clients: Python's ssl module (tls_client / tls_get), `openssl s_client`
(s_client) and curl (curl).
"""
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time

import pytest

NAMES = ("localhost", "a.test", "b.test")


def openssl(*args, cwd=None, input=None, timeout=30):
    r = subprocess.run(["openssl"] + list(args), cwd=cwd, input=input, capture_output=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError("openssl %s failed: %s" % (" ".join(args), r.stderr.decode("latin-1")))
    return r


class Certs:
    def __init__(self, d):
        self.dir = d
        self.ca = os.path.join(d, "ca.pem")
        self.ca_key = os.path.join(d, "ca.key")

    def path(self, name):
        """The path prefix of a pair: add .pem (certificate) or .key."""
        return os.path.join(self.dir, name)

    def cert(self, name):
        return self.path(name) + ".pem"

    def key(self, name):
        return self.path(name) + ".key"

    def pair(self, name):
        """The two directives for a server, as nginx writes them."""
        return "ssl_certificate %s; ssl_certificate_key %s;" % (self.cert(name), self.key(name))

    def fingerprint(self, name):
        """SHA-256 of the DER certificate (what a client sees)."""
        der = openssl("x509", "-in", self.cert(name), "-outform", "DER").stdout
        import hashlib
        return hashlib.sha256(der).hexdigest()

    # ---- making them ----
    def _key(self, out, kind):
        if kind == "ec":
            openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", out)
        else:
            openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", out)

    def make_ca(self, name="ca", cn="hush test CA"):
        key, pem = self.key(name), self.cert(name)
        self._key(key, "ec")
        openssl("req", "-x509", "-new", "-key", key, "-out", pem, "-days", "30", "-subj", "/CN=" + cn,
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")

    def make_leaf(self, name, cn, kind, ca="ca", client=False, serial=None):
        key, pem, csr = self.key(name), self.cert(name), self.path(name) + ".csr"
        self._key(key, kind)
        openssl("req", "-new", "-key", key, "-out", csr, "-subj", "/CN=" + cn)
        ext = self.path(name) + ".ext"
        with open(ext, "w") as f:
            f.write("basicConstraints=CA:FALSE\n")
            if client:
                f.write("extendedKeyUsage=clientAuth\n")
            else:
                f.write("subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n" % cn)
        openssl("x509", "-req", "-in", csr, "-CA", self.cert(ca), "-CAkey", self.key(ca), "-out", pem,
                "-days", "30", "-extfile", ext, "-set_serial", str(serial or int.from_bytes(os.urandom(8), "big")))

    def make_ocsp(self, name):
        """A "good" OCSP response for `name`, signed by the CA (as its own responder)."""
        serial = openssl("x509", "-in", self.cert(name), "-noout", "-serial").stdout.decode().strip().split("=")[1]
        subject = openssl("x509", "-in", self.cert(name), "-noout", "-subject", "-nameopt", "compat"
                          ).stdout.decode().strip().split("=", 1)[1].strip()
        index = os.path.join(self.dir, "index.txt")
        with open(index, "w") as f:
            f.write("V\t%s\t\t%s\tunknown\t%s\n" % ("351231235959Z", serial, subject))
        reqf = self.path(name) + ".ocsp.req"
        openssl("ocsp", "-issuer", self.ca, "-cert", self.cert(name), "-reqout", reqf, "-no_nonce")
        openssl("ocsp", "-index", index, "-rsigner", self.ca, "-rkey", self.ca_key, "-CA", self.ca,
                "-reqin", reqf, "-respout", self.path(name) + ".ocsp.der", "-ndays", "7")


def make_certs(d):
    c = Certs(d)
    c.make_ca()
    for i, n in enumerate(NAMES):
        c.make_leaf(n + "-ec", n, "ec", serial=0x1000 + i)
        c.make_leaf(n + "-rsa", n, "rsa", serial=0x2000 + i)
    c.make_leaf("client", "hush test client", "ec", client=True, serial=0x3000)
    openssl("pkey", "-in", c.key("localhost-ec"), "-out", c.path("localhost-ec.enc") + ".key",
            "-aes256", "-passout", "pass:secret")
    with open(os.path.join(d, "passwords.txt"), "w") as f:
        f.write("wrong\nsecret\n")
    c.make_ocsp("localhost-ec")
    c.make_ca("other-ca", "another CA")
    c.make_leaf("other-ec", "localhost", "ec", ca="other-ca", serial=0x4000)
    return c


@pytest.fixture(scope="session")
def certs():
    d = tempfile.mkdtemp(prefix="hush-tls-certs-")
    try:
        yield make_certs(d)
    finally:
        if os.environ.get("HUSH_KEEP_TMP") != "1":
            shutil.rmtree(d, ignore_errors=True)


# ---- clients ----

def client_context(certs=None, alpn=None, versions=None, ciphers=None, verify=True, cert=None):
    """A client SSLContext: trusts the test CA (verify=True), offers `alpn`
    (a list), limits versions to `versions` ((min, max) of ssl.TLSVersion)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if verify and certs is not None:
        ctx.load_verify_locations(certs.ca)
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if alpn:
        ctx.set_alpn_protocols(alpn)
    if versions:
        ctx.minimum_version, ctx.maximum_version = versions
    if ciphers:
        ctx.set_ciphers(ciphers)
    if cert:
        ctx.load_cert_chain(certs.cert(cert), certs.key(cert))
    return ctx


def tls_connect(port, ctx, sni="localhost", session=None, timeout=5.0):
    """A TLS connection to 127.0.0.1:port, with `sni` as the server name
    (None: no SNI; then hostname checks are off)."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    if sni is None:
        ctx.check_hostname = False
    try:
        return ctx.wrap_socket(raw, server_hostname=sni, session=session)
    except BaseException:
        raw.close()
        raise


def tls_read_all(s, timeout=3.0, limit=None):
    """Read a TLS socket until EOF (close_notify or FIN), RST or timeout."""
    s.settimeout(timeout)
    out = []
    total = 0
    how = "timeout"
    while True:
        try:
            b = s.recv(1 << 16)
        except socket.timeout:
            how = "timeout"
            break
        except (ConnectionResetError, ssl.SSLEOFError):
            how = "reset"
            break
        except ssl.SSLZeroReturnError:
            how = "closed"
            break
        if not b:
            how = "closed"
            break
        out.append(b)
        total += len(b)
        if limit is not None and total >= limit:
            how = "limit"
            break
    return b"".join(out), how


def read_response(s, timeout=3.0):
    """Read exactly one Content-Length-framed response from a TLS socket
    (keep-alive): returns the raw bytes."""
    s.settimeout(timeout)
    buf = b""
    while b"\r\n\r\n" not in buf:
        b = s.recv(65536)
        if not b:
            raise AssertionError("closed before a response head: %r" % buf)
        buf += b
    head, rest = buf.split(b"\r\n\r\n", 1)
    m = re.search(rb"\r\ncontent-length: *(\d+)", head, re.I)
    n = int(m.group(1)) if m else 0
    while len(rest) < n:
        b = s.recv(65536)
        if not b:
            raise AssertionError("closed in a body")
        rest += b
    return head + b"\r\n\r\n" + rest


def s_client(port, *args, input=b"", timeout=10):
    """Runs `openssl s_client -connect 127.0.0.1:port ARGS`, feeding `input`
    (then EOF: -ign_eof is not used, so it quits at EOF of stdin unless
    input holds a request and -ign_eof is passed). Returns (rc, output text)."""
    cmd = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port] + list(args)
    r = subprocess.run(cmd, input=input, capture_output=True, timeout=timeout)
    return r.returncode, (r.stdout + r.stderr).decode("latin-1")


def curl(port, url_path="/", host="localhost", certs=None, args=(), timeout=10):
    """curl https://HOST:port/... resolved to 127.0.0.1, trusting the test CA.
    Returns the CompletedProcess (stdout bytes)."""
    cmd = ["curl", "-sS", "--max-time", str(timeout), "--resolve", "%s:%d:127.0.0.1" % (host, port)]
    if certs is not None:
        cmd += ["--cacert", certs.ca]
    cmd += list(args) + ["https://%s:%d%s" % (host, port, url_path)]
    return subprocess.run(cmd, capture_output=True, timeout=timeout + 5)


def peer_cn(s):
    """The CN of the certificate a Python TLS socket got (verified or not)."""
    der = s.getpeercert(binary_form=True)
    text = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-subject", "-nameopt", "compat"],
                          input=der, capture_output=True).stdout.decode()
    m = re.search(r"CN=([^,/\n]+)", text)
    return m.group(1).strip() if m else None


def peer_key_type(s):
    """"EC" or "RSA": the public key type of the certificate a socket got."""
    der = s.getpeercert(binary_form=True)
    text = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-text"],
                          input=der, capture_output=True).stdout.decode()
    if "id-ecPublicKey" in text:
        return "EC"
    if "rsaEncryption" in text:
        return "RSA"
    return None


def metric(srv_port, name, labels=None, path="/metrics", timeout=3.0):
    """The value of one Prometheus sample from a plain-HTTP metrics endpoint
    (0 when absent)."""
    s = socket.create_connection(("127.0.0.1", srv_port), timeout=timeout)
    s.sendall(("GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n" % path).encode())
    data = b""
    s.settimeout(timeout)
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    s.close()
    text = data.decode("latin-1")
    want = name + ("{%s}" % labels if labels else "")
    for line in text.splitlines():
        if line.startswith(want + " "):
            return float(line.split()[-1])
    return 0.0


def wait_metric(port, name, labels, want, timeout=3.0):
    deadline = time.time() + timeout
    got = None
    while time.time() < deadline:
        got = metric(port, name, labels)
        if got >= want:
            return got
        time.sleep(0.05)
    return got


def read_all_raw(sock, timeout):
    sock.settimeout(timeout)
    out = b""
    while True:
        try:
            b = sock.recv(65536)
        except socket.timeout:
            return out, "timeout"
        except ConnectionResetError:
            return out, "reset"
        if not b:
            return out, "closed"
        out += b


class RecordClient:
    """A TLS client over ssl.MemoryBIO that decides how records go on the
    wire: send_records(pieces) encrypts each piece as its own record and
    sends them all in one TCP send."""

    def __init__(self, port, ctx, sni="localhost", timeout=5.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.inc = ssl.MemoryBIO()
        self.out = ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.inc, self.out, server_side=False, server_hostname=sni)
        while True:
            try:
                self.obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                self.flush()
                data = self.sock.recv(65536)
                if not data:
                    raise ConnectionError("closed during the handshake")
                self.inc.write(data)
        self.flush()

    def flush(self):
        data = self.out.read()
        if data:
            self.sock.sendall(data)

    def send_records(self, pieces, close_notify=False, fin=False):
        """Each piece as its own record, then optionally close_notify and
        FIN, all in one TCP send."""
        for p in pieces:
            self.obj.write(p)
        if close_notify:
            try:
                self.obj.unwrap()
            except (ssl.SSLWantReadError, ssl.SSLError):
                pass
        self.flush()
        if fin:
            self.sock.shutdown(socket.SHUT_WR)

    def read_all(self, timeout=3.0):
        """Decrypted bytes until the end: returns (bytes, how), how being
        "closed" (close_notify, then FIN), "eof" (FIN without close_notify),
        "reset" or "timeout"."""
        self.sock.settimeout(timeout)
        self.raw = b""             # what came on the wire, for record sizes
        got = b""
        notify = False
        while True:
            try:
                while not notify:
                    b = self.obj.read(65536)
                    if not b:          # close_notify (read returns b"" from then on)
                        notify = True
                    got += b
            except ssl.SSLWantReadError:
                pass
            except ssl.SSLZeroReturnError:
                notify = True
            except ssl.SSLError:       # e.g. tickets arriving after our own close_notify
                drained, how = read_all_raw(self.sock, timeout)
                return got, "tls-error" if how == "closed" else how
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return got, "timeout"
            except ConnectionResetError:
                return got, "reset"
            if not data:
                return got, "closed" if notify else "eof"
            self.raw += data
            if not notify:
                self.inc.write(data)

    def close(self):
        self.sock.close()


def record_lengths(raw):
    """The lengths of the TLS records in `raw` (which starts at a record)."""
    out, i = [], 0
    while i + 5 <= len(raw):
        n = int.from_bytes(raw[i + 3:i + 5], "big")
        out.append(n)
        i += 5 + n
    return out


def client_hello(ctx=None, sni="localhost"):
    """The bytes of a real ClientHello (Python's), made without a server."""
    ctx = ctx or client_context(verify=False)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_side=False, server_hostname=sni)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()
