"""reset_timedout_connection (nginx's, http/server/location, default off):
a connection that timed out (client_header_timeout, client_body_timeout,
send_timeout) or was dropped with 444 ends with RST instead of FIN. An
explicit drop_mode still decides how a 444 ends."""
import pytest

from conftest import req

CONF = """
log_format r '$status $close_reason "$request"';
access_log logs/access.log r;
client_header_timeout 1s;
client_body_timeout 1s;
%s
server {
    listen 127.0.0.1:@PORT@;
    server_name localhost;
    location = /r { return 200 "r\\n"; }
    location = /drop { return 444; }
    location = /closed { drop_mode close; return 444; }
    location /off/ { reset_timedout_connection off; return 444; }
}
"""


@pytest.mark.parametrize("on", [True, False], ids=["on", "off"])
def test_header_timeout(hush, on):
    srv = hush(CONF % ("reset_timedout_connection on;" if on else ""))
    r = srv.exchange(b"GET /r HTTP/1.1\r\nHost: local", timeout=4)
    assert (r.data, r.how) == (b"", "reset" if on else "closed")
    assert srv.wait_log(1) == ['408 header_timeout "GET /r HTTP/1.1"']


@pytest.mark.parametrize("on", [True, False], ids=["on", "off"])
def test_body_timeout(hush, on):
    srv = hush(CONF % ("reset_timedout_connection on;" if on else ""))
    r = srv.exchange(b"POST /r HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n0123", timeout=4)
    assert (r.data, r.how) == (b"", "reset" if on else "closed")
    assert srv.wait_log(1) == ['408 body_timeout "POST /r HTTP/1.1"']


def test_444_resets_unless_drop_mode_says(hush):
    srv = hush(CONF % "reset_timedout_connection on;")
    assert srv.exchange(req("/drop")).how == "reset"
    assert srv.exchange(req("/closed")).how == "closed"
    assert srv.exchange(req("/off/x")).how == "closed"
    assert srv.exchange(req("/r")).how == "closed"   # a normal response ends with FIN


def test_444_closes_by_default(hush):
    srv = hush(CONF % "")
    assert srv.exchange(req("/drop")).how == "closed"


def test_bad_value_is_an_error(hush):
    srv = hush(CONF % "reset_timedout_connection maybe;", start=False)
    from conftest import run_hush
    r = run_hush(["-t", "-p", srv.dir, "-c", srv.conf_path])
    assert r.returncode == 1
    assert "hush.conf:12: invalid value \"maybe\" in \"reset_timedout_connection\"" in r.stderr, r.stderr
