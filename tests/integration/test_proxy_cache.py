"""proxy_cache (issue 18, part 2): responses of a real backend process
(backend.py, which records every request it gets) kept on disk by hush,
their keys in shared memory: HIT/MISS/EXPIRED/STALE/UPDATING/BYPASS in
$upstream_cache_status, proxy_cache_valid and the upstream's own
Cache-Control/Expires/X-Accel-Expires/Set-Cookie/Vary, bypass and
no_cache, min_uses, the lock, max_size eviction by the cache manager,
entries that survive a restart, a client that leaves during a fill, and
the configuration errors of `hush -t`."""
import os
import re
import socket
import time

import pytest

from conftest import ROOT, req, run_hush

LOG = """
log_format cache '$status $upstream_cache_status "$request" us=$upstream_status';
access_log logs/access.log cache;
"""


def site(hush, b, loc="", http="", path_params="levels=1:2 keys_zone=one:1m", start=True,
         valid="proxy_cache_valid 200 10m;"):
    return hush(LOG + """
proxy_cache_path @DIR@/cache %s;
%s
server {
    listen 127.0.0.1:@PORT@;
    location / {
        proxy_pass http://127.0.0.1:%d;
        proxy_cache one;
        %s
        %s
    }
    location = /metrics { metrics; access_log off; }
}
""" % (path_params, http, b.port, valid, loc), start=start)


def requests_seen(b, target=None):
    return [e for e in b.events("request") if target is None or e["target"] == target]


def status_of(srv, n):
    lines = srv.wait_log(n)
    return [l.split()[1] for l in lines]


def test_miss_then_hit_from_disk(hush, backend):
    b = backend()
    srv = site(hush, b)
    r1 = srv.get("/a")
    r2 = srv.get("/a")
    assert r1.status == r2.status == 200
    assert r1.body == r2.body == b"hello from backend b\n"
    assert r2.header("Content-Type") == "text/plain"
    assert r2.header("X-Backend") == "b"
    assert len(requests_seen(b, "/a")) == 1
    assert status_of(srv, 2) == ["MISS", "HIT"]
    # nginx's layout: levels=1:2 from the end of the md5 of the key
    import hashlib
    h = hashlib.md5(b"http127.0.0.1:%d/a" % b.port).hexdigest()
    assert os.path.exists(os.path.join(srv.dir, "cache", h[-1], h[-3:-1], h))


def test_restart_keeps_entries(hush, backend):
    b = backend()
    srv = site(hush, b)
    assert srv.get("/keep").status == 200
    srv.stop()
    srv.stopped = False
    srv.start()
    r = srv.get("/keep")
    assert r.body == b"hello from backend b\n"
    assert len(requests_seen(b, "/keep")) == 1
    assert status_of(srv, 2)[-1] == "HIT"


def test_upstream_cache_control_and_cookies(hush, backend):
    b = backend()
    srv = site(hush, b)
    for path in ("/ns?h=Cache-Control:no-store", "/pr?h=Cache-Control:private,max-age=60",
                 "/nc?h=Cache-Control:no-cache", "/sc?h=Set-Cookie:a=b", "/xa?h=X-Accel-Expires:0",
                 "/ex?h=Expires:Thu,+01+Jan+1970+00:00:00+GMT", "/vs?h=Vary:*"):
        assert srv.get(path).status == 200
        assert srv.get(path).status == 200
        assert len(requests_seen(b, path)) == 2, path
    # max-age beats proxy_cache_valid's 10m; X-Accel-Expires beats max-age and is not passed on
    assert srv.get("/ma?h=Cache-Control:max-age=1").status == 200
    r = srv.get("/xa2?h=X-Accel-Expires:1&h=Cache-Control:max-age=600")
    assert r.header("X-Accel-Expires") is None
    assert srv.get("/ma?h=Cache-Control:max-age=1").status == 200
    assert srv.get("/xa2?h=X-Accel-Expires:1&h=Cache-Control:max-age=600").status == 200
    assert len(requests_seen(b, "/ma?h=Cache-Control:max-age=1")) == 1
    time.sleep(2.1)
    assert srv.get("/ma?h=Cache-Control:max-age=1").status == 200
    assert srv.get("/xa2?h=X-Accel-Expires:1&h=Cache-Control:max-age=600").status == 200
    assert len(requests_seen(b, "/ma?h=Cache-Control:max-age=1")) == 2
    assert len(requests_seen(b, "/xa2?h=X-Accel-Expires:1&h=Cache-Control:max-age=600")) == 2
    assert status_of(srv, 20)[-4:] == ["HIT", "HIT", "EXPIRED", "EXPIRED"]


def test_valid_by_status_and_not_listed(hush, backend):
    b = backend()
    srv = site(hush, b, valid="proxy_cache_valid 404 1m;")
    for _ in range(2):
        assert srv.get("/nf?status=404").status == 404
        assert srv.get("/se?status=500").status == 500
        assert srv.get("/ok").status == 200
    assert len(requests_seen(b, "/nf?status=404")) == 1
    assert len(requests_seen(b, "/se?status=500")) == 2  # no proxy_cache_valid for it
    assert len(requests_seen(b, "/ok")) == 2  # 200 is not listed


def test_bypass_and_no_cache(hush, backend):
    b = backend()
    srv = site(hush, b, loc="proxy_cache_bypass $arg_fresh; proxy_no_cache $arg_nostore;")
    assert srv.get("/bp").status == 200
    assert srv.get("/bp?fresh=1").status == 200           # to the backend, and stored again
    assert srv.get("/ns?nostore=1").status == 200
    assert srv.get("/ns?nostore=1").status == 200
    assert len(requests_seen(b, "/bp?fresh=1")) == 1
    assert len(requests_seen(b, "/ns?nostore=1")) == 2
    assert status_of(srv, 4) == ["MISS", "BYPASS", "MISS", "MISS"]


def test_min_uses_and_methods(hush, backend):
    b = backend()
    srv = site(hush, b, loc="proxy_cache_min_uses 2;")
    for _ in range(3):
        assert srv.get("/mu").body == b"hello from backend b\n"
    assert len(requests_seen(b, "/mu")) == 2
    assert status_of(srv, 3) == ["MISS", "MISS", "HIT"]
    # POST is not cached by default; HEAD of a cached entry is a hit without a body
    srv.get("/p", method="POST", headers=("Content-Length: 0",))
    srv.get("/p", method="POST", headers=("Content-Length: 0",))
    assert len(requests_seen(b, "/p")) == 2
    r = srv.get("/mu", method="HEAD")
    assert r.status == 200 and r.body == b""
    assert len(requests_seen(b, "/mu")) == 2


def test_vary(hush, backend):
    b = backend()
    srv = site(hush, b)
    path = "/v?h=Vary:X-Lang"
    bodies = []
    for lang in ("en", "fr", "en", "fr", "de"):
        srv.get(path, headers=("X-Lang: " + lang,))
    assert len(requests_seen(b, path)) == 3
    assert status_of(srv, 5) == ["MISS", "MISS", "HIT", "HIT", "MISS"]


STALE = """
        proxy_cache_key $uri;
        proxy_cache_use_stale error timeout updating http_500 http_503;
        proxy_read_timeout 1s;
"""


def test_expired_and_stale(hush, backend):
    """A 1 s validity lasts through the second after the one it was stored
    in (nginx's whole-second clock: expired once valid_sec < now), so the
    waits are over 2 s."""
    b = backend()
    srv = site(hush, b, loc=STALE, valid="proxy_cache_valid 200 1s;")
    assert srv.get("/s").status == 200
    time.sleep(2.1)
    r = srv.get("/s?status=500")       # same key ($uri): expired, the backend fails, the stale entry answers
    assert r.status == 200 and r.body == b"hello from backend b\n"
    r = srv.get("/s?status=502")       # http_502 not listed: the error goes through
    assert r.status == 502
    r = srv.get("/s?ms=2000")          # timeout
    assert r.status == 200
    assert srv.get("/s").status == 200  # refreshed
    assert srv.get("/s").status == 200
    assert status_of(srv, 6) == ["MISS", "STALE", "EXPIRED", "STALE", "EXPIRED", "HIT"]
    b.stop()
    time.sleep(2.1)
    r = srv.get("/s")                  # error: nothing listens
    assert r.status == 200 and r.body == b"hello from backend b\n"
    assert status_of(srv, 7)[-1] == "STALE"
    b.proc = __import__("subprocess").Popen(["true"])
    open(b.events_path, "w").close()


def test_updating_serves_stale_while_one_refreshes(hush, backend):
    b = backend()
    srv = site(hush, b, loc=STALE, valid="proxy_cache_valid 200 1s;")
    assert srv.get("/u").status == 200
    time.sleep(2.1)
    slow = srv.connect()
    slow.sendall(req("/u?ms=600"))
    time.sleep(0.2)
    r = srv.get("/u")
    assert r.status == 200
    slow.settimeout(3)
    data = b""
    while b"hello" not in data:
        data += slow.recv(4096)
    slow.close()
    lines = srv.wait_log(3)
    assert [l.split()[1] for l in lines][:2] == ["MISS", "UPDATING"]
    assert len(requests_seen(b)) == 2


def test_lock_one_request_fills(hush, backend):
    b = backend()
    srv = site(hush, b, loc="proxy_cache_lock on; proxy_cache_lock_timeout 3s;")
    socks = []
    for _ in range(3):
        s = srv.connect()
        s.sendall(req("/l?ms=400"))
        socks.append(s)
    for s in socks:
        s.settimeout(3)
        data = b""
        while b"hello" not in data:
            data += s.recv(4096)
        s.close()
    assert len(requests_seen(b, "/l?ms=400")) == 1
    assert sorted(status_of(srv, 3)) == ["HIT", "HIT", "MISS"]


def test_client_abort_during_fill_completes_entry(hush, backend):
    b = backend()
    srv = site(hush, b)
    s = srv.connect()
    s.sendall(req("/ab?ms=500"))
    time.sleep(0.15)
    s.close()
    assert srv.wait_log(1)[0].split()[0] == "499"
    assert srv.wait_error_log(r'cache entry "http127\.0\.0\.1:\d+/ab\?ms=500" completed after the client left')
    r = srv.get("/ab?ms=500", timeout=0.4)
    assert r.body == b"hello from backend b\n"
    assert len(requests_seen(b, "/ab?ms=500")) == 1
    assert status_of(srv, 2)[-1] == "HIT"


def cache_files(srv):
    out = []
    for d, _, files in os.walk(os.path.join(srv.dir, "cache")):
        out += [os.path.join(d, f) for f in files if not f.endswith(".tmp")]
    return out


def test_max_size_and_inactive(hush, backend):
    b = backend()
    srv = site(hush, b, path_params="levels=2 keys_zone=one:1m max_size=2k inactive=3s")
    for i in range(12):
        assert srv.get("/m%d" % i).status == 200
        time.sleep(0.02)
    total = sum(os.path.getsize(f) for f in cache_files(srv))
    assert total > 2048
    deadline = time.time() + 4
    while time.time() < deadline and sum(os.path.getsize(f) for f in cache_files(srv)) > 2048:
        time.sleep(0.1)
    assert sum(os.path.getsize(f) for f in cache_files(srv)) <= 2048
    assert srv.get("/m11").status == 200      # the most recent stays
    assert status_of(srv, 13)[-1] == "HIT"
    assert srv.get("/m0").status == 200       # the oldest went
    assert status_of(srv, 14)[-1] == "MISS"
    deadline = time.time() + 6
    while time.time() < deadline and cache_files(srv):
        time.sleep(0.2)
    assert cache_files(srv) == []             # inactive: unused for 3s


def test_corrupt_file_is_a_miss(hush, backend):
    b = backend()
    srv = site(hush, b)
    assert srv.get("/cf").status == 200
    [f] = cache_files(srv)
    data = open(f, "rb").read()
    for bad in (data[:30], data[:len(data) - 3], b"HSC1" + b"\xff" * 60, data[:8] + b"\x00" * 40 + data[48:]):
        with open(f, "wb") as fh:
            fh.write(bad)
        r = srv.get("/cf")
        assert r.status == 200 and r.body == b"hello from backend b\n"
    assert len(requests_seen(b, "/cf")) == 5


@pytest.mark.parametrize("text,msg", [
    ("proxy_cache_path @DIR@/c levels=3 keys_zone=z:1m;", r'invalid "levels" "3"'),
    ("proxy_cache_path @DIR@/c levels=1:2:2:2 keys_zone=z:1m;", r'invalid "levels"'),
    ("proxy_cache_path @DIR@/c keys_zone=z:1k;", r'keys zone "z" is too small'),
    ("proxy_cache_path @DIR@/c levels=1;", r'must have "keys_zone" parameter'),
    ("proxy_cache_path @DIR@/c keys_zone=z:1m bogus=1;", r'invalid parameter "bogus=1"'),
    ("proxy_cache_path @DIR@/c keys_zone=z:1m; server { location / { proxy_cache nope; } }",
     r'"proxy_cache" zone "nope" is unknown'),
    ("proxy_cache_path @DIR@/c keys_zone=z:1m; server { location / { fastcgi_cache z; } }",
     r'no "fastcgi_cache_key" for "fastcgi_cache"'),
    ("proxy_cache_path @DIR@/c keys_zone=z:1m; fastcgi_cache_revalidate on;", r"is not supported"),
    ("proxy_cache_use_stale error bogus;", r'invalid value "bogus"'),
    ("proxy_cache_valid 99 1m;", r'invalid status "99"'),
    ("proxy_ignore_headers Cache-Control Bogus;", r'invalid value "Bogus" in "proxy_ignore_headers"'),
])
def test_config_errors(tmpconf, text, msg):
    conf = os.path.join(tmpconf, "hush.conf")
    with open(conf, "w") as f:
        f.write("events {}\nhttp {\n%s\n}\n" % text.replace("@DIR@", tmpconf))
    r = run_hush(["-t", "-p", tmpconf, "-c", conf])
    assert r.returncode != 0
    assert re.search(msg, r.stderr), r.stderr
    assert "hush.conf:" in r.stderr


def test_metrics_by_zone(hush, backend):
    from test_metrics_parser import scrape
    b = backend()
    srv = site(hush, b)
    srv.get("/mt")
    srv.get("/mt")
    srv.get("/mt")
    m = scrape(srv)
    assert m.total("hush_cache_requests_total", zone="one", status="hit") == 2
    assert m.total("hush_cache_requests_total", zone="one", status="miss") == 1
    assert m.total("hush_cache_requests_total", zone="one", status="stale") == 0
    assert m.total("hush_cache_served_bytes_total", zone="one") == 2 * len(b"hello from backend b\n")
    assert m.total("hush_cache_stored_bytes_total", zone="one") == len(b"hello from backend b\n")
    time.sleep(1.2)  # the manager's sum
    assert scrape(srv).total("hush_cache_size_bytes", zone="one") == os.path.getsize(cache_files(srv)[0])


def readme_example():
    text = open(os.path.join(ROOT, "README.md")).read()
    start = text.index("### Caching: `proxy_cache`")
    block = text[text.index("```nginx", start) + 8:]
    return block[:block.index("```")]


def test_readme_example(hush, backend):
    b = backend()
    conf = readme_example()
    conf = conf.replace("/var/cache/hush/api", "@DIR@/cache").replace("listen 80;", "listen 127.0.0.1:@PORT@;")
    conf = conf.replace("127.0.0.1:8080", "127.0.0.1:%d" % b.port)
    srv = hush(LOG + conf)
    r1 = srv.get("/api/x")
    r2 = srv.get("/api/x")
    assert (r1.header("X-Cache"), r2.header("X-Cache")) == ("MISS", "HIT")
    assert srv.get("/api/x", headers=("X-Refresh: 1",)).header("X-Cache") == "BYPASS"
    assert len(requests_seen(b, "/api/x")) == 2
    b.stop()
    b.proc = __import__("subprocess").Popen(["true"])
    open(b.events_path, "w").close()
    assert srv.get("/api/x").header("X-Cache") == "HIT"
    assert srv.get("/api/y").status == 502


def test_fastcgi_cache(hush):
    from fcgi_side import FakeFcgi
    fake = FakeFcgi()
    try:
        srv = hush(LOG + """
fastcgi_cache_path @DIR@/fcache levels=1 keys_zone=php:1m;
server {
    listen 127.0.0.1:@PORT@;
    location / {
        fastcgi_pass 127.0.0.1:%d;
        fastcgi_param REQUEST_URI $request_uri;
        fastcgi_cache php;
        fastcgi_cache_key $request_uri;
        fastcgi_cache_valid 200 1m;
    }
}
""" % fake.port)
        for _ in range(3):
            r = srv.get("/ok")
            assert r.status == 200 and b"fake ok\n" in r.body
        assert fake.connections == 1
        assert status_of(srv, 3) == ["MISS", "HIT", "HIT"]
        h = __import__("hashlib").md5(b"/ok").hexdigest()
        assert os.path.exists(os.path.join(srv.dir, "fcache", h[-1], h))
    finally:
        fake.stop()


def test_hit_after_refresh_is_the_new_entry(hush, backend):
    """A worker keeps small entries' files in memory: a refreshed entry must
    not be answered from the old copy."""
    b = backend()
    srv = site(hush, b, loc="proxy_cache_key $uri; proxy_cache_bypass $arg_fresh;")
    assert srv.get("/g?h=X-Ver:1").header("X-Ver") == "1"
    assert srv.get("/g").header("X-Ver") == "1"               # HIT, read from the file
    assert srv.get("/g").header("X-Ver") == "1"               # HIT, from memory
    assert srv.get("/g?h=X-Ver:2&fresh=1").header("X-Ver") == "2"   # BYPASS, stored
    assert srv.get("/g").header("X-Ver") == "2"
    assert srv.get("/g").header("X-Ver") == "2"
    assert status_of(srv, 6) == ["MISS", "HIT", "HIT", "BYPASS", "HIT", "HIT"]


def test_revalidate(hush, backend):
    b = backend()
    srv = site(hush, b, valid="proxy_cache_valid 200 1s;",
               loc="proxy_cache_key $uri; proxy_cache_revalidate on;")
    assert srv.get("/rv?etag=v1").status == 200
    time.sleep(2.1)
    r = srv.get("/rv?etag=v1")              # expired: asked with If-None-Match, answered 304
    assert r.status == 200 and r.body == b"hello from backend b\n" and r.header("ETag") == '"v1"'
    assert srv.get("/rv?etag=v1").status == 200   # fresh again
    seen = requests_seen(b)
    assert len(seen) == 2
    assert seen[1]["headers"].get("if-none-match") == '"v1"'
    time.sleep(2.1)
    r = srv.get("/rv?etag=v2")              # changed: a new 200, stored
    assert r.header("ETag") == '"v2"'
    assert srv.get("/rv?etag=v2").header("ETag") == '"v2"'
    assert status_of(srv, 5) == ["MISS", "REVALIDATED", "HIT", "EXPIRED", "HIT"]


def test_client_conditionals_and_range_not_passed_when_caching(hush, backend):
    b = backend()
    srv = site(hush, b)
    r = srv.get("/cr?etag=v1", headers=('If-None-Match: "v1"', "Range: bytes=0-3"))
    assert r.status == 200 and r.body == b"hello from backend b\n"
    h = requests_seen(b)[0]["headers"]
    assert "if-none-match" not in h and "range" not in h
    r = srv.get("/cr?etag=v1", headers=("Range: bytes=0-3",))
    assert r.status == 200 and r.body == b"hello from backend b\n"   # a HIT is whole
    assert len(requests_seen(b)) == 1


def test_ignore_headers(hush, backend):
    b = backend()
    srv = site(hush, b, loc="proxy_ignore_headers Cache-Control Set-Cookie;")
    path = "/ig?h=Cache-Control:no-store&h=Set-Cookie:a=b"
    assert srv.get(path).status == 200
    r = srv.get(path)
    assert r.header("Set-Cookie") == "a=b"   # stored with the response, as nginx does
    assert len(requests_seen(b, path)) == 1
    assert status_of(srv, 2) == ["MISS", "HIT"]
