"""Server selection by listen address + Host: exact, leading/trailing
wildcards, regex (captures), default_server, Host-less HTTP/1.0, "" names."""
from conftest import req

HTTP = """
server { listen 127.0.0.1:@PORT@; server_name first.test; return 200 "first"; }
server { listen 127.0.0.1:@PORT@; server_name exact.example.com; return 200 "exact"; }
server { listen 127.0.0.1:@PORT@; server_name *.example.com; return 200 "lead-short"; }
server { listen 127.0.0.1:@PORT@; server_name *.sub.example.com; return 200 "lead-long"; }
server { listen 127.0.0.1:@PORT@; server_name www.example.*; return 200 "trail"; }
server { listen 127.0.0.1:@PORT@; server_name .dot.test; return 200 "dot"; }
server { listen 127.0.0.1:@PORT@; server_name ~^(\\w+)\\.re\\.test$ ~^num(\\d+)\\.test$; return 200 "re $1"; }
server { listen 127.0.0.1:@PORT@ default_server; server_name _; return 200 "default"; }
server { listen 127.0.0.1:@PORT2@; server_name first.test; return 200 "port2"; }
server { listen 127.0.0.1:@PORT2@; server_name ""; return 200 "port2-nohost"; }
"""


def b(srv, host, port=None, path="/"):
    r = srv.exchange(req(path, host=host), port=port)
    return r.responses()[0].body.decode()


def test_selection(hush):
    srv = hush(HTTP)
    srv.wait_listening(srv.port2)
    assert b(srv, "first.test") == "first"
    assert b(srv, "FIRST.test") == "first"
    assert b(srv, "exact.example.com") == "exact"
    assert b(srv, "a.example.com") == "lead-short"
    assert b(srv, "a.sub.example.com") == "lead-long"       # longest leading wildcard
    assert b(srv, "www.example.org") == "trail"
    assert b(srv, "www.example.com") == "lead-short"        # leading wildcard before trailing
    assert b(srv, "dot.test") == "dot"
    assert b(srv, "x.dot.test") == "dot"
    assert b(srv, "abc.re.test") == "re abc"
    assert b(srv, "num42.test") == "re 42"
    assert b(srv, "unknown.test") == "default"               # explicit default_server
    assert b(srv, "_") == "default"                          # "_" is not a name that matches anything
    assert b(srv, "first.test", srv.port2) == "port2"        # names are per address
    assert b(srv, "other.test", srv.port2) == "port2"        # first server is the default


def test_http10_without_host_uses_empty_name(hush):
    srv = hush(HTTP)
    srv.wait_listening(srv.port2)
    r = srv.exchange(b"GET / HTTP/1.0\r\n\r\n", port=srv.port2)
    assert r.responses()[0].body == b"port2-nohost"
    r = srv.exchange(b"GET / HTTP/1.0\r\n\r\n")
    assert r.responses()[0].body == b"default"


def test_host_port_ignored_and_case(hush):
    srv = hush(HTTP)
    assert b(srv, "Exact.Example.COM:%d" % srv.port) == "exact"
    assert b(srv, "exact.example.com.") == "exact"


def test_absolute_form_selects_server(hush):
    srv = hush(HTTP)
    r = srv.exchange(b"GET http://exact.example.com/ HTTP/1.1\r\nHost: first.test\r\nConnection: close\r\n\r\n")
    assert r.responses()[0].body == b"exact"


def test_wildcard_listen_and_server_name_variable(hush):
    srv = hush("""server { listen @PORT@; server_name main.test alias.test;
                   return 200 "$server_name $host"; }""")
    assert b(srv, "alias.test") == "main.test alias.test"


def test_default_server_first_when_none_marked(hush):
    srv = hush("""
        server { listen 127.0.0.1:@PORT@; server_name a.test; return 200 "a"; }
        server { listen 127.0.0.1:@PORT@; server_name b.test; return 200 "b"; }""")
    assert b(srv, "zzz.test") == "a"
    assert b(srv, "b.test") == "b"


def test_server_name_variable_is_the_first_name_as_nginx(hush):
    """$server_name: the server's first name — a regex as written, a
    ".example.com" name without its dot, others lowercased."""
    srv = hush("""
    server { listen 127.0.0.1:@PORT@; server_name ~^EXAMPLE\\.COM$ other; return 200 "$server_name"; }
    server { listen 127.0.0.1:@PORT@; server_name .Dot.Example.com; return 200 "$server_name"; }
    server { listen 127.0.0.1:@PORT@; server_name WWW.Example.org; return 200 "$server_name"; }
    """)
    for host, want in (("example.com", b"~^EXAMPLE\\.COM$"), ("a.dot.example.com", b"dot.example.com"),
                       ("www.example.org", b"www.example.org")):
        rs = srv.exchange(req("/", host=host)).responses()
        assert rs[0].body == want, (host, rs[0].body)
