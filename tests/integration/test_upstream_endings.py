"""Every way an upstream can fail, behind proxy_pass, against a real upstream
process (backend.py ?fault=...): what the client gets on the wire, and the
access log's $status, $upstream_status and $close_reason, the connection
log, and hush_connection_endings_total. The table in README.md ("How endings
are logged", upstream faults) is this test's table."""
import socket

from conftest import free_port, parse_responses, read_all, req
from test_metrics_parser import scrape

LOG = """
log_format up '$status $close_reason us=$upstream_status bs=$bytes_sent "$request"';
access_log logs/access.log up;
log_format conn '$close_reason $connection_requests';
connection_log logs/conn.log conn;
"""


def conf(port, dead):
    return LOG + """
upstream app { server 127.0.0.1:%d; }
upstream gone { server 127.0.0.1:%d; server 127.0.0.1:%d; }
server {
    listen 127.0.0.1:@PORT@;
    proxy_read_timeout 400ms;
    location / { proxy_pass http://app; proxy_http_version 1.1; }
    location /refused { proxy_pass http://127.0.0.1:%d; }
    location /gone { proxy_pass http://gone; }
    location = /metrics { metrics; access_log off; }
}
""" % (port, dead, dead + 1 if dead < 65535 else dead - 1, dead)


# fault -> (path, $status, $upstream_status, $close_reason, what the client gets)
TABLE = [
    ("refused", "/refused", 502, "502", "upstream_refused", "page"),
    ("reset before a byte", "/?fault=reset_first", 502, "502", "upstream_reset", "page"),
    ("close without a byte", "/?noresp=1", 502, "502", "upstream_closed", "page"),
    ("invalid status line", "/?garbage=1", 502, "502", "upstream_invalid", "page"),
    ("header without colon", "/?fault=nocolon", 502, "502", "upstream_invalid", "page"),
    ("read timeout", "/?ms=3000", 504, "504", "upstream_timeout", "page"),
    ("reset mid-body", "/?fault=reset_mid", 200, "200", "upstream_reset", "short"),
    ("short body", "/?fault=short", 200, "200", "upstream_truncated", "short"),
    ("missing last chunk", "/?fault=nolast", 200, "200", "upstream_truncated", "nolast"),
]


def client_get(srv, path):
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
    s.sendall(req(path, close=False))
    data, how = read_all(s, timeout=3.0)
    s.close()
    return data, how


def dechunk(body):
    """The data of a chunked body, and whether its last chunk came."""
    out = b""
    while body:
        size, _, rest = body.partition(b"\r\n")
        n = int(size, 16)
        if n == 0:
            return out, True
        out, body = out + rest[:n], rest[n + 2:]
    return out, False


def check_client(fault, kind, status, data, how):
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 %d " % status), (fault, data)
    if kind == "page":  # hush's complete error page, and the connection stays open
        rs = parse_responses(data)
        assert len(rs) == 1 and rs[0].header("Connection") == "keep-alive", (fault, data)
        assert how == "timeout", (fault, how)
    elif kind == "short":  # Content-Length: 100, ten bytes, then the connection closes
        assert b"\r\nContent-Length: 100\r\n" in head + b"\r\n" and body == b"0123456789", (fault, data)
        assert how in ("closed", "reset"), (fault, how)
    else:  # chunked, the upstream's chunks, no last chunk, closed
        assert b"\r\nTransfer-Encoding: chunked" in head and dechunk(body) == (b"firstsecond", False), (fault, data)
        assert how in ("closed", "reset"), (fault, how)


def test_upstream_fault_table(hush, backend):
    b = backend()
    dead = free_port()
    srv = hush(conf(b.port, dead))
    srv.allow_error_log(r"connect\(\) failed|recv\(\) failed|prematurely closed|invalid header|timed out|"
                        r"no live upstreams")
    for fault, path, status, ustatus, reason, kind in TABLE:
        data, how = client_get(srv, path)
        check_client(fault, kind, status, data, how)
    lines = srv.wait_log(len(TABLE))
    assert len(lines) == len(TABLE), lines
    for (fault, path, status, ustatus, reason, kind), line in zip(TABLE, lines):
        assert line.startswith("%d %s us=%s " % (status, reason, ustatus)), (fault, line)
        assert ('"GET %s HTTP/1.1"' % path) in line, (fault, line)
    # the connection log: a cut response ends its connection with the same reason
    conn = srv.wait_log(len(TABLE), name="conn.log")
    for (fault, path, status, ustatus, reason, kind), line in zip(TABLE, conn):
        assert line == ("%s 1" % (reason if kind != "page" else "keepalive_close")), (fault, line, conn)
    m = scrape(srv)
    want = {}
    for row in TABLE:
        want[row[4]] = want.get(row[4], 0) + 1
    for reason, n in want.items():
        assert m.total("hush_connection_endings_total", reason=reason) == n, reason
    assert m.total("hush_connection_endings_total", reason="ok") == 0


def test_no_live_upstreams_is_unavailable(hush, backend):
    b = backend()
    dead = free_port()
    srv = hush(conf(b.port, dead))
    srv.allow_error_log(r"connect\(\) failed|no live upstreams")
    r1 = srv.exchange(req("/gone/1"))
    r2 = srv.exchange(req("/gone/2"))  # both servers are down now (max_fails=1)
    assert r1.responses()[0].status == 502 and r2.responses()[0].status == 502
    lines = srv.wait_log(2)
    assert lines[0].startswith("502 upstream_refused us=502, 502 "), lines
    assert lines[1].startswith("502 upstream_unavailable us=502 "), lines  # as nginx: the group's name in
    assert srv.exchange(req("/gone/3")).responses()[0].status == 502    # $upstream_addr, with 502
    assert "no live upstreams" in srv.error_log()


def test_error_page_after_an_upstream_failure_keeps_its_reason(hush, backend):
    b = backend()
    srv = hush(LOG + """
upstream app { server 127.0.0.1:%d; }
server {
    listen 127.0.0.1:@PORT@;
    location / { proxy_pass http://app; error_page 502 /oops.txt; }
    location = /oops.txt { return 200 "sorry\\n"; }
}
""" % b.port)
    srv.allow_error_log(r"invalid header")
    r = srv.exchange(req("/?garbage=1"))
    assert r.responses()[0].status == 502 and r.responses()[0].body == b"sorry\n"
    assert srv.wait_log(1)[0].startswith("502 upstream_invalid us=502 ")


def test_logstat_knows_upstream_endings(hush, backend, tmp_path):
    import subprocess
    import os
    lines = ['127.0.0.1 - - [30/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" %d 10 "-" "-" %s' % (s, r)
             for s, r in ((502, "upstream_refused"), (200, "upstream_truncated"), (504, "upstream_timeout"),
                          (502, "upstream_invalid"), (200, "upstream_reset"), (502, "upstream_closed"),
                          (502, "upstream_unavailable"))]
    p = tmp_path / "a.log"
    p.write_text("\n".join(lines) + "\n")
    build = os.environ.get("HUSH_BUILD", "build")
    out = subprocess.run([os.path.join(build, "hush-logstat"), "--log-format",
                          '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
                          '"$http_referer" "$http_user_agent" $close_reason', str(p)],
                         capture_output=True, text=True, timeout=20)
    assert out.returncode == 0, out.stderr
    block = out.stdout.split("CLOSE REASONS")[1].split("\n\n")[0]
    for r in ("upstream_refused", "upstream_truncated", "upstream_timeout", "upstream_invalid",
              "upstream_reset", "upstream_closed", "upstream_unavailable"):
        assert "  %s " % r in block, (r, block)
    assert "other" not in block, block
