"""The HTTP core directives nginx configs and nginx's own tests lean on:
merge_slashes, ignore_invalid_headers / underscores_in_headers,
absolute_redirect / port_in_redirect / server_name_in_redirect,
server_tokens build, keepalive_disable / keepalive_time, limit_except, and the
tuning sizes that are accepted and checked (pool and hash sizes)."""
import os
import shutil
import socket
import struct
import time

from conftest import req, run_hush, HUSH_BIN


def srv_with(hush, body, port_line="listen 127.0.0.1:@PORT@;"):
    return hush("access_log off;\nserver { %s server_name localhost; %s }" % (port_line, body))


# ---- merge_slashes ----

def test_merge_slashes_off_keeps_runs_of_slashes(hush):
    # nginx-tests merge_slashes.t: "/foo//../bar" is /foo/bar, "/foo///../bar" /foo//bar
    srv = srv_with(hush, 'merge_slashes off; location / { return 200 "x $uri x"; }')
    assert srv.get("/foo//../bar").body == b"x /foo/bar x"
    assert srv.get("/foo///../bar").body == b"x /foo//bar x"
    assert srv.get("/a//b").body == b"x /a//b x"
    assert srv.get("/a/./b").body == b"x /a/b x"


def test_merge_slashes_on_by_default(hush):
    srv = srv_with(hush, 'location / { return 200 "x $uri x"; }')
    assert srv.get("/a//b///c").body == b"x /a/b/c x"
    assert srv.get("/foo//../bar").body == b"x /bar x"


# ---- ignore_invalid_headers, underscores_in_headers ----

HEADERS = ["x_foo: one", "_bar: two", "x.baz: three", "X-Good: four"]


def echo_conf(extra=""):
    return ('%s location / { return 200 "[$http_x_foo][$http__bar][$http_x_good]"; }' % extra)


def test_invalid_headers_ignored_by_default(hush):
    srv = srv_with(hush, echo_conf())
    assert srv.get("/", headers=HEADERS).body == b"[][][four]"
    assert srv.wait_error_log(r'\[info\].*client sent invalid header line: "x_foo: one" while')


def test_underscores_in_headers_on(hush):
    srv = srv_with(hush, echo_conf("underscores_in_headers on;"))
    assert srv.get("/", headers=HEADERS).body == b"[one][two][four]"


def test_ignore_invalid_headers_off(hush):
    srv = srv_with(hush, echo_conf("ignore_invalid_headers off;"))
    assert srv.get("/", headers=HEADERS).body == b"[one][two][four]"


def test_always_invalid_header_names_are_400(hush):
    srv = srv_with(hush, echo_conf("ignore_invalid_headers off;"))
    for bad in (b":foo: x", b" foo: x", b"foo\x02: x"):
        r = srv.exchange(b"GET / HTTP/1.0\r\n" + bad + b"\r\n\r\n")
        assert r.data.startswith(b"HTTP/1.1 400 "), (bad, r)


# ---- redirects ----

def test_absolute_redirect_and_its_parts(hush):
    srv = srv_with(hush, """
        server_name on.example;
        location = /r { return 301 /redirect; }
        location = /name { server_name_in_redirect on; return 301 /redirect; }
        location = /port { port_in_redirect off; return 301 /redirect; }
        location = /off { absolute_redirect off; return 302 /redirect; }
        location /d/ { absolute_redirect off; }
    """)
    os.makedirs(os.path.join(srv.html, "dir"))
    os.makedirs(os.path.join(srv.html, "d", "sub"))
    p = srv.port
    assert srv.get("/r", host="host").header("Location") == "http://host:%d/redirect" % p
    assert srv.get("/name", host="host").header("Location") == "http://localhost:%d/redirect" % p
    assert srv.get("/port", host="host").header("Location") == "http://host/redirect"
    assert srv.get("/off", host="host").header("Location") == "/redirect"
    assert srv.get("/dir", host="host").header("Location") == "http://host:%d/dir/" % p
    assert srv.get("/d/sub", host="host").header("Location") == "/d/sub/"
    os.makedirs(os.path.join(srv.html, "dir sp"))
    assert srv.get("/dir%20sp?a=b", host="host").header("Location") == "http://host:%d/dir%%20sp/?a=b" % p
    # no Host (HTTP/1.0): the local address, as nginx
    r = srv.exchange(b"GET /r HTTP/1.0\r\n\r\n").responses()[0]
    assert r.header("Location") == "http://127.0.0.1:%d/redirect" % p


# ---- server_tokens ----

def test_server_tokens_build_is_the_version(hush):
    srv = srv_with(hush, """
        location /b { server_tokens build; return 404; }
        location /off { server_tokens off; return 404; }
    """)
    r = srv.get("/b")
    assert r.header("Server").startswith("hush/")
    assert b"<center>hush/" in r.body
    r = srv.get("/off")
    assert r.header("Server") == "hush"


# ---- keep-alive ----

def test_keepalive_disable_msie6_after_post(hush):
    srv = srv_with(hush, "location / { return 200 ok; }")
    ua = "User-Agent: Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)"
    r = srv.get("/", method="POST", headers=[ua, "Content-Length: 0"], close=False, timeout=1)
    assert r.header("Connection") == "close"
    r = srv.exchange(req("/", headers=[ua], close=False), timeout=0.5).responses()[0]
    assert r.header("Connection") == "keep-alive"


def test_keepalive_disable_safari(hush):
    srv = srv_with(hush, "keepalive_disable safari; location / { return 200 ok; }")
    ua = ("User-Agent: Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.0 Safari/605.1.15")
    r = srv.get("/", headers=[ua], close=False, timeout=1)
    assert r.header("Connection") == "close"
    chrome = ua.replace("Version/17.0", "Chrome/120.0")
    r = srv.exchange(req("/", headers=[chrome], close=False), timeout=0.5).responses()[0]
    assert r.header("Connection") == "keep-alive"


def test_keepalive_time_closes_old_connections(hush):
    import time
    srv = srv_with(hush, "keepalive_time 300ms; location / { return 200 ok; }")
    s = srv.connect()
    s.sendall(req("/", close=False))
    time.sleep(0.1)
    first = s.recv(4096)
    assert b"Connection: keep-alive" in first
    time.sleep(0.4)
    s.sendall(req("/", close=False))
    s.settimeout(2)
    data = b""
    while True:
        b = s.recv(4096)
        if not b:
            break
        data += b
    s.close()
    assert b"Connection: close" in data


# ---- limit_except ----

def test_limit_except_uses_its_access_rules(hush):
    srv = srv_with(hush, """
        location / { limit_except GET { deny all; } return 200 "ok\\n"; }
        location /static/ { limit_except GET POST { allow 10.0.0.0/8; deny all; } }
    """)
    srv.write("static/a.txt", "A")
    assert srv.get("/").status == 200
    assert srv.get("/static/a.txt").body == b"A"
    assert srv.get("/static/a.txt", method="HEAD").status == 200   # GET brings HEAD
    assert srv.get("/static/a.txt", method="DELETE").status == 403
    assert srv.get("/static/a.txt", method="PROPFIND").status == 403
    # POST is allowed past limit_except, then the file handler refuses it
    assert srv.get("/static/a.txt", method="POST", headers=["Content-Length: 0"]).status == 405
    assert srv.wait_error_log(r"access forbidden by rule")


def test_limit_except_config_errors(tmpconf):
    def check(body, msg):
        path = os.path.join(tmpconf, "t.conf")
        with open(path, "w") as f:
            f.write("events {}\nhttp {\nserver {\n%s\n}\n}\n" % body)
        r = run_hush(["-t", "-p", tmpconf, "-c", path])
        assert r.returncode == 1 and msg in r.stderr, r.stderr
    check("location / { limit_except FETCH { deny all; } }", 't.conf:4: invalid method "FETCH"')
    check("limit_except GET { deny all; }", '"limit_except" directive is not allowed here')
    check("location / { limit_except GET { root /x; } }", '"root" directive is not allowed here')
    check("location / { limit_except GET { } limit_except POST { } }", '"limit_except" directive is duplicate')


# ---- accepted and checked ----

def test_tuning_sizes_accepted_and_checked(tmpconf):
    def t(line):
        path = os.path.join(tmpconf, "t.conf")
        with open(path, "w") as f:
            f.write("events {}\nhttp {\n%s\nserver { listen 127.0.0.1:1; }\n}\n" % line)
        return run_hush(["-t", "-p", tmpconf, "-c", path])
    for ok in ("types_hash_max_size 2048;", "types_hash_bucket_size 64;", "server_names_hash_bucket_size 128;",
               "server_names_hash_max_size 1024;", "variables_hash_max_size 1024;",
               "variables_hash_bucket_size 64;", "connection_pool_size 512;", "request_pool_size 4k;",
               "keepalive_disable none;", "keepalive_disable msie6 safari;", "keepalive_time 1h;",
               "merge_slashes off;", "ignore_invalid_headers off;", "underscores_in_headers on;",
               "absolute_redirect off;", "port_in_redirect off;", "server_name_in_redirect on;",
               "server_tokens build;"):
        r = t(ok)
        assert r.returncode == 0, (ok, r.stderr)
    for bad, msg in (("connection_pool_size 10;", "the pool size must be no less than 112"),
                     ("request_pool_size 1000;", "the pool size must be a multiple of 16"),
                     ("types_hash_max_size 0;", 'invalid value "0"'),
                     ("keepalive_disable opera;", 'invalid value "opera"'),
                     ("server_tokens maybe;", 'invalid value "maybe"'),
                     ("merge_slashes maybe;", "maybe")):
        r = t(bad)
        assert r.returncode == 1 and "t.conf:3: " in r.stderr and msg in r.stderr, (bad, r.stderr)


def test_limit_except_with_auth_basic(hush):
    srv = srv_with(hush, 'location / { limit_except GET { auth_basic "admin"; '
                         'auth_basic_user_file @DIR@/htpasswd; } }')
    with open(os.path.join(srv.dir, "htpasswd"), "w") as f:
        f.write("u:{PLAIN}p\n")
    srv.write("a.txt", "A")
    assert srv.get("/a.txt").status == 200
    assert srv.get("/a.txt", method="DELETE").status == 401
    r = srv.get("/a.txt", method="DELETE", headers=["Authorization: Basic dTpw"])
    assert r.status == 405      # let in by the password; the file handler refuses DELETE


# ---- access_log if= with any value ----

def test_access_log_if_any_value(hush):
    srv = hush("""
        log_format short '$request_uri';
        server {
            listen 127.0.0.1:@PORT@;
            access_log logs/two.log short if=$arg_a$arg_b;
            access_log logs/never.log short if=0;
            access_log logs/always.log short if=yes;
            access_log logs/pre.log short if=x$arg_a;
            access_log logs/zero.log short if=$arg_a;
            location / { return 200 ok; }
        }""")
    for q in ("/?a=1", "/?b=2", "/", "/?a=0", "/?a=&b=0"):
        srv.get(q)
    time.sleep(0.3)
    srv.stop()
    assert srv.log_lines("two.log") == ["/?a=1", "/?b=2"]
    assert srv.log_lines("never.log") == []
    assert len(srv.log_lines("always.log")) == 5
    assert len(srv.log_lines("pre.log")) == 5
    assert srv.log_lines("zero.log") == ["/?a=1"]


# ---- listen port ranges ----

def free_range(n):
    import random
    import socket
    for _ in range(50):
        base = random.randint(20000, 60000)
        socks = []
        try:
            for p in range(base, base + n):
                s = socket.socket()
                s.bind(("127.0.0.1", p))
                socks.append(s)
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free port range")


def test_listen_port_range(hush):
    base = free_range(3)
    srv = hush("""access_log off;
        server { listen 127.0.0.1:@PORT@; listen 127.0.0.1:%d-%d; location / { return 200 "$server_port"; } }
        """ % (base, base + 2))
    for p in (base, base + 1, base + 2):
        srv.wait_listening(p)
        r = srv.exchange(req("/"), port=p).responses()[0]
        assert r.body == str(p).encode()


def test_listen_port_range_errors(tmpconf):
    path = os.path.join(tmpconf, "t.conf")
    for addr, ok in (("127.0.0.1:9003-9000", False), ("127.0.0.1:9000-x", False), ("my-host-1:80", None),
                     ("9000-9001", True), ("[::1]:9000-9001", True)):
        with open(path, "w") as f:
            f.write("events {}\nhttp {\nserver { listen %s; }\n}\n" % addr)
        r = run_hush(["-t", "-p", tmpconf, "-c", path])
        if ok is True:
            assert r.returncode == 0, (addr, r.stderr)
        elif ok is False:
            assert r.returncode == 1 and 'invalid address "%s"' % addr in r.stderr, (addr, r.stderr)
        else:   # a host name with dashes is a host name (here: unknown), never a range
            assert "invalid address" in r.stderr or r.returncode == 0


# ---- open_file_cache_valid, _min_uses, _errors (hush's small-file cache) ----

def test_open_file_cache_valid_min_uses_errors(hush):
    srv = srv_with(hush, """
        location /v/ { open_file_cache_valid 30s; }
        location /short/ { open_file_cache_valid 50ms; }
        location /m/ { open_file_cache_valid 30s; open_file_cache_min_uses 2; }
        location /e/ { open_file_cache_valid 30s; open_file_cache_errors on; }
        location /n/ { open_file_cache_valid 30s; }
    """)
    for d in ("v", "short", "m"):
        srv.write(d + "/f.txt", "A")
    # valid 30s: a change is not seen while the entry is trusted
    assert srv.get("/v/f.txt").body == b"A"
    srv.write("v/f.txt", "BB")
    assert srv.get("/v/f.txt").body == b"A"
    # valid 50ms: seen once it expired
    assert srv.get("/short/f.txt").body == b"A"
    srv.write("short/f.txt", "BB")
    time.sleep(0.2)
    assert srv.get("/short/f.txt").body == b"BB"
    # min_uses 2: kept from the second use on
    assert srv.get("/m/f.txt").body == b"A"
    srv.write("m/f.txt", "BB")
    assert srv.get("/m/f.txt").body == b"BB"
    srv.write("m/f.txt", "CCC")
    assert srv.get("/m/f.txt").body == b"BB"
    # errors on: a missing file stays missing while the entry is trusted
    assert srv.get("/e/f.txt").status == 404
    srv.write("e/f.txt", "A")
    assert srv.get("/e/f.txt").status == 404
    # errors off (the default): not remembered
    assert srv.get("/n/f.txt").status == 404
    srv.write("n/f.txt", "A")
    assert srv.get("/n/f.txt").body == b"A"


def test_open_file_cache_directives_checked(tmpconf):
    path = os.path.join(tmpconf, "t.conf")
    for line, err in (("open_file_cache_valid 1m;", None), ("open_file_cache_min_uses 2;", None),
                      ("open_file_cache_errors on;", None), ("open_file_cache_min_uses 0;", 'invalid value "0"'),
                      ("open_file_cache_valid soon;", "t.conf:3:"), ("open_file_cache_errors 1;", "t.conf:3:")):
        with open(path, "w") as f:
            f.write("events {}\nhttp {\n%s\nserver { listen 127.0.0.1:1; }\n}\n" % line)
        r = run_hush(["-t", "-p", tmpconf, "-c", path])
        if err is None:
            assert r.returncode == 0, (line, r.stderr)
        else:
            assert r.returncode == 1 and err in r.stderr, (line, r.stderr)


# ---- listen unix: ----

def unix_get(path, data):
    import socket
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(3)
    s.connect(path)
    s.sendall(data)
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
    s.close()
    return out


def test_listen_unix_socket(hush):
    import signal
    import stat
    srv = hush("""
        log_format addr '$remote_addr|$remote_port|$server_addr|$server_port|$status';
        access_log logs/access.log addr;
        server {
            listen 127.0.0.1:@PORT@;
            listen unix:@DIR@/hush.sock;
            location / { return 200 "hello $server_addr\\n"; }
            location /dir { }
        }""", main="worker_processes 2;")
    sock = os.path.join(srv.dir, "hush.sock")
    st = os.stat(sock)
    assert stat.S_ISSOCK(st.st_mode) and st.st_mode & 0o777 == 0o666
    for _ in range(4):   # both workers accept on the one socket
        out = unix_get(sock, req("/"))
        assert out.startswith(b"HTTP/1.1 200 ") and out.endswith(b"hello unix:%s\n" % sock.encode())
    line = srv.wait_log(1)[0]
    assert line == "unix:|-|unix:%s|-|200" % sock
    # a redirect through a unix socket has no port
    os.makedirs(os.path.join(srv.html, "dir"))
    out = unix_get(sock, req("/dir", host="h"))
    assert b"\r\nLocation: http://h/dir/\r\n" in out
    # a reload binds it again; the new workers answer on it
    srv.send_signal(signal.SIGHUP)
    time.sleep(1.0)
    assert unix_get(sock, req("/")).startswith(b"HTTP/1.1 200 ")
    srv.stop()
    assert not os.path.exists(sock)   # removed on stop, as nginx


def test_listen_unix_socket_with_a_long_path(hush):
    """Any path a sockaddr_un takes (107 bytes), not only short ones."""
    import tempfile
    d = tempfile.mkdtemp(prefix="hush-long-path-" + "x" * 30)
    sock = os.path.join(d, "s" * (100 - len(d)) + ".sock")
    assert len(sock) >= 100
    try:
        srv = hush('''server { listen 127.0.0.1:@PORT@; listen unix:%s;
            location / { return 200 "via $server_addr\\n"; } }''' % sock)
        out = unix_get(sock, req("/"))
        assert out.endswith(b"via unix:%s\n" % sock.encode()), out
        srv.stop()
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_listen_unix_errors(tmpconf):
    path = os.path.join(tmpconf, "t.conf")
    for addr, msg in (("unix:", 'invalid address "unix:"'), ("unix:/" + "x" * 120, "invalid address")):
        with open(path, "w") as f:
            f.write("events {}\nhttp {\nserver { listen %s; }\n}\n" % addr)
        r = run_hush(["-t", "-p", tmpconf, "-c", path])
        assert r.returncode == 1 and "t.conf:3: " in r.stderr and msg in r.stderr, (addr, r.stderr)


def test_keepalive_timeout_header_and_disable_none(hush):
    # nginx-tests http_keepalive.t: "keepalive_timeout 1 9" sends Keep-Alive: timeout=9,
    # inherited by a level that sets only the timeout; keepalive_disable none keeps MSIE 5 alive
    srv = srv_with(hush, """keepalive_timeout 1 9;
        location / { return 200 ok; }
        location /r { keepalive_timeout 30s; return 200 ok; }
        location /none { keepalive_disable none; return 200 ok; }
        location /zero { keepalive_timeout 0; return 200 ok; }
    """)
    r = srv.exchange(req("/", close=False), timeout=0.5).responses()[0]
    assert r.header("Connection") == "keep-alive" and r.header("Keep-Alive") == "timeout=9"
    r = srv.exchange(req("/r", close=False), timeout=0.5).responses()[0]
    assert r.header("Keep-Alive") == "timeout=9"
    assert srv.get("/").header("Keep-Alive") is None          # Connection: close
    assert srv.get("/zero", close=False).header("Keep-Alive") is None
    ua = "User-Agent: MSIE 5.0"
    r = srv.exchange(req("/none", method="POST", headers=[ua, "Content-Length: 0"], close=False),
                     timeout=0.5).responses()[0]
    assert r.header("Connection") == "keep-alive"


# ---- -t: nginx's directives hush does not have are named as such ----

def test_unsupported_nginx_directives_are_named(tmpconf):
    path = os.path.join(tmpconf, "t.conf")
    for line, msg in (("add_before_body /x;", 't.conf:3: nginx\'s "add_before_body" directive is not supported by hush (yet)'),
                      ("sub_filter a b;", 'nginx\'s "sub_filter" directive is not supported'),
                      ("uwsgi_pass 127.0.0.1:9;", 'nginx\'s "uwsgi_pass" directive'),
                      ("sub_filterz a b;", 't.conf:3: unknown directive "sub_filterz"')):
        with open(path, "w") as f:
            f.write("events {}\nhttp {\n%s\nserver { listen 127.0.0.1:1; }\n}\n" % line)
        r = run_hush(["-t", "-p", tmpconf, "-c", path])
        assert r.returncode == 1 and msg in r.stderr, (line, r.stderr)


# ---- limit_rate, limit_rate_after ----

def timed_get(srv, path):
    t0 = time.time()
    r = srv.exchange(req(path), timeout=10)
    resp = r.responses()[0]
    return resp, time.time() - t0


def test_limit_rate_static_and_after(hush):
    srv = hush("""
        log_format rate '$uri $limit_rate $body_bytes_sent';
        access_log logs/access.log rate;
        server {
            listen 127.0.0.1:@PORT@;
            location /slow/ { limit_rate 100k; }
            location /after/ { limit_rate 100k; limit_rate_after 200k; }
            location /fast/ { }
        }""")
    body = os.urandom(300 * 1024)
    for d in ("slow", "after", "fast"):
        srv.write(d + "/f.bin", body)
    resp, took = timed_get(srv, "/slow/f.bin")
    assert resp.body == body and 1.5 < took < 4.5, took       # 100k now, 100k a second later ...
    srv.write("after/f.bin", body[:250 * 1024])
    resp, took = timed_get(srv, "/after/f.bin")
    assert resp.body == body[:250 * 1024] and took < 0.9, took  # 200k free, then 100k of the first second
    resp, took = timed_get(srv, "/fast/f.bin")
    assert resp.body == body and took < 1.0, took
    lines = srv.wait_log(3)
    assert lines[0] == "/slow/f.bin 102400 %d" % len(body)
    assert lines[2] == "/fast/f.bin 0 %d" % len(body)


def test_limit_rate_proxied(hush, backend):
    b = backend()
    srv = hush("""access_log off;
        upstream app { server 127.0.0.1:%d; }
        server { listen 127.0.0.1:@PORT@; location / { proxy_pass http://app; limit_rate 400k; } }
        """ % b.port)
    s = srv.connect()
    t0 = time.time()
    s.sendall(req("/x?mb=1"))
    s.settimeout(10)
    data = b""
    while True:
        x = s.recv(65536)
        if not x:
            break
        data += x
    took = time.time() - t0
    s.close()
    assert data.startswith(b"HTTP/1.1 200 ") and len(data.split(b"\r\n\r\n", 1)[1]) == 1024 * 1024
    assert 1.5 < took < 5, took


def test_limit_rate_client_that_leaves_during_the_pause_ends_at_once(hush):
    """A client that resets while limit_rate holds the output back is seen
    at once (nginx: 499-style abort), not when the pause ends."""
    srv = hush("""
        log_format rate '$status $close_reason $body_bytes_sent';
        access_log logs/access.log rate;
        server { listen 127.0.0.1:@PORT@; location / { limit_rate 50; } }""")
    srv.write("f.txt", b"x" * 2000)
    s = srv.connect()
    s.sendall(req("/f.txt"))
    time.sleep(0.5)  # the head and the first 50 bytes came; the rest waits ~40 s
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()  # a reset
    t0 = time.time()
    line = srv.wait_log(1, timeout=3)[0]
    assert time.time() - t0 < 2
    status, reason, sent = line.split()
    assert status == "200" and reason == "client_abort_body" and int(sent) < 2000, line


def test_limit_rate_errors(tmpconf):
    path = os.path.join(tmpconf, "t.conf")
    for line, msg in (("limit_rate $x;", 'variables in "limit_rate" are not supported yet'),
                      ("limit_rate fast;", "t.conf:3: "), ("limit_rate_after 1m;", None)):
        with open(path, "w") as f:
            f.write("events {}\nhttp {\n%s\nserver { listen 127.0.0.1:1; }\n}\n" % line)
        r = run_hush(["-t", "-p", tmpconf, "-c", path])
        assert (r.returncode == 0) if msg is None else (r.returncode == 1 and msg in r.stderr), (line, r.stderr)


def test_set_limit_rate(hush):
    # nginx: "set $limit_rate 100k;" limits this request from then on
    srv = hush("""
        log_format rate '$uri $limit_rate';
        access_log logs/access.log rate;
        server {
            listen 127.0.0.1:@PORT@;
            location /slow/ { set $limit_rate 100k; }
            location /arg/ { if ($arg_slow) { set $limit_rate 100k; } }
        }""")
    body = os.urandom(300 * 1024)
    srv.write("slow/f.bin", body)
    srv.write("arg/f.bin", body)
    resp, took = timed_get(srv, "/slow/f.bin")
    assert resp.body == body and 1.5 < took < 4.5, took
    resp, took = timed_get(srv, "/arg/f.bin")
    assert resp.body == body and took < 1.0, took
    resp, took = timed_get(srv, "/arg/f.bin?slow=1")
    assert resp.body == body and 1.5 < took < 4.5, took
    assert srv.wait_log(3)[0] == "/slow/f.bin 102400"
