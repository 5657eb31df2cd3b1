"""fastcgi_pass (issue 18): hush in front of Debian's PHP-FPM (started by
these tests on a unix socket, stopped by PID) and of a fake responder that
misbehaves on request. GET, POST bodies (in memory and from a temporary
file), path info, WordPress's try_files, Debian's snippet files (hush's own
copies in conf/), statuses and redirects, stderr in the error log, errors
intercepted, kept connections, the client that leaves while PHP works (499
at once, and what PHP did after), and every upstream ending."""
import hashlib
import os
import re
import socket
import time

import pytest

from conftest import ROOT, parse_responses, read_all, req, run_hush, dechunk
from fcgi_side import FakeFcgi, PhpFpm, php_fpm_binary
from test_metrics_parser import scrape

pytestmark = pytest.mark.skipif(php_fpm_binary() is None, reason="php-fpm is not installed")

LOG = """
log_format fc '$status $close_reason us=$upstream_status ua=$upstream_addr ut=$upstream_response_time '
              'rt=$request_time "$request"';
access_log logs/access.log fc;
"""


@pytest.fixture(scope="module")
def fpm():
    f = PhpFpm().start()
    yield f
    f.stop()


@pytest.fixture
def fake():
    f = FakeFcgi()
    yield f
    f.stop()


def conf_dir(srv):
    """hush's own fastcgi_params, fastcgi.conf and snippets/ beside its config."""
    for name in ("fastcgi_params", "fastcgi.conf", "snippets/fastcgi-php.conf"):
        with open(os.path.join(ROOT, "conf", name)) as f:
            text = f.read()
        path = os.path.join(srv.dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)


def php_site(hush, fpm, extra="", loc_extra="", start=True):
    srv = hush(LOG + """
upstream php { server unix:%s; keepalive 4; }
server {
    listen 127.0.0.1:@PORT@;
    server_name example.com;
    root %s;
    index index.php index.html;
    client_max_body_size 10m;
    error_page 404 /custom404.html;
    location / { try_files $uri $uri/ /index.php?$args; }
    location ~ [^/]\\.php(/|$) {
        include snippets/fastcgi-php.conf;
        fastcgi_pass unix:%s;
        fastcgi_read_timeout 5s;
        %s
    }
    %s
    location = /metrics { metrics; access_log off; }
}
""" % (fpm.sock, fpm.app, fpm.sock, loc_extra, extra), start=False)
    conf_dir(srv)
    if start:
        srv.start()
    return srv


def get(srv, path, **kw):
    """srv.get with the body's chunks joined."""
    kw.setdefault("host", "example.com")
    r = srv.get(path, **kw)
    if (r.header("transfer-encoding") or "").lower() == "chunked":
        r.body = dechunk(r.body)
    return r


def fields(body):
    return dict(l.split("=", 1) for l in body.decode().splitlines() if "=" in l)


# ---- PHP-FPM -----------------------------------------------------------------

def test_get_with_path_info_and_params(hush, fpm):
    srv = php_site(hush, fpm)
    r = get(srv, "/index.php/some/path?a=1&b=2", headers=["X-Test: yes"])
    assert r.status == 200 and r.header("x-script") == "/index.php"
    f = fields(r.body)
    assert f["script"] == "/index.php" and f["path_info"] == "/some/path"
    assert f["method"] == "GET" and f["query"] == "a=1&b=2" and f["uri"] == "/index.php/some/path?a=1&b=2"
    assert f["filename"] == fpm.app + "/index.php" and f["host"] == "example.com"
    assert f["x_test"] == "yes" and f["https"] == "unset" and f["software"].startswith("nginx/")
    line = srv.wait_log(1)[-1]
    assert line.startswith("200 ok us=200 ua=unix:%s ut=" % fpm.sock), line


def test_post_bodies_memory_and_file(hush, fpm):
    srv = php_site(hush, fpm)
    for size in (5, 100 * 1024, 3 * 1024 * 1024 + 7):
        body = bytes((i * 7) & 0xff for i in range(size))
        r = get(srv, "/index.php", method="POST", timeout=10,
                    headers=["Content-Length: %d" % size, "Content-Type: application/octet-stream"], body=body)
        f = fields(r.body)
        assert r.status == 200 and f["body_len"] == str(size), (size, r.body[:300])
        assert f["body_md5"] == hashlib.md5(body).hexdigest() and f["content_length"] == str(size)
    # chunked from the client: read whole, sent with its length
    r = get(srv, "/index.php", method="POST",
                headers=["Transfer-Encoding: chunked"], body=b"5\r\nhello\r\n0\r\n\r\n")
    assert fields(r.body)["body_len"] == "5"


def test_wordpress_try_files_and_index(hush, fpm):
    srv = php_site(hush, fpm)
    r = get(srv, "/2024/01/hello-world/?p=3")
    f = fields(r.body)
    assert r.status == 200 and f["script"] == "/index.php" and f["query"] == "p=3"
    assert f["uri"] == "/2024/01/hello-world/?p=3"
    # a POST to a pretty URL keeps its body through the internal redirect (the REST API)
    r = get(srv, "/wp-json/wp/v2/posts", method="POST",
                headers=["Content-Length: 7"], body=b"payload")
    assert fields(r.body)["body_len"] == "7" and fields(r.body)["method"] == "POST"
    r = get(srv, "/")  # index index.php
    assert fields(r.body)["script"] == "/index.php"
    assert get(srv, "/hello.html").body == b"static hello\n"
    # the snippet's try_files $fastcgi_script_name =404: a missing script never reaches PHP
    r = get(srv, "/missing.php")
    assert r.status == 404 and r.body == b"custom not found\n"
    assert "FastCGI sent in stderr" not in srv.error_log()


def test_status_location_and_hidden_headers(hush, fpm):
    srv = php_site(hush, fpm)
    r = get(srv, "/status.php?code=418")
    assert r.status == 418 and r.body == b"status page\n"
    assert r.header("status") is None and r.header("x-accel-secret") is None
    r = get(srv, "/redirect.php")
    assert r.status == 302 and r.header("location") == "/elsewhere"
    r = get(srv, "/length.php")
    assert r.header("content-length") == "5" and r.body == b"12345"
    r = get(srv, "/big.php?kb=2048", timeout=10)
    assert len(r.body) == 2048 * 1024 and r.body.count(b"\n") == 2048


def test_stderr_and_fatal_error(hush, fpm):
    srv = php_site(hush, fpm)
    assert get(srv, "/stderr.php").body == b"logged\n"
    assert srv.wait_error_log(r'\[error\] .*FastCGI sent in stderr: "PHP message: hello from php" while '
                              r'reading response header from upstream, client: 127\.0\.0\.1, server: example\.com, '
                              r'request: "GET /stderr\.php HTTP/1\.1", upstream: "fastcgi://unix:%s:"'
                              % re.escape(fpm.sock))
    r = get(srv, "/fatal.php")
    assert r.status == 500
    assert srv.wait_error_log(r"FastCGI sent in stderr: \"PHP message: PHP Fatal error:  Uncaught Error")


def test_intercept_errors(hush, fpm):
    srv = php_site(hush, fpm, loc_extra="fastcgi_intercept_errors on;")
    r = get(srv, "/status.php?code=404")
    assert r.status == 404 and r.body == b"custom not found\n"
    r = get(srv, "/status.php?code=403")  # no error_page for 403: PHP's own answer
    assert r.status == 403 and r.body == b"status page\n"


def test_keep_conn_with_php(hush, fpm):
    srv = php_site(hush, fpm, extra="""
    location /kept/ { fastcgi_pass php; fastcgi_keep_conn on; include fastcgi.conf;
                      fastcgi_param SCRIPT_FILENAME %s/index.php; }
""" % fpm.app)
    for i in range(10):
        r = get(srv, "/kept/%d" % i, method="POST", headers=["Content-Length: 3"], body=b"abc")
        assert r.status == 200 and fields(r.body)["uri"] == "/kept/%d" % i and fields(r.body)["body_len"] == "3"
    assert all(l.startswith("200 ok us=200 ") for l in srv.wait_log(10))


def test_keep_conn_reuses_connections(hush, fake):
    srv = fake_site(hush, fake)
    for i in range(5):
        assert get(srv, "/kept/ok").body == b"fake ok\n"
    assert fake.connections == 1
    for i in range(3):
        assert get(srv, "/ok").body == b"fake ok\n"  # fastcgi_keep_conn off: one each
    assert fake.connections == 4


def wait_mark(fpm, name, timeout=5.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(os.path.join(fpm.marks, name)):
            return True
        time.sleep(0.02)
    return False


def leave_early(srv, path, after=0.3):
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.sendall(req(path))
    time.sleep(after)
    t0 = time.time()
    s.close()
    return t0


@pytest.mark.parametrize("ignore", [False, True])
def test_client_abort_is_499_and_php_outcome_logged(hush, fpm, ignore):
    srv = php_site(hush, fpm, loc_extra="fastcgi_ignore_client_abort %s;" % ("on" if ignore else "off"))
    mark = "abort-%s" % ignore
    t0 = leave_early(srv, "/slow.php?t=1.2&mark=" + mark)
    lines = srv.wait_log(1, timeout=4)
    assert lines, "no log line"
    line = lines[-1]
    if not ignore:
        # noticed at once: logged before PHP finishes, nothing from PHP
        assert time.time() - t0 < 0.5 and wait_mark(fpm, mark) is True
        assert line.startswith("499 client_abort us=- ua=unix:"), line
    else:
        # PHP finished after the client left: its status and time are in the line
        assert wait_mark(fpm, mark)
        m = re.match(r"499 client_abort us=200 ua=unix:\S+ ut=(\d+\.\d+)", line)
        assert m and float(m.group(1)) >= 1.1, line
    assert scrape(srv).total("hush_client_aborts_total") == 1


def test_fastcgi_metrics_beside_http(hush, fpm):
    srv = php_site(hush, fpm)
    for _ in range(3):
        assert get(srv, "/index.php").status == 200
    m = scrape(srv)
    assert m.total("hush_fastcgi_response_seconds_count") == 3
    assert m.total("hush_upstream_response_seconds_count") == 0


def test_unavailable_php_is_502(hush, fpm):
    srv = php_site(hush, fpm, extra="location ^~ /gone.php { fastcgi_pass unix:%s/none.sock; include fastcgi.conf; }"
                   % fpm.dir)
    r = get(srv, "/gone.php")
    assert r.status == 502
    assert srv.wait_log(1)[-1].startswith("502 upstream_refused us=502")
    assert srv.wait_error_log(r"connect\(\) failed \(2: No such file or directory\) while connecting to upstream")


# ---- the fake responder: every upstream ending --------------------------------

def fake_site(hush, fake, extra=""):
    srv = hush(LOG + """
upstream fk { server 127.0.0.1:%d; keepalive 2; }
server {
    listen 127.0.0.1:@PORT@;
    location / {
        fastcgi_pass 127.0.0.1:%d;
        fastcgi_read_timeout 400ms;
        fastcgi_param REQUEST_URI $request_uri;
        %s
    }
    location /kept/ {
        fastcgi_pass fk;
        fastcgi_keep_conn on;
        fastcgi_param REQUEST_URI $request_uri;
    }
}
""" % (fake.port, fake.port, extra), start=False)
    srv.start()
    return srv


def raw_get(srv, path):
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
    s.sendall(req(path, close=False))
    data, how = read_all(s, timeout=3.0)
    s.close()
    return data, how


ENDINGS = [
    ("/ok", 200, "200", "ok"),
    ("/badversion", 502, "502", "upstream_invalid"),
    ("/badtype", 502, "502", "upstream_invalid"),
    ("/badhead", 502, "502", "upstream_invalid"),
    ("/closed", 502, "502", "upstream_closed"),
    ("/reset", 502, "502", "upstream_reset"),
    ("/silent", 504, "504", "upstream_timeout"),
    ("/truncated", 200, "200", "upstream_truncated"),
    ("/cl_short", 200, "200", "upstream_truncated"),
]


@pytest.mark.parametrize("path,status,ustatus,ending", ENDINGS, ids=[e[0] for e in ENDINGS])
def test_upstream_endings(hush, fake, path, status, ustatus, ending):
    srv = fake_site(hush, fake)
    data, how = raw_get(srv, path)
    rs = parse_responses(data) if status != 200 or ending == "ok" else None
    if rs:
        assert rs[0].status == status
    else:
        assert data.startswith(b"HTTP/1.1 200 OK") and how == "closed"  # cut short: closed
    line = srv.wait_log(1)[-1]
    assert line.startswith("%d %s us=%s " % (status, ending, ustatus)), line


def test_invalid_records_are_named_in_the_error_log(hush, fake):
    srv = fake_site(hush, fake)
    raw_get(srv, "/badversion")
    assert srv.wait_error_log(r"upstream sent unsupported FastCGI protocol version: 2 while reading response "
                              r"header from upstream, .*upstream: \"fastcgi://127\.0\.0\.1:%d\"" % fake.port)
    raw_get(srv, "/badtype")
    assert srv.wait_error_log(r"upstream sent invalid FastCGI record type: 9")


def test_stderr_records_split_and_padded(hush, fake):
    srv = fake_site(hush, fake)
    data, _ = raw_get(srv, "/stderr")
    assert dechunk(parse_responses(data)[0].body) == b"body\n"
    assert srv.wait_error_log(r'FastCGI sent in stderr: "first" while reading response header')
    assert srv.wait_error_log(r'FastCGI sent in stderr: "half" while reading response header')
    assert srv.wait_error_log(r'FastCGI sent in stderr: "second line" while reading')


def test_abort_request_sent_with_keep_conn(hush, fake):
    srv = fake_site(hush, fake)
    t0 = leave_early(srv, "/kept/silent", after=0.2)
    line = srv.wait_log(1)[-1]
    assert line.startswith("499 client_abort us=- "), line
    assert time.time() - t0 < 0.3
    deadline = time.time() + 3
    while not fake.seen and time.time() < deadline:
        time.sleep(0.02)
    assert fake.seen and fake.seen[0][1] == [(2, b"")], fake.seen  # FCGI_ABORT_REQUEST, then the close


def test_next_upstream_to_a_live_server(hush, fake):
    srv = hush(LOG + """
upstream two { server 127.0.0.1:1; server 127.0.0.1:%d; }
server {
    listen 127.0.0.1:@PORT@;
    location / { fastcgi_pass two; fastcgi_param REQUEST_URI /ok;
                 fastcgi_next_upstream error timeout; }
}
""" % fake.port)
    for _ in range(2):
        r = get(srv, "/x")
        assert r.status == 200 and r.body == b"fake ok\n"
    assert any(re.match(r"200 ok us=(502, )?200 ", l) for l in srv.wait_log(2))


# ---- configuration ------------------------------------------------------------

@pytest.mark.parametrize("line,msg", [
    ("fastcgi_param A b bogus;", 'invalid parameter "bogus"'),
    ("fastcgi_split_path_info ^(.+)$;", "must have 2 captures"),
    ("fastcgi_next_upstream sometimes;", 'invalid value "sometimes" in "fastcgi_next_upstream"'),
    ("fastcgi_keep_conn maybe;", 'invalid value "maybe"'),
    ("fastcgi_cache_revalidate on;", 'is not supported'),
    ("fastcgi_pass 127.0.0.1:9000; fastcgi_pass 127.0.0.1:9001;", '"fastcgi_pass" directive is duplicate'),
    ("fastcgi_pass unix:;", "invalid unix domain socket path"),
    ("fastcgi_pass $x;", "variables"),
])
def test_bad_directives_fail_config_test(tmpconf, line, msg):
    path = os.path.join(tmpconf, "t.conf")
    with open(path, "w") as f:
        f.write("events {}\nhttp { server { listen 127.0.0.1:1; location / { %s } } }\n" % line)
    r = run_hush(["-t", "-p", tmpconf, "-c", path])
    assert r.returncode == 1 and msg in r.stderr, r.stderr


@pytest.mark.parametrize("base", ["/etc/nginx", os.path.join(ROOT, "conf")])
def test_debian_files_pass_config_test(tmpconf, base):
    """Debian's own /etc/nginx files (when nginx is installed) and hush's
    copies in conf/ are read unchanged."""
    if not os.path.exists(os.path.join(base, "snippets", "fastcgi-php.conf")):
        pytest.skip("no %s/snippets/fastcgi-php.conf" % base)
    for name in ("fastcgi_params", "fastcgi.conf", "snippets/fastcgi-php.conf"):
        os.makedirs(os.path.dirname(os.path.join(tmpconf, name)), exist_ok=True)
        with open(os.path.join(base, name)) as src, open(os.path.join(tmpconf, name), "w") as dst:
            dst.write(src.read())
    path = os.path.join(tmpconf, "t.conf")
    with open(path, "w") as f:
        f.write("events {}\nhttp { server { listen 127.0.0.1:1; root /srv;\n"
                "location ~ \\.php$ { include snippets/fastcgi-php.conf; fastcgi_pass unix:/run/php.sock; }\n"
                "location /p { include fastcgi_params; fastcgi_pass 127.0.0.1:9000; } } }\n")
    r = run_hush(["-t", "-p", tmpconf, "-c", path])
    assert r.returncode == 0, r.stderr


# ---- the README's example ------------------------------------------------------

def readme_example():
    text = open(os.path.join(ROOT, "README.md")).read()
    m = re.search(r"```nginx\n(upstream php \{.*?)```", text, re.S)
    assert m, "no FastCGI example in README.md"
    return m.group(1)


def test_readme_example(hush, fpm):
    text = (readme_example().replace("/run/php/php8.2-fpm.sock", fpm.sock).replace("/srv/wordpress", fpm.app)
            .replace("listen 80;", "listen 127.0.0.1:@PORT@;"))
    srv = hush(LOG + text, start=False)
    conf_dir(srv)
    srv.start()
    r = get(srv, "/2024/01/hello/?p=1", host="blog.example.com")
    assert r.status == 200 and fields(r.body)["script"] == "/index.php" and fields(r.body)["query"] == "p=1"
    r = get(srv, "/wp-json/x", host="blog.example.com", method="POST", headers=["Content-Length: 2"], body=b"{}")
    assert fields(r.body)["body_len"] == "2"
    r = get(srv, "/index.php/a/b", host="blog.example.com")
    assert fields(r.body)["path_info"] == "/a/b"
    assert get(srv, "/nothere.php", host="blog.example.com").status == 404


def test_buffers_and_buffer_size_together(hush, fpm):
    srv = php_site(hush, fpm, loc_extra="fastcgi_buffers 16 16k; fastcgi_buffer_size 32k;")
    r = get(srv, "/big.php?kb=300", timeout=10)
    assert len(r.body) == 300 * 1024


# ---- HTTP/2 clients -------------------------------------------------------------

def test_http2_streams_through_fastcgi(hush, fpm):
    from h2util import H2Client
    srv = hush(LOG + """
server {
    listen 127.0.0.1:@PORT@ http2;
    root %s;
    location ~ \\.php$ { fastcgi_pass unix:%s; include fastcgi.conf; }
}
""" % (fpm.app, fpm.sock), start=False)
    conf_dir(srv)
    srv.start()
    c = H2Client(srv.port)
    g = c.get("/index.php?q=1")
    assert g.status == 200 and fields(bytes(g.data))["query"] == "q=1"
    p = c.get("/index.php", method="POST", headers=[("content-length", "3")], body=b"abc")
    assert fields(bytes(p.data))["body_len"] == "3"
    sid = c.request("/slow.php?t=1&mark=h2")
    time.sleep(0.3)
    c.reset(sid)
    assert srv.wait_log(3, match="^499 ")[-1].startswith("499 client_abort us=- ")
    c.close()
