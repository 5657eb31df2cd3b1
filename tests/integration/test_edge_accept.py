"""Accept-phase drops (deny_addr, bans) before a byte is read, drop modes at
accept, tarpit_max, the connection log (one line per connection with its
reason), and auto-ban: triggered after N endings, shared by the workers,
listed by `hush -s bans`, kept across reload, expiring after its duration."""
import os
import signal
import socket
import time

from conftest import read_all, req, run_hush

CONNLOG = """
log_format conn '$remote_addr $connection_requests $close_reason $drop_rule $bytes_received $bytes_sent';
connection_log logs/conn.log conn;
log_format l '$remote_addr $status $close_reason $drop_rule "$request"';
access_log logs/access.log l;
"""


def connect_from(srv, src):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.settimeout(5)
    s.connect(("127.0.0.1", srv.port))
    return s


def exchange_from(srv, src, data, timeout=2.0):
    try:
        s = connect_from(srv, src)
    except ConnectionResetError:
        return b"", "reset"  # the accept-phase RST can even beat connect() returning
    try:
        if data:
            try:
                s.sendall(data)
            except (ConnectionResetError, BrokenPipeError):
                return b"", "reset"  # or the request
        return read_all(s, timeout)
    finally:
        s.close()


def test_deny_addr_drops_at_accept_and_logs_the_connection(hush):
    srv = hush(CONNLOG + """
deny_addr 127.0.0.2 10.0.0.0/8;
server { listen 127.0.0.1:@PORT@; location / { return 200 "ok\\n"; } }
""")
    data, how = exchange_from(srv, "127.0.0.2", req("/"))
    assert (data, how) == (b"", "closed")
    data, how = exchange_from(srv, "127.0.0.3", req("/"))
    assert data.startswith(b"HTTP/1.1 200")
    lines = srv.wait_log(2, "conn.log")
    assert "127.0.0.2 0 drop deny_addr 0 0" in lines, lines
    assert any(l.startswith("127.0.0.3 1 ok - ") for l in lines), lines
    assert srv.expect_log(1) == ['127.0.0.3 200 ok - "GET / HTTP/1.1"']  # nothing reached the request phase


def test_accept_drop_modes_reset_and_tarpit(hush):
    srv = hush(CONNLOG + """
deny_addr 127.0.0.2;
drop_mode reset;
server { listen 127.0.0.1:@PORT@; location / { return 200 "ok\\n"; } }
""")
    data, how = exchange_from(srv, "127.0.0.2", req("/"))
    assert (data, how) == (b"", "reset")
    tp = hush(CONNLOG + """
deny_addr 127.0.0.2;
drop_mode tarpit=800ms;
tarpit_max 1;
server { listen 127.0.0.1:@PORT@; location / { return 200 "ok\\n"; } }
""")
    first = connect_from(tp, "127.0.0.2")
    first.sendall(req("/"))
    time.sleep(0.1)
    t0 = time.time()
    data, how = exchange_from(tp, "127.0.0.2", req("/"))  # over tarpit_max: reset at once
    assert (data, how) == (b"", "reset") and time.time() - t0 < 0.5
    data, how = read_all(first, 3)
    assert (data, how) == (b"", "reset")                 # held silent, then reset
    first.close()


def test_connection_log_reasons(hush):
    srv = hush(CONNLOG + """
server { listen 127.0.0.1:@PORT@; client_header_timeout 300ms; keepalive_timeout 300ms;
         location / { return 200 "ok\\n"; } location /drop { return 444; } }
""")
    srv.exchange(req("/"))                                 # ok
    srv.exchange(req("/drop"))                             # drop return
    srv.exchange(b"", timeout=0.1)                         # no_request
    srv.exchange(req("/", close=False), timeout=0.6)       # keepalive_close after the timeout
    lines = srv.wait_log(4, "conn.log")
    reasons = sorted(l.split()[2:4] for l in lines)
    assert reasons == [["drop", "return"], ["keepalive_close", "-"], ["no_request", "-"], ["ok", "-"]], lines
    assert len(srv.log_lines("access.log")) == 3


def test_connection_log_if_bare_connection_and_default_format(hush):
    srv = hush("""
deny_addr 127.0.0.2;
connection_log logs/bare.log if=$bare_connection;
server { listen 127.0.0.1:@PORT@; location / { return 200 "ok\\n"; } }
""")
    srv.exchange(req("/"))
    exchange_from(srv, "127.0.0.2", req("/"))
    lines = srv.wait_log(1, "bare.log")
    time.sleep(0.3)
    lines = srv.log_lines("bare.log")
    assert len(lines) == 1 and lines[0].startswith("127.0.0.2:") and lines[0].endswith(" drop deny_addr"), lines


def test_connection_log_rejects_request_variables(tmpconf):
    conf = os.path.join(tmpconf, "hush.conf")
    with open(conf, "w") as f:
        f.write("events {} http { log_format x '$request'; connection_log logs/c.log x; "
                "server { listen 127.0.0.1:8099; } }\n")
    r = run_hush(["-t", "-p", tmpconf, "-c", conf])
    assert r.returncode == 1 and "not a connection variable" in r.stderr, r.stderr


BAN = CONNLOG + """
ban_zone zone=abuse:1m key=$binary_remote_addr threshold=3 window=10s duration=1500ms;
server {
    listen 127.0.0.1:@PORT@;
    ban zone=abuse on=444,404;
    location / { return 200 "ok\\n"; }
    location /bad { return 444; }
}
"""


def test_ban_after_threshold_across_workers_and_expiry(hush):
    srv = hush(BAN, main="worker_processes 2;\n")
    for _ in range(2):
        assert exchange_from(srv, "127.0.0.5", req("/bad"))[0] == b""
    assert exchange_from(srv, "127.0.0.5", req("/"))[0].startswith(b"HTTP/1.1 200")  # 2 < 3
    assert exchange_from(srv, "127.0.0.5", req("/bad"))[0] == b""                    # 3rd: banned now
    for _ in range(4):                                     # whichever worker accepts it
        data, how = exchange_from(srv, "127.0.0.5", req("/"))
        assert (data, how) == (b"", "closed")
    assert exchange_from(srv, "127.0.0.6", req("/"))[0].startswith(b"HTTP/1.1 200")  # others unaffected
    lines = srv.wait_log(4, "conn.log", match="ban:abuse")
    assert len(lines) == 4 and all(l.startswith("127.0.0.5 0 drop ban:abuse") for l in lines), lines
    assert not any("ban:" in l for l in srv.log_lines("access.log"))
    out = run_hush(["-s", "bans", "-p", srv.dir, "-c", srv.conf_path])
    assert out.returncode == 0 and "ban zone abuse" in out.stdout and "127.0.0.5 " in out.stdout, out
    assert "127.0.0.6" not in out.stdout
    time.sleep(1.6)
    assert exchange_from(srv, "127.0.0.5", req("/"))[0].startswith(b"HTTP/1.1 200")  # expired


def test_ban_survives_reload(hush):
    srv = hush(BAN)
    for _ in range(3):
        exchange_from(srv, "127.0.0.7", req("/bad"))
    assert exchange_from(srv, "127.0.0.7", req("/"))[0] == b""
    old = set(srv.workers())
    srv.send_signal(signal.SIGHUP)
    deadline = time.time() + 5
    while time.time() < deadline and (set(srv.workers()) & old or not srv.workers()):
        time.sleep(0.05)
    time.sleep(0.3)                                        # the new workers settle in
    assert exchange_from(srv, "127.0.0.7", req("/"))[0] == b""  # the new workers see the same zone
    assert exchange_from(srv, "127.0.0.8", req("/"))[0].startswith(b"HTTP/1.1 200")


def test_ban_reaches_a_connection_kept_alive_from_before(hush):
    srv = hush(BAN)
    kept = connect_from(srv, "127.0.0.9")
    kept.sendall(req("/", close=False))
    got = b""
    while not got.endswith(b"ok\n"):
        chunk = kept.recv(4096)
        assert chunk, got
        got += chunk
    assert got.startswith(b"HTTP/1.1 200")
    for _ in range(3):                                     # banned by other connections
        exchange_from(srv, "127.0.0.9", req("/bad"))
    kept.sendall(req("/", close=False))                    # its next request is dropped
    assert read_all(kept, 2.0) == (b"", "closed")
    kept.close()
    lines = srv.wait_log(5, "access.log")
    assert lines[-1] == '127.0.0.9 444 drop ban:abuse "GET / HTTP/1.1"', lines
