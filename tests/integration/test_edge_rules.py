"""Request-phase edge rules: map, if (every condition kind), drop_rule_name,
allow/deny, and drops that never reach a handler or an upstream. Each drop
sends zero bytes, ends as the drop_mode says, and logs 444 with its rule."""
import re

from conftest import req, run_hush

LOG = """
log_format e '$status $close_reason $drop_rule "$request" $bad_ua';
access_log logs/access.log e;
"""

HTTP = """
map $http_user_agent $bad_ua { default 0; ~*(sqlmap|nikto|zgrab) 1; "curl/7" 2; }
map $http_host $host_kind {
    hostnames;
    default other;
    example.com exact;
    *.example.com sub;
    www.example.* tail;
    ~^(?<first>[a-z]+)\\.test$ re-$1;
}
""" + LOG + """
server {
    listen 127.0.0.1:@PORT@ default_server;
    return 444;
}
server {
    listen 127.0.0.1:@PORT@;
    server_name app.test;
    if ($bad_ua) { return 444; }
    if ($http_x_scan = "yes") { drop_rule_name scanner; return 444; }
    location / { return 200 "kind=$host_kind\\n"; }
    location /neq/ { if ($http_x_token != "s3cret") { return 403; } return 200 "in\\n"; }
    location /re/ { if ($request_uri ~ "/re/(\\d+)$") { return 200 "num=$1\\n"; } return 200 "none\\n"; }
    location /nre/ { if ($http_accept !~* "text/html") { return 444; } return 200 "html\\n"; }
    location /named/ { drop_rule_name named_return; return 444; }
    location /silent/ { drop_mode silent; return 444; }
    location /acl/ { allow 127.0.0.2; allow 10.0.0.0/8; deny all; }
    location /acl-ok/ { deny 10.0.0.0/8; allow 127.0.0.0/8; deny all; }
    location /v6/ { allow ::1; deny all; }
    location /acl-return/ { deny all; return 200 "return wins\\n"; }
}
"""


def test_sample_config_passes_t(tmpconf):
    import os
    conf = os.path.join(tmpconf, "hush.conf")
    with open(conf, "w") as f:
        f.write("""events {}
http {
    access_log off;
    map $http_user_agent $bad_ua { default 0; ~*(sqlmap|nikto|zgrab) 1; }
    limit_req_zone $binary_remote_addr zone=perip:10m rate=10r/s;
    server { listen 127.0.0.1:8099 default_server; return 444; }
    server {
        listen 127.0.0.1:8099; server_name app.test;
        if ($bad_ua) { return 444; }
        location / { limit_req zone=perip burst=20 nodelay; limit_req_status 444; }
    }
}
""")
    r = run_hush(["-t", "-p", tmpconf, "-c", conf])
    assert r.returncode == 0, r.stderr


def test_map_regex_drop_logs_if_rule(hush):
    srv = hush(HTTP)
    r = srv.exchange(req("/", host="app.test", headers=["User-Agent: sqlmap/1.7"], close=False))
    assert (r.data, r.how) == (b"", "closed")
    lines = srv.wait_log(1)
    assert re.fullmatch(r'444 drop if@hush\.conf:\d+ "GET / HTTP/1.1" 1', lines[0]), lines


def test_map_may_follow_the_log_format_and_the_if_that_use_it(hush):
    # nginx resolves variables once the whole file is read: a map written
    # below the log_format and the server that use it is fine
    srv = hush(LOG + """
server {
    listen 127.0.0.1:@PORT@ default_server;
    if ($bad_ua) { return 444; }
    return 200 "ua=$bad_ua\\n";
}
map $http_user_agent $bad_ua { default 0; ~*sqlmap 1; }
""")
    r = srv.exchange(req("/", headers=["User-Agent: sqlmap/1.7"]))
    assert (r.data, r.how) == (b"", "closed")
    assert srv.get("/", headers=["User-Agent: Mozilla"]).body == b"ua=0\n"
    lines = srv.wait_log(2)
    assert re.fullmatch(r'444 drop if@hush\.conf:\d+ "GET / HTTP/1.1" 1', lines[0]), lines
    assert lines[1] == '200 ok - "GET / HTTP/1.1" 0', lines


def test_a_variable_never_defined_is_an_error_at_its_first_use(tmpconf):
    import os
    conf = os.path.join(tmpconf, "hush.conf")
    with open(conf, "w") as f:
        f.write("events {}\nhttp {\n    log_format x '$nope';\n"
                "    server { listen 127.0.0.1:8099; return 200 $nope; }\n}\n")
    r = run_hush(["-t", "-p", tmpconf, "-c", conf])
    assert r.returncode == 1
    assert re.search(r'hush\.conf:3: unknown "nope" variable', r.stderr), r.stderr


def test_map_exact_is_case_insensitive_and_default(hush):
    srv = hush(HTTP)
    r = srv.exchange(req("/", host="app.test", headers=["User-Agent: CURL/7"]))
    assert r.data == b""                      # "curl/7" -> 2, true
    assert srv.get("/", host="app.test", headers=["User-Agent: Mozilla"]).body == b"kind=re-app\n"


def test_map_hostnames_and_captures(hush):
    srv = hush(HTTP)
    want = {"example.com": "exact", "a.b.example.com": "sub", "www.example.org": "tail",
            "abc.test": "re-abc", "zzz.org": "other"}
    for host, kind in want.items():
        r = srv.exchange(req("/", host="app.test", headers=["X-H: 1"]).replace(
            b"Host: app.test", b"Host: app.test"))
        assert r.data.startswith(b"HTTP/1.1 200")
    # $host_kind reads $http_host: ask through the app server with a Host that selects it
    srv2 = hush(HTTP.replace("server_name app.test;", "server_name app.test example.com a.b.example.com "
                             "www.example.org abc.test zzz.org;"))
    for host, kind in want.items():
        assert srv2.get("/", host=host).body == ("kind=%s\n" % kind).encode(), host


def test_map_value_is_kept_for_the_request_unless_volatile(hush):
    """As nginx: a map's value is computed once per request and kept across
    an internal redirect; a `volatile` map is computed at each read."""
    srv = hush("""
    map $uri $kept { /k/ /k/next; /k/next changed; }
    map $uri $fresh { volatile; /f/ /f/next; /f/next changed; }
    server {
        listen 127.0.0.1:@PORT@;
        location /k/ { index $kept; }
        location = /k/next { return 200 "kept=$kept\\n"; }
        location /f/ { index $fresh; }
        location = /f/next { return 200 "fresh=$fresh\\n"; }
    }""")
    assert srv.get("/k/").body == b"kept=/k/next\n"
    assert srv.get("/f/").body == b"fresh=changed\n"


def test_if_equals_with_drop_rule_name(hush):
    srv = hush(HTTP)
    r = srv.exchange(req("/", host="app.test", headers=["X-Scan: yes"]))
    assert r.data == b""
    assert srv.wait_log(1)[0] == '444 drop scanner "GET / HTTP/1.1" 0'


def test_if_not_equal_returns_403(hush):
    srv = hush(HTTP)
    assert srv.get("/neq/", host="app.test").status == 403
    assert srv.get("/neq/", host="app.test", headers=["X-Token: s3cret"]).body == b"in\n"


def test_if_regex_captures(hush):
    srv = hush(HTTP)
    assert srv.get("/re/42", host="app.test").body == b"num=42\n"
    assert srv.get("/re/x", host="app.test").body == b"none\n"


def test_if_negated_caseless_regex(hush):
    srv = hush(HTTP)
    assert srv.exchange(req("/nre/", host="app.test", headers=["Accept: */*"])).data == b""
    assert srv.get("/nre/", host="app.test", headers=["Accept: TEXT/HTML"]).body == b"html\n"


def test_named_plain_return_444(hush):
    srv = hush(HTTP)
    assert srv.exchange(req("/named/x", host="app.test")).data == b""
    assert srv.wait_log(1)[0] == '444 drop named_return "GET /named/x HTTP/1.1" 0'


def test_default_server_return_444_rule(hush):
    srv = hush(HTTP)
    r = srv.exchange(req("/", host="evil.example"))
    assert (r.data, r.how) == (b"", "closed")
    assert srv.wait_log(1)[0] == '444 drop return "GET / HTTP/1.1" 0'


def test_drop_mode_silent_sends_neither_fin_nor_rst(hush):
    srv = hush(HTTP)
    r = srv.exchange(req("/silent/", host="app.test"), timeout=1.5)
    assert r.data == b""
    if "fall back to reset" in srv.error_log() or "silent drops fall back" in srv.error_log():
        assert r.how == "reset"              # no CAP_NET_ADMIN: the documented fallback
    else:
        assert r.how == "timeout"            # the kernel forgot it: the client just waits
    assert srv.wait_log(1)[0].startswith("444 drop return")


def test_allow_deny(hush):
    srv = hush(HTTP)
    for d in ("acl", "acl-ok", "v6"):
        srv.write(d + "/index.html", "allowed\n")
    r = srv.get("/acl/", host="app.test")
    assert r.status == 403 and b"403 Forbidden" in r.body
    assert srv.get("/acl-ok/", host="app.test").body == b"allowed\n"
    assert srv.get("/v6/", host="app.test").status == 403
    # as in nginx, a return runs in the rewrite phase, before access rules
    assert srv.get("/acl-return/", host="app.test").body == b"return wins\n"
    assert srv.wait_error_log("access forbidden by rule")


def test_drops_never_reach_the_upstream(hush, backend):  # noqa: F811
    b = backend()
    srv = hush("""
map $http_user_agent $bad_ua { default 0; ~*nikto 1; }
""" + LOG + """
limit_req_zone $binary_remote_addr zone=one:1m rate=1r/m;
server {
    listen 127.0.0.1:@PORT@;
    if ($bad_ua) { return 444; }
    location / { proxy_pass http://127.0.0.1:%d; }
    location /lim/ { limit_req zone=one; limit_req_status 444; proxy_pass http://127.0.0.1:%d; }
    location /acl/ { deny all; proxy_pass http://127.0.0.1:%d; }
}
""" % (b.port, b.port, b.port))
    assert srv.exchange(req("/", headers=["User-Agent: Nikto"])).data == b""
    assert srv.get("/lim/a").status == 200          # the first request of the key passes
    assert srv.exchange(req("/lim/b")).data == b""   # the second is over the rate: dropped
    assert srv.get("/acl/").status == 403
    lines = srv.wait_log(4)
    assert any(" limit_req:one " in l for l in lines), lines
    seen = [e.get("path") or e.get("target") for e in b.events("request")]
    assert len(seen) == 1, b.events("request")


def test_if_rejects_bad_conditions(tmpconf):
    import os
    for cond, msg in [("(-q $request_filename)", "invalid condition"), ("($a $b $c $d $e)", "too many"),
                      ("$x", "expected")]:
        conf = os.path.join(tmpconf, "hush.conf")
        with open(conf, "w") as f:
            f.write("events {} http { access_log off; server { listen 127.0.0.1:8099; if %s { return 444; } } }\n" % cond)
        r = run_hush(["-t", "-p", tmpconf, "-c", conf])
        assert r.returncode == 1 and msg in r.stderr, (cond, r.stderr)
