"""Upstream kinds against real backend processes (backend.py): least_conn,
hash (plain and consistent), ip_hash, random (two), unix-socket servers,
max_conns, keepalive_requests, and what `hush -t` refuses."""
import os
import socket
import subprocess
import threading
import time

from conftest import HUSH_BIN

LOG = "log_format up '$status $close_reason $upstream_addr $upstream_status';\n" \
      "access_log logs/access.log up;\n"


def conf(upstream, location="", workers=None):
    return LOG + upstream + """
server {
    listen 127.0.0.1:@PORT@;
    location / { proxy_pass http://app; %s }
}
""" % location


def get(srv, path="/", src=None, timeout=5.0):
    """(status, X-Backend) of one request, from source address src."""
    s = socket.socket()
    s.settimeout(timeout)
    if src:
        s.bind((src, 0))
    s.connect(("127.0.0.1", srv.port))
    s.sendall(("GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n" % path).encode())
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    s.close()
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    status = int(head[0].split(" ")[1])
    name = next((l.split(":", 1)[1].strip() for l in head if l.lower().startswith("x-backend:")), None)
    return status, name


def in_background(srv, path, n=1):
    out = []
    ts = [threading.Thread(target=lambda: out.append(get(srv, path))) for _ in range(n)]
    for t in ts:
        t.start()
    return ts, out


def servers(*bs, extra=""):
    return "".join("server 127.0.0.1:%d%s; " % (b.port, extra) for b in bs)


def test_least_conn_avoids_the_busy_server(hush, backend):
    a, b = backend("a"), backend("b")
    srv = hush(conf("upstream app { least_conn; %s}" % servers(a, b)))
    ts, out = in_background(srv, "/slow?ms=1500")
    time.sleep(0.3)
    busy = [e["backend"] for e in a.events("request") + b.events("request")]
    assert len(busy) == 1
    names = [get(srv, "/q%d" % i)[1] for i in range(6)]
    # every quick request went to the idle server while the other worked
    assert set(names) == {"b" if busy[0] == "a" else "a"}
    for t in ts:
        t.join()
    assert out == [(200, busy[0])]
    # both idle again: round robin between them
    names = [get(srv, "/r%d" % i)[1] for i in range(4)]
    assert sorted(names) == ["a", "a", "b", "b"]


def test_round_robin_without_a_method_ignores_load(hush, backend):
    a, b = backend("a"), backend("b")
    srv = hush(conf("upstream app { %s}" % servers(a, b)))
    ts, _ = in_background(srv, "/slow?ms=1000")
    time.sleep(0.3)
    names = [get(srv, "/q%d" % i)[1] for i in range(4)]
    assert sorted(names) == ["a", "a", "b", "b"]
    for t in ts:
        t.join()


def test_hash_same_key_same_server(hush, backend):
    bs = [backend(n) for n in "abc"]
    srv = hush(conf("upstream app { hash $arg_k; %s}" % servers(*bs)))
    seen = {}
    for k in range(30):
        names = {get(srv, "/x?k=%d" % k)[1] for _ in range(3)}
        assert len(names) == 1
        seen[k] = names.pop()
    assert len(set(seen.values())) == 3  # 30 keys spread over the three


def consistent_map(hush, bs, keys):
    srv = hush(conf("upstream app { hash $request_uri consistent; %s}" % servers(*bs)))
    m = {k: get(srv, "/key%d" % k)[1] for k in keys}
    srv.stop()
    return m


def test_hash_consistent_moves_only_the_removed_servers_keys(hush, backend):
    bs = [backend(n) for n in "abcd"]
    keys = range(200)  # the ring depends on the backends' ports: enough keys that "d" always has some
    before = consistent_map(hush, bs, keys)
    assert len(set(before.values())) == 4
    after = consistent_map(hush, bs[:3], keys)  # "d" removed
    for k in keys:
        if before[k] != "d":
            assert after[k] == before[k], k
        else:
            assert after[k] in "abc"
    assert sum(1 for k in keys if before[k] == "d") > 10  # the check above tested moved keys


def test_hash_skips_a_server_that_is_down(hush, backend):
    a, b = backend("a"), backend("b")
    srv = hush(conf("upstream app { hash $arg_k consistent; server 127.0.0.1:%d down; %s}" % (a.port, servers(b))))
    assert {get(srv, "/?k=%d" % k)[1] for k in range(20)} == {"b"}
    assert a.events("request") == []


def test_ip_hash_keeps_a_client_network_on_one_server(hush, backend):
    bs = [backend(n) for n in "abc"]
    srv = hush(conf("upstream app { ip_hash; %s}" % servers(*bs)))
    by_net = {}
    for net in range(12):
        names = {get(srv, "/", src="127.0.%d.%d" % (net, host))[1] for host in (1, 2, 77)}
        assert len(names) == 1, net  # the first three octets decide
        by_net[net] = names.pop()
    assert len(set(by_net.values())) >= 2


def test_random_spreads_and_random_two_avoids_the_busy_server(hush, backend):
    a, b = backend("a"), backend("b")
    srv = hush(conf("upstream app { random; %s}" % servers(a, b)))
    names = [get(srv, "/r%d" % i)[1] for i in range(40)]
    assert 5 <= names.count("a") <= 35
    srv.stop()
    srv = hush(conf("upstream app { random two least_conn; %s}" % servers(a, b)))
    ts, _ = in_background(srv, "/slow?ms=1500")
    time.sleep(0.3)
    busy = [e["backend"] for e in a.events("request") + b.events("request") if e["target"].startswith("/slow")][0]
    names = {get(srv, "/q%d" % i)[1] for i in range(6)}
    assert names == {"b" if busy == "a" else "a"}
    for t in ts:
        t.join()


def test_unix_socket_upstream(hush, backend):
    d = os.path.join("/tmp", "hush-unix-%d" % os.getpid())
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o755)
    path = os.path.join(d, "app.sock")
    if os.path.exists(path):
        os.unlink(path)
    u = backend("u", unix=path)
    srv = hush(LOG + """
upstream app { server unix:%s; }
server {
    listen 127.0.0.1:@PORT@;
    location / { proxy_pass http://app; }
    location /direct/ { proxy_pass http://unix:%s:/inner/; }
}
""" % (path, path))
    assert get(srv, "/a") == (200, "u")
    assert get(srv, "/direct/x?y=1") == (200, "u")
    targets = [e["target"] for e in u.events("request")]
    assert targets == ["/a", "/inner/x?y=1"]
    lines = srv.wait_log(2)
    assert all(" unix:%s 200" % path in l for l in lines)
    os.unlink(path)


def test_max_conns_limits_active_connections(hush, backend):
    a = backend("a")
    srv = hush(conf("upstream app { server 127.0.0.1:%d max_conns=2; }" % a.port))
    ts, out = in_background(srv, "/slow?ms=1200", n=2)
    time.sleep(0.4)
    assert get(srv, "/third") == (502, None)
    for t in ts:
        t.join()
    assert out == [(200, "a"), (200, "a")]
    assert get(srv, "/after") == (200, "a")  # the count went down again
    assert "no live upstreams" in srv.error_log()


def test_max_conns_sends_the_overflow_to_the_next_server(hush, backend):
    a, b = backend("a"), backend("b")
    srv = hush(conf("upstream app { server 127.0.0.1:%d max_conns=1; server 127.0.0.1:%d backup; }" % (a.port, b.port)))
    ts, out = in_background(srv, "/slow?ms=1000")
    time.sleep(0.3)
    assert get(srv, "/next") == (200, "b")
    for t in ts:
        t.join()
    assert out == [(200, "a")]


def test_keepalive_requests_closes_after_n(hush, backend):
    a = backend("a")
    srv = hush(conf("upstream app { server 127.0.0.1:%d; keepalive 4; keepalive_requests 2; keepalive_timeout 30s; "
                    "keepalive_time 1h; }" % a.port, "proxy_http_version 1.1;"))
    for i in range(6):
        assert get(srv, "/k%d" % i)[0] == 200
    conns = [e["conn"] for e in a.events("request")]
    assert len(set(conns)) == 3  # two requests each


def test_keepalive_timeout_closes_idle(hush, backend):
    a = backend("a")
    srv = hush(conf("upstream app { server 127.0.0.1:%d; keepalive 4; keepalive_timeout 300ms; }" % a.port,
                    "proxy_http_version 1.1;"))
    assert get(srv, "/1")[0] == 200
    time.sleep(0.8)
    assert a.events("client_closed")  # hush let go of the idle connection
    assert get(srv, "/2")[0] == 200
    assert len({e["conn"] for e in a.events("request")}) == 2


BAD = [
    ("least_conn x;", "invalid number of arguments in \"least_conn\""),
    ("ip_hash; least_conn;", "load balancing method redefined"),
    ("hash;", "invalid number of arguments in \"hash\""),
    ("hash $uri ring;", "invalid parameter \"ring\""),
    ("random three;", "invalid parameter \"three\""),
    ("random two fastest;", "invalid parameter \"fastest\""),
    ("zone z 1k;", "zone \"z\" is too small"),
    ("zone z;", "zone \"z\" has no size"),
    ("keepalive_timeout soon;", "invalid value \"soon\""),
    ("keepalive_requests 0;", "invalid value \"0\""),
    ("ip_hash; server 127.0.0.1:1 backup;", "\"backup\" servers cannot be used with \"ip_hash\""),
    ("server 127.0.0.1:1 max_conns=x;", "invalid parameter \"max_conns=x\""),
    ("server 127.0.0.1:1 slow_start=10s;", "invalid parameter \"slow_start=10s\""),
    ("server unix:;", "invalid unix domain socket path"),
]


def test_bad_upstream_settings_fail_t(tmpconf):
    for body, message in BAD:
        path = os.path.join(tmpconf, "t.conf")
        with open(path, "w") as f:
            f.write("events {}\nhttp { upstream app { server 127.0.0.1:9; %s }\n"
                    "server { listen 127.0.0.1:1; location / { proxy_pass http://app; } } }\n" % body)
        r = subprocess.run([HUSH_BIN, "-t", "-p", tmpconf, "-c", path], capture_output=True, text=True)
        assert r.returncode == 1, body
        assert message in r.stderr, (body, r.stderr)


def test_zone_shares_max_conns_across_two_workers(hush, backend):
    a = backend("a")
    srv = hush(conf("upstream app { zone shared 64k; server 127.0.0.1:%d max_conns=1; }" % a.port),
               main="worker_processes 2;")
    assert len(srv.workers()) == 2
    ts, out = in_background(srv, "/slow?ms=1200", n=8)
    for t in ts:
        t.join()
    # one connection in all, whichever worker took each client
    assert sorted(s for s, _ in out) == [200] + [502] * 7
    assert len(a.events("request")) == 1
    assert get(srv, "/after") == (200, "a")


def test_zone_shares_failures_across_two_workers(hush, backend):
    from conftest import free_port
    b = backend("b")
    dead = free_port()
    srv = hush(conf("upstream app { zone shared 64k; server 127.0.0.1:%d max_fails=1 fail_timeout=30s; "
                    "server 127.0.0.1:%d; }" % (dead, b.port)), main="worker_processes 2;")
    assert len(srv.workers()) == 2
    for i in range(24):
        assert get(srv, "/r%d" % i) == (200, "b")
    # the dead server was tried once: its failure marked it down for both workers
    assert srv.error_log().count("connect() failed") == 1


def test_zone_survives_a_reload(hush, backend):
    import signal
    a = backend("a")
    srv = hush(conf("upstream app { zone shared 64k; least_conn; server 127.0.0.1:%d max_conns=4; }" % a.port),
               main="worker_processes 2;")
    assert get(srv, "/1") == (200, "a")
    old = srv.workers()
    srv.send_signal(signal.SIGHUP)
    deadline = time.time() + 5
    while time.time() < deadline and (set(srv.workers()) & set(old) or len(srv.workers()) != 2):
        time.sleep(0.05)
    for i in range(6):
        assert get(srv, "/r%d" % i) == (200, "a")


def test_zone_too_small_for_its_servers_is_a_clear_start_error(hush):
    many = "".join("server 127.0.0.1:%d;" % (1000 + i) for i in range(300))
    srv = hush(conf("upstream app { zone tiny 16k; %s }" % many), start=False)
    srv.allow_error_log("upstream zone")
    r = subprocess.run([HUSH_BIN, "-p", srv.dir, "-c", srv.conf_path], capture_output=True, text=True, timeout=10)
    assert r.returncode != 0
    assert "upstream zone \"tiny\" is too small for its servers" in r.stderr + srv.error_log()


def test_zone_shares_least_conn_counts_across_two_workers(hush, backend):
    a, b = backend("a"), backend("b")
    srv = hush(conf("upstream app { zone shared 64k; least_conn; %s}" % servers(a, b)), main="worker_processes 2;")
    ts, out = in_background(srv, "/slow?ms=2000")
    time.sleep(0.4)
    busy = [e["backend"] for e in a.events("request") + b.events("request")][0]
    # whichever worker takes each client sees the busy server's connection
    names = [get(srv, "/q%d" % i)[1] for i in range(10)]
    assert set(names) == {"b" if busy == "a" else "a"}
    for t in ts:
        t.join()


def test_vanished_unix_socket_is_502(hush):
    srv = hush(conf("upstream app { server unix:/tmp/hush-no-such-dir/app.sock; }"))
    assert get(srv, "/v") == (502, None)
    assert "connect() failed (2: No such file or directory) while connecting to upstream" in srv.error_log()
    assert srv.wait_log(1)[0].startswith("502 upstream_refused unix:/tmp/hush-no-such-dir/app.sock 502")


def test_hash_of_an_empty_key_goes_round_robin(hush, backend):
    bs = [backend(n) for n in "abc"]
    srv = hush(conf("upstream app { hash $arg_k; %s}" % servers(*bs)))
    assert sorted(get(srv, "/e%d" % i)[1] for i in range(6)) == ["a", "a", "b", "b", "c", "c"]


def test_a_failure_with_every_other_server_down_is_no_live_upstreams(hush, backend):
    from conftest import free_port
    a = backend("a")
    dead = free_port()
    srv = hush(conf("upstream app { server 127.0.0.1:%d; server 127.0.0.1:%d max_fails=1 fail_timeout=30s; }"
                    % (a.port, dead)))
    assert [get(srv, "/w%d" % i)[0] for i in range(2)] == [200, 200]  # the dead one is marked down
    # a's failure leaves a try, but no server to take it: nginx's "no live upstreams"
    assert get(srv, "/f?fault=reset_first")[0] == 502
    line = srv.wait_log(3)[-1]
    assert line == "502 upstream_unavailable 127.0.0.1:%d, app 502, 502" % a.port
    assert "no live upstreams while connecting to upstream" in srv.error_log()
