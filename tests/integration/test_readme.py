"""The README is a contract: every ```nginx example in it passes `hush -t`
(placed where it belongs: a whole configuration, an http block's body, or a
server's body), and the examples that promise a behaviour are run here with
real clients: the edge example (a server-level `if` that drops feeds the
ban), the TLS ClientHello example (openssl s_client's fingerprint dropped,
other clients served, unknown names refused before any certificate)."""
import os
import re
import socket
import ssl
import subprocess
import time

import pytest

from conftest import HUSH_BIN, MAIN_PREAMBLE, ROOT, free_port, read_all, req
from tlsutil import certs, client_context, s_client, tls_connect  # noqa: F401

README = os.path.join(ROOT, "README.md")


def nginx_blocks():
    """(line number, text) of each ```nginx block of the README."""
    blocks, cur, start = [], None, 0
    with open(README) as f:
        for no, line in enumerate(f, 1):
            if cur is None and line.strip() == "```nginx":
                cur, start = [], no
            elif cur is not None and line.strip() == "```":
                blocks.append((start, "".join(cur)))
                cur = None
            elif cur is not None:
                cur.append(line)
    return blocks


def localize(text, d, certs):
    """Points an example's ports, certificates and paths at the test's own."""
    ports = {}

    def port(m):
        key = m.group(2)
        if key not in ports:
            ports[key] = free_port()
        return "%s127.0.0.1:%d" % (m.group(1), ports[key])

    text = re.sub(r"(listen\s+)(?:127\.0\.0\.1:)?(\d+)", port, text)
    text = re.sub(r"/etc/hush/[\w.-]+\.crt", certs.cert("localhost-ec"), text)
    text = re.sub(r"/etc/hush/[\w.-]+\.key", certs.key("localhost-ec"), text)
    text = re.sub(r"/(?:var|etc|srv)/[\w/.-]*?([\w.-]+\.(?:log|json))\b", d + r"/logs/\1", text)
    return text, ports


def wrappings(text):
    """The configurations an example may stand for, most specific first."""
    events = "events { worker_connections 64; }\n"
    if re.search(r"^\s*http\s*\{", text, re.M):
        return [MAIN_PREAMBLE + events + text]
    in_http = MAIN_PREAMBLE + events + "http {\n" + text + "\n}\n"
    in_server = MAIN_PREAMBLE + events + "http {\nserver {\nlisten 127.0.0.1:%d;\n%s\n}\n}\n" % (
        free_port(), text)
    return [in_http, in_server]


def ship_conf_files(d):
    """The files hush installs beside its configuration (fastcgi_params, ...)."""
    for name in ("mime.types", "fastcgi_params", "fastcgi.conf", "snippets/fastcgi-php.conf"):
        os.makedirs(os.path.dirname(os.path.join(d, name)), exist_ok=True)
        with open(os.path.join(ROOT, "conf", name)) as src, open(os.path.join(d, name), "w") as dst:
            dst.write(src.read())


def config_test(conf_text, d):
    ship_conf_files(d)
    path = os.path.join(d, "hush.conf")
    with open(path, "w") as f:
        f.write(conf_text.replace("@DIR@", d))
    return subprocess.run([HUSH_BIN, "-t", "-p", d, "-c", path], capture_output=True, text=True,
                          timeout=20)


BLOCKS = nginx_blocks()


def test_the_readme_has_examples():
    assert len(BLOCKS) >= 4, BLOCKS


@pytest.mark.parametrize("line,text", BLOCKS, ids=["README.md:%d" % b[0] for b in BLOCKS])
def test_every_readme_example_passes_config_test(tmpconf, certs, line, text):
    local, _ = localize(text, tmpconf, certs)
    errors = []
    for conf in wrappings(local):
        r = config_test(conf, tmpconf)
        if r.returncode == 0:
            return
        errors.append(r.stderr.strip())
    pytest.fail("README.md:%d does not pass hush -t:\n%s" % (line, "\n".join(errors)))


def example(start_text):
    for line, text in BLOCKS:
        if text.lstrip().startswith(start_text):
            return text
    pytest.fail("no README example starts with %r" % start_text)


def test_edge_example_server_level_if_drops_and_bans(hush, certs):
    text = example("http {\n    map $http_user_agent $bad_ua")
    srv = hush(conf="placeholder", start=False)
    local, ports = localize(text, srv.dir, certs)
    local = local.replace("logs/connections.log", srv.dir + "/logs/connections.log")
    srv.write_conf(MAIN_PREAMBLE + "events { worker_connections 64; }\n" + local)
    srv.start(wait=False)
    port = ports["80"]
    srv.wait_listening(port)
    bad = req("/", host="example.com", headers=["User-Agent: sqlmap/1.7"])
    good = req("/", host="example.com", headers=["User-Agent: curl/8"])
    # the default server drops unknown names
    r = srv.exchange(req("/", host="unknown.test"), port=port)
    assert r.data == b"", r
    # the bad user agent is dropped by rule "ua", and twenty drops ban the address
    for _ in range(20):
        assert srv.exchange(bad, port=port).data == b""
    deadline = time.time() + 3
    while True:
        data = srv.exchange(good, port=port).data
        if data == b"" or time.time() > deadline:
            break
        time.sleep(0.05)
    assert data == b"", "a good request from the banned address was answered: %r" % data[:80]
    lines = srv.wait_log(22, name="connections.log")
    assert sum(1 for line in lines if line.endswith(" drop ua")) == 20, lines
    assert any(" ban:abuse" in line for line in lines), lines


def test_tls_example_drops_s_client_and_refuses_unknown_names(hush, certs):
    text = example("map $ssl_ja4 $bad_hello")
    srv = hush(conf="placeholder", start=False)
    local, ports = localize(text, srv.dir, certs)
    srv.write_conf(MAIN_PREAMBLE + "events { worker_connections 64; }\nhttp {\n" +
                   "access_log @DIR@/logs/access.log;\n" + local + "\n}\n")
    srv.write("index.html", "hello\n")
    srv.start(wait=False)
    port = ports["443"]
    srv.wait_listening(port)
    # Python's client is served (example.com gets localhost's certificate: not verified here)
    ctx = client_context(verify=False)
    s = tls_connect(port, ctx, sni="example.com")
    try:
        s.sendall(req("/", host="example.com"))
        data, _ = read_all(s, 3)
    finally:
        s.close()
    assert data.startswith(b"HTTP/1.1 200"), data[:80]
    assert data.endswith(b"hello\n")
    # openssl s_client's fingerprint (the README's table) is dropped at the hello: reset, no certificate
    rc, out = s_client(port, "-servername", "example.com", input=b"")
    assert rc != 0 and "BEGIN CERTIFICATE" not in out and "Server certificate" not in out, out
    # an unknown name: the default server refuses the handshake with unrecognized_name
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        ctx2 = client_context(verify=False)
        with pytest.raises(ssl.SSLError, match="UNRECOGNIZED_NAME"):
            ctx2.wrap_socket(raw, server_hostname="unknown.test")
    finally:
        raw.close()

