"""error_log in http, server and location (nginx's): every directive a
target with its own level, a level without one uses its parent's, a request's
lines go to its location's targets (not the main log), the same file twice
gets the line twice, and USR1 reopens them (issue #16, item 6)."""
import os
import signal
import time

from conftest import req

CONF = """
limit_req_zone $binary_remote_addr zone=one:1m rate=1r/m;
limit_req zone=one;
error_log logs/http.log warn;
server {
    listen 127.0.0.1:@PORT@;
    location /info {
        limit_req_log_level info;
        error_log logs/info_info.log info;
        error_log logs/info_notice.log notice;
    }
    location /warn {
        limit_req_log_level warn;
        error_log logs/warn_warn.log warn;
        error_log logs/warn_error.log error;
    }
    location /dup { error_log logs/dup.log; error_log logs/dup.log; }
    location /inherit { }
}
"""


def lines(srv, name, tag):
    return [l for l in srv.log_lines(name) if tag in l]


def test_error_log_per_level(hush):
    srv = hush(CONF)
    srv.get("/")                                     # charges limit_req: the rest are refused
    for path in ("/info", "/warn", "/dup", "/inherit"):
        assert srv.get(path).status == 503
    time.sleep(0.2)
    assert len(lines(srv, "info_info.log", "[info]")) == 1
    assert lines(srv, "info_notice.log", "[info]") == []
    assert len(lines(srv, "warn_warn.log", "[warn]")) == 1
    assert lines(srv, "warn_error.log", "[warn]") == []
    assert len(lines(srv, "dup.log", "[error]")) == 2   # the same file twice: twice, as nginx
    inherited = lines(srv, "http.log", "limiting requests")
    assert len(inherited) == 1 and "[error]" in inherited[0], inherited
    assert "limiting requests" not in srv.error_log()   # the main log has none of them
    assert "hush started" in srv.error_log()


def test_error_log_reopened_on_usr1(hush):
    srv = hush(CONF)
    srv.get("/")
    assert srv.get("/warn").status == 503
    os.rename(os.path.join(srv.logs, "warn_warn.log"), os.path.join(srv.logs, "warn_warn.log.1"))
    srv.send_signal(signal.SIGUSR1)
    deadline = time.time() + 3
    while not os.path.exists(os.path.join(srv.logs, "warn_warn.log")) and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    assert srv.get("/warn").status == 503
    time.sleep(0.2)
    assert len(lines(srv, "warn_warn.log", "[warn]")) == 1
    assert len(lines(srv, "warn_warn.log.1", "[warn]")) == 1


def test_error_log_bad_level_is_an_error(hush):
    srv = hush("server { listen 127.0.0.1:@PORT@; location / { error_log logs/x.log loud; } }", start=False)
    from conftest import run_hush
    out = run_hush(["-t", "-p", srv.dir, "-c", srv.conf_path])
    assert out.returncode == 1 and 'invalid log level "loud"' in out.stderr, out
