"""The gzip module beside Debian's nginx 1.22: which responses are compressed
(types, gzip_min_length, statuses, HEAD, Accept-Encoding absent or q=0,
HTTP/1.0, gzip_disable, gzip_proxied with Via), Vary, the weak ETag, no
Content-Length and no ranges on a compressed response; the bodies are
decompressed and compared with the files, for cached small files, large
files read in pieces, error pages and proxied (chunked) responses."""
import gzip
import os
import shutil
import tempfile

import pytest

from conftest import req, run_hush, dechunk
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
    types {{ text/plain txt; text/html html; application/json json; text/css css; }}
    default_type application/octet-stream;
    gzip on;
    gzip_vary on;
    gzip_types text/plain application/json;
    gzip_min_length 100;
    gzip_comp_level 6;
    gzip_disable "curl/7\\.1" msie6;
    gzip_buffers 16 8k;
    server {{
        listen 127.0.0.1:{port};
        root {dir}/html;
        error_page 404 /404.html;
        location /v10/ {{ gzip_http_version 1.0; }}
        location /px/ {{ gzip_proxied expired no-cache; }}
        location /off/ {{ gzip off; }}
        location /up/ {{ proxy_pass http://127.0.0.1:{backend}/; gzip_min_length 1; }}
        location = /up/a.txt {{ proxy_pass http://127.0.0.1:{port}/gs/a.txt; }}
        location /gs/ {{ gzip_static on; }}
        location /ga/ {{ gzip_static always; gzip_vary off; }}
    }}
}}
"""

AE = "Accept-Encoding: gzip, deflate"
CASES = [
    ("/big.txt", [AE], "HTTP/1.1"),
    ("/small.txt", [AE], "HTTP/1.1"),              # under gzip_min_length
    ("/cached.txt", [AE], "HTTP/1.1"),             # a small file served from memory
    ("/big.txt", [], "HTTP/1.1"),                  # no Accept-Encoding: Vary, no compression
    ("/big.txt", ["Accept-Encoding: gzip;q=0"], "HTTP/1.1"),
    ("/big.txt", ["Accept-Encoding: br, GZIP;q=0.5"], "HTTP/1.1"),
    ("/style.css", [AE], "HTTP/1.1"),              # not a gzip_types type
    ("/page.html", [AE], "HTTP/1.1"),              # text/html always
    ("/data.json", [AE], "HTTP/1.1"),
    ("/big.txt", [AE, "Range: bytes=0-99"], "HTTP/1.1"),   # compressed: the range is ignored
    ("/big.txt", [AE], "HTTP/1.0"),                # gzip_http_version 1.1
    ("/v10/big.txt", [AE], "HTTP/1.0"),
    ("/big.txt", [AE, "User-Agent: curl/7.10"], "HTTP/1.1"),        # gzip_disable regex
    ("/big.txt", [AE, "User-Agent: Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.0)"], "HTTP/1.1"),
    ("/big.txt", [AE, "User-Agent: Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)"], "HTTP/1.1"),
    ("/big.txt", [AE, "Via: 1.1 proxy"], "HTTP/1.1"),              # gzip_proxied off
    ("/px/big.txt", [AE, "Via: 1.1 proxy"], "HTTP/1.1"),           # no Expires/Cache-Control: allowed
    ("/off/big.txt", [AE], "HTTP/1.1"),
    ("/missing", [AE], "HTTP/1.1"),                # the 404 page is compressed too
    ("/up/x", [AE], "HTTP/1.1"),                   # proxied, Content-Length upstream
    ("/up/c?chunked=1", [AE], "HTTP/1.1"),         # proxied, chunked upstream
    ("/gs/a.txt", [AE], "HTTP/1.1"),               # gzip_static: a.txt.gz as it is
    ("/gs/a.txt", [], "HTTP/1.1"),                 # a.txt, with Vary
    ("/gs/a.txt", [AE, "Range: bytes=0-9"], "HTTP/1.1"),   # a range of a.txt.gz
    ("/gs/a.txt", [AE], "HTTP/1.0"),               # gzip_http_version: a.txt
    ("/gs/big.txt", [AE], "HTTP/1.1"),             # no big.txt.gz: compressed on the fly
    ("/ga/a.txt", [], "HTTP/1.1"),                 # always: a.txt.gz to every client
    ("/ga/a.txt", [AE], "HTTP/1.1", "HEAD"),
    ("/big.txt", [AE], "HTTP/1.1", "HEAD"),        # the head a GET gets, without a body
    ("/up/x", [AE], "HTTP/1.1", "HEAD"),
    ("/up/a.txt", [AE], "HTTP/1.1"),               # a file through the proxy: its Accept-Ranges goes too
]


@pytest.fixture
def site():
    d = tempfile.mkdtemp(prefix="hush-gzip-")
    html = os.path.join(d, "html")
    for sub in ("", "v10", "px", "off", "gs", "ga"):
        os.makedirs(os.path.join(html, sub), exist_ok=True)
        with open(os.path.join(html, sub, "big.txt"), "w") as f:
            f.write("".join("line %d of a long text file\n" % i for i in range(20000)))
    files = {"small.txt": "tiny\n", "cached.txt": "cached content " * 100, "style.css": "body{} " * 100,
             "page.html": "<p>page</p>\n" * 50, "data.json": '{"a": 1}\n' * 50,
             "404.html": "<p>not here</p>\n" * 20}
    for name, text in files.items():
        with open(os.path.join(html, name), "w") as f:
            f.write(text)
    for sub in ("gs", "ga"):
        with open(os.path.join(html, sub, "a.txt"), "w") as f:
            f.write("the plain text of a.txt\n" * 20)
        with open(os.path.join(html, sub, "a.txt.gz"), "wb") as f:
            f.write(gzip.compress(b"the precompressed a.txt\n" * 20, mtime=0))
    for root, _, names in os.walk(d):
        for x in names:
            t = 1700000500 if x.endswith(".gz") else 1700000000
            os.utime(os.path.join(root, x), (t, t))
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def run(kind, d, backend_port):
    port = free_port()
    conf = os.path.join(d, kind + ".conf")
    with open(conf, "w") as f:
        f.write(CONF.format(dir=d, name=kind, port=port, backend=backend_port,
                            user="user root;" if kind == "nginx" else ""))
    cmd = [NGINX, "-p", d, "-e", os.path.join(d, "nginx-error.log"), "-c", conf] if kind == "nginx" \
        else [HUSH, "-p", d, "-c", conf]
    proc = start(cmd, port)
    try:
        return [exchange(port, req(c[0], version=c[2], headers=c[1], method=c[3] if len(c) > 3 else "GET"))
                for c in CASES]
    finally:
        stop(proc)


def split(raw):
    head, body = raw.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    fields = sorted(l for l in lines[1:] if not l.startswith(("Date:", "Server:")))
    return lines[0], fields, body


def payload(fields, body):
    if "Transfer-Encoding: chunked" in fields:
        body = dechunk(body)
    if "Content-Encoding: gzip" in fields:
        body = gzip.decompress(body)
    return body


@pytest.mark.skipif(not os.path.exists(NGINX), reason="nginx is not installed")
def test_same_as_nginx(site, backend):
    b = backend()
    h = run("hush", site, b.port)
    n = run("nginx", site, b.port)
    for case, hr, nr in zip(CASES, h, n):
        path = case[0]
        hs, hf, hb = split(hr)
        ns, nf, nb = split(nr)
        what = case
        assert hs.split(" ")[1] == ns.split(" ")[1], what
        if "/up/" in path:  # the backend's own values differ per request
            hf = [f for f in hf if not f.startswith(("X-Seen", "X-Backend"))]
            nf = [f for f in nf if not f.startswith(("X-Seen", "X-Backend"))]
        assert hf == nf, "%r\n%s\n%s" % (what, hf, nf)
        assert payload(hf, hb) == payload(nf, nb), what
    # spot checks of what the comparison covered
    big = split(h[0])
    assert "Content-Encoding: gzip" in big[1] and "Vary: Accept-Encoding" in big[1]
    assert not any(f.startswith("Content-Length") or f.startswith("Accept-Ranges") for f in big[1])
    assert any(f.startswith('ETag: W/"') for f in big[1])
    with open(os.path.join(site, "html", "big.txt"), "rb") as f:
        assert payload(big[1], big[2]) == f.read()
    assert len(big[2]) < os.path.getsize(os.path.join(site, "html", "big.txt")) / 4
    assert "Content-Encoding: gzip" not in split(h[1])[1] and "Vary: Accept-Encoding" in split(h[3])[1]
    gs = split(h[CASES.index(("/gs/a.txt", [AE], "HTTP/1.1"))])
    assert "Content-Length: %d" % os.path.getsize(os.path.join(site, "html", "gs", "a.txt.gz")) in gs[1]
    assert gzip.decompress(gs[2]) == b"the precompressed a.txt\n" * 20 and "Accept-Ranges: bytes" not in gs[1]


def test_head_and_bad_directives(hush, tmpconf):
    srv = hush("""
gzip on;
server { listen 127.0.0.1:@PORT@; location / { return 200 "%s"; } }""" % ("x" * 500))
    r = srv.exchange(req("/", method="HEAD", headers=[AE])).responses(head=True)[0]
    assert r.header("Content-Encoding") is None and r.header("Content-Length") == "500"  # text/plain
    r = srv.exchange(req("/", headers=[AE])).responses()[0]
    assert r.header("Content-Encoding") is None  # return's default_type text/plain is not text/html
    conf = os.path.join(tmpconf, "hush.conf")
    for bad, msg in [("gzip_comp_level 10;", "between 1 and 9"), ("gzip_proxied sometimes;", "invalid value"),
                     ("gzip_http_version 2.0;", "invalid value"), ("gzip_disable \"(\";", "missing closing parenthesis"),
                     ("gzip maybe;", "must be \"on\" or \"off\""), ("gzip_buffers 0 8k;", "invalid value")]:
        with open(conf, "w") as f:
            f.write("events {}\nhttp {\n%s\n}\n" % bad)
        r = run_hush(["-t", "-p", tmpconf, "-c", conf])
        assert r.returncode == 1 and "hush.conf:3:" in r.stderr and msg in r.stderr, (bad, r.stderr)


def test_readme_example(hush):
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "README.md")) as f:
        text = f.read()
    example = text.split("### Compression: `gzip`", 1)[1].split("```nginx\n", 1)[1].split("```", 1)[0]
    srv = hush(example.replace("listen 8080", "listen 127.0.0.1:@PORT@"))
    srv.write("app.css", "body { color: red; }\n" * 40)
    srv.write("tiny.css", "a{}\n")
    r = srv.exchange(req("/app.css", headers=[AE, "Via: 1.1 cdn"])).data
    head, body = r.split(b"\r\n\r\n", 1)
    assert b"Content-Encoding: gzip" in head and b"Vary: Accept-Encoding" in head
    assert gzip.decompress(dechunk(body)) == b"body { color: red; }\n" * 40
    r = srv.exchange(req("/tiny.css", headers=[AE])).responses()[0]
    assert r.header("Content-Encoding") is None and r.body == b"a{}\n"
    r = srv.exchange(req("/app.css", headers=[AE, "User-Agent: Mozilla/4.0 (compatible; MSIE 5.5; Windows 98)"]))
    assert b"Content-Encoding" not in r.data
