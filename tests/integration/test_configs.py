"""Real nginx configurations run unchanged (issue 12's acceptance): the
corpus in tests/configs/ and Debian's own stock configuration (/etc/nginx,
relocated into a temp dir) pass `hush -t`, and hush answers the same
requests as Debian's nginx 1.22 running the same configuration: status,
body (decompressed when gzipped) and the response headers an operator sets
or relies on. Where the two differ, the test prints every difference.

While a directive's feature is in flight (PENDING), a configuration that
needs it is an expected failure. HUSH_CFG_DROP="user gzip" drops those
directives from both sides' copies, to look past them while debugging."""
import glob
import gzip
import hashlib
import base64
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import HUSH_BIN, ROOT, free_port, listening, parse_responses, read_all, req, dechunk
from nginxside import HAVE_NGINX, NGINX
from tlsutil import certs, client_context, tls_connect, tls_read_all  # noqa: F401

CONFIGS = os.path.join(ROOT, "tests", "configs")
CORPUS = sorted(d for d in os.listdir(CONFIGS) if os.path.isdir(os.path.join(CONFIGS, d)))

# What a configuration needs that belongs to an open issue, or to work in
# flight: while `hush -t` rejects one of these directives, the configuration
# is an expected failure (xfail, with the directive named). Remove a line
# when its feature lands; a configuration that passes -t is always compared.
PENDING = {
    "set_real_ip_from": "issue 19", "real_ip_header": "issue 19",
    "user": "issue 12 (user)", "add_header": "issue 12 (headers)", "expires": "issue 12 (headers)",
    "gzip": "issue 12 (gzip)", "rewrite": "issue 12 (rewrite)", "set": "issue 12 (rewrite)",
    "charset": "issue 12 (headers)", "request_id": "issue 12 (headers)",
}


def pending(stderr):
    """The open issue behind a -t failure, or None."""
    m = re.search(r'(?:unknown directive|nginx\'s) "([^"]+)"|unknown "([^"]+)" variable', stderr)
    if m and m.group(2):
        return "$%s: %s" % (m.group(2), PENDING[m.group(2)]) if m.group(2) in PENDING else None
    return "%s: %s" % (m.group(1), PENDING[m.group(1)]) if m and m.group(1) in PENDING else None

# Headers compared between hush and nginx (when either sends them).
COMPARED = ("content-type", "content-length", "location", "cache-control", "last-modified", "etag",
            "content-encoding", "vary", "www-authenticate", "accept-ranges", "strict-transport-security",
            "x-frame-options", "x-content-type-options", "referrer-policy", "content-security-policy",
            "access-control-allow-origin", "access-control-allow-methods", "access-control-max-age",
            "x-seen-host", "x-seen-method")
# Compared for presence only: the value depends on the moment or the request.
PRESENCE = ("expires", "x-request-id")

SITE = {
    "html/index.html": b"<html><body>home</body></html>\n" * 20,
    "html/50x.html": b"<html>server error</html>\n",
    "html/404.html": b"<html>custom not found</html>\n",
    "html/about/index.html": b"about us\n",
    "html/style.css": b"body { color: #333; }\n" * 40,
    "html/app.js": b"console.log('app');\n" * 30,
    "html/logo.png": b"\x89PNG\r\n\x1a\n" + b"\0" * 300,
    "html/.env": b"SECRET=1\n",
    "html/static/app.css": b"h1 { margin: 0 }\n",
    "html/assets/main.abc123.js": b"var a = 1;\n" * 50,
    "html/admin/index.html": b"admin console\n",
    "html/internal/report.txt": b"internal report\n",
    "html/docs/index.html": b"docs index\n",
    "html/docs/guide.html": b"the guide\n",
    "html/index.nginx-debian.html": b"<html>Welcome to nginx on Debian</html>\n",
}
MTIME = 1700000000


def htpasswd_sha(user, password):
    return "%s:{SHA}%s\n" % (user, base64.b64encode(hashlib.sha1(password.encode()).digest()).decode())


class Side:
    """One server (hush or nginx) running one corpus configuration, in its
    own copy of the folder, with its own ports."""

    def __init__(self, kind, name, certs, backend_port=None, source=None):
        self.kind, self.name = kind, name
        self.dir = tempfile.mkdtemp(prefix="hush-cfg-%s-%s-" % (kind, name))
        os.chmod(self.dir, 0o755)  # the workers may run as www-data
        shutil.copytree(source or os.path.join(CONFIGS, name), self.dir, dirs_exist_ok=True)
        shutil.copy(os.path.join(ROOT, "conf", "mime.types"), os.path.join(self.dir, "mime.types"))
        for sub in ("logs", "run"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        for rel, data in SITE.items():
            path = os.path.join(self.dir, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
            os.utime(path, (MTIME, MTIME))
        with open(os.path.join(self.dir, "htpasswd"), "w") as f:
            f.write(htpasswd_sha("admin", "s3cret"))
        for root, dirs, files in os.walk(self.dir):
            for d in dirs:
                os.chmod(os.path.join(root, d), 0o755)
            for fn in files:
                os.chmod(os.path.join(root, fn), 0o644)
        self.port, self.port2 = free_port(), free_port()
        self.subst = {"@PREFIX@": self.dir, "@PORT@": str(self.port), "@PORT2@": str(self.port2),
                      "@BACKEND@": str(backend_port or 9), "@CERTS@": certs.dir}
        for path in glob.glob(os.path.join(self.dir, "**", "*.conf"), recursive=True) + \
                [os.path.join(self.dir, "nginx.conf")]:
            if os.path.exists(path):
                self.render(path)
        self.conf = os.path.join(self.dir, "nginx.conf")
        self.proc = None

    def render(self, path):
        with open(path) as f:
            text = f.read()
        for k, v in self.subst.items():
            text = text.replace(k, v)
        for directive in os.environ.get("HUSH_CFG_DROP", "").split():
            text = re.sub(r"(?m)^\s*%s\b[^;]*;" % re.escape(directive), "", text)
        with open(path, "w") as f:
            f.write(text)

    def argv(self, *extra):
        if self.kind == "hush":
            return [HUSH_BIN, "-p", self.dir, "-c", self.conf] + list(extra)
        return [NGINX, "-p", self.dir, "-e", os.path.join(self.dir, "logs", "error.log"),
                "-c", self.conf] + list(extra)

    def config_test(self):
        return subprocess.run(self.argv("-t"), capture_output=True, text=True, timeout=20)

    def start(self):
        self.proc = subprocess.Popen(self.argv("-g", "daemon off;"), stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.dir, "stderr.log"), "wb"))
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("%s exited: %s" % (self.kind, self.errors()))
            if listening(self.port):
                time.sleep(0.1)
                return self
            time.sleep(0.02)
        raise AssertionError("%s did not listen: %s" % (self.kind, self.errors()))

    def errors(self):
        out = ""
        for fn in ("stderr.log", "logs/error.log"):
            try:
                with open(os.path.join(self.dir, fn), "rb") as f:
                    out += f.read().decode("latin-1")[-3000:]
            except FileNotFoundError:
                pass
        return out

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if os.environ.get("HUSH_KEEP_TMP") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)

    def ask(self, request, tls=False):
        """One request on its own connection: the parsed response, or None
        when the connection closed without one (a 444)."""
        if tls:
            import socket
            raw = socket.create_connection(("127.0.0.1", self.port2), timeout=5)
            s = client_context(verify=False).wrap_socket(raw, server_hostname="localhost")
            s.sendall(request)
            data, _ = tls_read_all(s)
            s.close()
        else:
            import socket
            s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            s.sendall(request)
            data, _ = read_all(s, 3)
            s.close()
        head = request.split(b" ", 1)[0] == b"HEAD"
        resps = parse_responses(data, head=head) if data else []
        return resps[0] if resps else None


TOKEN = re.compile(rb"<center>(?:hush|nginx)(?:/[0-9.]+)?</center>")


def view(resp, port):
    """What is compared of a response: the server's own name in built-in
    pages and its port in URLs are set aside."""
    if resp is None:
        return {"status": "closed without a response"}
    body = resp.body
    if (resp.header("transfer-encoding") or "").lower() == "chunked":
        body = dechunk(body)
    if (resp.header("content-encoding") or "").lower() == "gzip":
        body = gzip.decompress(body)
    normal = TOKEN.sub(b"<center>SERVER</center>", body)
    out = {"status": resp.status, "body": normal}
    for name in COMPARED:
        v = resp.header(name)
        if v is None or (name == "content-length" and resp.header("content-encoding")):
            continue
        if name == "content-length":
            v = str(int(v) - len(body) + len(normal))
        out[name] = v.replace(":%d" % port, ":PORT")
    for name in PRESENCE:
        out[name] = resp.header(name) is not None
    return out


def differences(a, b):
    keys = sorted(set(a) | set(b))
    return ["%s: hush %r, nginx %r" % (k, a.get(k), b.get(k)) for k in keys if a.get(k) != b.get(k)]


def R(path, method="GET", host="localhost", headers=(), tls=False, body=b""):
    hdrs = list(headers)
    if body:
        hdrs.append("Content-Length: %d" % len(body))
    return (req(path, method=method, host=host, headers=hdrs, body=body), tls)


AUTH = "Authorization: Basic " + base64.b64encode(b"admin:s3cret").decode()
AUTH_BAD = "Authorization: Basic " + base64.b64encode(b"admin:wrong").decode()
GZ = "Accept-Encoding: gzip"

REQUESTS = {
    "docker": [R("/"), R("/about/"), R("/missing"), R("/index.html", method="HEAD"), R("/about")],
    "app-proxy": [R("/", host="app.example.com"), R("/api/users?id=3", host="app.example.com"),
                  R("/healthz", host="app.example.com"), R("/static/app.css", host="app.example.com"),
                  R("/form", method="POST", host="app.example.com", body=b"a=1&b=2")],
    "static-site": [R("/", host="www.example.com", headers=[GZ]), R("/style.css", headers=[GZ]),
                    R("/style.css"), R("/app.js", headers=[GZ]), R("/logo.png"), R("/.env"),
                    R("/nope.html"), R("/about"), R("/about/")],
    "api-ratelimit": [R("/", host="api.example.com"), R("/v1/items", host="api.example.com"),
                      R("/v2/x", host="api.example.com")] +
                     [R("/v1/burst", host="api.example.com")] * 6,
    "bot-map": [R("/", host="shop.example.com", headers=["User-Agent: Mozilla/5.0"]),
                R("/", host="shop.example.com", headers=["User-Agent: sqlmap/1.7"]),
                R("/", host="shop.example.com"),
                R("/wp-login.php", host="shop.example.com", headers=["User-Agent: Mozilla/5.0"]),
                R("/", host="unknown.example", headers=["User-Agent: Mozilla/5.0"])],
    "admin-auth": [R("/"), R("/admin/"), R("/admin/", headers=[AUTH]), R("/admin/", headers=[AUTH_BAD]),
                   R("/internal/report.txt")],
    "https-redirect": [R("/about/?x=1"), R("/", tls=True), R("/missing", tls=True)],
    "security-headers": [R("/"), R("/missing"), R("/api/x"), R("/api/x", method="OPTIONS")],
    "rewrite-legacy": [R("/blog/2024/hello"), R("/old-page"), R("/shop/item/abc"), R("/shop/other"),
                       R("/docs/guide.html"), R("/docs/none.html")],
    "spa-fallback": [R("/"), R("/settings/profile"), R("/assets/main.abc123.js"), R("/assets/nope.js"),
                     R("/index.html")],
    "json-logs": [R("/"), R("/missing")],
    "php-fpm": [R("/")],
    "websocket-proxy": [R("/ws/")],
    "behind-lb": [R("/", headers=["X-Forwarded-For: 203.0.113.7"])],
    "debian-stock": [R("/", headers=[GZ]), R("/"), R("/index.nginx-debian.html", method="HEAD"),
                     R("/missing")],
}
BACKEND = {"app-proxy", "api-ratelimit", "php-fpm", "websocket-proxy"}


@pytest.mark.parametrize("name", CORPUS)
def test_config_passes_config_test(certs, name):
    side = Side("hush", name, certs)
    try:
        r = side.config_test()
    finally:
        side.stop()
    if r.returncode != 0 and pending(r.stderr):
        pytest.xfail(pending(r.stderr))
    assert r.returncode == 0, r.stderr


def run_pair(name, certs, backend_port, source=None):
    sides = [Side("hush", name, certs, backend_port, source), Side("nginx", name, certs, backend_port, source)]
    return sides


def compare(name, sides):
    hush, ng = sides
    diffs = []
    for i, (request, tls) in enumerate(REQUESTS[name]):
        port = lambda side: side.port2 if tls else side.port  # noqa: E731
        a, b = view(hush.ask(request, tls), port(hush)), view(ng.ask(request, tls), port(ng))
        for d in differences(a, b):
            diffs.append("request %d %s: %s" % (i, request.split(b"\r\n", 1)[0].decode(), d))
    return diffs


@pytest.mark.skipif(not HAVE_NGINX, reason="Debian's nginx is not installed")
@pytest.mark.parametrize("name", CORPUS)
def test_config_answers_as_nginx(certs, backend, name):
    side = Side("hush", name, certs)
    r = side.config_test()
    side.stop()
    if r.returncode != 0:
        if pending(r.stderr):
            pytest.xfail(pending(r.stderr))
        pytest.fail(r.stderr)
    be = backend("cfg") if name in BACKEND else None
    sides = run_pair(name, certs, be.port if be else None)
    try:
        for s in sides:
            s.start()
        diffs = compare(name, sides)
    finally:
        for s in sides:
            s.stop()
    assert not diffs, "\n".join(diffs)


def debian_stock(side_dir):
    """/etc/nginx copied into side_dir/etc/nginx with its absolute paths
    pointed into side_dir; nginx.conf at side_dir/nginx.conf."""
    etc = os.path.join(side_dir, "etc", "nginx")
    shutil.copytree("/etc/nginx", etc, symlinks=False)
    for path in glob.glob(os.path.join(etc, "**", "*"), recursive=True):
        if not os.path.isfile(path):
            continue
        with open(path, "rb") as f:
            text = f.read().decode("latin-1")
        text = (text.replace("/etc/nginx/", etc + "/").replace("/var/log/nginx/", side_dir + "/logs/")
                .replace("/run/nginx.pid", side_dir + "/run/nginx.pid").replace("/var/www/html", side_dir + "/html")
                .replace("listen 80 default_server;", "listen 127.0.0.1:@PORT@ default_server;")
                .replace("listen [::]:80 default_server;", "listen [::1]:@PORT@ default_server;"))
        with open(path, "wb") as f:
            f.write(text.encode("latin-1"))
    shutil.copy(os.path.join(etc, "nginx.conf"), os.path.join(side_dir, "nginx.conf"))


@pytest.mark.skipif(not os.path.exists("/etc/nginx/nginx.conf"), reason="Debian's nginx is not installed")
def test_debian_stock_configuration(certs, tmp_path):
    """Debian's /etc/nginx as installed (nginx.conf, sites-enabled/default,
    mime.types, snippets), relocated: hush -t, then the same answers."""
    src = str(tmp_path / "debian")
    os.makedirs(src)
    debian_stock(src)
    sides = []
    try:
        for kind in ("hush", "nginx"):
            s = Side(kind, "debian-stock", certs, source=src)
            # the relocation above pointed paths at src: point them at this side's copy
            for path in glob.glob(os.path.join(s.dir, "**", "*"), recursive=True) + [s.conf]:
                if os.path.isfile(path) and not path.endswith(".html"):
                    with open(path, "rb") as f:
                        text = f.read().decode("latin-1")
                    with open(path, "wb") as f:
                        f.write(text.replace(src, s.dir).replace("@PORT@", str(s.port)).encode("latin-1"))
            sides.append(s)
        r = sides[0].config_test()
        if r.returncode != 0 and pending(r.stderr):
            pytest.xfail(pending(r.stderr))
        assert r.returncode == 0, r.stderr
        if not HAVE_NGINX:
            return
        for s in sides:
            s.start()
        diffs = compare("debian-stock", sides)
    finally:
        for s in sides:
            s.stop()
    assert not diffs, "\n".join(diffs)
