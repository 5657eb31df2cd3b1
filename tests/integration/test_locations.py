"""Location selection in nginx's order, nested locations, try_files, alias,
index, error_page (=code, @named, URL)."""
from conftest import req

SEL = """
server {
    listen 127.0.0.1:@PORT@;
    server_name localhost;
    location = / { return 200 "exact-root"; }
    location / { return 200 "prefix-root"; }
    location /images/ { return 200 "prefix-images"; }
    location ^~ /static/ { return 200 "stop-static"; }
    location ~* \\.(gif|jpg)$ { return 200 "regex-img"; }
    location ~ ^/images/.*\\.png$ { return 200 "regex-png"; }
    location = /exact { return 200 "exact"; }
    location /exact { return 200 "prefix-exact"; }
    location /outer/ {
        location ~ \\.txt$ { return 200 "nested-regex"; }
        location /outer/inner/ { return 200 "nested-prefix"; }
        return 200 "outer";
    }
    location ~ /outer/.*\\.txt$ { return 200 "top-regex"; }
    location ~ ^/cap/(\\w+)/(\\d+)$ { return 200 "cap $1 $2"; }
    location @named { return 200 "named"; }
}
"""


def body(srv, path):
    return srv.get(path).body.decode()


def test_location_selection_order(hush):
    srv = hush(SEL)
    assert body(srv, "/") == "exact-root"
    assert body(srv, "/x") == "prefix-root"
    assert body(srv, "/images/a") == "prefix-images"
    assert body(srv, "/images/a.gif") == "regex-img"         # regex beats a plain prefix
    assert body(srv, "/images/a.GIF") == "regex-img"         # ~* is case-insensitive
    assert body(srv, "/images/a.png") == "regex-png"
    assert body(srv, "/static/a.gif") == "stop-static"       # ^~ stops the regex search
    assert body(srv, "/exact") == "exact"
    assert body(srv, "/exact/") == "prefix-exact"
    assert body(srv, "/exactly") == "prefix-exact"
    assert body(srv, "/outer/x") == "outer"
    assert body(srv, "/outer/x.txt") == "nested-regex"       # nested regexes first
    assert body(srv, "/outer/inner/y") == "nested-prefix"
    assert body(srv, "/cap/abc/42") == "cap abc 42"
    assert body(srv, "/@named") == "prefix-root"             # named locations are not matched


def test_regex_first_match_wins(hush):
    srv = hush("""server { listen 127.0.0.1:@PORT@;
        location ~ a { return 200 "first"; }
        location ~ ab { return 200 "second"; }
        location ~ ^/z$ { return 200 "z"; }
    }""")
    assert body(srv, "/ab") == "first"
    assert srv.get("/Z").status == 404     # ~ is case-sensitive


def test_longest_prefix_then_regex(hush):
    srv = hush("""server { listen 127.0.0.1:@PORT@;
        location /a/ { return 200 "a"; }
        location /a/b/ { return 200 "ab"; }
        location ~ /a/b/c { return 200 "regex"; }
    }""")
    assert body(srv, "/a/x") == "a"
    assert body(srv, "/a/b/x") == "ab"
    assert body(srv, "/a/b/cd") == "regex"


def test_try_files(hush):
    srv = hush("""server { listen 127.0.0.1:@PORT@;
        location / { try_files $uri $uri/ /fallback.html; }
        location /code/ { try_files $uri =418; }
        location /named/ { try_files $uri @back; }
        location @back { return 200 "named:$uri"; }
    }""", start=False)
    srv.write("f.txt", "file")
    srv.write("d/index.html", "dir-index")
    srv.write("fallback.html", "fallback")
    srv.write("code/here.txt", "here")
    srv.start()
    assert body(srv, "/f.txt") == "file"
    assert body(srv, "/d/") == "dir-index"
    assert body(srv, "/missing") == "fallback"
    assert body(srv, "/code/here.txt") == "here"
    assert srv.get("/code/nope").status == 418
    assert body(srv, "/named/nope") == "named:/named/nope"
    # a directory found by "$uri/" without its slash gets the directory's 301, as nginx
    r = srv.get("/d")
    assert r.status == 301 and r.header("Location").endswith("/d/"), r


def test_alias(hush):
    srv = hush("""server { listen 127.0.0.1:@PORT@;
        location /pics/ { alias @DIR@/elsewhere/; }
        location = /one { alias @DIR@/elsewhere/one.txt; }
        location ~ ^/re/(.*)$ { alias @DIR@/elsewhere/$1; }
        location /nested/ { alias @DIR@/elsewhere/; location ~ \\.txt$ { try_files $uri =404; } }
    }""", start=False)
    srv.write("a.txt", "A", root="elsewhere")
    srv.write("one.txt", "ONE", root="elsewhere")
    srv.write("sub/index.html", "SUBINDEX", root="elsewhere")
    srv.write("pics/a.txt", "wrong")
    srv.write("secret.txt", "TOPSECRET", root=".")
    srv.start()
    assert body(srv, "/pics/a.txt") == "A"
    assert body(srv, "/pics/sub/") == "SUBINDEX"
    assert body(srv, "/one") == "ONE"
    assert body(srv, "/re/a.txt") == "A"
    assert body(srv, "/nested/a.txt") == "A"  # a nested location replaces the prefix its parent's alias names
    for p in ("/pics/../secret.txt", "/pics/%2e%2e/secret.txt", "/pics/..%2f..%2fsecret.txt"):
        r = srv.exchange(req(p))
        assert b"TOPSECRET" not in r.data


def test_root_in_location_and_variables(hush):
    srv = hush("""server { listen 127.0.0.1:@PORT@; server_name ~^(?<sub>\\w+)\\.test$;
        location /v/ { root @DIR@/vhosts/$host; }
        location /r/ { root @DIR@/other; }
    }""", start=False)
    srv.write("v/x.txt", "from-a", root="vhosts/a.test")
    srv.write("r/x.txt", "from-other", root="other")
    srv.start()
    assert srv.get("/v/x.txt", host="a.test").body == b"from-a"
    assert srv.get("/r/x.txt").body == b"from-other"


def test_index_list(hush):
    srv = hush("""server { listen 127.0.0.1:@PORT@;
        location / { index first.html second.html; }
    }""", start=False)
    srv.write("d1/second.html", "second")
    srv.write("d2/first.html", "first")
    srv.write("d2/second.html", "second")
    srv.start()
    assert body(srv, "/d1/") == "second"
    assert body(srv, "/d2/") == "first"
    assert srv.get("/").status == 403


def test_index_with_variables_and_a_last_uri(hush):
    """index names may hold variables (nginx's); the last may be a URI,
    redirected to without a test; a directory that does not exist is a
    404 with nginx's error-log line naming the first index file."""
    srv = hush("""server { listen 127.0.0.1:@PORT@;
        location /v/ { index $host.html; }
        location /u/ { index missing.html /fallback/$arg_to; }
        location /fallback/ { return 200 "fallback $uri"; }
    }""", start=False)
    srv.write("v/a.test.html", "for a.test")
    srv.write("u/.keep", "")
    srv.start()
    assert srv.get("/v/", host="a.test").body == b"for a.test"
    assert srv.get("/v/", host="b.test").status == 403  # no b.test.html: the directory is not listed
    assert body(srv, "/u/?to=x") == "fallback /fallback/x"
    assert srv.get("/nodir/").status == 404
    srv.wait_error_log(r'"[^"]*/nodir/index\.html" is not found \(2: No such file or directory\)')


def test_index_internal_redirect_reselects_location(hush):
    srv = hush("""server { listen 127.0.0.1:@PORT@;
        location = /idx/index.html { return 200 "via-location"; }
    }""", start=False)
    srv.write("idx/index.html", "file")
    srv.start()
    assert body(srv, "/idx/") == "via-location"


def test_error_page_uri_and_codes(hush):
    srv = hush("""server { listen 127.0.0.1:@PORT@;
        error_page 404 /err/404.html;
        error_page 403 =200 /err/ok.html;
        error_page 418 = @teapot;
        error_page 410 http://example.com/gone;
        location /forbid/ { return 403; }
        location /tea/ { return 418; }
        location /gone/ { return 410; }
        location @teapot { return 200 "named teapot"; }
    }""", start=False)
    srv.write("err/404.html", "custom 404")
    srv.write("err/ok.html", "was forbidden")
    srv.start()
    r = srv.get("/nope")
    assert (r.status, r.body) == (404, b"custom 404")
    r = srv.get("/forbid/x")
    assert (r.status, r.body) == (200, b"was forbidden")
    r = srv.get("/tea/x")
    assert (r.status, r.body) == (200, b"named teapot")
    r = srv.get("/gone/x")
    assert (r.status, r.header("Location")) == (302, "http://example.com/gone")


def test_error_page_missing_target_falls_back(hush):
    srv = hush("""server { listen 127.0.0.1:@PORT@;
        error_page 404 /no-such-error-page.html;
    }""")
    r = srv.get("/nope")
    assert r.status == 404
    assert b"404 Not Found" in r.body


def test_error_page_loop_is_bounded(hush):
    srv = hush("""server { listen 127.0.0.1:@PORT@;
        error_page 404 /missing2;
        location /missing2 { return 404; }
    }""")
    r = srv.get("/nope")
    assert r.status == 404


def test_error_page_inherited_and_overridden(hush):
    srv = hush("""error_page 404 /http404.html;
    server { listen 127.0.0.1:@PORT@;
        location /own/ { error_page 404 /own404.html; }
    }""", start=False)
    srv.write("http404.html", "http-level")
    srv.write("own404.html", "location-level")
    srv.start()
    assert srv.get("/x").body == b"http-level"
    assert srv.get("/own/x").body == b"location-level"
