"""limit_req (nginx's leaky bucket: burst, nodelay, delay=N, timing) and
limit_conn, with state in shared zones that hold across workers."""
import socket
import threading
import time

from conftest import read_all, req

LOG = """
log_format l '$status $close_reason $drop_rule "$request" $request_time';
access_log logs/access.log l;
"""


def burst(srv, paths, host="localhost"):
    """Send each request on its own connection at the same time; returns
    [(status or 444, seconds until the answer)] in the order given."""
    socks = [srv.connect() for _ in paths]
    t0 = time.time()
    for s, p in zip(socks, paths):
        s.sendall(req(p, host=host))
    out = [None] * len(paths)

    def wait(i, s):
        data, how = read_all(s, 5)
        out[i] = (int(data[9:12]) if data.startswith(b"HTTP/1.1 ") else 444, time.time() - t0)
        s.close()

    ts = [threading.Thread(target=wait, args=(i, s)) for i, s in enumerate(socks)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return out


def start(hush, locations, workers=1):
    # limits apply to content handlers (here static files): a `return` runs in
    # nginx's rewrite phase, before limit_req and limit_conn, so it is never limited
    srv = hush(LOG + """
limit_req_zone $binary_remote_addr zone=r10:1m rate=10r/s;
limit_req_zone $binary_remote_addr zone=slow:1m rate=1r/m;
limit_req_zone $http_x_key zone=bykey:1m rate=1r/m;
limit_conn_zone $binary_remote_addr zone=addr:1m;
server {
    listen 127.0.0.1:@PORT@;
    %s
}
""" % locations, main="worker_processes %d;\n" % workers, start=False)
    for p in ("index.html", "x", "a", "b", "c", "d", "e", "1", "2", "3", "4", "5", "6", "fast", "one/index.html"):
        srv.write(p, "ok\n")
    return srv.start()


def test_nodelay_burst_passes_at_once_then_rejects(hush):
    srv = start(hush, "location / { limit_req zone=r10 burst=3 nodelay; }")
    res = []
    for _ in range(6):
        t0 = time.time()
        r = srv.exchange(req("/"))
        res.append((r.data[9:12] if r.data else b"", time.time() - t0))
    assert [c for c, _ in res] == [b"200"] * 4 + [b"503"] * 2, res
    assert all(t < 0.08 for _, t in res), res      # nodelay: nothing waits
    assert srv.wait_error_log(r'limiting requests, excess: [0-9]+\.[0-9]{3} by zone "r10", client: 127.0.0.1, server: ')


def test_without_nodelay_excess_is_delayed_at_the_rate(hush):
    srv = start(hush, "location / { limit_req zone=r10 burst=3; }")
    out = burst(srv, ["/a", "/b", "/c", "/d", "/e"])
    codes = sorted(c for c, _ in out)
    assert codes == [200, 200, 200, 200, 503], out
    times = sorted(t for c, t in out if c == 200)
    # nginx: the excess over the rate waits (excess / rate): 0, 100, 200, 300 ms
    for got, want in zip(times, [0.0, 0.1, 0.2, 0.3]):
        assert want - 0.02 <= got <= want + 0.09, times


def test_delay_parameter_lets_the_first_ones_through(hush):
    srv = start(hush, "location / { limit_req zone=r10 burst=4 delay=2; }")
    out = burst(srv, ["/1", "/2", "/3", "/4", "/5", "/6"])
    assert sorted(c for c, _ in out) == [200] * 5 + [503], out
    times = sorted(t for c, t in out if c == 200)
    assert times[2] < 0.06, times                       # 1 + delay=2 at once
    assert 0.08 <= times[3] <= 0.19 and 0.18 <= times[4] <= 0.29, times


def test_rate_recovers_over_time(hush):
    srv = start(hush, "location / { limit_req zone=r10 burst=1 nodelay; limit_req_status 429; }")
    codes = [srv.exchange(req("/")).data[9:12] for _ in range(3)]
    assert codes == [b"200", b"200", b"429"]
    time.sleep(0.25)                                     # 10r/s: 2.5 requests drained
    assert srv.exchange(req("/")).data[9:12] == b"200"


def test_status_444_is_a_silent_drop_named_after_the_zone(hush):
    srv = start(hush, "location / { limit_req zone=slow; limit_req_status 444; }")
    assert srv.get("/").status == 200
    r = srv.exchange(req("/x"))
    assert (r.data, r.how) == (b"", "closed")
    lines = srv.wait_log(2)
    assert lines[1].startswith('444 drop limit_req:slow "GET /x HTTP/1.1"'), lines


def test_key_from_any_variable_and_empty_key_not_limited(hush):
    srv = start(hush, "location / { limit_req zone=bykey; }")
    assert srv.get("/", headers=["X-Key: a"]).status == 200
    assert srv.get("/", headers=["X-Key: a"]).status == 503
    assert srv.get("/", headers=["X-Key: b"]).status == 200
    for _ in range(3):
        assert srv.get("/").status == 200                # no key: not limited


def test_a_request_one_zone_rejects_costs_the_other_zones_nothing(hush):
    # as nginx: every limit_req is checked before any is charged
    srv = start(hush, "location / { limit_req zone=slow burst=2 nodelay; limit_req zone=bykey; }")
    got = [srv.get("/", headers=["X-Key: %s" % k]).status for k in "1112345"]
    # slow (per address, burst 2) is charged only by the ones bykey lets pass:
    # 1 (new), 2 and 3 (excess 1, 2); 4 is over slow's burst; 1 twice more: bykey
    assert got == [200, 503, 503, 200, 200, 503, 503], got


def test_limits_hold_across_two_workers(hush):
    srv = start(hush, "location / { limit_req zone=slow burst=3 nodelay; }", workers=2)
    assert len(srv.workers()) == 2
    codes = [srv.exchange(req("/")).data[9:12] for _ in range(16)]
    assert codes.count(b"200") == 4, codes


def test_limit_conn_counts_requests_in_flight(hush, backend):  # noqa: F811
    b = backend()
    srv = start(hush, """location / { limit_conn addr 1; limit_conn_status 444; proxy_pass http://127.0.0.1:%d; }
    location /one/ { limit_conn addr 1; }""" % b.port, workers=2)
    slow = srv.connect()
    slow.sendall(req("/?ms=700"))
    time.sleep(0.2)
    r = srv.exchange(req("/fast"))
    assert (r.data, r.how) == (b"", "closed")           # the address already holds its one
    data, how = read_all(slow, 3)
    assert data.startswith(b"HTTP/1.1 200")
    slow.close()
    time.sleep(0.05)
    assert srv.get("/one/").status == 200                # released when the request ended
    assert srv.get("/one/").status == 200
    assert any("limit_conn:addr" in l for l in srv.wait_log(3))
    assert len(b.events("request")) == 1
