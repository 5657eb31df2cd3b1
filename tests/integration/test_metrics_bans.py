"""hush_bans_active counts the addresses banned right now, read from the ban
zones at scrape time (bans end by time, so only the zone knows)."""
import re
import socket
import time

from conftest import read_all, req

CONF = """
access_log logs/access.log;
ban_zone zone=abuse:1m key=$binary_remote_addr threshold=3 window=10s duration=1500ms;
server {
    listen 127.0.0.1:@PORT@;
    ban zone=abuse on=444;
    location = /metrics { metrics; }
    location /bad { return 444; }
}
"""


def gauge(srv, name):
    body = srv.exchange(req("/metrics")).responses()[0].body.decode()
    m = re.search(r"^%s (\d+)$" % name, body, re.M)
    assert m, body[:500]
    return int(m.group(1))


def bad_from(srv, src):
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(3)
    s.connect(("127.0.0.1", srv.port))
    try:
        s.sendall(req("/bad"))
    except OSError:
        pass
    read_all(s, 1)
    s.close()


def test_bans_active_rises_and_falls(hush):
    srv = hush(CONF)
    assert gauge(srv, "hush_bans_active") == 0
    for _ in range(3):
        bad_from(srv, "127.0.0.2")   # the scrapes come from 127.0.0.1, never banned
    assert gauge(srv, "hush_bans_active") == 1
    time.sleep(1.7)                  # the ban's duration passes
    assert gauge(srv, "hush_bans_active") == 0
