"""TLS session resumption across workers: by ticket (TLS 1.3 and 1.2: the
ticket keys of a server's SSL_CTX are made in the master before the fork,
so a ticket one worker issued opens a session on the other), by the shared
session cache (ssl_session_cache shared:, ssl_session_tickets off), none
with ssl_session_tickets off and no cache; $ssl_session_reused in the
access log. Which worker served a connection is read from /proc (the
worker that holds the server side of the socket)."""
import os
import signal
import socket
import ssl
import subprocess
import time

import pytest

from conftest import req
from tlsutil import certs, client_context, tls_connect, tls_read_all  # noqa: F401

LOGS = """
log_format tls '$status $ssl_protocol $ssl_session_reused $remote_port';
access_log logs/access.log tls;
"""


def conf(certs, extra=""):
    return LOGS + """
server {
    listen 127.0.0.1:@PORT@ ssl;
    server_name localhost;
    ssl_certificate %s/localhost-ec.pem;
    ssl_certificate_key %s/localhost-ec.key;
    %s
    location / { return 200 "ok\\n"; }
}
""" % (certs.dir, certs.dir, extra)


def socket_inodes(pid):
    out = set()
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            except OSError:
                continue
            if link.startswith("socket:["):
                out.add(link[8:-1])
    except OSError:
        pass
    return out


def worker_of(srv, client_port):
    """The worker holding the server side of the connection from client_port."""
    want_local, want_remote = ":%04X" % srv.port, ":%04X" % client_port
    inode = None
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            p = line.split()
            if p[1].endswith(want_local) and p[2].endswith(want_remote):
                inode = p[9]
    assert inode, "no server socket for client port %d" % client_port
    for pid in srv.workers():
        if inode in socket_inodes(pid):
            return pid
    return None


def connect_and_get(srv, ctx, session=None):
    """A request on a new connection; returns (reused, worker pid, session)."""
    s = tls_connect(srv.port, ctx, session=session)
    try:
        worker = worker_of(srv, s.getsockname()[1])
        s.sendall(req("/"))
        data, how = tls_read_all(s)
        assert data.endswith(b"\r\n\r\nok\n"), data
        return s.session_reused, worker, s.session
    finally:
        s.close()


def resume_across_workers(srv, ctx, n=16):
    reused, first_worker, sess = connect_and_get(srv, ctx)
    assert not reused and sess is not None
    workers = set()
    for _ in range(n):
        reused, worker, _ = connect_and_get(srv, ctx, session=sess)
        assert reused, "not resumed on worker %s (the first was %s)" % (worker, first_worker)
        workers.add(worker)
    return first_worker, workers


@pytest.mark.parametrize("version", ["TLSv1_3", "TLSv1_2"])
def test_ticket_resumption_across_two_workers(hush, certs, version):
    srv = hush(conf(certs), main="worker_processes 2;\n")
    assert len(srv.workers()) == 2
    v = getattr(ssl.TLSVersion, version)
    ctx = client_context(certs, versions=(v, v))
    first, workers = resume_across_workers(srv, ctx)
    # every resumed connection used the ticket the first worker issued; both workers took some
    assert workers == set(srv.workers()), (first, workers, srv.workers())
    lines = srv.wait_log(17)
    proto = version.replace("_", ".")
    assert sorted(l.split()[:3] for l in lines) == [["200", proto, "."]] + [["200", proto, "r"]] * 16, lines


def test_shared_session_cache_across_two_workers(hush, certs):
    srv = hush(conf(certs, "ssl_session_tickets off; ssl_session_cache shared:SSL:1m;"),
               main="worker_processes 2;\n")
    ctx = client_context(certs, versions=(ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2))
    first, workers = resume_across_workers(srv, ctx)
    assert workers == set(srv.workers()), (first, workers)
    lines = srv.wait_log(17)
    assert sorted(l.split()[2] for l in lines) == ["."] + ["r"] * 16, lines


def test_builtin_session_cache_and_clients_that_close_without_close_notify(hush, certs):
    """A session outlives a connection closed without close_notify (Python
    closes so, and so does hush itself after a response): it stays in the
    cache and resumes."""
    srv = hush(conf(certs, "ssl_session_tickets off; ssl_session_cache builtin:1000;"))
    ctx = client_context(certs, versions=(ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2))
    reused, _, sess = connect_and_get(srv, ctx)
    assert not reused
    for _ in range(3):
        reused, _, _ = connect_and_get(srv, ctx, session=sess)
        assert reused


def test_no_resumption_without_tickets_or_cache(hush, certs):
    srv = hush(conf(certs, "ssl_session_tickets off;"))
    for v in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        ctx = client_context(certs, versions=(v, v))
        reused, _, sess = connect_and_get(srv, ctx)
        assert not reused
        if sess is not None:
            reused, _, _ = connect_and_get(srv, ctx, session=sess)
            assert not reused
    lines = srv.wait_log(2)
    assert all(l.split()[2] == "." for l in lines), lines


def write_key(d, name, size):
    path = os.path.join(d, name)
    with open(path, "wb") as f:
        f.write(os.urandom(size))
    return path


def keys_conf(certs, *paths):
    return conf(certs, "".join("ssl_session_ticket_key %s;\n" % p for p in paths))


@pytest.mark.parametrize("size", [48, 80])
def test_ticket_keys_shared_by_two_instances_and_rotated(hush, certs, size, tmp_path):
    """Two hush processes (as two machines behind a balancer) that read the
    same ssl_session_ticket_key resume each other's sessions; one that has
    it only as its second key still does (and renews the ticket); one with
    other keys, or with OpenSSL's random ones, makes a full handshake."""
    old = write_key(str(tmp_path), "old.key", size)
    new = write_key(str(tmp_path), "new.key", size)
    a = hush(keys_conf(certs, old))
    b = hush(keys_conf(certs, old))
    rotated = hush(keys_conf(certs, new, old))
    other = hush(keys_conf(certs, new))
    random_keys = hush(conf(certs))
    for v in (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2):
        ctx = client_context(certs, versions=(v, v))
        reused, _, sess = connect_and_get(a, ctx)
        assert not reused and sess is not None
        assert connect_and_get(b, ctx, session=sess)[0], v
        reused, _, renewed = connect_and_get(rotated, ctx, session=sess)
        assert reused, v
        assert not connect_and_get(other, ctx, session=sess)[0], v
        assert not connect_and_get(random_keys, ctx, session=sess)[0], v
        # the ticket `rotated` renewed is under its first key: `other` (new only) takes it, `a` does not
        if v == ssl.TLSVersion.TLSv1_3:
            assert connect_and_get(other, ctx, session=renewed)[0]
            assert not connect_and_get(a, ctx, session=renewed)[0]


def test_ticket_keys_survive_reload(hush, certs, tmp_path):
    key = write_key(str(tmp_path), "t.key", 80)
    srv = hush(keys_conf(certs, key))
    ctx = client_context(certs, versions=(ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_3))
    _, _, sess = connect_and_get(srv, ctx)
    old_workers = set(srv.workers())
    srv.send_signal(signal.SIGHUP)
    deadline = time.time() + 10
    while (set(srv.workers()) & old_workers or not srv.workers()) and time.time() < deadline:
        time.sleep(0.05)
    assert not set(srv.workers()) & old_workers
    assert connect_and_get(srv, ctx, session=sess)[0]


def tickets_seen(port, *args, request=True):
    """NewSessionTicket messages openssl s_client saw on one TLS 1.3
    connection: with a request (Connection: close, so the server ends it
    after the answer), or with none (the client waits 0.5 s, then leaves)."""
    cmd = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-servername", "localhost", "-tls1_3",
           "-msg", "-ign_eof"] + list(args)
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if request:
        p.stdin.write(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        p.stdin.flush()
    else:
        time.sleep(0.5)
    try:
        out, _ = p.communicate(timeout=5) if request else (None, None)
    except subprocess.TimeoutExpired:
        out = None
    if out is None:
        p.kill()
        out, _ = p.communicate()
    text = out.decode("latin-1")
    return text.count("NewSessionTicket"), text


def test_tls13_tickets_come_with_the_first_answer(hush, certs, tmp_path):
    """TLS 1.3 session tickets go out with the answer to the first request,
    not after the handshake: a client that never asks gets none (nothing to
    encode and encrypt for a scanner or a flood); one that asks gets
    OpenSSL's two, and one after a resumption, which resumes."""
    srv = hush(conf(certs))
    n, text = tickets_seen(srv.port, request=False)
    assert "CONNECTED" in text and "TLSv1.3" in text, text
    assert n == 0, text
    sess = str(tmp_path / "sess.pem")
    n, text = tickets_seen(srv.port, "-sess_out", sess)
    assert n == 2, text
    assert "HTTP/1.1 200 OK" in text, text
    n, text = tickets_seen(srv.port, "-sess_in", sess)
    assert "Reused, TLSv1.3" in text and n == 1, text
    # and the same through a Python client: no ticket until a request was answered
    s = tls_connect(srv.port, client_context(certs, versions=(ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_3)))
    try:
        s.settimeout(0.3)
        with pytest.raises(socket.timeout):
            s.recv(100)  # OpenSSL reads any ticket record here
        assert s.session is None or not s.session.has_ticket
        s.settimeout(3)
        s.sendall(req("/"))
        data = b""
        while not data.endswith(b"ok\n"):
            data += s.recv(4096)
        assert s.session is not None and s.session.has_ticket
    finally:
        s.close()
