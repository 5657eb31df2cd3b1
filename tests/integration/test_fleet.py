"""A fleet of hush instances sharing bans and limit_req zones through Redis
(issue #14, README "Running a fleet"). Each test starts its own redis-server
on a free loopback port and three hush instances (A, B, C) with two workers
each. A ban decided on A drops new connections at B and C within a second
(the median over 50 bans is printed); a fleet-wide limit holds within the
documented bound; Redis killed under load fails no good request, and the
instances resynchronize once it is back; a Redis that accepts and never
answers does not slow requests; bad URLs are configuration errors."""
import re
import socket
import statistics
import threading
import time

import pytest

from conftest import MAIN_PREAMBLE, read_all, req, run_hush
from redisutil import mute_redis, redis  # noqa: F401
from test_edge_accept import exchange_from
from test_metrics_parser import promtool, promtool_check, scrape

BANS = """
ban_zone zone=abuse:1m threshold=1 window=10s duration=60s sync=@REDIS@ sync_prefix=@PREFIX@;
server {
    listen 127.0.0.1:@PORT@;
    ban zone=abuse;
    location /bad { return 444; }
    location = /metrics { metrics; }
    location / { }
}
"""


def fleet(hush, url, http=BANS, n=3, prefix="t"):
    text = http.replace("@REDIS@", url).replace("@PREFIX@", prefix)
    nodes = [hush(text, main="worker_processes 2;") for _ in range(n)]
    for s in nodes:
        s.write("index.html", "ok\n")
    return nodes


def banned(srv, src):
    return exchange_from(srv, src, req("/"), timeout=1.0)[0] == b""


def ban_on(srv, src):
    assert exchange_from(srv, src, req("/bad"))[0] == b""


def wait_for(cond, timeout, step=0.005):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if cond():
            return time.time() - t0
        time.sleep(step)
    return None


def wait_up(srv, timeout=8.0):
    assert wait_for(lambda: "hush_sync_up 1" in metrics(srv), timeout, 0.1) is not None, metrics(srv)


def metrics(srv):
    return srv.exchange(req("/metrics")).responses()[0].body.decode()


def test_a_ban_on_one_instance_drops_new_connections_at_the_others(hush, redis):
    a, b, c = fleet(hush, redis.url())
    for s in (a, b, c):
        wait_up(s)
    times = []
    for i in range(50):
        src = "127.0.1.%d" % (i + 1)
        assert not banned(b, src) and not banned(c, src)
        t0 = time.time()
        ban_on(a, src)
        assert wait_for(lambda: banned(b, src), 2.0) is not None, "B never banned %s" % src
        assert wait_for(lambda: banned(c, src), 2.0) is not None, "C never banned %s" % src
        times.append(time.time() - t0)
    times.sort()
    median, p99 = statistics.median(times), times[int(len(times) * 0.99) - 1]
    print("ban propagation over 50 bans: median %.1f ms, p99 %.1f ms, max %.1f ms"
          % (median * 1000, p99 * 1000, times[-1] * 1000))
    assert times[-1] <= 1.0, times
    # the others are still served, everywhere
    for s in (a, b, c):
        assert exchange_from(s, "127.0.0.200", req("/"))[0].startswith(b"HTTP/1.1 200")
    # hush -s bans says where each ban came from
    out = run_hush(["-p", b.dir, "-c", b.conf_path, "-s", "bans"])
    assert out.returncode == 0, out.stderr
    line = [x for x in out.stdout.splitlines() if "127.0.1.1 " in x]
    assert line and re.search(r"from \S+/%d\)" % a.pid, line[0]), out.stdout
    out = run_hush(["-p", a.dir, "-c", a.conf_path, "-s", "bans"])
    assert "127.0.1.1 " in out.stdout and "from here)" in out.stdout, out.stdout
    # the key carries the ban's TTL
    ttl = redis.cmd("PTTL", "t:ban:abuse:127.0.1.1")
    assert 50000 < ttl <= 60000, ttl


def test_a_starting_instance_loads_the_active_bans_and_unbans_reach_all(hush, redis):
    a, b = fleet(hush, redis.url(), n=2)
    wait_up(a)
    ban_on(a, "127.0.3.1")
    assert wait_for(lambda: banned(b, "127.0.3.1"), 2.0) is not None
    (c,) = fleet(hush, redis.url(), n=1)  # starts after the ban: loads it
    assert wait_for(lambda: banned(c, "127.0.3.1"), 3.0) is not None
    # an operator lifts the ban for the whole fleet
    redis.cmd("DEL", "t:ban:abuse:127.0.3.1")
    assert redis.cmd("PUBLISH", "t:events", "unban abuse 127.0.3.1") >= 1
    for s in (a, b, c):
        assert wait_for(lambda: not banned(s, "127.0.3.1"), 2.0) is not None


def test_expired_bans_end_everywhere_at_the_same_time(hush, redis):
    short = BANS.replace("duration=60s", "duration=2s")
    a, b = fleet(hush, redis.url(), http=short, n=2)
    wait_up(a)
    wait_up(b)
    ban_on(a, "127.0.4.1")
    assert wait_for(lambda: banned(b, "127.0.4.1"), 1.0) is not None
    assert wait_for(lambda: not banned(a, "127.0.4.1") and not banned(b, "127.0.4.1"), 4.0) is not None
    # the key's TTL was counted from when it was written: gone within moments too
    assert wait_for(lambda: redis.cmd("EXISTS", "t:ban:abuse:127.0.4.1") == 0, 0.5, 0.02) is not None


LIMIT = """
limit_req_zone $binary_remote_addr zone=fleet:1m rate=20r/s sync=@REDIS@ sync_prefix=@PREFIX@;
server {
    listen 127.0.0.1:@PORT@;
    location = /metrics { metrics; }
    location / { limit_req zone=fleet; limit_req_log_level info; }
}
"""


def hammer(srv, src, seconds, counts):
    end = time.time() + seconds
    while time.time() < end:
        data = exchange_from(srv, src, req("/"))[0]
        counts[data[:12]] = counts.get(data[:12], 0) + 1


def test_a_fleet_wide_rate_holds_within_the_documented_bound(hush, redis):
    nodes = fleet(hush, redis.url(), http=LIMIT)
    for s in nodes:
        wait_up(s)
    seconds, rate, n, interval, lag = 3.0, 20, 3, 0.1, 0.25
    results = [dict() for _ in nodes]
    threads = [threading.Thread(target=hammer, args=(s, "127.0.5.1", seconds, r)) for s, r in zip(nodes, results)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = sum(r.get(b"HTTP/1.1 200", 0) for r in results)
    refused = sum(r.get(b"HTTP/1.1 503", 0) for r in results)
    # README: rate*T + (burst+1) + (N-1)*(rate*(interval+lag) + burst + 1); lag: Redis's delivery
    bound = rate * seconds + 1 + (n - 1) * (rate * (interval + lag) + 1)
    print("fleet limit: %d accepted, %d refused in %.0f s (bound %d, alone each would take %d)"
          % (ok, refused, seconds, bound, n * (rate * seconds + 1)))
    assert refused > 0
    assert rate * seconds * 0.5 <= ok <= bound, (ok, bound)


def test_redis_killed_under_load_fails_no_good_request_and_resyncs(hush, redis):
    http = BANS.replace("ban_zone", """
limit_req_zone $binary_remote_addr zone=fleet:1m rate=100000r/s sync=@REDIS@ sync_prefix=@PREFIX@;
ban_zone""").replace('location / {', 'location / { limit_req zone=fleet burst=100000 nodelay;')
    a, b, c = fleet(hush, redis.url(), http=http)
    for s in (a, b, c):
        wait_up(s)
    failures, done = [], []

    def load(srv):
        while not done:
            data = exchange_from(srv, "127.0.0.1", req("/"))[0]
            if not data.startswith(b"HTTP/1.1 200"):
                failures.append(data[:40])

    threads = [threading.Thread(target=load, args=(s,)) for s in (a, b, c)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.5)
        redis.kill()
        time.sleep(0.5)
        ban_on(a, "127.0.6.1")  # local bans keep working ...
        assert banned(a, "127.0.6.1")
        time.sleep(1.0)
        assert "hush_sync_up 0" in metrics(b)
        assert not banned(b, "127.0.6.1")  # ... and wait for Redis to travel
        redis.start()
        time.sleep(0.5)
    finally:
        done.append(1)
        for t in threads:
            t.join()
    assert failures == []
    for s in (a, b, c):
        wait_up(s)
    # the ban made while Redis was down reached the others once it came back
    assert wait_for(lambda: banned(b, "127.0.6.1") and banned(c, "127.0.6.1"), 3.0) is not None
    ban_on(b, "127.0.6.2")
    assert wait_for(lambda: banned(a, "127.0.6.2") and banned(c, "127.0.6.2"), 1.0) is not None
    body = metrics(a)
    m = scrape(a)  # strict exposition format
    for name in ("hush_sync_up", "hush_sync_errors_total", "hush_sync_dropped_total", "hush_sync_lag_seconds"):
        assert name in m.families, name
    if promtool():
        ok, out = promtool_check(m.text)
        assert ok, out
    assert re.search(r"^hush_sync_errors_total [1-9]", body, re.M), body
    assert re.search(r"^hush_sync_lag_seconds \d", body, re.M), body
    log = a.error_log()
    assert len(re.findall(r"sync: redis \S+ is down", log)) == 1, log
    assert len(re.findall(r"sync: redis \S+ is up", log)) == 2, log


def test_a_redis_that_never_answers_does_not_slow_requests(hush, mute_redis):
    url = "redis://127.0.0.1:%d" % mute_redis.port
    (a,) = fleet(hush, url, http=BANS + LIMIT.replace("listen 127.0.0.1:@PORT@", "listen 127.0.0.1:@PORT2@"), n=1)
    slow = []
    end = time.time() + 3.5  # past the 2 s after which hush gives up on it and reconnects
    while time.time() < end:
        t0 = time.time()
        assert exchange_from(a, "127.0.0.1", req("/"))[0].startswith(b"HTTP/1.1 200")
        slow.append(time.time() - t0)
    slow.sort()
    assert statistics.median(slow) < 0.05 and slow[-1] < 0.5, (statistics.median(slow), slow[-1])
    ban_on(a, "127.0.7.1")  # local bans and limits keep working
    assert banned(a, "127.0.7.1")
    statuses = set()
    for _ in range(10):
        s = socket.socket()
        s.bind(("127.0.7.2", 0))
        s.settimeout(2)
        s.connect(("127.0.0.1", a.port2))
        s.sendall(req("/"))
        statuses.add(read_all(s)[0][:12])
        s.close()
    assert statuses == {b"HTTP/1.1 200", b"HTTP/1.1 503"}, statuses
    assert "hush_sync_up 0" in metrics(a)
    a.wait_error_log(r"sync: redis 127\.0\.0\.1:\d+ is unreachable at start \(no answer for 2 s\)", 4.0)


def test_unreachable_redis_at_start_is_a_warning(hush):
    from conftest import free_port
    (a,) = fleet(hush, "redis://127.0.0.1:%d" % free_port(), n=1)
    assert exchange_from(a, "127.0.0.1", req("/"))[0].startswith(b"HTTP/1.1 200")
    a.wait_error_log(r"\[warn\] .*sync: redis 127\.0\.0\.1:\d+ is unreachable at start", 3.0)


@pytest.mark.parametrize("param,message", [
    ("sync=redis://127.0.0.1", 'invalid "sync" URL "redis://127.0.0.1": no port'),
    ("sync=redis://127.0.0.1:99999", "invalid port"),
    ("sync=redis://127.0.0.1:6379/db", "invalid database"),
    ("sync=redis://:pw@127.0.0.1:6379", "credentials in the URL are not supported"),
    ("sync=http://127.0.0.1:6379", "must start with redis://"),
    ("sync=redis://127.0.0.1:6379 sync_prefix=a/b", 'invalid "sync_prefix"'),
    ("sync_prefix=x", 'need "sync=redis://...'),
    ("sync", "zone_sync"),
])
def test_bad_sync_parameters_are_config_errors_with_file_and_line(tmpconf, param, message):
    conf = tmpconf + "/hush.conf"
    with open(conf, "w") as f:
        f.write(MAIN_PREAMBLE.replace("@DIR@", tmpconf) + "events { }\nhttp {\n"
                "limit_req_zone $binary_remote_addr zone=one:1m rate=1r/s %s;\n}\n" % param)
    out = run_hush(["-t", "-c", conf])
    assert out.returncode == 1
    assert "%s:6: " % conf in out.stderr and message in out.stderr, out.stderr


def readme_fleet_example():
    import os
    from conftest import ROOT
    text = open(os.path.join(ROOT, "README.md")).read()
    blocks = re.findall(r"```nginx\n(.*?)```", text, re.S)
    (block,) = [b for b in blocks if "sync=redis://10.0.0.5:6379" in b]
    return block


def test_the_readme_fleet_example_with_three_instances(hush, redis):
    import subprocess
    block = readme_fleet_example().replace("redis://10.0.0.5:6379", redis.url())
    block = block.replace("listen 8080;", "listen 127.0.0.1:@PORT@;").replace("root /srv/www;", "root @DIR@/html;")
    conf = MAIN_PREAMBLE + "worker_processes 2;\nevents { worker_connections 256; }\n" + block
    nodes = [hush(conf=conf) for _ in range(3)]
    for s in nodes:
        s.write("index.html", "ok\n")
        wait_up(s)
    a, b, c = nodes
    # over the fleet's rate at A: 429s, and after 20 of them a ban, everywhere
    statuses = []
    while len(statuses) < 200 and not (statuses and statuses[-1] == b""):
        statuses.append(exchange_from(a, "127.0.9.1", req("/"))[0][:12])
    assert statuses.count(b"HTTP/1.1 429") == 20 and statuses[-1] == b"", statuses
    for s in (b, c):
        assert wait_for(lambda: banned(s, "127.0.9.1"), 1.0) is not None
    # the rate is shared: 127.0.9.2 spends its burst at B, then A refuses it too
    for _ in range(21):
        assert exchange_from(b, "127.0.9.2", req("/"))[0].startswith(b"HTTP/1.1 200")
    seen = []  # alone, A would let 21 through
    while len(seen) < 5 and b"HTTP/1.1 429" not in seen:
        time.sleep(0.03)
        seen.append(exchange_from(a, "127.0.9.2", req("/"))[0][:12])
    assert b"HTTP/1.1 429" in seen, seen
    # the README's unban commands
    cli = ["redis-cli", "-h", "127.0.0.1", "-p", str(redis.port)]
    subprocess.run(cli + ["DEL", "shop:ban:abuse:127.0.9.1"], check=True, capture_output=True)
    subprocess.run(cli + ["PUBLISH", "shop:events", "unban abuse 127.0.9.1"], check=True, capture_output=True)
    for s in (a, b, c):
        assert wait_for(lambda: not banned(s, "127.0.9.1"), 2.0) is not None


def test_a_reload_keeps_the_bans_and_the_sync(hush, redis):
    import signal
    a, b = fleet(hush, redis.url(), n=2)
    wait_up(a)
    wait_up(b)
    ban_on(a, "127.0.10.1")
    assert wait_for(lambda: banned(b, "127.0.10.1"), 1.0) is not None
    for s in (a, b):
        s.send_signal(signal.SIGHUP)
    time.sleep(1.0)
    for s in (a, b):
        wait_up(s)
    assert banned(a, "127.0.10.1") and banned(b, "127.0.10.1")
    ban_on(b, "127.0.10.2")
    assert wait_for(lambda: banned(a, "127.0.10.2"), 1.0) is not None


def test_a_lost_subscription_is_logged_once_and_resynchronized(hush, redis):
    a, b = fleet(hush, redis.url(), n=2)
    wait_up(a)
    wait_up(b)
    assert redis.cmd("CLIENT", "KILL", "TYPE", "pubsub") == 2  # the leaders' subscribers
    ban_on(b, "127.0.11.1")  # maybe published while A listened to nobody: loaded when it resubscribes
    assert wait_for(lambda: banned(a, "127.0.11.1"), 2.0) is not None
    a.wait_error_log(r"sync: redis \S+ is down \(subscriber: Server closed the connection\)")
    wait_up(a)
    log = a.error_log()
    assert len(re.findall(r"sync: redis \S+ is down", log)) == 1, log
    assert len(re.findall(r"sync: redis \S+ is up", log)) == 2, log


def test_a_full_redis_is_counted_and_touches_no_traffic(hush, redis):
    a, b = fleet(hush, redis.url(), n=2)
    wait_up(a)
    wait_up(b)
    redis.cmd("CONFIG", "SET", "maxmemory-policy", "noeviction")
    redis.cmd("CONFIG", "SET", "maxmemory", "1")  # every write is refused: OOM
    ban_on(a, "127.0.12.1")  # its SET fails; the message still goes out
    assert wait_for(lambda: banned(b, "127.0.12.1"), 1.0) is not None
    assert redis.cmd("EXISTS", "t:ban:abuse:127.0.12.1") == 0
    for s in (a, b):
        assert exchange_from(s, "127.0.0.1", req("/"))[0].startswith(b"HTTP/1.1 200")
    assert wait_for(lambda: re.search(r"^hush_sync_errors_total [1-9]", metrics(a), re.M), 2.0, 0.1) is not None
    assert "hush_sync_up 1" in metrics(a)
