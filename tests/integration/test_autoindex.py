"""autoindex: the listing of a directory without an index file, compared
byte for byte with Debian's nginx 1.22 listing the same directory (html
with exact and rounded sizes, json, jsonp, xml), and what surrounds it:
index files win, a directory without its slash is redirected, hidden
names are skipped, bad callbacks and missing directories, HEAD, -t errors."""
import json
import os
import re
import shutil
import tempfile

import pytest

from conftest import MTIME, req, parse_responses, run_hush, dechunk
from nginxside import HAVE_NGINX, Nginx, raw_exchange

SITE = """
server {
    listen 127.0.0.1:@PORT@;
    server_name localhost;
    root @DIR@/html;
    location /l/ { alias @DIR@/list/; autoindex on; }
    location /r/ { alias @DIR@/list/; autoindex on; autoindex_exact_size off; }
    location /j/ { alias @DIR@/list/; autoindex on; autoindex_format json; }
    location /p/ { alias @DIR@/list/; autoindex on; autoindex_format jsonp; }
    location /x/ { alias @DIR@/list/; autoindex on; autoindex_format xml; }
    location /t/ { alias @DIR@/list/; autoindex on; autoindex_localtime on; }
    @UTF8@
}
"""
# with `charset utf-8` nginx counts a name's characters rather than its bytes
UTF8 = "location /u/ { alias @DIR@/list/; autoindex on; charset utf-8; }"

NAMES = ["test-utf8-" + "ф" * 3, "test-utf8-" + "ф" * 45, "<>&-ф", "<>&-" + "ф" * 45, "ф" * 3 + ">" * 45,
         "bad-\udcff-utf8", "plain.txt", "Zed", "a b", "esc%", "q?x", "h<>&\"'", "colon:blah", "back\\slash", "ctl\x01x", "tab\tx",
         "é-utf8", "plus+semi;eq=at@", "tilde~dash-dot._", "test-long-" + "0" * 50, "test-long-" + ">" * 50,
         "x" * 50, "y" * 49, "!$()*,[]^`{|}#"]
SIZES = {"s9999": 9999, "s10000": 10000, "s10752": 10752, "s11263": 11263, "s1048575": 1048575,
         "s1048576": 1048576, "s1572864": 1572864, "s1610612736": 1610612736, "s5000000000": 5000000000}
DIRS = ["Adir", "zdir", "d" * 49, "e" * 50, "dir <&>"]


def make_site(d):
    lst = os.path.join(d, "list")
    os.makedirs(os.path.join(d, "html"), exist_ok=True)
    os.makedirs(lst)
    for name in NAMES:
        with open(os.path.join(lst, name).encode("utf-8", "surrogateescape"), "wb") as f:
            f.write(b"x" * len(name))
    for name, size in SIZES.items():
        with open(os.path.join(lst, name), "wb") as f:
            f.truncate(size)                       # sparse: no disk used
    for name in DIRS:
        os.makedirs(os.path.join(lst, name))
    os.makedirs(os.path.join(lst, "empty"))
    for hidden in (".hidden", ".git"):
        open(os.path.join(lst, hidden), "w").close()
    os.symlink("plain.txt", os.path.join(lst, "link-to-file"))
    os.symlink("Adir", os.path.join(lst, "link-to-dir"))
    os.symlink("nowhere", os.path.join(lst, "dangling"))
    for i, name in enumerate(os.listdir(lst)):
        t = MTIME + i * 3600 * 7
        os.utime(os.path.join(lst, name), (t, t), follow_symlinks=False)
    os.chmod(d, 0o755)


PATHS = ["/l/", "/r/", "/j/", "/p/?callback=foo.bar_1", "/p/", "/x/", "/t/", "/l/Adir/", "/l/empty/", "/j/empty/",
         "/x/empty/", "/p/empty/?callback=cb", "/l/dir%20%3C&%3E/"]


def body_of(data):
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    ctype = re.search(rb"\r\nContent-Type: ([^\r]*)", head)
    if b"\r\nTransfer-Encoding: chunked" in head:
        body = dechunk(body)
    return status, ctype.group(1).decode() if ctype else None, body


def hush_has_charset(tmp):
    conf = os.path.join(tmp, "c.conf")
    with open(conf, "w") as f:
        f.write("events {} http { charset utf-8; server { listen 127.0.0.1:8099; } }\n")
    return run_hush(["-t", "-p", tmp, "-c", conf]).returncode == 0


@pytest.mark.skipif(not HAVE_NGINX, reason="nginx is not installed")
def test_listings_as_nginx(hush, tmpconf):
    utf8 = hush_has_charset(tmpconf)
    site = SITE.replace("@UTF8@", UTF8 if utf8 else "")
    srv = hush(site, start=False)
    make_site(srv.dir)
    srv.start()
    ng_dir = tempfile.mkdtemp(prefix="hush-ng-")
    try:
        ng = Nginx(ng_dir, site.replace("@DIR@", srv.dir)).start()  # the same directory
        try:
            for path in PATHS + (["/u/"] if utf8 else []):
                want_status, want_type, want = body_of(ng.exchange(req(path, version="HTTP/1.1")))
                got_status, got_type, got = body_of(raw_exchange(srv.port, req(path)))
                assert (got_status, got_type) == (want_status, want_type), path
                assert got.decode("latin-1").splitlines() == want.decode("latin-1").splitlines(), path
                assert got == want, path
        finally:
            ng.stop()
    finally:
        shutil.rmtree(ng_dir, ignore_errors=True)


AROUND = """
server {
    listen 127.0.0.1:@PORT@;
    server_name localhost;
    autoindex on;
    location /p/ { autoindex_format jsonp; }
    location /j/ { autoindex_format json; }
    location /off/ { autoindex off; }
}
"""


def get(srv, path, method="GET"):
    """HTTP/1.0: a listing comes until close rather than chunked."""
    return parse_responses(srv.exchange(req(path, method=method, version="HTTP/1.0")).data,
                           head=method == "HEAD")[0]


def test_around_the_listing(hush):
    srv = hush(AROUND, start=False)
    srv.write("withindex/index.html", "the index\n")
    srv.write("withindex/other.txt", "x")
    srv.write("plain/a.txt", "a")
    srv.write("plain/.secret", "s")
    srv.write("j/b.txt", "bb")
    srv.write("p/c.txt", "ccc")
    srv.write("off/d.txt", "d")
    srv.start()
    assert get(srv, "/withindex/").body == b"the index\n"          # index wins over autoindex
    r = get(srv, "/plain")                                          # no slash: nginx's 301
    assert r.status == 301 and r.header("Location") == "http://localhost:%d/plain/" % srv.port
    r = get(srv, "/plain/")
    assert r.status == 200 and r.header("Content-Type") == "text/html"
    assert b'<a href="a.txt">a.txt</a>' in r.body and b"secret" not in r.body
    assert b"<title>Index of /plain/</title>" in r.body
    r = get(srv, "/plain/", method="HEAD")
    assert r.status == 200 and r.body == b""
    data = srv.exchange(req("/plain/")).data                        # HTTP/1.1: chunked, as nginx
    assert b"\r\nTransfer-Encoding: chunked\r\n" in data and data.endswith(b"\r\n0\r\n\r\n")
    assert b'<a href="a.txt">a.txt</a>' in dechunk(data.split(b"\r\n\r\n", 1)[1])
    assert get(srv, "/plain/", method="POST").status == 403         # as nginx: listings are for GET and HEAD
    assert get(srv, "/nothere/").status == 404
    assert get(srv, "/off/").status == 403
    listing = json.loads(get(srv, "/j/").body)
    assert listing == [{"name": "b.txt", "type": "file", "mtime": "Tue, 14 Nov 2023 22:13:20 GMT", "size": 2}]
    r = get(srv, "/p/?x=1&callback=show")
    assert r.header("Content-Type") == "application/javascript" and r.body.startswith(b"/* callback */\r\nshow([")
    assert json.loads(r.body[len(b"/* callback */\r\nshow("):-2])[0]["name"] == "c.txt"
    assert get(srv, "/p/").header("Content-Type") == "application/json"
    assert get(srv, "/p/?callback=alert(1)").status == 400
    assert srv.wait_error_log(r'\[info\] .*client sent invalid callback name: "alert\(1\)"')
    assert get(srv, "/p/?callback=" + "a" * 129).status == 400


def test_bad_directives(tmpconf):
    conf = os.path.join(tmpconf, "hush.conf")
    for body, msg in [("autoindex maybe;", 'invalid value "maybe" in "autoindex" directive'),
                      ("autoindex_format yaml;", 'invalid value "yaml" in "autoindex_format" directive'),
                      ("autoindex_exact_size;", 'invalid number of arguments in "autoindex_exact_size"'),
                      ("autoindex on; autoindex off;", '"autoindex" directive is duplicate')]:
        with open(conf, "w") as f:
            f.write("events {} http { server { listen 127.0.0.1:8099; location / {\n%s\n} } }\n" % body)
        r = run_hush(["-t", "-p", tmpconf, "-c", conf])
        assert r.returncode == 1 and "hush.conf:2" in r.stderr and msg in r.stderr, (body, r.stderr)


def test_readme_example(hush):
    from test_auth import readme_example
    example = readme_example("### Directory listings: `autoindex`").replace("/srv/files/", "@DIR@/files/")
    srv = hush("server { listen 127.0.0.1:@PORT@; server_name localhost;\n%s\n}" % example, start=False)
    with open(srv.write("downloads/big.iso", ""), "wb") as f:
        f.truncate(3 * 1024 * 1024)
    srv.write("files/report.csv", "a,b\n", root=".")
    srv.start()
    r = get(srv, "/downloads/")
    assert r.status == 200 and re.search(rb'<a href="big.iso">big.iso</a> +\d\d-\w{3}-\d{4} \d\d:\d\d +3M\r\n', r.body)
    assert json.loads(get(srv, "/api/files/").body)[0]["name"] == "report.csv"


def test_large_listing_over_http1_and_h2(hush):
    """A listing much larger than the socket buffers goes out whole, chunked
    over HTTP/1.1 and in DATA frames over h2 (curl with prior knowledge)."""
    import subprocess
    srv = hush("server { listen 127.0.0.1:@PORT@; http2 on; location / { autoindex on; } }", start=False)
    for i in range(3000):
        srv.write("big/file-%05d-%s" % (i, "x" * 40), "")
    srv.start()
    for flags in ([], ["--http2-prior-knowledge"]):
        out = subprocess.run(["curl", "-sS", "--max-time", "20"] + flags + ["http://127.0.0.1:%d/big/" % srv.port],
                             capture_output=True, timeout=30)
        assert out.returncode == 0, out.stderr
        body = out.stdout
        assert body.count(b'<a href="file-') == 3000 and body.endswith(b"</pre><hr></body>\r\n</html>\r\n"), flags
        assert b'<a href="file-02999-' + b"x" * 40 + b'">file-02999-' + b"x" * 36 + b"..&gt;</a> " in body
