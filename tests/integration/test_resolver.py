"""resolver and proxy_pass with variables: an upstream group chosen by
name, an address, or a name asked of a DNS responder the test runs on
loopback (tests/integration/dnsserver.py): answers cached for their TTL
(or valid=), shared by concurrent requests, errors (no resolver, NXDOMAIN,
SERVFAIL, a malformed answer, a timeout) a 502 with nginx's error line."""
import os
import subprocess
import threading
import time

import pytest

from conftest import HUSH_BIN, req
from dnsserver import DnsServer

LOG = "log_format up '$status $close_reason ua=$upstream_addr us=$upstream_status ph=$proxy_host';\n" \
      "access_log logs/access.log up;\n"


@pytest.fixture
def dns():
    made = []

    def make(names):
        d = DnsServer(names)
        made.append(d)
        return d
    yield make
    for d in made:
        d.stop()


def get(srv, path="/", host="app.test", timeout=5.0):
    r = srv.exchange(req(path, host=host), timeout=timeout)
    return r.responses()[0]


def resolving(hush, d, b, extra="", location=""):
    return hush(LOG + """
resolver 127.0.0.1:%d ipv6=off %s;
server {
    listen 127.0.0.1:@PORT@;
    location / { proxy_pass http://$host:%d$request_uri; %s }
}
""" % (d.port, extra, b.port, location))


def test_name_resolved_at_run_time_and_cached_for_its_ttl(hush, backend, dns):
    b = backend()
    d = dns({"app.test": ("A", ["127.0.0.1"], 1)})
    srv = resolving(hush, d, b)
    r = get(srv, "/x?y=1")
    assert r.status == 200 and r.header("X-Backend") == "b"
    e = b.events("request")[0]
    assert e["target"] == "/x?y=1" and e["headers"]["host"] == "app.test:%d" % b.port
    assert get(srv, "/again").status == 200
    assert d.queries("app.test") == 1          # the answer was kept
    time.sleep(1.3)                            # its TTL (1 s) passed
    assert get(srv, "/later").status == 200
    assert d.queries("app.test") == 2
    assert d.queries("app.test", 28) == 0      # ipv6=off: no AAAA
    lines = srv.wait_log(3)
    assert all(l.startswith("200 ok ua=127.0.0.1:%d us=200 ph=app.test:%d" % (b.port, b.port)) for l in lines)


def test_valid_overrides_the_ttl(hush, backend, dns):
    b = backend()
    d = dns({"app.test": ("A", ["127.0.0.1"], 3600)})
    srv = resolving(hush, d, b, extra="valid=500ms")
    assert get(srv).status == 200
    time.sleep(0.8)
    assert get(srv).status == 200
    assert d.queries("app.test") == 2


def test_concurrent_requests_share_one_query(hush, backend, dns):
    b = backend()
    d = dns({"app.test": ("A", ["127.0.0.1"], 60)})
    srv = resolving(hush, d, b)
    out = []
    ts = [threading.Thread(target=lambda i=i: out.append(get(srv, "/c%d?ms=200" % i).status)) for i in range(5)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert out == [200] * 5
    assert d.queries("app.test") == 1


@pytest.mark.parametrize("behaviour,message", [
    ("nxdomain", "app.test could not be resolved (3: Host not found)"),
    ("servfail", "app.test could not be resolved (2: Server failure)"),
    ("garbage", "app.test could not be resolved (1: "),
    ("loop", "app.test could not be resolved (1: invalid record in DNS response)"),
])
def test_resolution_errors_are_502_with_nginx_line(hush, backend, dns, behaviour, message):
    b = backend()
    d = dns({"app.test": behaviour})
    srv = resolving(hush, d, b)
    t0 = time.time()
    assert get(srv).status == 502
    assert time.time() - t0 < 1.0               # answered at once, not at resolver_timeout
    assert message in srv.error_log()
    assert srv.wait_log(1)[0].startswith("502 upstream_refused")
    assert b.events("request") == []


def test_timeout(hush, backend, dns):
    b = backend()
    d = dns({"app.test": "drop"})
    srv = resolving(hush, d, b, location="resolver_timeout 1200ms;")
    t0 = time.time()
    assert get(srv).status == 502
    took = time.time() - t0
    assert 1.1 < took < 2.5
    assert "app.test could not be resolved (110: Operation timed out)" in srv.error_log()
    assert d.queries("app.test") >= 2           # asked again after a second
    # the next request asks anew (a timeout is not cached) and gets the answer
    d.set("app.test", ("A", ["127.0.0.1"], 60))
    assert get(srv).status == 200


def test_client_leaving_while_resolving(hush, backend, dns):
    b = backend()
    d = dns({"app.test": "drop"})
    srv = resolving(hush, d, b, location="resolver_timeout 5s;")
    s = srv.connect()
    s.sendall(req("/gone", host="app.test"))
    time.sleep(0.3)
    s.close()
    line = srv.wait_log(1)[0]
    assert line.startswith("499 client_abort")
    time.sleep(1.2)                             # the retry timer finds nobody waiting
    d.set("app.test", ("A", ["127.0.0.1"], 60))
    assert get(srv).status == 200


def test_no_resolver_is_502_as_nginx(hush, backend):
    b = backend()
    srv = hush(LOG + """
server {
    listen 127.0.0.1:@PORT@;
    location / { proxy_pass http://$host:%d; }
}
""" % b.port)
    assert get(srv, host="app.test").status == 502
    assert "no resolver defined to resolve app.test" in srv.error_log()
    # an address needs no resolver
    assert get(srv, host="127.0.0.1").status == 200


def test_variable_chooses_an_upstream_group(hush, backend):
    a, b = backend("a"), backend("b")
    srv = hush(LOG + """
upstream backend_one { server 127.0.0.1:%d; }
upstream backend_two { server 127.0.0.1:%d; }
server {
    listen 127.0.0.1:@PORT@;
    location / { proxy_pass http://backend_$arg_g; }
    location /fixed/ { proxy_pass http://backend_$arg_g/inner$is_args$args; }
}
""" % (a.port, b.port))
    assert get(srv, "/p?g=one").header("X-Backend") == "a"
    assert get(srv, "/p?g=two").header("X-Backend") == "b"
    assert get(srv, "/fixed/x?g=two").header("X-Backend") == "b"
    assert b.events("request")[-1]["target"] == "/inner?g=two"
    assert a.events("request")[0]["headers"]["host"] == "backend_one"
    # neither a group nor resolvable
    assert get(srv, "/p?g=three").status == 502
    assert "no resolver defined to resolve backend_three" in srv.error_log()


def test_variable_finds_the_implicit_group_of_a_literal_proxy_pass(hush, backend):
    """As nginx: a host:port that another location's literal proxy_pass
    names is that location's group, found before any resolver is asked,
    whichever location comes first."""
    b = backend("b")
    srv = hush(LOG + """
server {
    listen 127.0.0.1:@PORT@;
    location /var/ { proxy_pass http://$arg_h; }
    location /lit/ { proxy_pass http://localhost:%d; }
}
""" % b.port)
    r = get(srv, "/var/x?h=localhost:%d" % b.port)
    assert r.status == 200 and r.header("X-Backend") == "b"
    assert b.events("request")[-1]["headers"]["host"] == "localhost:%d" % b.port
    # another port of the same name is no group: a resolver would be needed
    assert get(srv, "/var/x?h=localhost:%d" % (b.port + 1)).status == 502
    assert "no resolver defined to resolve localhost" in srv.error_log()


def test_bad_resolver_settings_fail_t(tmpconf):
    cases = [
        ("resolver;", "invalid number of arguments in \"resolver\""),
        ("resolver 127.0.0.1 valid=x;", "invalid parameter \"valid=x\""),
        ("resolver 127.0.0.1 ipv6=maybe;", "invalid parameter \"ipv6=maybe\""),
        ("resolver 127.0.0.1 status_zone=z;", "invalid parameter \"status_zone=z\""),
        ("resolver 127.0.0.1:99999;", "invalid port in resolver"),
        ("resolver_timeout soon;", "invalid value"),
        ("resolver 127.0.0.1; resolver 127.0.0.2;", "\"resolver\" directive is duplicate"),
    ]
    for body, message in cases:
        path = os.path.join(tmpconf, "t.conf")
        with open(path, "w") as f:
            f.write("events {}\nhttp { %s server { listen 127.0.0.1:1; location / { proxy_pass http://$host; } } }\n"
                    % body)
        r = subprocess.run([HUSH_BIN, "-t", "-p", tmpconf, "-c", path], capture_output=True, text=True)
        assert r.returncode == 1, body
        assert message in r.stderr, (body, r.stderr)


def test_upstream_server_name_resolved_at_run_time(hush, backend, dns):
    b = backend()
    d = dns({"app.invalid": ("A", ["127.0.0.1"], 60)})
    srv = hush(LOG + """
resolver 127.0.0.1:%d ipv6=off;
upstream app { server app.invalid:%d; }
server {
    listen 127.0.0.1:@PORT@;
    location / { proxy_pass http://app; }
}
""" % (d.port, b.port))
    for i in range(3):
        r = get(srv, "/u%d" % i)
        assert r.status == 200 and r.header("X-Backend") == "b"
    assert d.queries("app.invalid") == 1
    lines = srv.wait_log(3)
    assert all(l.startswith("200 ok ua=127.0.0.1:%d us=200" % b.port) for l in lines)


def test_upstream_name_that_fails_moves_to_the_next_server(hush, backend, dns):
    b = backend()
    d = dns({})
    srv = hush(LOG + """
resolver 127.0.0.1:%d ipv6=off;
upstream app { server gone.invalid:80; server 127.0.0.1:%d; }
server {
    listen 127.0.0.1:@PORT@;
    location / { proxy_pass http://app; }
}
""" % (d.port, b.port))
    for i in range(4):
        assert get(srv, "/f%d" % i).status == 200
    assert "gone.invalid could not be resolved (3: Host not found)" in srv.error_log()


def test_proxy_pass_name_resolved_by_the_locations_resolver(hush, backend, dns):
    b = backend()
    d = dns({"app.invalid": ("A", ["127.0.0.1"], 60)})
    srv = hush(LOG + """
server {
    listen 127.0.0.1:@PORT@;
    location / { resolver 127.0.0.1:%d ipv6=off; proxy_pass http://app.invalid:%d; }
}
""" % (d.port, b.port))
    r = get(srv, "/p")
    assert r.status == 200
    assert b.events("request")[0]["headers"]["host"] == "app.invalid:%d" % b.port


def test_unresolvable_name_without_resolver_fails_t(tmpconf):
    path = os.path.join(tmpconf, "t.conf")
    with open(path, "w") as f:
        f.write("events {}\nhttp { upstream app { server app.invalid:81; }\n"
                "server { listen 127.0.0.1:1; location / { proxy_pass http://app; } } }\n")
    r = subprocess.run([HUSH_BIN, "-t", "-p", tmpconf, "-c", path], capture_output=True, text=True)
    assert r.returncode == 1
    assert "host not found in upstream \"app.invalid:81\"" in r.stderr
    with open(path, "w") as f:
        f.write("events {}\nhttp { resolver 127.0.0.1; upstream app { server app.invalid:81; }\n"
                "server { listen 127.0.0.1:1; location / { proxy_pass http://app; } } }\n")
    r = subprocess.run([HUSH_BIN, "-t", "-p", tmpconf, "-c", path], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_proxy_redirect_default_with_variables_fails_t(tmpconf):
    path = os.path.join(tmpconf, "t.conf")
    with open(path, "w") as f:
        f.write("events {}\nhttp { server { listen 127.0.0.1:1; location / { proxy_pass http://$host; "
                "proxy_redirect default; } } }\n")
    r = subprocess.run([HUSH_BIN, "-t", "-p", tmpconf, "-c", path], capture_output=True, text=True)
    assert r.returncode == 1
    assert "\"proxy_redirect default\" cannot be used with \"proxy_pass\" directive with variables" in r.stderr


def test_a_name_dns_cannot_carry_fails_at_once(hush, backend, dns):
    b = backend()
    d = dns({})
    srv = resolving(hush, d, b)
    t0 = time.time()
    host = "x" * 70 + ".test"
    assert get(srv, host=host).status == 502
    assert time.time() - t0 < 1.0
    assert "%s could not be resolved (1: Invalid host name)" % host in srv.error_log()
    assert d.queries(host) == 0


def test_an_answer_with_only_a_cname_is_followed(hush, backend, dns):
    b = backend()
    d = dns({"app.test": ("CNAME", "real.test"), "real.test": ("A", ["127.0.0.1"], 60),
             "loop1.test": ("CNAME", "loop2.test"), "loop2.test": ("CNAME", "loop1.test")})
    srv = resolving(hush, d, b)
    assert get(srv).status == 200
    assert d.queries("app.test") == 1 and d.queries("real.test") == 1
    assert get(srv).status == 200               # kept under the first name
    assert d.queries("real.test") == 1
    t0 = time.time()
    assert get(srv, host="loop1.test").status == 502
    assert time.time() - t0 < 1.0
    assert "loop1.test could not be resolved (2: Server failure)" in srv.error_log()


def test_a_server_failure_is_not_cached_a_missing_name_is(hush, backend, dns):
    b = backend()
    d = dns({"app.test": "servfail", "gone.test": "nxdomain"})
    srv = resolving(hush, d, b)
    assert get(srv).status == 502
    d.set("app.test", ("A", ["127.0.0.1"], 60))
    assert get(srv).status == 200               # asked again at once
    assert get(srv, host="gone.test").status == 502
    assert get(srv, host="gone.test").status == 502
    assert d.queries("gone.test") == 1          # NXDOMAIN kept (10 s)


def test_new_queries_take_the_name_servers_in_turn(hush, backend, dns):
    b = backend()
    bad, good = dns({"app.test": "servfail"}), dns({"app.test": ("A", ["127.0.0.1"], 60)})
    srv = hush(LOG + """
resolver 127.0.0.1:%d 127.0.0.1:%d ipv6=off;
server {
    listen 127.0.0.1:@PORT@;
    location / { proxy_pass http://$host:%d; }
}
""" % (bad.port, good.port, b.port))
    assert get(srv).status == 502               # the first server fails it (not cached)
    assert get(srv).status == 200               # the next query asks the second
    assert get(srv).status == 200               # and its answer is kept
    assert (bad.queries("app.test"), good.queries("app.test")) == (1, 1)
