"""The 499 spike signal: clients that give up on a slow upstream in a burst
produce one warning in the error log (location, rate, baseline, upstream p90)
and hush_abort_spike{server,location} 1; a flood of 444s from one rule does
the same with hush_drop_spike{rule}."""
import re
import time

import pytest

from conftest import req
from test_metrics import wait_for
from test_metrics_parser import scrape


def test_abort_spike_warns_once_and_sets_the_gauge(hush, backend):  # noqa: F811
    b = backend()
    srv = hush("""
    abort_alert_ratio 3 min=5;
    upstream app { server 127.0.0.1:%d; }
    server {
        listen 127.0.0.1:@PORT@ default_server;
        server_name shop.example;
        location = /metrics { metrics; }
        location /checkout { proxy_pass http://app; }
        location /ok { proxy_pass http://app; }
    }
""" % b.port, main="worker_processes 2;")
    for _ in range(4):
        srv.exchange(req("/ok?ms=120"))
    m = scrape(srv)
    assert m.total("hush_abort_spike") == 0
    socks = []
    for _ in range(8):
        s = srv.connect()
        s.sendall(req("/checkout?ms=3000", close=False))
        socks.append(s)
    time.sleep(0.3)
    for s in socks:
        s.close()
    assert srv.wait_error_log(r"client abort spike", timeout=4), srv.error_log()
    line = [l for l in srv.error_log().splitlines() if "client abort spike" in l][0]
    assert "[warn]" in line
    assert re.search(r'8 requests ended with 499 in the last minute in server "shop.example" '
                     r'location "/checkout", baseline 0\.0 per minute \(abort_alert_ratio 3\), '
                     r'upstream p90 0\.\d+s', line), line
    m = scrape(srv)
    assert m.total("hush_abort_spike", server="shop.example", location="/checkout") == 1
    assert m.total("hush_abort_spike", location="/ok") == 0
    time.sleep(1.5)
    assert srv.error_log().count("client abort spike") == 1  # one warning per spike


def test_drop_spike_per_rule(hush):
    srv = hush("""
    drop_alert_ratio 3 min=20;
    abort_alert_ratio off;
    server {
        listen 127.0.0.1:@PORT@ default_server;
        location = /metrics { metrics; }
        location /wp-login.php { return 444; }
    }
""")
    for _ in range(25):
        srv.exchange(req("/wp-login.php"))
    assert srv.wait_error_log(r"drop spike", timeout=4), srv.error_log()
    assert re.search(r'\[warn\] .*drop spike: 25 connections dropped \(444\) by rule "return" in the last minute',
                     srv.error_log())
    m = scrape(srv)
    assert m.total("hush_drop_spike", rule="return") == 1


def test_under_the_floor_no_spike(hush):
    srv = hush("""
    drop_alert_ratio 3 min=50;
    server {
        listen 127.0.0.1:@PORT@ default_server;
        location = /metrics { metrics; }
        location / { return 444; }
    }
""")
    for _ in range(10):
        srv.exchange(req("/"))
    time.sleep(1.5)
    assert "spike" not in srv.error_log()
    assert scrape(srv).total("hush_drop_spike", rule="return") == 0
