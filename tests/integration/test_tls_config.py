"""TLS configuration: `hush -t` errors with the file and line (a missing
certificate, a key that does not match, `listen ... ssl` without a
certificate, a bad ssl_protocols value, ssl_early_data on, a key with a
password but no or a wrong ssl_password_file, ssl_stapling without a file);
a key with a password through ssl_password_file; reload (HUP) with a new
certificate, and a reload with a broken key that keeps the old one serving;
OCSP stapling from a file (`openssl s_client -status`); client
certificates (ssl_verify_client on / optional)."""
import os
import re
import shutil
import signal
import ssl
import time

import pytest

from conftest import req, run_hush
from tlsutil import (RecordClient, certs, client_context, openssl, peer_cn, record_lengths, s_client,  # noqa: F401
                     tls_connect, tls_read_all)

PRE = "pid @DIR@/logs/hush.pid;\nerror_log @DIR@/logs/error.log;\nevents { }\n"


def check(d, certs, text):
    path = os.path.join(d, "t.conf")
    with open(path, "w") as f:
        f.write((PRE + text).replace("@DIR@", d).replace("@CERTS@", certs.dir))
    r = run_hush(["-t", "-p", d, "-c", path])
    return r.returncode, r.stdout + r.stderr, path


def server(body):
    """An http block: PRE has 3 lines, `server {` is line 5, `listen ... ssl`
    line 6, and the body's directives start on line 7."""
    return "http {\n server {\n  listen 127.0.0.1:1 ssl;\n" + body + " }\n}\n"


EC = "  ssl_certificate @CERTS@/localhost-ec.pem;\n  ssl_certificate_key @CERTS@/localhost-ec.key;\n"

BAD = [
    ("missing_certificate_file",
     "  ssl_certificate @CERTS@/nonexistent.pem;\n  ssl_certificate_key @CERTS@/localhost-ec.key;\n",
     7, r'cannot load certificate ".*nonexistent\.pem".*(No such file|system lib)'),
    ("missing_key_file",
     "  ssl_certificate @CERTS@/localhost-ec.pem;\n  ssl_certificate_key @CERTS@/nokey.key;\n",
     None, r'cannot load certificate key ".*nokey\.key"'),
    ("key_does_not_match",
     "  ssl_certificate @CERTS@/localhost-ec.pem;\n  ssl_certificate_key @CERTS@/a.test-ec.key;\n",
     None, r'does not match|key values mismatch'),
    ("no_certificate", "  server_name localhost;\n", 5, r'no "ssl_certificate" is defined'),  # the server's line
    ("certificate_without_key", "  ssl_certificate @CERTS@/localhost-ec.pem;\n",
     7, r'no "ssl_certificate_key" is defined for certificate'),
    ("bad_protocols", EC + "  ssl_protocols TLSv1.2 TLSv1.4;\n", 9, r'invalid value "TLSv1\.4"'),
    ("sslv3_protocol", EC + "  ssl_protocols SSLv3;\n", 9, r'invalid value "SSLv3".*not supported'),
    ("early_data_on", EC + "  ssl_early_data on;\n", 9, r'"ssl_early_data on" is not supported'),
    ("encrypted_key_without_password",
     "  ssl_certificate @CERTS@/localhost-ec.pem;\n  ssl_certificate_key @CERTS@/localhost-ec.enc.key;\n",
     None, r'cannot load certificate key ".*localhost-ec\.enc\.key"'),
    ("encrypted_key_wrong_password",
     "  ssl_certificate @CERTS@/localhost-ec.pem;\n  ssl_certificate_key @CERTS@/localhost-ec.enc.key;\n"
     "  ssl_password_file @DIR@/wrong.txt;\n",
     None, r'cannot load certificate key ".*localhost-ec\.enc\.key"'),
    ("missing_password_file",
     "  ssl_certificate @CERTS@/localhost-ec.pem;\n  ssl_certificate_key @CERTS@/localhost-ec.enc.key;\n"
     "  ssl_password_file @DIR@/nonexistent.txt;\n",
     None, r'cannot open password file'),
    ("stapling_without_file", EC + "  ssl_stapling on;\n", None, r'"ssl_stapling" needs "ssl_stapling_file"'),
    ("stapling_file_not_ocsp", EC + "  ssl_stapling on;\n  ssl_stapling_file @CERTS@/ca.pem;\n",
     None, r'cannot read an OCSP response'),
    ("bad_ciphers", EC + "  ssl_ciphers NOSUCHCIPHER;\n", None, r'ssl_ciphers'),
    ("bad_conf_command", EC + "  ssl_conf_command NoSuchCommand yes;\n", None, r'ssl_conf_command'),
    ("ticket_key_wrong_size", EC + "  ssl_session_ticket_key @DIR@/wrong.txt;\n", None,
     r'wrong\.txt" must be 48 or 80 bytes'),
    ("ticket_key_missing", EC + "  ssl_session_ticket_key @DIR@/nonexistent.key;\n", None,
     r'open\(\) ".*nonexistent\.key" failed \(No such file'),
    ("buffer_size_too_big", EC + "  ssl_buffer_size 64k;\n", 9, r'"ssl_buffer_size" must be between 512 and 16k'),
    ("crl_not_a_crl", EC + "  ssl_verify_client on;\n  ssl_client_certificate @CERTS@/ca.pem;\n"
     "  ssl_crl @CERTS@/ca.pem;\n", None, r'X509_load_crl_file'),
]


@pytest.mark.parametrize("name,body,line,pattern", BAD, ids=[b[0] for b in BAD])
def test_config_errors_with_file_and_line(tmpconf, certs, name, body, line, pattern):
    with open(os.path.join(tmpconf, "wrong.txt"), "w") as f:
        f.write("nope\nalso-wrong\n")
    rc, out, path = check(tmpconf, certs, server(body))
    assert rc == 1, out
    m = re.search(re.escape(path) + r":(\d+): (.*)", out)
    assert m, out
    assert re.search(pattern, m.group(2)), out
    got = int(m.group(1))
    if line is not None:
        assert got == line, out
    else:  # at one of the server's ssl_* directives
        assert 7 <= got <= 6 + body.count("\n"), out


def test_good_config_with_password_file_is_ok(tmpconf, certs):
    with open(os.path.join(tmpconf, "pw.txt"), "w") as f:
        f.write("wrong\nsecret\n")
    rc, out, _ = check(tmpconf, certs, server(
        "  ssl_certificate @CERTS@/localhost-ec.pem;\n  ssl_certificate_key @CERTS@/localhost-ec.enc.key;\n"
        "  ssl_password_file @DIR@/pw.txt;\n"))
    assert rc == 0 and "test is successful" in out, out
    # a server that only rejects handshakes needs no certificate
    rc, out, _ = check(tmpconf, certs, server("  ssl_reject_handshake on;\n"))
    assert rc == 0, out


def tls_conf(certs, body, logs=True):
    log = ("log_format t '$status $ssl_protocol \"$ssl_client_verify\" \"$ssl_client_s_dn\" $request_uri';\n"
           "access_log logs/access.log t;\n") if logs else ""
    return log + ("server {\n    listen 127.0.0.1:@PORT@ ssl;\n    server_name localhost;\n" + body +
                  "\n    location / { return 200 \"ok $ssl_client_verify\\n\"; }\n}\n").replace("@CERTS@", certs.dir)


def fetch(port, ctx, path="/", sni="localhost"):
    s = tls_connect(port, ctx, sni=sni)
    try:
        cn = peer_cn(s)
        fp = s.getpeercert(binary_form=True)
        s.sendall(req(path))
        data, _ = tls_read_all(s)
    finally:
        s.close()
    return cn, fp, data


def test_key_with_password_file_serves(hush, certs):
    srv = hush(tls_conf(certs, """
    ssl_certificate @CERTS@/localhost-ec.pem;
    ssl_certificate_key @CERTS@/localhost-ec.enc.key;
    ssl_password_file @CERTS@/passwords.txt;
"""))
    cn, _, data = fetch(srv.port, client_context(certs))
    assert cn == "localhost" and data.startswith(b"HTTP/1.1 200 "), data


def wait_fingerprint(srv, certs, want, timeout=5.0):
    deadline = time.time() + timeout
    got = None
    while time.time() < deadline:
        try:
            _, got, _ = fetch(srv.port, client_context(verify=False))
        except (OSError, ssl.SSLError):
            got = None
        if got == want:
            return got
        time.sleep(0.05)
    return got


def der(certs, name):
    import subprocess
    return subprocess.run(["openssl", "x509", "-in", certs.cert(name), "-outform", "DER"],
                          capture_output=True, check=True).stdout


def test_reload_with_new_certificate_and_a_broken_one(hush, certs):
    srv = hush(tls_conf(certs, """
    ssl_certificate @DIR@/ssl/site.pem;
    ssl_certificate_key @DIR@/ssl/site.key;
"""), start=False)
    os.makedirs(os.path.join(srv.dir, "ssl"))

    def install(name):
        shutil.copy(certs.cert(name), os.path.join(srv.dir, "ssl", "site.pem"))
        shutil.copy(certs.key(name), os.path.join(srv.dir, "ssl", "site.key"))

    install("localhost-ec")
    srv.start()
    assert wait_fingerprint(srv, certs, der(certs, "localhost-ec")) == der(certs, "localhost-ec")
    # the files replaced in place, then HUP: new connections get the new certificate
    install("localhost-rsa")
    srv.send_signal(signal.SIGHUP)
    assert wait_fingerprint(srv, certs, der(certs, "localhost-rsa")) == der(certs, "localhost-rsa")
    # a key that does not match: the reload is refused, the RSA certificate keeps serving
    srv.allow_error_log(r"keeps serving|does not match|key values mismatch|cannot load")
    shutil.copy(certs.key("localhost-ec"), os.path.join(srv.dir, "ssl", "site.key"))
    srv.send_signal(signal.SIGHUP)
    assert srv.wait_error_log(r"\[emerg\].*(does not match|mismatch)")
    assert srv.wait_error_log(r"keeps serving")
    for _ in range(5):
        _, fp, data = fetch(srv.port, client_context(certs))
        assert fp == der(certs, "localhost-rsa") and data.startswith(b"HTTP/1.1 200 "), data
    assert srv.alive()
    # fixed again: the next reload takes it
    install("localhost-ec")
    srv.send_signal(signal.SIGHUP)
    assert wait_fingerprint(srv, certs, der(certs, "localhost-ec")) == der(certs, "localhost-ec")


STAPLING = """
    ssl_certificate @CERTS@/localhost-ec.pem;
    ssl_certificate_key @CERTS@/localhost-ec.key;
    ssl_stapling on;
    ssl_stapling_file @CERTS@/localhost-ec.ocsp.der;
"""


def test_stapling_from_a_file(hush, certs):
    srv = hush(tls_conf(certs, STAPLING))
    for version in ("-tls1_3", "-tls1_2"):
        rc, out = s_client(srv.port, "-servername", "localhost", "-status", version, "-CAfile", certs.ca)
        assert "OCSP Response Status: successful" in out, out
        assert "Cert Status: good" in out and "Serial Number: 1000" in out, out
        assert "Verify return code: 0 (ok)" in out, out
    rc, out = s_client(srv.port, "-servername", "localhost", "-status", "-CAfile", certs.ca)
    # the response verifies against the test CA (s_client checks it when asked)
    rc2, out2 = s_client(srv.port, "-servername", "localhost", "-CAfile", certs.ca)
    assert "OCSP response:" not in out2 or "no response sent" in out2, out2   # not asked: not sent


MTLS = """
    ssl_certificate @CERTS@/localhost-ec.pem;
    ssl_certificate_key @CERTS@/localhost-ec.key;
    ssl_client_certificate @CERTS@/ca.pem;
    ssl_verify_client %s;
"""


def test_client_certificates(hush, certs):
    srv = hush(tls_conf(certs, MTLS % "on"))
    _, _, data = fetch(srv.port, client_context(certs, cert="client"))
    assert data.startswith(b"HTTP/1.1 200 ") and data.endswith(b"ok SUCCESS\n"), data
    _, _, data = fetch(srv.port, client_context(certs))
    assert data.startswith(b"HTTP/1.1 400 ") and b"No required SSL certificate was sent" in data, data
    _, _, data = fetch(srv.port, client_context(certs, cert="other-ec"))
    assert data.startswith(b"HTTP/1.1 400 ") and b"The SSL certificate error" in data, data
    lines = srv.wait_log(3)
    assert lines[0] == '200 TLSv1.3 "SUCCESS" "CN=hush test client" /', lines
    assert lines[1] == '400 TLSv1.3 "NONE" "-" /', lines
    assert re.match(r'400 TLSv1\.3 "FAILED:[^"]+" "CN=localhost" /$', lines[2]), lines
    opt = hush(tls_conf(certs, MTLS % "optional"))
    _, _, data = fetch(opt.port, client_context(certs))
    assert data.endswith(b"ok NONE\n"), data
    _, _, data = fetch(opt.port, client_context(certs, cert="client"))
    assert data.endswith(b"ok SUCCESS\n"), data


def make_crl(certs, revoked, out):
    """A CRL from the test CA that revokes the certificate `revoked`."""
    d = os.path.join(certs.dir, "crl-" + revoked)
    os.makedirs(d, exist_ok=True)
    open(os.path.join(d, "index.txt"), "w").close()
    with open(os.path.join(d, "crlnumber"), "w") as f:
        f.write("01\n")
    with open(os.path.join(d, "ca.cnf"), "w") as f:
        f.write("[ca]\ndefault_ca = d\n[d]\ndatabase = %s/index.txt\ncrlnumber = %s/crlnumber\n"
                "default_md = sha256\ndefault_crl_days = 30\n" % (d, d))
    base = ["-config", os.path.join(d, "ca.cnf"), "-keyfile", certs.ca_key, "-cert", certs.ca]
    openssl("ca", *base, "-revoke", certs.cert(revoked))
    openssl("ca", *base, "-gencrl", "-out", out)


def test_revoked_client_certificate_by_ssl_crl(hush, certs):
    if not os.path.exists(certs.cert("client-kept")):
        certs.make_leaf("client-kept", "kept client", "ec", client=True, serial=0x3001)
    crl = os.path.join(certs.dir, "client.crl")
    make_crl(certs, "client", crl)
    srv = hush(tls_conf(certs, MTLS % "on" + "    ssl_crl %s;\n" % crl))
    _, _, data = fetch(srv.port, client_context(certs, cert="client"))
    assert data.startswith(b"HTTP/1.1 400 ") and b"The SSL certificate error" in data, data
    _, _, data = fetch(srv.port, client_context(certs, cert="client-kept"))
    assert data.startswith(b"HTTP/1.1 200 ") and data.endswith(b"ok SUCCESS\n"), data
    lines = srv.wait_log(2)
    assert lines[0] == '400 TLSv1.3 "FAILED:certificate revoked" "CN=hush test client" /', lines
    assert lines[1] == '200 TLSv1.3 "SUCCESS" "CN=kept client" /', lines


@pytest.mark.parametrize("size,most", [("4k", 4096), (None, 16384)])
def test_ssl_buffer_size_bounds_the_records(hush, certs, size, most):
    """ssl_buffer_size caps the data in each record sent (nginx's default 16k)."""
    body = "    ssl_certificate @CERTS@/localhost-ec.pem;\n    ssl_certificate_key @CERTS@/localhost-ec.key;\n"
    if size:
        body += "    ssl_buffer_size %s;\n" % size
    srv = hush(tls_conf(certs, body, logs=False).replace('location / { return 200 "ok $ssl_client_verify\\n"; }',
                                                         "location / { }"))
    srv.write("big.bin", os.urandom(100000))
    v = ssl.TLSVersion.TLSv1_2
    c = RecordClient(srv.port, client_context(certs, versions=(v, v)))
    try:
        c.send_records([req("/big.bin")])
        data, _ = c.read_all()
    finally:
        c.close()
    assert data.startswith(b"HTTP/1.1 200 ") and len(data) > 100000, data[:200]
    lengths = record_lengths(c.raw)
    overhead = 64  # explicit nonce and tag of TLS 1.2's AEAD records
    assert most - 512 < max(lengths) <= most + overhead, lengths
