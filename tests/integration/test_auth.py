"""auth_basic, auth_basic_user_file, satisfy, $remote_user: every htpasswd
scheme (hashes made by openssl passwd, hashlib and libcrypt), nginx's
error-log lines (what fail2ban's nginx-http-auth filter reads), the user
file's errors, the satisfy matrix with allow/deny compared with Debian's
nginx answering the same requests, and failed logins feeding a ban."""
import base64
import ctypes
import hashlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import req, parse_responses, run_hush
from nginxside import HAVE_NGINX, Nginx, raw_exchange


def basic(user, password):
    return "Authorization: Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


def openssl_passwd(flag, pw):
    return subprocess.run(["openssl", "passwd", flag, pw], capture_output=True, text=True, check=True).stdout.strip()


def libcrypt(prefix, pw, rounds=0):
    lc = ctypes.CDLL("libcrypt.so.1")
    lc.crypt_gensalt.restype = ctypes.c_char_p
    lc.crypt_gensalt.argtypes = [ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p, ctypes.c_int]
    lc.crypt.restype = ctypes.c_char_p
    lc.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    return lc.crypt(pw.encode(), lc.crypt_gensalt(prefix.encode(), rounds, None, 0)).decode()


def ssha(pw, salt=b"NaCl4u"):
    return "{SSHA}" + base64.b64encode(hashlib.sha1(pw.encode() + salt).digest() + salt).decode()


USERS = {
    "plain": lambda pw: "{PLAIN}" + pw,
    "sha": lambda pw: "{SHA}" + base64.b64encode(hashlib.sha1(pw.encode()).digest()).decode(),
    "ssha": ssha,
    "apr1": lambda pw: openssl_passwd("-apr1", pw),
    "md5": lambda pw: openssl_passwd("-1", pw),
    "sha256": lambda pw: openssl_passwd("-5", pw),
    "sha512": lambda pw: openssl_passwd("-6", pw),
    "yescrypt": lambda pw: libcrypt("$y$", pw),
    "bcrypt": lambda pw: libcrypt("$2b$", pw, 5),
    "des": lambda pw: libcrypt("", pw),
}

CONF = """
log_format u '$remote_user $status "$request"';
server {
    listen 127.0.0.1:@PORT@;
    server_name localhost;
    access_log logs/access.log u;
    location / {
        auth_basic "Staff only";
        auth_basic_user_file htpasswd;
        location /open/ { auth_basic off; }
        location /var/ { auth_basic_user_file $arg_f; }
    }
    location /realm/ { auth_basic "zone $arg_z"; auth_basic_user_file htpasswd; }
    location /gone/ { auth_basic "x"; auth_basic_user_file nonexistent; }
    location /dir/ { auth_basic "x"; auth_basic_user_file html; }
}
"""

# a location's `return` answers in the rewrite phase, before any access
# rule (as in nginx): the protected content here is files
FILES = ["index.html", "open/index.html", "var/index.html", "realm/index.html", "gone/index.html",
         "dir/index.html"]


def write_users(srv, pw="s3cret", extra=""):
    for name in FILES:
        srv.write(name, name.split("/")[0] + "\n")
    lines = ["# users of the staff area", ""] + ["%s:%s" % (u, f(pw)) for u, f in USERS.items()]
    with open(os.path.join(srv.dir, "htpasswd"), "w") as f:
        f.write("\n".join(lines) + "\n" + extra)


def get(srv, path, *headers):
    r = srv.exchange(req(path, headers=headers))
    return parse_responses(r.data)[0]


def test_every_scheme_lets_the_right_password_in(hush):
    srv = hush(CONF, start=False)
    write_users(srv)
    srv.start()
    for user in USERS:
        ok = get(srv, "/", basic(user, "s3cret"))
        assert ok.status == 200 and ok.body == b"index.html\n", (user, ok)
        bad = get(srv, "/", basic(user, "s3cret!"))
        assert bad.status == 401, (user, bad)
    assert srv.wait_error_log(r'user "bcrypt": password mismatch')


def test_challenge_page_and_log_lines(hush):
    srv = hush(CONF, start=False)
    write_users(srv)
    srv.start()
    r = get(srv, "/")
    assert r.status == 401 and r.header("WWW-Authenticate") == 'Basic realm="Staff only"'
    assert b"<title>401 Authorization Required</title>" in r.body
    assert get(srv, "/", basic("plain", "nope")).status == 401
    assert get(srv, "/", basic("carol", "x")).status == 401
    assert get(srv, "/", "Authorization: Basic !!!!").status == 401
    assert get(srv, "/", "Authorization: Bearer abc").status == 401
    # nginx's context, then hush's request id (beyond nginx, to join the access-log line)
    ctx = r', client: 127\.0\.0\.1, server: localhost, request: "GET / HTTP/1\.1", host: "localhost"(, request_id: "[0-9a-f]{32}")?$'
    log = srv.error_log()
    assert re.search(r"\[info\] \d+#\d+: \*\d+ no user/password was provided for basic authentication" + ctx,
                     log, re.M), log
    # the lines fail2ban's nginx-http-auth reads end as nginx's (its regex is anchored there)
    end = r', client: 127\.0\.0\.1, server: localhost, request: "GET / HTTP/1\.1", host: "localhost"$'
    assert re.search(r'\[error\] \d+#\d+: \*\d+ user "plain": password mismatch' + end, log, re.M), log
    path = re.escape(os.path.join(srv.dir, "htpasswd"))
    assert re.search(r'\[error\] \d+#\d+: \*\d+ user "carol" was not found in "%s"' % path + end, log, re.M), log
    lines = srv.expect_log(5)
    # $remote_user is the name sent, also for a failed attempt
    assert lines[:3] == ['- 401 "GET / HTTP/1.1"', 'plain 401 "GET / HTTP/1.1"', 'carol 401 "GET / HTTP/1.1"'], lines


def test_file_shape_off_and_variables(hush):
    srv = hush(CONF, start=False)
    write_users(srv, extra="#ghost:{PLAIN}boo\r\n\r\nwin:{PLAIN}crlf\r\nlast:{PLAIN}no-newline")
    srv.start()
    assert get(srv, "/", basic("win", "crlf")).status == 200
    assert get(srv, "/", basic("last", "no-newline")).status == 200
    assert get(srv, "/", basic("#ghost", "boo")).status == 401       # a comment is no user
    assert get(srv, "/open/").body == b"open\n"                        # auth_basic off inside
    assert get(srv, "/var/?f=htpasswd", basic("plain", "s3cret")).status == 200  # relative: the conf dir
    assert get(srv, "/var/?f=nx", basic("plain", "s3cret")).status == 403
    assert get(srv, "/var/", basic("plain", "s3cret")).status == 500  # the conf dir itself
    r = get(srv, "/realm/?z=a", basic("x", "y"))
    assert r.status == 401 and r.header("WWW-Authenticate") == 'Basic realm="zone a"'


def test_user_file_errors_and_changes(hush):
    srv = hush(CONF, start=False)
    write_users(srv)
    srv.start()
    assert get(srv, "/gone/").status == 401                            # no credentials: asked first
    assert get(srv, "/gone/", basic("plain", "s3cret")).status == 403  # missing file: 403, as nginx
    assert srv.wait_error_log(r'\[error\] .*open\(\) "%s" failed \(2: No such file or directory\), client: '
                              % re.escape(os.path.join(srv.dir, "nonexistent")))
    assert get(srv, "/dir/", basic("plain", "s3cret")).status == 500  # unreadable: 500
    assert srv.wait_error_log(r'\[crit\] .*open\(\) "%s" failed \(21: Is a directory\)'
                              % re.escape(os.path.join(srv.dir, "html")))
    assert get(srv, "/", basic("plain", "s3cret")).status == 200
    time.sleep(0.01)
    write_users(srv, pw="changed")                                     # read again when it changes
    assert get(srv, "/", basic("plain", "s3cret")).status == 401
    assert get(srv, "/", basic("plain", "changed")).status == 200


def test_bad_directives(tmpconf):
    conf = os.path.join(tmpconf, "hush.conf")
    for body, msg in [("auth_basic a b;", 'invalid number of arguments in "auth_basic"'),
                      ("auth_basic a; auth_basic b;", '"auth_basic" directive is duplicate'),
                      ("satisfy some;", 'invalid value "some" in "satisfy" directive'),
                      ('auth_basic_user_file "";', 'invalid value "" in "auth_basic_user_file"'),
                      ("auth_delay soon;", 'invalid value "soon"')]:
        with open(conf, "w") as f:
            f.write("events {} http { server { listen 127.0.0.1:8099; location / {\n%s\n} } }\n" % body)
        r = run_hush(["-t", "-p", tmpconf, "-c", conf])
        assert r.returncode == 1 and "hush.conf:2" in r.stderr and msg in r.stderr, (body, r.stderr)


# ---- satisfy: hush and nginx answer the same matrix ----

SATISFY = """
server {
    listen 127.0.0.1:@PORT@;
    server_name localhost;
    root @DIR@/html;
    auth_basic_user_file @DIR@/htpasswd;
    location /all/  { allow 127.0.0.1; deny all; auth_basic "r"; }
    location /any/  { satisfy any; allow 127.0.0.1; deny all; auth_basic "r"; }
    location /any-deny-first/ { satisfy any; deny 127.0.0.3; auth_basic "r"; }
    location /any-noacl/ { satisfy any; auth_basic "r"; }
    location /any-noauth/ { satisfy any; deny all; }
    location /all-allow-only/ { allow 127.0.0.1; }
    location /nested/ { satisfy any; allow 127.0.0.1; deny all; auth_basic "r";
        location /nested/in/ { } }
    location /any-off/ { satisfy any; deny all; auth_basic off; }
}
"""

CREDS = {"none": [], "good": [basic("u", "pw")], "bad": [basic("u", "no")], "who": [basic("v", "pw")]}
PATHS = ["/all/", "/any/", "/any-deny-first/", "/any-noacl/", "/any-noauth/", "/all-allow-only/", "/nested/in/",
         "/any-off/"]


def satisfy_site(d):
    os.makedirs(os.path.join(d, "html"), exist_ok=True)
    for p in PATHS:
        os.makedirs(os.path.join(d, "html", p.strip("/")), exist_ok=True)
        with open(os.path.join(d, "html", p.strip("/"), "index.html"), "w") as f:
            f.write(p + "\n")
    with open(os.path.join(d, "htpasswd"), "w") as f:
        f.write("u:%s\n" % openssl_passwd("-apr1", "pw"))


def matrix(exchange):
    out = {}
    for path in PATHS:
        for src in ("127.0.0.1", "127.0.0.3"):
            for cred, hdrs in CREDS.items():
                data = exchange(req(path, headers=hdrs), src)
                head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
                status = int(head.split(" ", 2)[1]) if head else 0
                challenge = re.search(r"\r\nWWW-Authenticate: ([^\r]*)", head)
                out[(path, src, cred)] = (status, challenge.group(1) if challenge else None)
    return out


@pytest.mark.skipif(not HAVE_NGINX, reason="nginx is not installed")
def test_satisfy_matrix_as_nginx(hush):
    srv = hush(SATISFY, start=False)
    satisfy_site(srv.dir)
    srv.start()
    got = matrix(lambda data, src: raw_exchange(srv.port, data, src))
    ng_dir = tempfile.mkdtemp(prefix="hush-ng-")
    satisfy_site(ng_dir)
    os.chmod(ng_dir, 0o755)
    ng = Nginx(ng_dir, SATISFY).start()
    try:
        want = matrix(ng.exchange)
    finally:
        ng.stop()
        shutil.rmtree(ng_dir, ignore_errors=True)
    assert got == want
    # a few of them spelled out
    assert got[("/any/", "127.0.0.1", "none")] == (200, None)
    assert got[("/any/", "127.0.0.3", "none")] == (401, 'Basic realm="r"')
    assert got[("/any/", "127.0.0.3", "good")] == (200, None)
    assert got[("/all/", "127.0.0.3", "good")] == (403, None)
    assert got[("/all/", "127.0.0.1", "none")] == (401, 'Basic realm="r"')
    # under satisfy any the address refusal is not logged; under all it is
    log = srv.error_log()
    assert "access forbidden by rule" in log
    assert not re.search(r"access forbidden by rule.*request: \"GET /any", log)


# ---- failed logins feed a ban ----

BAN = """
ban_zone zone=logins:1m key=$binary_remote_addr threshold=3 window=10s duration=2s;
server {
    listen 127.0.0.1:@PORT@;
    ban zone=logins on=401;
    location / { auth_basic "r"; auth_basic_user_file @DIR@/htpasswd; }
}
"""


def test_failed_logins_are_banned(hush):
    srv = hush(BAN, start=False)
    with open(os.path.join(srv.dir, "htpasswd"), "w") as f:
        f.write("u:{PLAIN}pw\n")
    srv.write("index.html", "in\n")
    srv.start()
    src = "127.0.0.4"
    assert raw_exchange(srv.port, req("/", headers=[basic("u", "pw")]), src).startswith(b"HTTP/1.1 200")
    for _ in range(3):
        assert raw_exchange(srv.port, req("/", headers=[basic("u", "guess")]), src).startswith(b"HTTP/1.1 401")
    assert raw_exchange(srv.port, req("/", headers=[basic("u", "pw")]), src) == b""   # banned at accept
    assert raw_exchange(srv.port, req("/", headers=[basic("u", "pw")]), "127.0.0.6").startswith(b"HTTP/1.1 200")
    time.sleep(2.1)
    assert raw_exchange(srv.port, req("/", headers=[basic("u", "pw")]), src).startswith(b"HTTP/1.1 200")


# ---- the README's example ----

def readme_example(heading):
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "README.md")) as f:
        text = f.read()
    section = text[text.index(heading):]
    start = section.index("```nginx\n") + 9
    return section[start:section.index("\n```", start)]


def test_readme_example(hush):
    from conftest import MAIN_PREAMBLE
    conf = readme_example("### Passwords: `auth_basic`, `satisfy`")
    conf = conf.replace("listen 8080;", "listen 127.0.0.1:@PORT@;").replace("10.0.0.0/8", "127.0.0.2")
    srv = hush(conf=MAIN_PREAMBLE + "events {}\n" + conf, start=False)
    with open(os.path.join(srv.dir, "htpasswd"), "w") as f:
        f.write("# admins\nann:%s\n" % openssl_passwd("-6", "hunter2"))
    srv.write("admin/index.html", "admin\n")
    srv.write("admin/public/index.html", "public\n")
    srv.start()
    office = raw_exchange(srv.port, req("/admin/"), "127.0.0.2")
    assert office.startswith(b"HTTP/1.1 200") and office.endswith(b"admin\n")
    assert raw_exchange(srv.port, req("/admin/public/"), "127.0.0.5").endswith(b"public\n")
    assert raw_exchange(srv.port, req("/admin/", headers=[basic("ann", "hunter2")]), "127.0.0.5").endswith(b"admin\n")
    for _ in range(5):
        r = raw_exchange(srv.port, req("/admin/", headers=[basic("ann", "guess")]), "127.0.0.5")
        assert r.startswith(b"HTTP/1.1 401") and b'WWW-Authenticate: Basic realm="Admin area"' in r
    assert raw_exchange(srv.port, req("/admin/", headers=[basic("ann", "hunter2")]), "127.0.0.5") == b""


# ---- a page for the 401 keeps the challenge, as nginx ----

PAGES = """
server {
    listen 127.0.0.1:@PORT@;
    server_name localhost;
    root @DIR@/html;
    error_page 401 /401.html;
    location = /401.html { }
    location /p/ { auth_basic "R"; auth_basic_user_file @DIR@/htpasswd; }
    location /q/ { error_page 401 =200 /401.html; auth_basic "Q"; auth_basic_user_file @DIR@/htpasswd; }
}
"""


def head_and_body(data):
    head, _, body = data.partition(b"\r\n\r\n")
    lines = [l for l in head.decode("latin-1").split("\r\n") if not l.startswith(("Date:", "Server:"))]
    return lines, body


@pytest.mark.skipif(not HAVE_NGINX, reason="nginx is not installed")
def test_error_page_for_401_as_nginx(hush):
    srv = hush(PAGES, start=False)
    srv.write("401.html", "please log in\n")
    srv.write("p/index.html", "secret\n")
    with open(os.path.join(srv.dir, "htpasswd"), "w") as f:
        f.write("u:{PLAIN}pw\n")
    srv.start()
    ng_dir = tempfile.mkdtemp(prefix="hush-ng-")
    ng = Nginx(ng_dir, PAGES.replace("@DIR@", srv.dir)).start()
    try:
        for path in ("/p/", "/q/"):
            for method in ("GET", "HEAD"):
                data = req(path, method=method)
                got, want = head_and_body(raw_exchange(srv.port, data)), head_and_body(ng.exchange(data))
                assert got == want, (path, method)
        got = head_and_body(raw_exchange(srv.port, req("/p/")))
        assert got[0][0] == "HTTP/1.1 401 Unauthorized" and 'WWW-Authenticate: Basic realm="R"' in got[0]
        assert got[1] == b"please log in\n"
    finally:
        ng.stop()
        shutil.rmtree(ng_dir, ignore_errors=True)


def test_over_h2(hush):
    srv = hush('server { listen 127.0.0.1:@PORT@; http2 on; location / { auth_basic "H2"; '
               'auth_basic_user_file @DIR@/htpasswd; } }', start=False)
    with open(os.path.join(srv.dir, "htpasswd"), "w") as f:
        f.write("u:%s\n" % openssl_passwd("-apr1", "pw"))
    srv.write("index.html", "in\n")
    srv.start()
    url = "http://127.0.0.1:%d/" % srv.port
    out = subprocess.run(["curl", "-sS", "-i", "--http2-prior-knowledge", url], capture_output=True, timeout=20)
    assert out.stdout.startswith(b"HTTP/2 401") and b'www-authenticate: Basic realm="H2"' in out.stdout, out
    out = subprocess.run(["curl", "-sS", "--http2-prior-knowledge", "-u", "u:pw", url], capture_output=True, timeout=20)
    assert out.stdout == b"in\n", out


# ---- auth_delay ----

DELAY = """
server {
    listen 127.0.0.1:@PORT@;
    server_name localhost;
    location / { auth_delay 600ms; auth_basic "d"; auth_basic_user_file @DIR@/htpasswd; }
    location /any/ { satisfy any; allow 127.0.0.1; deny all;
                     auth_delay 600ms; auth_basic "d"; auth_basic_user_file @DIR@/htpasswd; }
    location /quick/ { auth_basic "q"; auth_basic_user_file @DIR@/htpasswd; }
}
"""


def test_auth_delay(hush):
    srv = hush(DELAY, start=False)
    with open(os.path.join(srv.dir, "htpasswd"), "w") as f:
        f.write("u:{PLAIN}pw\n")
    for p in ("index.html", "any/index.html", "quick/index.html"):
        srv.write(p, "ok\n")
    srv.start()

    def timed(path, src="127.0.0.1", *hdrs):
        t0 = time.time()
        data = raw_exchange(srv.port, req(path, headers=list(hdrs)), src)
        return data.split(b"\r\n", 1)[0], time.time() - t0

    status, took = timed("/", "127.0.0.1", basic("u", "bad"))
    assert status == b"HTTP/1.1 401 Unauthorized" and took >= 0.55, took
    status, took = timed("/")                                          # no credentials: a 401 too
    assert status == b"HTTP/1.1 401 Unauthorized" and took >= 0.55, took
    status, took = timed("/", "127.0.0.1", basic("u", "pw"))
    assert status == b"HTTP/1.1 200 OK" and took < 0.4, took
    status, took = timed("/quick/", "127.0.0.1", basic("u", "bad"))  # no auth_delay there
    assert status == b"HTTP/1.1 401 Unauthorized" and took < 0.4, took
    status, took = timed("/any/")                                      # let in by address: no wait
    assert status == b"HTTP/1.1 200 OK" and took < 0.4, took
    status, took = timed("/any/", "127.0.0.7", basic("u", "bad"))
    assert status == b"HTTP/1.1 401 Unauthorized" and took >= 0.55, took
    # a client that leaves while its refusal waits: the server goes on
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.sendall(req("/", headers=[basic("u", "bad")]))
    s.close()
    time.sleep(0.8)
    assert timed("/", "127.0.0.1", basic("u", "pw"))[0] == b"HTTP/1.1 200 OK"
