"""limit_req_dry_run / limit_conn_dry_run (nothing is limited, the zones
count as usual), $limit_req_status / $limit_conn_status, and
limit_req_log_level / limit_conn_log_level (refusals at the level, delays one
level lower), as nginx."""
import re
import time

from conftest import req
from test_config import check
from test_limits import burst

LOG = """
log_format l '$status $close_reason $limit_req_status $limit_conn_status "$request"';
access_log logs/access.log l;
limit_req_zone $binary_remote_addr zone=one:1m rate=1r/m;
limit_req_zone $binary_remote_addr zone=r10:1m rate=10r/s;
limit_conn_zone $binary_remote_addr zone=addr:1m;
"""


def start(hush, location):
    srv = hush(LOG + "server { listen 127.0.0.1:@PORT@; location / { %s } }" % location, start=False)
    for p in ("a", "b", "c", "d"):
        srv.write(p, "ok\n")
    return srv.start()


def test_limit_req_dry_run_passes_everything_and_says_what_it_would_do(hush):
    srv = start(hush, "limit_req zone=one; limit_req_dry_run on;")
    codes = [srv.exchange(req("/" + p)).data[9:12] for p in "abc"]
    assert codes == [b"200"] * 3
    assert srv.wait_log(3) == ['200 ok PASSED - "GET /a HTTP/1.1"',
                               '200 ok REJECTED_DRY_RUN - "GET /b HTTP/1.1"',
                               '200 ok REJECTED_DRY_RUN - "GET /c HTTP/1.1"']
    assert srv.wait_error_log(r'\[error\] .*limiting requests, dry run, excess: [0-9.]+ by zone "one"')


def test_without_dry_run_the_same_requests_are_rejected(hush):
    srv = start(hush, "limit_req zone=one;")
    codes = [srv.exchange(req("/" + p)).data[9:12] for p in "ab"]
    assert codes == [b"200", b"503"]
    assert srv.wait_log(2) == ['200 ok PASSED - "GET /a HTTP/1.1"', '503 ok REJECTED - "GET /b HTTP/1.1"']


def test_limit_req_log_level_and_delay_one_level_lower(hush):
    srv = start(hush, "limit_req zone=r10 burst=5; limit_req_log_level notice;")
    out = burst(srv, ["/a", "/b"])
    assert sorted(c for c, _ in out) == [200, 200]
    lines = srv.wait_log(2)
    assert sorted(l.split()[2] for l in lines) == ["DELAYED", "PASSED"]
    assert srv.wait_error_log(r'\[info\] .*delaying request, excess: [0-9]+\.[0-9]{3}, by zone "r10", client: ')
    assert not re.search(r"\[error\].*zone", srv.error_log())


def test_limit_req_dry_run_delays_nothing(hush):
    srv = start(hush, "limit_req zone=r10 burst=5; limit_req_dry_run on;")
    out = burst(srv, ["/a", "/b", "/c"])
    assert [c for c, _ in out] == [200, 200, 200]
    assert all(t < 0.08 for _, t in out), out  # a delay would be 100 and 200 ms
    assert sorted(l.split()[2] for l in srv.wait_log(3)) == ["DELAYED_DRY_RUN", "DELAYED_DRY_RUN", "PASSED"]


def test_limit_conn_dry_run_and_log_level(hush):
    srv = start(hush, "limit_req zone=r10 burst=5; limit_conn addr 1; limit_conn_dry_run on; "
                      "limit_conn_log_level warn;")
    # the second request is held by its limit_req delay with its limit_conn
    # slot taken, so the third is over limit_conn: dry run lets it pass
    out = burst(srv, ["/a", "/b", "/c"])
    assert [c for c, _ in out] == [200, 200, 200]
    assert sorted(l.split()[3] for l in srv.wait_log(3)) == ["PASSED", "PASSED", "REJECTED_DRY_RUN"]
    assert srv.wait_error_log(r'\[warn\] .*limiting connections, dry run, by zone "addr"')


def test_bad_values_are_errors(tmpconf):
    for bad, msg in (("limit_req_log_level loud;", 'invalid value "loud" in "limit_req_log_level"'),
                     ("limit_conn_dry_run maybe;", 'invalid value "maybe" in "limit_conn_dry_run"'),
                     ("limit_req_dry_run on; limit_req_dry_run off;", '"limit_req_dry_run" directive is duplicate')):
        rc, out, path = check(tmpconf, "http { server { listen 127.0.0.1:1; location / { %s } } }" % bad)
        assert rc == 1 and path + ":" in out and msg in out, (bad, out)
