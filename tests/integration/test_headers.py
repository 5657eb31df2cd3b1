"""The headers module: add_header (its inheritance, `always`, the statuses it
applies to, variables, ETag/Last-Modified replaced or removed), expires (every
form), charset/charset_types/source_charset, and $request_id — side by side
with Debian's nginx 1.22 on files, `return`, error pages, redirects and
proxied responses, then hush alone for $request_id and the -t errors."""
import os
import re
import shutil
import tempfile
import time

import pytest

from conftest import dechunk, parse_http_date, req, run_hush
from test_nginx_parity import HUSH, NGINX, exchange, free_port, start, stop

CONF = """
{user}
daemon off;
worker_processes 1;
pid {dir}/{name}.pid;
error_log {dir}/{name}-error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    default_type application/octet-stream;
    types {{ text/plain txt; text/html html; application/json json; }}
    add_header X-Http http-level;
    expires 1h;
    charset utf-8;
    server {{
        listen 127.0.0.1:{port};
        root {dir}/html;
        add_header X-Server srv;
        add_header X-Always yes always;
        error_page 404 /err.html;
        location / {{ }}
        location /inherit/ {{ expires off; }}
        location /own/ {{ add_header X-Own own; add_header X-Own again; expires epoch; }}
        location /max/ {{ expires max; }}
        location /neg/ {{ expires -1; }}
        location /mod/ {{ expires modified 1d; }}
        location /daily/ {{ expires @15h30m; }}
        location /zero/ {{ expires 0; }}
        location = /ret {{ return 200 "text"; }}
        location = /redir {{ return 302 /x; }}
        location = /gone {{ return 410; }}
        location /json/ {{ charset_types application/json; }}
        location /off/ {{ charset off; }}
        location /empty/ {{ add_header X-Empty ""; add_header ETag ""; add_header Last-Modified ""; }}
        location /var/ {{ add_header X-Uri $uri; add_header ETag '"mine"'; }}
        location /src/ {{ source_charset utf-8; }}
        location /up/ {{ proxy_pass http://127.0.0.1:{backend}; add_header X-Px px always; expires 2h; }}
    }}
}}
"""

PATHS = ["/a.txt", "/inherit/a.txt", "/own/a.txt", "/max/a.txt", "/neg/a.txt", "/mod/a.txt",
         "/daily/a.txt", "/zero/a.txt", "/ret", "/redir", "/gone", "/json/a.json", "/off/a.txt",
         "/empty/a.txt", "/var/a.txt", "/missing", "/inherit", "/src/a.txt", "/up/x", "/up/y?status=404",
         "/up/c?chunked=1"]


@pytest.fixture
def site():
    d = tempfile.mkdtemp(prefix="hush-headers-")
    for sub in ["", "inherit", "own", "max", "neg", "mod", "json", "off", "empty", "var", "daily", "zero", "src"]:
        os.makedirs(os.path.join(d, "html", sub), exist_ok=True)
        with open(os.path.join(d, "html", sub, "a.txt"), "w") as f:
            f.write("hello\n")
    with open(os.path.join(d, "html", "err.html"), "w") as f:
        f.write("<p>err</p>\n")
    with open(os.path.join(d, "html", "json", "a.json"), "w") as f:
        f.write("{}\n")
    for root, _, files in os.walk(d):
        for x in files:
            os.utime(os.path.join(root, x), (1700000000, 1700000000))
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def heads(kind, d, backend_port):
    port = free_port()
    conf = os.path.join(d, kind + ".conf")
    with open(conf, "w") as f:
        f.write(CONF.format(dir=d, name=kind, port=port, backend=backend_port,
                            user="user root;" if kind == "nginx" else ""))
    cmd = [NGINX, "-p", d, "-e", os.path.join(d, "nginx-error.log"), "-c", conf] if kind == "nginx" \
        else [HUSH, "-p", d, "-c", conf]
    proc = start(cmd, port)
    try:
        out = []
        for p in PATHS:
            raw = exchange(port, req(p, host="x"))
            out.append((time.time(), raw.split(b"\r\n\r\n", 1)[0].decode("latin-1").replace(":%d" % port, ":PORT")))
        return out
    finally:
        stop(proc)


def comparable(head, at):
    """The head without what differs by nature: Date, Server, the built-in
    pages' length; times computed from now become offsets from `at`."""
    lines = head.split("\r\n")
    builtin = re.match(r"HTTP/1.1 (30[12]|410)", lines[0])
    out = [lines[0]]
    for line in lines[1:]:
        name, value = line.split(": ", 1)
        if name in ("Date", "Server") or (builtin and name == "Content-Length"):
            continue
        if name == "Expires" and not value.startswith(("Thu, 01 Jan 1970", "Thu, 31 Dec 2037", "Wed, 15 Nov 2023")):
            value = parse_http_date(value) - at   # seconds from now: compared within a tolerance
        if name == "Cache-Control" and value.startswith("max-age="):
            value = int(value[8:])
        out.append((name, value))
    return out


def same_head(a, b):
    """Equal heads, times that count from now within 30 s of each other."""
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if isinstance(x, tuple) and isinstance(y, tuple) and isinstance(x[1], (int, float)):
            if x[0] != y[0] or not isinstance(y[1], (int, float)) or abs(x[1] - y[1]) > 30:
                return False
        elif x != y:
            return False
    return True


@pytest.mark.skipif(not os.path.exists(NGINX), reason="nginx is not installed")
def test_same_heads_as_nginx(site, backend):
    b = backend()
    h = heads("hush", site, b.port)
    n = heads("nginx", site, b.port)
    for path, (ht, hh), (nt, nh) in zip(PATHS, h, n):
        assert same_head(comparable(hh, ht), comparable(nh, nt)), (path, comparable(hh, ht), comparable(nh, nt))
    by = dict(zip(PATHS, (x[1] for x in h)))
    # the inheritance rule: the server's own add_header hides the http level's
    assert "X-Http" not in by["/a.txt"] and "X-Server: srv" in by["/a.txt"]
    assert "X-Own: own\r\nX-Own: again" in by["/own/a.txt"] and "X-Server" not in by["/own/a.txt"]
    # `always` on error pages only; expires not on a 404
    assert "X-Always: yes" in by["/missing"] and "X-Server" not in by["/missing"] and "Expires" not in by["/missing"]
    assert "text/plain; charset=utf-8" in by["/up/x"] and "X-Px: px" in by["/up/y?status=404"]
    assert "Cache-Control: max-age=7200" in by["/up/x"] and "Transfer-Encoding: chunked" in by["/up/c?chunked=1"]


def test_request_id_in_log_and_upstream(hush, backend):
    b = backend()
    srv = hush("""
log_format ids '$request_id $request_id $sent_http_x_request_id';
access_log logs/access.log ids;
server {
    listen 127.0.0.1:@PORT@;
    add_header X-Request-ID $request_id always;
    location / { return 200 "ok"; }
    location /up/ { proxy_pass http://127.0.0.1:%d; proxy_set_header X-Request-ID $request_id; }
}""" % b.port)
    ids = []
    for path in ("/a", "/b", "/up/c"):
        r = srv.exchange(req(path)).responses()[0]
        ids.append(r.header("X-Request-ID"))
    lines = srv.wait_log(3)
    for line, rid in zip(lines, ids):
        assert re.fullmatch(r"[0-9a-f]{32}", rid)
        assert line == "%s %s %s" % (rid, rid, rid)  # one value for the whole request
    assert len(set(ids)) == 3
    assert b.events("request")[0]["headers"]["x-request-id"] == ids[2]


@pytest.mark.parametrize("directive,message", [
    ("charset utf-8; source_charset koi8-r;", 'recoding from "koi8-r" to "utf-8": no "charset_map" between them'),
    ("add_header X-A b sometimes;", 'invalid parameter "sometimes"'),
    ("expires soon;", "invalid value"),
    ("expires modified @10h;", 'daily time cannot be used with "modified" parameter'),
    ("expires @25h;", "daily time value must be less than 24 hours"),
    ("expires 1h; expires 2h;", '"expires" directive is duplicate'),
    ("source_charset $c;", 'variables in "source_charset" are not supported'),
    ("add_header X-A;", "invalid number of arguments"),
    ("override_charset yes;", 'invalid value "yes" in "override_charset" directive, it must be "on" or "off"'),
    ("override_charset on; override_charset off;", '"override_charset" directive is duplicate'),
])
def test_bad_directives_fail_t(tmpconf, directive, message):
    conf = os.path.join(tmpconf, "hush.conf")
    with open(conf, "w") as f:
        f.write("events {}\nhttp {\n server {\n  listen 127.0.0.1:1;\n  location / {\n   %s\n  }\n }\n}\n" % directive)
    r = run_hush(["-t", "-p", tmpconf, "-c", conf])
    assert r.returncode == 1
    assert "%s:6: " % conf in r.stderr and message in r.stderr, r.stderr


def test_charset_map_recodes_files_both_ways_and_with_ranges(hush):
    """charset_map between two single-byte charsets: a file in
    source_charset is sent in charset, byte by byte (the map serves both
    directions), also a range of it; its length is unchanged."""
    srv = hush("""
    charset_map B A { 58 59; 41 61; }
    server {
        listen 127.0.0.1:@PORT@;
        location /fwd/ { charset A; source_charset B; }
        location /back/ { charset B; source_charset A; }
    }""", start=False)
    srv.write("fwd/t.html", b"XAXZ" * 3)
    srv.write("back/t.html", b"YaYz" * 3)
    srv.start()
    r = srv.get("/fwd/t.html")
    assert r.body == b"YaYZ" * 3 and r.header("Content-Type") == "text/html; charset=A"
    assert r.header("Content-Length") == "12"
    assert srv.get("/back/t.html").body == b"XAXz" * 3
    r = srv.get("/fwd/t.html", headers=["Range: bytes=4-6"])
    assert (r.status, r.body, r.header("Content-Range")) == (206, b"YaY", "bytes 4-6/12")


UTF8_MAP = "charset_map koi8-r utf-8 { C1 D0B0; C2 D0B1; E1 D090; }"


def test_charset_map_recodes_a_single_byte_body_into_utf8(hush):
    """Into UTF-8 (Debian's koi-utf): each byte its UTF-8 sequence, the bytes
    80-FF the map lacks '?', ASCII as it is; the length changes, so no
    Content-Length and no range (the whole body, 200, as nginx)."""
    srv = hush("""
    %s
    server {
        listen 127.0.0.1:@PORT@;
        location / { charset utf-8; source_charset koi8-r; }
    }""" % UTF8_MAP, start=False)
    srv.write("t.html", b"\xe1\xc1\xc2 x \xff")
    srv.write("big.html", b"x" + b"\xc1" * 100000)
    srv.start()
    r = srv.get("/t.html")
    assert r.status == 200 and dechunk(r.body) == "Ааб x ?".encode(), r.body
    assert r.header("Content-Type") == "text/html; charset=utf-8"
    assert r.header("Content-Length") is None and r.header("Accept-Ranges") is None
    r = srv.get("/t.html", headers=["Range: bytes=0-1"])
    assert r.status == 200 and dechunk(r.body) == "Ааб x ?".encode() and r.header("Content-Range") is None
    assert dechunk(srv.get("/big.html").body) == b"x" + "а".encode() * 100000
    assert srv.get("/t.html", method="HEAD").body == b""


def test_charset_map_recodes_utf8_back_to_single_bytes(hush):
    """Out of UTF-8 through the same map: a character the charset lacks
    becomes &#N;, a malformed byte '?', a character cut by the end '?', and
    characters cut between the pieces of a large body are whole again."""
    srv = hush("""
    %s
    server {
        listen 127.0.0.1:@PORT@;
        location / { charset koi8-r; source_charset utf-8; }
    }""" % UTF8_MAP, start=False)
    srv.write("t.html", "Аб€x".encode() + b"\xff!\xd0")
    srv.write("big.html", b"x" + "а".encode() * 100000)
    srv.start()
    r = srv.get("/t.html")
    assert r.status == 200 and dechunk(r.body) == b"\xe1\xc2&#8364;x?!?", r.body
    assert r.header("Content-Type") == "text/html; charset=koi8-r" and r.header("Content-Length") is None
    assert dechunk(srv.get("/big.html").body) == b"x" + b"\xc1" * 100000


def test_charset_from_a_variable_and_override_charset(hush):
    """charset $var chooses the charset per response (recoding from
    source_charset when a map joins them); override_charset on recodes an
    upstream's response from the charset its Content-Type names, as nginx
    (nginx-tests charset.t)."""
    srv = hush("""
    charset_map B A { 58 59; }
    server {
        listen 127.0.0.1:@PORT@;
        location /v/ { charset $arg_c; source_charset B; }
        location /t.html { charset A; source_charset B; }
        location /proxy/ { charset B; override_charset on; proxy_pass http://127.0.0.1:@PORT@/; }
        location /keep/ { charset B; proxy_pass http://127.0.0.1:@PORT@/; }
    }""", start=False)
    srv.write("v/t.html", b"XAX")
    srv.write("t.html", b"X" * 99)
    srv.start()
    r = srv.get("/v/t.html?c=A")
    assert r.header("Content-Type") == "text/html; charset=A" and r.body == b"YAY"
    r = srv.get("/v/t.html?c=B")
    assert r.header("Content-Type") == "text/html; charset=B" and r.body == b"XAX"
    r = srv.get("/v/t.html?c=Q")  # no map between B and Q: nginx's error line, no charset
    assert r.header("Content-Type") == "text/html" and r.body == b"XAX"
    assert 'no "charset_map" between the charsets "B" and "Q"' in srv.error_log()
    assert srv.get("/v/t.html").header("Content-Type") == "text/html"  # empty: none
    assert srv.get("/t.html").body == b"Y" * 99
    r = srv.get("/proxy/t.html")  # the upstream says charset=A: recoded back into B
    assert r.body == b"X" * 99 and r.header("Content-Type") == "text/html; charset=B"
    r = srv.get("/keep/t.html")  # without override_charset the upstream's stays
    assert r.body == b"Y" * 99 and r.header("Content-Type") == "text/html; charset=A"


def test_charset_map_from_utf8_and_bad_lines_fail_t(tmpconf):
    conf = os.path.join(tmpconf, "hush.conf")
    cases = [("charset_map utf-8 koi8-r { C1 D0B0; }", '"charset_map" from utf-8 is not supported'),
             ("charset_map a b { 4 41; }", 'invalid line in "charset_map"'),
             ("charset_map koi8-r utf-8 { C1 FFFF; }", 'invalid value "FFFF" in "charset_map"'),
             ("charset_map koi8-r utf-8 { C1 D0; }", 'invalid value "D0" in "charset_map"')]
    for line, message in cases:
        with open(conf, "w") as f:
            f.write("events {}\nhttp {\n %s\n}\n" % line)
        r = run_hush(["-t", "-p", tmpconf, "-c", conf])
        assert r.returncode == 1 and message in r.stderr, (line, r.stderr)


def test_source_charset_equal_and_off_pass_t(tmpconf):
    conf = os.path.join(tmpconf, "hush.conf")
    with open(conf, "w") as f:
        f.write("events {}\nhttp {\n source_charset koi8-r;\n server {\n  listen 127.0.0.1:1;\n"
                "  location / { charset KOI8-R; }\n  location /x/ { charset off; }\n }\n}\n")
    r = run_hush(["-t", "-p", tmpconf, "-c", conf])
    assert r.returncode == 0, r.stderr


def test_expires_and_add_header_in_if(hush):
    srv = hush("""
server {
    listen 127.0.0.1:@PORT@;
    location / {
        if ($arg_e) { expires 30s; }
        return 200 "x";
    }
}""")
    r = srv.exchange(req("/?e=1")).responses()[0]
    assert r.header("Cache-Control") == "max-age=30"
    r = srv.exchange(req("/")).responses()[0]
    assert r.header("Cache-Control") is None


def test_readme_example(hush, backend):
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "README.md")) as f:
        text = f.read()
    section = text.split("### Response headers:", 1)[1]
    example = section.split("```nginx\n", 1)[1].split("```", 1)[0]
    b = backend()
    srv = hush(example.replace("listen 8080", "listen 127.0.0.1:@PORT@").replace("127.0.0.1:8081", "127.0.0.1:%d" % b.port))
    srv.write("static/a.html", "<p>a</p>\n")
    r = srv.exchange(req("/static/a.html")).responses()[0]
    assert r.header("Content-Type") == "text/html; charset=utf-8"
    assert r.header("Cache-Control") == "max-age=604800" and r.header("X-Frame-Options") == "DENY"
    assert abs(parse_http_date(r.header("Expires")) - time.time() - 7 * 86400) < 5
    assert r.header("X-Request-ID") is None
    r = srv.exchange(req("/api/x")).responses()[0]
    rid = r.header("X-Request-ID")
    assert r.header("Cache-Control") == "no-cache" and r.header("Content-Type") == "text/plain; charset=utf-8"
    assert b.events("request")[0]["headers"]["x-request-id"] == rid
    lines = srv.wait_log(2, name="ids.log")
    assert lines[1] == '127.0.0.1 "GET /api/x HTTP/1.1" 200 %s no-cache' % rid
    assert lines[0].endswith(" 200 %s max-age=604800" % lines[0].split()[-2])


def fixed_upstream(reply):
    """A tiny upstream that answers every connection with `reply` and closes."""
    import socket
    import threading
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(16)

    def serve():
        while True:
            try:
                c, _ = s.accept()
            except OSError:
                return
            c.recv(65536)
            c.sendall(reply)
            c.close()
    threading.Thread(target=serve, daemon=True).start()
    return s


def test_proxy_hide_and_pass_header(hush):
    up = fixed_upstream(b"HTTP/1.1 200 Fine\r\nServer: upstream/1\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\n"
                        b"X-Secret: s\r\nX-Other: o\r\nX-Accel-Foo: f\r\nX-Pad: p\r\nContent-Length: 2\r\n"
                        b"Connection: close\r\n\r\nok")
    port = up.getsockname()[1]
    srv = hush("""
server {
    listen 127.0.0.1:@PORT@;
    proxy_hide_header X-Other;
    location /a/ { proxy_pass http://127.0.0.1:%d; }
    location /b/ { proxy_pass http://127.0.0.1:%d; proxy_hide_header X-Secret;
                   proxy_pass_header Server; proxy_pass_header Date; proxy_pass_header X-Accel-Foo; }
}""" % (port, port))
    a = srv.exchange(req("/a/")).responses()[0]
    assert a.status == 200 and a.reason == "Fine" and a.body == b"ok"
    assert a.header("Server").startswith("hush") and a.header("Date") != "Mon, 01 Jan 2024 00:00:00 GMT"
    assert a.header("X-Secret") == "s" and a.header("X-Other") is None
    assert a.header("X-Accel-Foo") is None and a.header("X-Pad") is None
    b = srv.exchange(req("/b/")).responses()[0]
    # a level with its own proxy_hide_header does not inherit the server's (nginx's arrays)
    assert b.header("X-Secret") is None and b.header("X-Other") == "o" and b.header("X-Accel-Foo") == "f"
    assert [v for k, v in b.headers if k == "Server"] == ["upstream/1"]
    assert [v for k, v in b.headers if k == "Date"] == ["Mon, 01 Jan 2024 00:00:00 GMT"]
    up.close()


def test_expires_with_variables(hush):
    srv = hush("""
server {
    listen 127.0.0.1:@PORT@;
    location /var { expires $arg_e; return 200 "x"; }
    location /mod { expires modified $arg_e; return 200 "x"; }
}""")
    srv.allow_error_log(r"invalid value")

    def cc(path):
        rs = srv.exchange(req(path)).responses()
        return rs[0].header("Cache-Control") if rs else "failed"
    assert cc("/var?e=epoch") == "no-cache"
    assert cc("/var?e=max") == "max-age=315360000"
    assert cc("/var?e=off") is None
    assert cc("/var?e=2048") == "max-age=2048"
    assert cc("/var?e=-2048") == "no-cache"
    assert cc("/mod?e=2048") == "max-age=2048"   # no Last-Modified: from now
    # as nginx: a value that is not an expires fails the response (no Expires is sent)
    assert cc("/var?e=bad") == "failed" and cc("/var") == "failed" and cc("/mod?e=epoch") == "failed"
    assert srv.wait_error_log(r'\[error\] .*invalid value "bad"')


def test_upstream_duplicate_fields(hush):
    # as nginx (proxy_duplicate_headers.t): a second Content-Length, even an
    # equal one, or a second Transfer-Encoding is a 502; a second Expires is ignored
    heads = [b"Content-Length: 0\r\nContent-Length: 0\r\n\r\n",
             b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
             b"Expires: foo\r\nExpires: bar\r\nContent-Length: 0\r\n\r\n"]
    ups = [fixed_upstream(b"HTTP/1.1 200 OK\r\nConnection: close\r\n" + h) for h in heads]
    srv = hush("server { listen 127.0.0.1:@PORT@; %s }" % " ".join(
        "location /%d { proxy_pass http://127.0.0.1:%d; }" % (i, u.getsockname()[1]) for i, u in enumerate(ups)))
    srv.allow_error_log(r"upstream sent invalid header")
    assert srv.exchange(req("/0")).responses()[0].status == 502
    assert srv.exchange(req("/1")).responses()[0].status == 502
    r = srv.exchange(req("/2")).responses()[0]
    assert r.status == 200 and [v for k, v in r.headers if k == "Expires"] == ["foo"]
    for u in ups:
        u.close()


def test_variables_join_repeated_fields_as_nginx(hush):
    """$http_NAME and $sent_http_NAME over a repeated field: every value,
    joined by ", " ("; " for Cookie), as nginx 1.23 and later."""
    srv = hush("""
        log_format multi '$sent_http_cache_control|$http_x_many|$http_cookie|$arg_';
        access_log logs/access.log multi;
        server {
            listen 127.0.0.1:@PORT@;
            location / {
                add_header Cache-Control max-age=3600;
                add_header Cache-Control private;
                return 200 "$http_x_many\\n";
            }
        }""")
    r = srv.exchange(req("/?a=1", headers=("X-Many: one", "Cookie: a=1", "X-Many: two", "Cookie: b=2")))
    rs = r.responses()
    assert rs[0].body == b"one, two\n"
    assert srv.wait_log(1)[0] == "max-age=3600, private|one, two|a=1; b=2|-", srv.log_lines()  # no arg named ""
