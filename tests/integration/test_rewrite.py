"""The rewrite module beside Debian's nginx 1.22: rewrite (captures, named
captures, flags, arguments, redirects), return in every form, set, if with
every condition (file tests too), break, internal locations and the
internal-redirect cycle limit. Each config runs in hush and in nginx, and
the same requests must give the same status, Location and body."""
import re

import pytest

from conftest import req, run_hush
from nginxside import both, needs_nginx, nginx_beside  # noqa: F401

LOG = "access_log logs/access.log;\n"


def page(body):
    """A built-in page names its server: set that aside."""
    return re.sub(rb"<hr><center>[^<]*</center>", b"<hr><center>SERVER</center>", body)


def compare(srv, ngx, paths, body=True):
    """Every path gives the same status, Location and (when asked) body."""
    for p in paths:
        data = p if isinstance(p, bytes) else req(p)
        h, n = both(srv, ngx, data)
        assert n is not None and h is not None, (p, h, n)
        assert h.status == n.status, (p, h, n)
        assert h.header("Location") == n.header("Location"), (p, h.header("Location"), n.header("Location"))
        if body:
            assert page(h.body) == page(n.body), (p, h.body, n.body)


def start_both(hush, nginx_beside, http, files=()):
    srv = hush(http, start=False)
    for name, content in files:
        srv.write(name, content)
    srv.start()
    return srv, nginx_beside(srv, http)


FLAGS = LOG + """
server {
    listen 127.0.0.1:@PORT@;
    default_type text/plain;
    location /old/ { rewrite ^/old/(.*)$ /new/$1 last; }
    location /new/ { return 200 "new uri=$uri args=$args 1=$1\\n"; }
    location /perm/ { rewrite ^/perm/(.*)$ /new/$1 permanent; }
    location /temp/ { rewrite ^/temp/(.*)$ /new/$1 redirect; }
    location /abs/ { rewrite ^ http://example.com/x; }
    location /sch/ { rewrite ^/sch/(.*) $scheme://$host/new/$1 permanent; }
    location /args/ { rewrite ^ /new/a?x=1 last; }
    location /noargs/ { rewrite ^ /new/b? last; }
    location /qargs/ { rewrite ^ /new/c?y=2? last; }
    location /rargs/ { rewrite ^ /new/r?z=3 redirect; }
    location /brk/ { rewrite ^/brk/(.*)$ /other/$1 break; return 200 "not reached\\n"; }
    location /chain/ { rewrite ^/chain/(.*)$ /chain2/$1; rewrite ^/chain2/(.*)$ /new/$1; }
    location /nomatch/ { rewrite ^/zzz /new/z last; return 200 "kept $uri\\n"; }
    location /named/ { rewrite "^/named/(?<id>[0-9]+)/(?<slug>\\w+)$" /new/$slug?id=$id last; }
    location /ci/ { rewrite (?i)^/CI/(.*)$ /new/ci-$1 last; }
}
"""


@needs_nginx
def test_rewrite_flags_args_and_redirects_as_nginx(hush, nginx_beside):
    srv, ngx = start_both(hush, nginx_beside, FLAGS, [("other/f.txt", "other file\n")])
    compare(srv, ngx, ["/old/a/b", "/old/x?q=1", "/perm/p?q=1", "/temp/t", "/abs/x", "/abs/x?k=v", "/sch/s?a=b",
                       "/args/", "/args/?o=1", "/noargs/?o=1", "/qargs/?o=1", "/rargs/?o=1", "/brk/f.txt",
                       "/chain/c", "/nomatch/n", "/named/42/hello", "/ci/x"])


FILES = LOG + """
server {
    listen 127.0.0.1:@PORT@;
    default_type text/plain;
    root html;
    location / {
        if (-f $request_filename) { return 200 "file $uri\\n"; }
        if (-d $request_filename) { return 200 "dir $uri\\n"; }
        if (!-e $request_filename) { return 200 "missing $uri\\n"; }
        return 200 "other\\n";
    }
    location /x/ {
        if (-x $request_filename) { return 200 "exec\\n"; }
        if (!-x $request_filename) { return 200 "not exec\\n"; }
    }
    location /nf/ { if (!-f $document_root/nf/$arg_f) { return 404; } return 200 "found $arg_f\\n"; }
    location /nd/ { if (!-d $request_filename) { return 200 "not a dir\\n"; } return 200 "a dir\\n"; }
}
"""


@needs_nginx
def test_if_file_tests_as_nginx(hush, nginx_beside):
    import os
    srv, ngx = start_both(hush, nginx_beside, FILES, [("a.txt", "a\n"), ("d/in.txt", "in\n"), ("x/run.sh", "#!/bin/sh\n"),
                                                      ("x/plain.txt", "p\n"), ("nf/yes", "y\n"), ("nd/f", "f\n")])
    os.chmod(os.path.join(srv.html, "x", "run.sh"), 0o755)
    compare(srv, ngx, ["/a.txt", "/d", "/d/", "/nope", "/d/in.txt", "/x/run.sh", "/x/plain.txt", "/x/none",
                       "/nf/?f=yes", "/nf/?f=no", "/nd/", "/nd/f", "/nd/zz"])


DEBIAN = LOG + """
server {
    listen 127.0.0.1:@PORT@;
    default_type text/plain;
    root html;
    index index.html;
    location / {
        if (!-e $request_filename) { rewrite ^ /index.php last; }
    }
    location = /index.php { return 200 "front uri=$uri request_uri=$request_uri args=$args\\n"; }
}
"""


@needs_nginx
def test_debian_front_controller_as_nginx(hush, nginx_beside):
    srv, ngx = start_both(hush, nginx_beside, DEBIAN, [("style.css", "body{}\n"), ("blog/index.html", "blog\n")])
    compare(srv, ngx, ["/style.css", "/blog/", "/blog", "/2024/01/hello-world/", "/wp-json/x?y=1", "/"])


WORDPRESS = LOG + """
server {
    listen 127.0.0.1:@PORT@;
    default_type text/plain;
    root html;
    index index.php index.html;
    location / { try_files $uri $uri/ /index.php?$args; }
    location ~ \\.php$ { return 200 "php uri=$uri args=$args request_uri=$request_uri\\n"; }
}
"""


@needs_nginx
def test_wordpress_try_files_as_nginx(hush, nginx_beside):
    srv, ngx = start_both(hush, nginx_beside, WORDPRESS, [("wp-content/a.css", "css\n"), ("sub/index.html", "sub\n")])
    compare(srv, ngx, ["/wp-content/a.css", "/hello-world/", "/?p=12", "/page/2/?s=x", "/sub/", "/wp-admin/x.php?a=1"])


ORDER = LOG + """
server {
    listen 127.0.0.1:@PORT@;
    default_type text/plain;
    set $srv server;
    if ($arg_srv = "ret") { return 200 "server return $srv\\n"; }
    rewrite ^/srv/(.*)$ /order/$1;
    location /order/ {
        set $a 1;
        if ($arg_b) { set $a 2; }
        set $c "$a-$srv";
        if ($arg_first) { return 200 "first $c\\n"; }
        rewrite ^ /done/$c;
        return 200 "not reached\\n";
    }
    location /done/ { return 200 "done $uri $a $c\\n"; }
    location /ret/ { return 200 "ret before\\n"; rewrite ^ /done/x last; }
    location /brk/ { set $x a; break; set $x b; return 200 "not reached\\n"; }
    location /brkif/ { if ($arg_q) { set $x q; break; } return 200 "after if $x\\n"; }
    location /rwbrk/ { rewrite ^ /done/rb; break; return 200 "not reached\\n"; }
    location /args/ { set $args "k=v"; return 200 "$args $arg_k\\n"; }
    location /cap/ {
        if ($uri ~ "^/cap/(?<first>[a-z]+)/([0-9]+)") { set $n $2; }
        return 200 "first=$first n=$n 1=$1\\n";
    }
    location /cond/ {
        if ($http_x_a = "") { return 200 "empty\\n"; }
        if ($http_x_a != "yes") { return 200 "not yes\\n"; }
        if ($http_x_a ~* ^Y) { return 200 "never\\n"; }
        return 200 "yes\\n";
    }
    location /zero/ { if ($arg_v) { return 200 "true\\n"; } return 200 "false\\n"; }
}
"""


@needs_nginx
def test_script_order_set_break_and_captures_as_nginx(hush, nginx_beside):
    srv, ngx = start_both(hush, nginx_beside, ORDER, [("done/rb", "rb file\n"), ("brk/index.html", "brk index\n"),
                                                      ("brkif/index.html", "brkif index\n")])
    compare(srv, ngx, ["/order/", "/order/?b=1", "/order/?first=1", "/order/?b=1&first=1", "/?srv=ret", "/srv/x",
                       "/srv/x?first=1", "/ret/", "/brk/", "/brkif/", "/brkif/?q=1", "/rwbrk/", "/args/?a=1",
                       "/cap/abc/42/x", "/cap/ABC/42", "/cond/", req("/cond/", headers=["X-A: no"]),
                       req("/cond/", headers=["X-A: yes"]), "/zero/?v=0", "/zero/?v=00", "/zero/?v=1"])


RETURNS = LOG + """
server {
    listen 127.0.0.1:@PORT@;
    default_type text/plain;
    location / {
        if ($arg_r = "301") { return 301 /moved; }
        if ($arg_r = "302") { return 302 http://example.com/x?$args; }
        if ($arg_r = "url") { return https://example.com/u; }
        if ($arg_r = "scheme") { return $scheme://$host/s; }
        if ($arg_r = "403") { return 403; }
        if ($arg_r = "403t") { return 403 "forbidden text\\n"; }
        if ($arg_r = "204") { return 204; }
        if ($arg_r = "200") { return 200; }
        if ($arg_r = "307") { return 307 /t; }
        if ($arg_r = "404") { return 404; }
        return 200 "plain\\n";
    }
    error_page 404 /err/404;
    location /err/ { internal; return 200 "error page\\n"; }
}
"""


@needs_nginx
def test_return_forms_inside_if_as_nginx(hush, nginx_beside):
    srv, ngx = start_both(hush, nginx_beside, RETURNS)
    compare(srv, ngx, ["/?r=" + c for c in ("301", "302", "url", "scheme", "403", "403t", "204", "200", "307",
                                            "404", "none")] + ["/err/404"])


INTERNAL = LOG + """
server {
    listen 127.0.0.1:@PORT@;
    default_type text/plain;
    root html;
    error_page 404 /int/notfound;
    location /int/ { internal; return 200 "internal $uri\\n"; }
    location /go/ { rewrite ^ /int/from-rewrite last; }
    location /tf/ { try_files /nope /int/from-try-files; }
    location /loop/ { rewrite ^ /loop/again last; }
    location /loop2/ { rewrite ^ /loop3/; }
    location /loop3/ { rewrite ^ /loop2/; }
    location /ep/ { error_page 418 = /ep/; return 418; }
}
"""


@needs_nginx
def test_internal_locations_and_redirect_cycles_as_nginx(hush, nginx_beside):
    srv, ngx = start_both(hush, nginx_beside, INTERNAL)
    compare(srv, ngx, ["/int/x", "/go/", "/tf/", "/missing", "/loop/", "/loop2/", "/ep/"], body=False)
    for p in ("/int/x", "/go/", "/tf/", "/missing"):
        h, n = both(srv, ngx, req(p))
        assert h.body == n.body, (p, h.body, n.body)
    want = ('rewrite or internal redirection cycle while processing "/loop/again", client: 127.0.0.1, server: , '
            'request: "GET /loop/ HTTP/1.1", host: "localhost"')
    assert want in ngx.error_log()
    assert srv.wait_error_log(r"\[error\] \d+#\d+: \*\d+ " + re.escape(want))


REWRITE_LOG = LOG + """
server {
    listen 127.0.0.1:@PORT@;
    server_name logged.test;
    default_type text/plain;
    rewrite_log on;
    location /a/ { rewrite ^/a/(.*)$ /b/$1?x=1; rewrite ^/zz /nope; }
    location /b/ { if ($arg_x ~ ^[0-9]+$) { return 200 "b\\n"; } }
    location /r/ { rewrite ^ /b/ permanent; }
}
"""


@needs_nginx
def test_rewrite_log_notice_lines_as_nginx(hush, nginx_beside):
    srv, ngx = start_both(hush, nginx_beside, REWRITE_LOG)
    compare(srv, ngx, [req("/a/q?o=2", host="logged.test"), req("/r/", host="logged.test")])
    want = ['"^/a/(.*)$" matches "/a/q"', 'rewritten data: "/b/q", args: "x=1&o=2"',
            '"^/zz" does not match "/b/q"', '"^[0-9]+$" matches "1"', 'rewritten redirect: "/b/"']
    tail = ', client: 127.0.0.1, server: logged.test, request: "GET /a/q?o=2 HTTP/1.1", host: "logged.test"'
    for w in want:
        line = w + (tail if "redirect" not in w else tail.replace("/a/q?o=2", "/r/"))
        assert "[notice]" in ngx.error_log() and line in ngx.error_log(), (line, ngx.error_log())
        assert srv.wait_error_log(r"\[notice\] .*" + re.escape(line)), (line, srv.error_log())


SETVARS = """
log_format sv '$uri $who $mapped $status';
access_log logs/access.log sv;
map $who $mapped { default other; alice yes-alice; }
server {
    listen 127.0.0.1:@PORT@;
    set $who nobody;
    location /p/ { set $who alice; proxy_set_header X-Who "$who/$mapped"; proxy_pass http://127.0.0.1:@BACKEND@; }
    location /r/ { set $who "$arg_n"; return 200 "$who $mapped\\n"; }
    location /u/ { return 200 "[$never]\\n"; }
    location /e/ { set $never ""; return 200 "[$never]\\n"; }
}
"""


def test_set_variables_in_logs_proxy_headers_and_map_keys(hush, backend):
    b = backend()
    srv = hush(SETVARS.replace("@BACKEND@", str(b.port)))
    assert srv.get("/r/?n=alice").body == b"alice yes-alice\n"
    assert srv.get("/r/?n=bob").body == b"bob other\n"
    assert srv.get("/p/x").status == 200
    assert srv.get("/u/").body == b"[]\n"
    assert srv.get("/e/").body == b"[]\n"
    seen = [e for e in b.events("request")]
    assert any("alice/yes-alice" in str(e) for e in seen), seen
    lines = srv.wait_log(5)
    assert lines[0] == "/r/ alice yes-alice 200", lines
    assert lines[1] == "/r/ bob other 200", lines
    assert lines[2] == "/p/x alice yes-alice 200", lines
    assert lines[3] == "/u/ nobody other 200", lines


BANS = """
ban_zone zone=abuse:1m key=$binary_remote_addr threshold=3 window=1m duration=1m;
log_format d '$status $close_reason $drop_rule $uri';
access_log logs/access.log d;
server {
    listen 127.0.0.1:@PORT@;
    ban zone=abuse on=444;
    if ($http_x_bad) { return 444; }
    location / {
        if ($arg_drop) { drop_rule_name baddrop; return 444; }
        set $k "$arg_k";
        if ($k = "x") { rewrite ^ /dropper last; }
        return 200 "ok\\n";
    }
    location = /dropper { internal; return 444; }
}
"""


def test_if_drops_at_server_and_location_level_count_toward_bans(hush):
    srv = hush(BANS)
    assert srv.exchange(req("/", headers=["X-Bad: 1"])).data == b""
    assert srv.exchange(req("/?drop=1")).data == b""
    assert srv.get("/").body == b"ok\n"
    assert srv.exchange(req("/?k=x")).data == b""
    lines = srv.wait_log(4)
    assert re.fullmatch(r"444 drop if@hush\.conf:\d+ /", lines[0]), lines
    assert lines[1] == "444 drop baddrop /", lines
    assert lines[2] == "200 ok - /", lines
    assert lines[3] == "444 drop return /dropper", lines
    # three drops within the window: the address is banned at accept
    r = srv.exchange(req("/"))
    assert (r.data, r.how) == (b"", "closed"), r


def test_if_blocks_take_proxy_pass_root_and_error_page(hush, backend):
    b = backend()
    srv = hush("""
server {
    listen 127.0.0.1:@PORT@;
    location /p/ {
        if ($arg_up) { proxy_pass http://127.0.0.1:%d; }
        if ($arg_alt) { root alt; }
        if ($arg_ep) { error_page 404 =200 /found.txt; }
        if ($arg_quiet) { access_log off; }
    }
    location = /found.txt { return 200 "error page in if\\n"; }
}
""" % b.port, start=False)
    srv.write("p/f.txt", "main root\n")
    srv.write("p/f.txt", "alt root\n", root="alt")
    srv.start()
    assert srv.get("/p/f.txt").body == b"main root\n"
    assert srv.get("/p/f.txt?alt=1").body == b"alt root\n"
    r = srv.get("/p/f.txt?up=1")
    assert r.status == 200 and r.body != b"main root\n"
    assert [e.get("path") or e.get("target") for e in b.events("request")] == ["/p/f.txt?up=1"], b.events("request")
    assert srv.get("/p/none?ep=1").body == b"error page in if\n"
    assert srv.get("/p/none").status == 404
    assert srv.get("/p/f.txt?quiet=1").status == 200
    lines = srv.expect_log(5)
    assert not any("quiet" in l for l in lines) and any("up=1" in l for l in lines), lines


@pytest.mark.parametrize("body,msg", [
    ("location / { set $a $nope; }", 'unknown "nope" variable'),
    ("location / { rewrite ^ /x bogus; }", 'invalid parameter "bogus"'),
    ("location / { rewrite ( /x; }", "missing closing parenthesis"),
    ("location / { set $uri x; }", 'the duplicate "uri" variable'),
    ("location / { set a x; }", 'invalid variable name "a"'),
    ("if ($a) { proxy_pass http://127.0.0.1:1; } set $a 1;", '"proxy_pass" directive is not allowed here'),
    ("location / { if ($a) { if ($a) { } } set $a 1; }", '"if" directive is not allowed here'),
    ("location / { if ($arg_a) { proxy_pass http://127.0.0.1:1/x; } }", "cannot have URI part"),
    ("location / { internal; internal; }", '"internal" directive is duplicate'),
    ("location / { return 444 text; }", "takes no text"),
    ("rewrite_log maybe;", "invalid value"),
    ("location / { if (-z $uri) { } }", "invalid condition"),
])
def test_bad_rewrite_config_is_an_error_at_its_line(tmpconf, body, msg):
    import os
    conf = os.path.join(tmpconf, "hush.conf")
    with open(conf, "w") as f:
        f.write("events {}\nhttp {\n    access_log off;\n    server {\n        listen 127.0.0.1:8099;\n"
                "        %s\n    }\n}\n" % body)
    r = run_hush(["-t", "-p", tmpconf, "-c", conf])
    assert r.returncode == 1, r.stderr
    assert "hush.conf:6: " in r.stderr and msg in r.stderr, r.stderr


def test_nginx_rewrite_directives_pass_t(tmpconf):
    import os
    conf = os.path.join(tmpconf, "hush.conf")
    with open(conf, "w") as f:
        f.write("""events {}
http {
    access_log off;
    rewrite_log off;
    uninitialized_variable_warn on;
    server {
        listen 127.0.0.1:8099;
        uninitialized_variable_warn off;
        if ($host != "example.com") { rewrite ^ https://example.com$request_uri permanent; }
        location / { if (!-e $request_filename) { rewrite ^/(.*)$ /index.php?q=$1 last; break; } }
        location /i/ { internal; }
    }
}
""")
    r = run_hush(["-t", "-p", tmpconf, "-c", conf])
    assert r.returncode == 0, r.stderr


def readme_example():
    import os
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "README.md")) as f:
        text = f.read()
    section = text.split("### Rewrite:", 1)[1]
    return section.split("```nginx\n", 1)[1].split("```", 1)[0]


def test_readme_rewrite_example(hush):
    conf = readme_example().replace("127.0.0.1:8080", "127.0.0.1:@PORT@")
    srv = hush(LOG + conf)
    r = srv.get("/blog/12/hello-world")
    assert r.body == b"front: /index.php?id=12\n", r
    srv.write("posts/hello", "the post\n")
    assert srv.get("/blog/7/hello").body == b"the post\n"
    r = srv.get("/old/a?b=1")
    assert (r.status, r.header("Location")) == (301, "http://localhost:%d/new/a?b=1" % srv.port), r
    r = srv.get("/x", host="www.example.com")
    assert (r.status, r.header("Location")) == (301, "https://example.com/x"), r
    assert srv.get("/private/").status == 404
    assert srv.wait_error_log(r'\[notice\] .*"\^/old/\(\.\*\)\$" matches "/old/a"')


ESCAPES = LOG + """
server {
    listen 127.0.0.1:@PORT@;
    default_type text/plain;
    location /perm/ { rewrite ^/perm/(.*)$ /new/$1 permanent; }
    location /last/ { rewrite ^/last/(.*)$ /new/$1 last; }
    location /q/ { rewrite ^/q/(.*)$ /new/x?q=$1 last; }
    location /qr/ { rewrite ^/qr/(.*)$ /new/x?q=$1 redirect; }
    location /new/ { return 200 "uri=$uri args=$args\\n"; }
}
"""


@needs_nginx
def test_captures_escaped_again_as_nginx(hush, nginx_beside):
    # a request path that came escaped has its captures escaped again in a
    # redirect and in arguments (not in an internal $uri), byte by byte as nginx
    srv, ngx = start_both(hush, nginx_beside, ESCAPES)
    paths = ["/%s/a%%%02Xb" % (kind, c) for c in list(range(0x20, 0x80)) + [0x01, 0xd1, 0xff] if c != 0x2f
             for kind in ("perm", "last", "q", "qr")]
    compare(srv, ngx, paths + ["/perm/a+b", "/q/a+b", "/qr/a+b&c", "/q/plain", "/qr/pl&in?o=1", "/perm/%D1%8F"])


ERROR_PAGES = LOG + """
server {
    listen 127.0.0.1:@PORT@;
    default_type text/plain;
    location /e405r200 { error_page 405 /r200; return 405; }
    location /e405r204 { error_page 405 /r204; return 405; }
    location /e405r200t { error_page 405 /r200t; return 405; }
    location /e302r200t { error_page 302 /r200t; return 302 "first"; }
    location /e405r302 { error_page 405 /r302; return 405; }
    location /r200 { return 200; }
    location /r204 { return 204; }
    location /r200t { return 200 "text"; }
    location /r302 { return 302 "http://example.com/x"; }
    location /t1 { rewrite ^ $arg_r? redirect; }
    location /t4 { rewrite ^(.*) http://example.com$1 redirect; }
    location /t5 { rewrite ^ http://example.com/blah%20%3Fblah%zz%0a redirect; }
    location /u/a { rewrite ^ http://e.com/a%zzb%41 redirect; }
    location /u/b { rewrite ^ http://e.com/a%3Fb%41%zz redirect; }
    location /u/c { rewrite ^ http://e.com/a%4zb%41%b%41 redirect; }
    location /u/e { rewrite ^ http://e.com/a%41%3f%42?x%41 redirect; }
    location /u/g { rewrite ^ http://e.com/a% redirect; }
    location /brk { rewrite ^ /r200t; break; proxy_pass http://127.0.0.1:@PORT@/r204; }
    location /brk2 { rewrite ^/brk2(.*)$ /r200t$1 break; proxy_pass http://127.0.0.1:@PORT@/r204/; }
}
"""


@needs_nginx
def test_return_in_error_pages_and_redirect_unescaping_as_nginx(hush, nginx_beside):
    # nginx's own rewrite.t and rewrite_unescape.t cases: an error page's
    # status goes out with the return's body; a redirect code finalizes (its
    # error_page applies, the Location kept); a rewrite's redirect is decoded
    # up to its '?'; rewrite then break makes proxy_pass send $uri whole
    srv, ngx = start_both(hush, nginx_beside, ERROR_PAGES)
    compare(srv, ngx, ["/e405r200", "/e405r204", "/e405r200t", "/e302r200t", "/e405r302",
                       "/t1?r=http%3A%2F%2Fexample.com%2F%3Ffrom", "/t1?r=http%3A%2F%2Fexample.com%0D%0Asplit",
                       "/t4/blah%20%3Fblah", "/t4/a+b", "/t5", "/t5?arg=1", "/u/a", "/u/b", "/u/c", "/u/e", "/u/g"])
    h, n = both(srv, ngx, req("/e302r200t"))
    assert h.header("Location") == n.header("Location") == "first"
    for p in ("/brk", "/brk2/x"):
        h, n = both(srv, ngx, req(p))
        assert (h.status, h.body) == (n.status, n.body) == (200, b"text"), (p, h, n)


NAMED = LOG + """
map $arg_q $mapped { ~^(?<k>[a-z]+)-(\\d+)$ "$k:$2"; default none; }
server {
    listen 127.0.0.1:@PORT@;
    server_name ~^(?<sub>[a-z]+)\\.named\\.test$;
    default_type text/plain;
    location ~ ^/u/(?<user>\\w+)$ { rewrite ^ /profile last; }
    location /profile { return 200 "user=$user sub=$sub\\n"; }
    location ~ ^/(?<a>x)/ { if ($uri ~ "^/x/(?<b>\\w+)") { return 200 "a=$a b=$b 1=$1 sub=$sub\\n"; } }
    location /m/ { return 200 "mapped=$mapped k=$k\\n"; }
    location /r/ { rewrite "^/r/(?<id>\\d+)" /profile/$id; }
}
"""


@needs_nginx
def test_named_captures_are_variables_that_last_as_nginx(hush, nginx_beside):
    # a named group sets its variable when its regex matches (server_name,
    # location, map, if, rewrite), and later matches without it keep it
    srv, ngx = start_both(hush, nginx_beside, NAMED)
    host = "abc.named.test"
    compare(srv, ngx, [req("/u/bob", host=host), req("/x/yy", host=host), req("/m/?q=ab-12", host=host),
                       req("/m/?q=zz", host=host), req("/r/42", host=host)])
    assert srv.get("/u/bob", host=host).body == b"user=bob sub=abc\n"
    assert srv.get("/m/?q=ab-12", host=host).body == b"mapped=ab:12 k=ab\n"


IF_HEADERS = LOG + """
server {
    listen 127.0.0.1:@PORT@;
    default_type text/plain;
    add_header X-Server s;
    location / {
        add_header X-Loc l;
        if ($arg_h) { add_header X-If "$arg_h"; expires 1h; }
        return 200 "body\\n";
    }
}
"""


@needs_nginx
def test_add_header_and_expires_in_if_as_nginx(hush, nginx_beside):
    srv, ngx = start_both(hush, nginx_beside, IF_HEADERS)
    for p in ("/", "/?h=yes"):
        h, n = both(srv, ngx, req(p))
        for name in ("X-Server", "X-Loc", "X-If", "Cache-Control"):
            assert h.header(name) == n.header(name), (p, name, h, n)
    assert both(srv, ngx, req("/?h=yes"))[0].header("X-If") == "yes"


UNINIT = """
log_format u '[$x] [$y]';
access_log logs/access.log u;
server {
    listen 127.0.0.1:@PORT@;
    default_type text/plain;
    location /a { set $x a; set $y ""; return 200 "[$x][$y]\\n"; }
    location /b { return 200 "[$x]\\n"; }
    location /c { uninitialized_variable_warn off; return 200 "[$x]\\n"; }
    location /d { if ($x) { return 200 "true"; } if ($x = "") { return 200 "empty\\n"; } return 200 "other\\n"; }
}
"""


@needs_nginx
def test_uninitialized_set_variables_as_nginx(hush, nginx_beside):
    # read before any set: empty (in logs too), and a warning unless
    # uninitialized_variable_warn is off, once per variable and request
    srv, ngx = start_both(hush, nginx_beside, UNINIT)
    compare(srv, ngx, ["/a", "/b", "/c", "/d"])
    assert srv.expect_log(4) == ["[a] []", "[] []", "[] []", "[] []"]
    want = [l.split(" using ", 1)[1] for l in ngx.error_log().splitlines() if "uninitialized" in l]
    assert len(want) == 4, want
    for w in want:
        assert srv.wait_error_log(r"\[warn\] \d+#\d+: \*\d+ using " + re.escape(w)), (w, srv.error_log())
    assert srv.error_log().count("using uninitialized") == 4, srv.error_log()


@needs_nginx
def test_request_body_discarded_after_rewrite_last_as_nginx(hush, nginx_beside):
    # the body of a request redirected in its rewrite phase is read and
    # dropped at its new location: the connection stays open for the next
    conf = LOG + """
server {
    listen 127.0.0.1:@PORT@;
    default_type text/plain;
    location /a { rewrite ^ /x last; }
    location /x { return 200 "ok\\n"; }
}
"""
    srv, ngx = start_both(hush, nginx_beside, conf)
    data = req("/a", method="POST", close=False, headers=["Content-Length: 5"], body=b"hello") + req("/x")
    from conftest import parse_responses
    h = parse_responses(srv.exchange(data).data)
    n = parse_responses(ngx.exchange(data))
    assert [(r.status, r.body) for r in h] == [(r.status, r.body) for r in n] == [(200, b"ok\n")] * 2


SET_MAP = """
log_format m '$who $kind';
access_log logs/access.log m;
map $arg_u $who { default anon; admin root; }
map $who $kind { default user; root super; boss super; }
server {
    listen 127.0.0.1:@PORT@;
    default_type text/plain;
    location /plain/ { return 200 "$who $kind\\n"; }
    location /set/ { set $who boss; return 200 "$who $kind\\n"; }
    location /if/ { if ($arg_u = "x") { set $who "$who-x"; } return 200 "$who $kind\\n"; }
}
"""


@needs_nginx
def test_set_takes_over_map_variables_as_nginx(hush, nginx_beside):
    # a map's variable is changeable: set overrides it for the request
    # (everywhere it is read, a log format defined before too); unset, the
    # map answers
    srv, ngx = start_both(hush, nginx_beside, SET_MAP)
    compare(srv, ngx, ["/plain/", "/plain/?u=admin", "/set/", "/set/?u=admin", "/if/?u=x", "/if/?u=admin"])
    assert srv.get("/set/?u=admin").body == b"boss super\n"
    lines = srv.expect_log(7)
    assert lines[-1] == "boss super", lines
