"""Request bodies read whole (nginx's client_body_buffer_size,
client_body_in_file_only, client_body_temp_path, proxy_request_buffering):
memory up to the buffer, a temporary file beyond it, $request_body and
$request_body_file, the file kept, removed or unlinked as nginx does, a full
disk answered with 500, and the other *_temp_path directories made at load."""
import os
import re
import socket
import subprocess
import time

import pytest

from conftest import req, run_hush

LOG = """log_format body '$status [$request_body] [$request_body_file] $request_length';
access_log logs/access.log body;
"""


def conf(port, loc="", http=""):
    return LOG + http + """
upstream app { server 127.0.0.1:%d; }
server {
    listen 127.0.0.1:@PORT@;
    location / { proxy_pass http://app; %s }
}
""" % (port, loc)


def post(srv, path, body, chunked=False):
    if chunked:
        data = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
        return srv.exchange(req(path, method="POST", headers=["Transfer-Encoding: chunked"], body=data),
                            timeout=5)
    return srv.exchange(req(path, method="POST", headers=["Content-Length: %d" % len(body)], body=body),
                        timeout=5)


def logged(srv):
    line = srv.wait_log(1)[-1]
    m = re.match(r"(\d+) \[(.*)\] \[(.*)\] (\d+)$", line)
    assert m, line
    return int(m.group(1)), m.group(2), m.group(3)


def test_small_body_in_memory(hush, backend):
    b = backend()
    srv = hush(conf(b.port))
    r = post(srv, "/m", b"0123456789")
    assert b" 200 " in r.data.split(b"\r\n")[0]
    assert logged(srv) == (200, "0123456789", "-")
    assert b.events("request")[0]["body"] == "0123456789"


def test_body_over_the_buffer_goes_to_a_file_unlinked_at_once(hush, backend):
    b = backend()
    srv = hush(conf(b.port, "client_body_buffer_size 2k;"))
    body = b"0123456789" * 512
    r = post(srv, "/f", body)
    assert b" 200 " in r.data.split(b"\r\n")[0]
    status, mem, path = logged(srv)
    assert (status, mem) == (200, "-")
    assert path.startswith(os.path.join(srv.dir, "client_body_temp") + "/"), path
    assert re.search(r"/\d{10}$", path)
    assert not os.path.exists(path)            # off: the name is known, the file is gone
    assert b.events("request")[0]["body"] == body.decode()
    # 1280 bytes fit the 2k buffer: in memory
    post(srv, "/g", b"0123456789" * 128)
    assert srv.wait_log(2)[-1].startswith("200 [" + "0123456789" * 128 + "] [-]")


def test_in_file_only_on_keeps_the_file(hush, backend):
    b = backend()
    srv = hush(conf(b.port, "client_body_in_file_only on; client_body_temp_path @DIR@/bodies 1 2;"))
    assert os.path.isdir(os.path.join(srv.dir, "bodies"))   # made at load, 0700
    assert os.stat(os.path.join(srv.dir, "bodies")).st_mode & 0o777 == 0o700
    post(srv, "/small", b"tiny")
    status, mem, path = logged(srv)
    assert (status, mem) == (200, "-")
    m = re.match(re.escape(os.path.join(srv.dir, "bodies")) + r"/(\d)/(\d\d)/(\d{10})$", path)
    assert m and m.group(3).endswith(m.group(2) + m.group(1)), path
    with open(path, "rb") as f:
        assert f.read() == b"tiny"
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert b.events("request")[0]["body"] == "tiny"


def test_in_file_only_clean_removes_it_after_the_request(hush, backend):
    b = backend()
    srv = hush(conf(b.port, "client_body_in_file_only clean;"))
    post(srv, "/c", b"x" * 5000, chunked=True)
    status, mem, path = logged(srv)
    assert status == 200 and path != "-"
    assert not os.path.exists(path)
    ev = b.events("request")[0]
    assert ev["body"] == "x" * 5000
    assert ev["headers"].get("content-length") == "5000"


def test_large_chunked_body_is_bounded_in_memory(hush, backend):
    b = backend()
    srv = hush(conf(b.port, "client_max_body_size 0;"))
    size = 8 * 1024 * 1024
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.sendall(b"POST /big HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
              b"Transfer-Encoding: chunked\r\n\r\n")
    piece = b"%x\r\n%s\r\n" % (65536, b"z" * 65536)
    worker = srv.workers()[0]
    rss = []
    for i in range(size // 65536):
        s.sendall(piece)
        if i % 32 == 0:
            with open("/proc/%d/status" % worker) as f:
                rss.append(int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1)))
    s.sendall(b"0\r\n\r\n")
    s.settimeout(10)
    data = b""
    while True:
        x = s.recv(65536)
        if not x:
            break
        data += x
    assert b" 200 " in data.split(b"\r\n")[0]
    assert "X-Seen-Body-Length: %d" % size in data.decode("latin-1")
    assert max(rss) - rss[0] < 4096, rss     # KiB: the body went to a file


def test_proxy_request_buffering_on_reads_the_body_before_connecting(hush, backend):
    b = backend()
    srv = hush(conf(b.port, "client_max_body_size 10m;"))
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.sendall(b"POST /p HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 200000\r\n\r\n"
              + b"a" * 100000)
    time.sleep(0.3)
    assert b.events("connected") == []          # nginx's default: nothing upstream yet
    s.sendall(b"a" * 100000)
    s.settimeout(5)
    assert b" 200 " in s.recv(65536).split(b"\r\n")[0]
    s.close()
    assert len(b.events("request")[0]["body"]) == 200000


def test_proxy_request_buffering_off_streams(hush, backend):
    b = backend()
    srv = hush(conf(b.port, "client_max_body_size 10m; proxy_request_buffering off;"))
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.sendall(b"POST /p HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 200000\r\n\r\n"
              + b"a" * 100000)
    deadline = time.time() + 3
    while not b.events("connected") and time.time() < deadline:
        time.sleep(0.02)
    assert b.events("connected")                # the head went up before the body ended
    s.sendall(b"a" * 100000)
    s.settimeout(5)
    assert b" 200 " in s.recv(65536).split(b"\r\n")[0]
    s.close()


def test_proxy_request_buffering_off_streams_a_small_body_too(hush, backend):
    """As nginx: unbuffered means the upstream is reached before the body
    is all here, whatever its size (a small body that came whole with the
    head is still kept, so a retry can resend it)."""
    b = backend()
    srv = hush(conf(b.port, "proxy_request_buffering off;"))
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.sendall(b"POST /p HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 10\r\n\r\n01234")
    deadline = time.time() + 3
    while not b.events("connected") and time.time() < deadline:
        time.sleep(0.02)
    assert b.events("connected")                # half the body is still to come
    s.sendall(b"56789")
    s.settimeout(5)
    assert b" 200 " in s.recv(65536).split(b"\r\n")[0]
    s.close()
    assert b.events("request")[0]["body"] == "0123456789"


def test_proxy_request_buffering_off_streams_chunked_bodies_to_http11(hush):
    """As nginx: unbuffered, a chunked body goes on chunked to an HTTP/1.1
    upstream as it arrives — the bytes already here with the head in the
    same write — and $request_body still has it when it fits
    client_body_buffer_size."""
    up = socket.socket()
    up.bind(("127.0.0.1", 0))
    up.listen(4)
    srv = hush("""
server {
    listen 127.0.0.1:@PORT@;
    proxy_request_buffering off;
    proxy_http_version 1.1;
    location / { proxy_pass http://127.0.0.1:%d; add_header X-Body "$request_body"; }
}""" % up.getsockname()[1])
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.sendall(b"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
              b"5\r\n01234\r\n4\r\nmany\r\n")
    up.settimeout(5)
    u, _ = up.accept()
    u.settimeout(5)
    first = u.recv(65536)
    head, _, rest = first.partition(b"\r\n\r\n")
    assert b"\r\nTransfer-Encoding: chunked" in head and b"Content-Length" not in head, head
    assert rest == b"9\r\n01234many\r\n", rest   # what was here: one chunk, with the head
    s.sendall(b"5\r\n56789\r\n0\r\n\r\n")
    got = b""
    while not got.endswith(b"0\r\n\r\n"):
        got += u.recv(65536)
    assert got == b"5\r\n56789\r\n0\r\n\r\n", got
    u.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
    u.close()
    s.settimeout(5)
    data = b""
    while True:
        x = s.recv(65536)
        if not x:
            break
        data += x
    assert data.startswith(b"HTTP/1.1 200 ") and b"\r\nX-Body: 01234many56789\r\n" in data, data
    up.close()


def test_body_in_file_is_sent_again_to_the_next_upstream(hush, backend):
    good = backend()
    srv = hush(LOG + """
upstream app { server 127.0.0.1:1; server 127.0.0.1:%d; }
server { listen 127.0.0.1:@PORT@; location / { proxy_pass http://app; client_body_buffer_size 1k; } }
""" % good.port)
    srv.allow_error_log(r"connect\(\) failed")
    body = b"b" * 50000
    r = post(srv, "/n", body)
    assert b" 200 " in r.data.split(b"\r\n")[0]
    assert good.events("request")[0]["body"] == body.decode()


def test_full_disk_is_a_500_and_a_crit_line(hush, backend):
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a small tmpfs")
    b = backend()
    # in the server's directory, which its workers (nobody) can reach
    srv = hush(conf(b.port, "client_body_temp_path @DIR@/small;"), start=False)
    small = os.path.join(srv.dir, "small")
    os.makedirs(small)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", small]).returncode != 0:
        pytest.skip("cannot mount tmpfs")
    try:
        srv.start()
        r = post(srv, "/full", b"f" * 300000)
        assert r.data.startswith(b"HTTP/1.1 500 "), r
        assert srv.wait_error_log(r'\[crit\] .*write\(\) "%s/\d{10}" failed \(28: No space left on device\)'
                                  % re.escape(small))
        assert b.events("connected") == []
        srv.stop()
        assert os.listdir(small) == []
    finally:
        subprocess.run(["umount", small])


def test_temp_paths_made_at_load_and_checked(tmpconf):
    path = os.path.join(tmpconf, "t.conf")

    def t(lines):
        with open(path, "w") as f:
            f.write("events {}\nhttp {\n%s\nserver { listen 127.0.0.1:1; }\n}\n" % lines)
        return run_hush(["-t", "-p", tmpconf, "-c", path])
    r = t("client_body_temp_path cb 1 2;\nproxy_temp_path pt;\nfastcgi_temp_path ft 2;\n"
          "uwsgi_temp_path ut;\nscgi_temp_path st 1 1 2;")
    assert r.returncode == 0, r.stderr
    for d in ("cb", "pt", "ft", "ut", "st"):
        assert os.path.isdir(os.path.join(tmpconf, d)), d
    for bad, msg in (("client_body_temp_path x 3;", 't.conf:3: invalid value "3"'),
                     ("proxy_temp_path x 1 1 1 1;", 'invalid number of arguments in "proxy_temp_path"'),
                     ("client_body_temp_path /nonexistent/dir/x;",
                      't.conf:3: mkdir() "/nonexistent/dir/x" failed (2: No such file or directory)'),
                     ("client_body_in_file_only maybe;", 'invalid value "maybe"'),
                     ("client_body_buffer_size lots;", "t.conf:3: ")):
        r = t(bad)
        assert r.returncode == 1 and msg in r.stderr, (bad, r.stderr)
