"""proxy_redirect (default, explicit, regex, off, several) and
proxy_cookie_domain / proxy_cookie_path against a real upstream that sends
the Location, Refresh and Set-Cookie fields the test asks for."""
import os
import subprocess
from urllib.parse import quote

from conftest import HUSH_BIN, req


def ask(srv, path, headers, host="site.test"):
    q = "&".join("h=" + quote(h) for h in headers)
    r = srv.exchange(req(path + ("&" if "?" in path else "?") + q, host=host))
    return r.responses()[0]


def cookies(resp):
    return [v for k, v in resp.headers if k.lower() == "set-cookie"]


def start(hush, backend, locations, http=""):
    b = backend()
    srv = hush(http + "upstream app { server 127.0.0.1:%d; }\nserver {\n listen 127.0.0.1:@PORT@;\n%s\n}\n"
               % (b.port, locations))
    return srv, b


def test_default_rewrites_the_proxy_pass_url_to_the_location(hush, backend):
    srv, b = start(hush, backend, "location /one/ { proxy_pass http://app/two/; }\n"
                                  "location / { proxy_pass http://app; }")
    r = ask(srv, "/one/x", ["Location: http://app/two/page?a=1"])
    assert r.header("Location") == "http://site.test:%d/one/page?a=1" % srv.port
    # without a URI part: http://app/ -> /
    r = ask(srv, "/y", ["Location: http://app/elsewhere"])
    assert r.header("Location") == "http://site.test:%d/elsewhere" % srv.port
    # another host is left alone; so is a relative value
    assert ask(srv, "/z", ["Location: http://other/two/"]).header("Location") == "http://other/two/"
    assert ask(srv, "/one/r", ["Location: /two/rel"]).header("Location") == "/two/rel"
    # Refresh's url= too (left relative: only Location is made absolute, as nginx)
    r = ask(srv, "/one/f", ["Refresh: 5; url=http://app/two/next"])
    assert r.header("Refresh") == "5; url=/one/next"


def test_explicit_several_first_match_wins_and_variables(hush, backend):
    srv, b = start(hush, backend, """
location / {
    proxy_pass http://app;
    proxy_redirect http://internal:8080/api/ /public/;
    proxy_redirect http://internal:8080/ https://$host/;
    proxy_redirect ~^http://legacy/(\\w+)/(.*)$ http://new.example/$2?from=$1;
}""")
    assert ask(srv, "/a", ["Location: http://internal:8080/api/v1"]).header("Location") == \
        "http://site.test:%d/public/v1" % srv.port
    assert ask(srv, "/b", ["Location: http://internal:8080/other"]).header("Location") == "https://site.test/other"
    assert ask(srv, "/c", ["Location: http://legacy/shop/item/7"]).header("Location") == \
        "http://new.example/item/7?from=shop"
    # explicit rules replace the default: http://app/ stays
    assert ask(srv, "/d", ["Location: http://app/x"]).header("Location") == "http://app/x"


def test_off_and_inheritance(hush, backend):
    srv, b = start(hush, backend, """
proxy_redirect http://up/ /s/;
location /off/ { proxy_pass http://app; proxy_redirect off; }
location /inherit/ { proxy_pass http://app; }
location /own/ { proxy_pass http://app; proxy_redirect http://up/ http://mine/; }
""")
    assert ask(srv, "/off/1", ["Location: http://up/x"]).header("Location") == "http://up/x"
    assert ask(srv, "/off/2", ["Location: http://app/x"]).header("Location") == "http://app/x"
    assert ask(srv, "/inherit/1", ["Location: http://up/x"]).header("Location") == \
        "http://site.test:%d/s/x" % srv.port
    assert ask(srv, "/own/1", ["Location: http://up/x"]).header("Location") == "http://mine/x"


def test_absolute_redirect_off_keeps_a_rewritten_path_relative(hush, backend):
    srv, b = start(hush, backend, "absolute_redirect off;\nlocation /one/ { proxy_pass http://app/two/; }")
    assert ask(srv, "/one/x", ["Location: http://app/two/y"]).header("Location") == "/one/y"


def test_cookie_domain_and_path(hush, backend):
    srv, b = start(hush, backend, """
location / {
    proxy_pass http://app;
    proxy_cookie_domain .internal.local www.example.com;
    proxy_cookie_domain ~^(\\w+)\\.corp$ $1.example.org;
    proxy_cookie_path /app/ /;
    proxy_cookie_path /two/ /$host/;
}
location /plain/ { proxy_pass http://app; }
""")
    r = ask(srv, "/c", ["Set-Cookie: sid=1; Domain=.Internal.Local; Path=/app/x; HttpOnly",
                        "Set-Cookie: t=2; path=/two/a; domain=intra.corp",
                        "Set-Cookie: u=3; Path=/other; Domain=keep.me"])
    assert cookies(r) == ["sid=1; Domain=.www.example.com; Path=/x; HttpOnly",
                          "t=2; path=/site.test/a; domain=intra.example.org",
                          "u=3; Path=/other; Domain=keep.me"]
    # off by default: cookies pass as they came
    r = ask(srv, "/plain/c", ["Set-Cookie: sid=1; Domain=.internal.local; Path=/app/"])
    assert cookies(r) == ["sid=1; Domain=.internal.local; Path=/app/"]
    # the cookie's own value is never taken for an attribute
    r = ask(srv, "/c2", ["Set-Cookie: path=/app/; Path=/app/z"])
    assert cookies(r) == ["path=/app/; Path=/z"]


def test_bad_settings_fail_t(tmpconf):
    cases = [
        ("proxy_redirect on;", "invalid parameter \"on\""),
        ("proxy_redirect off; proxy_redirect default;", "\"proxy_redirect\" directive is duplicate"),
        ("proxy_redirect ~(unclosed /;", "missing closing parenthesis"),
        ("proxy_cookie_domain default;", "invalid parameter \"default\""),
        ("proxy_cookie_path a b c;", "invalid number of arguments in \"proxy_cookie_path\""),
    ]
    for body, message in cases:
        path = os.path.join(tmpconf, "t.conf")
        with open(path, "w") as f:
            f.write("events {}\nhttp { server { listen 127.0.0.1:1; location / { proxy_pass http://127.0.0.1:9; %s } } }\n"
                    % body)
        r = subprocess.run([HUSH_BIN, "-t", "-p", tmpconf, "-c", path], capture_output=True, text=True)
        assert r.returncode == 1, body
        assert message in r.stderr, (body, r.stderr)


def test_readme_example(hush, backend):
    srv, b = start(hush, backend, """
location /api/ {
    proxy_pass http://app/v2/;
    proxy_redirect http://legacy.internal/ /old/;
    proxy_redirect default;
    proxy_cookie_domain app.internal $host;
    proxy_cookie_path /v2/ /api/;
}""")
    base = "http://site.test:%d" % srv.port
    assert ask(srv, "/api/a", ["Location: http://app/v2/x"]).header("Location") == base + "/api/x"
    assert ask(srv, "/api/b", ["Location: http://legacy.internal/y"]).header("Location") == base + "/old/y"
    r = ask(srv, "/api/c", ["Set-Cookie: s=1; domain=app.internal; path=/v2/p"])
    assert cookies(r) == ["s=1; domain=site.test; path=/api/p"]


def test_cookie_replacement_longer_than_the_field(hush, backend):
    long = "/" + "x" * 900 + "/"
    srv, b = start(hush, backend, "location / { proxy_pass http://app; proxy_cookie_path /a/ %s; }" % long)
    r = ask(srv, "/l", ["Set-Cookie: k=v; path=/a/b"])
    assert cookies(r) == ["k=v; path=%sb" % long]


def test_cookie_domain_dots_and_case_as_nginx(hush, backend):
    srv, b = start(hush, backend, """
location / {
    proxy_pass http://app;
    proxy_cookie_domain www.example.org .example.com;
    proxy_cookie_domain ~^(.+)\\.com$ $1.org;
}""")
    # the replacement's own dot goes; a domain regex ignores case
    assert cookies(ask(srv, "/a", ["Set-Cookie: v=1; Domain=www.Example.org"])) == ["v=1; Domain=example.com"]
    assert cookies(ask(srv, "/b", ["Set-Cookie: v=1; Domain=www.example.COM"])) == ["v=1; Domain=www.example.org"]
