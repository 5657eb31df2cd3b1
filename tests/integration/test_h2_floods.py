"""HTTP/2's floods as named drops (issue #13): rapid reset (CVE-2023-44487),
CONTINUATION floods, HPACK bombs, SETTINGS and PING floods, empty frames.
Each attacker is bounded; with the default thresholds the connection gets a
GOAWAY (ENHANCE_YOUR_CALM) and is dropped, the connection log names the
rule, hush_drops_total counts it, the drops feed `ban`, and a good client on
another connection keeps getting answers."""
import re
import socket
import time

from h2util import H2Client, PREFACE, frame
from tlsutil import metric

LOG = """
log_format conn '$close_reason "$drop_rule" $http2 $connection_requests';
connection_log logs/conn.log conn;
access_log logs/access.log;
%s
server {
    listen 127.0.0.1:@PORT@ http2;
    location = /r { return 200 "here\\n"; }
    location = /metrics { metrics; }
    %s
}
"""

HEADERS_GET = b"\x82\x84\x86\x01\x09localhost"  # GET / http, :authority literal (not indexed)
END_STREAM, END_HEADERS = 1, 4


def attack(port, frames):
    """Sends the preface, a SETTINGS and frames; returns (the GOAWAY's error
    code or None, seconds)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    t0 = time.time()
    got = b""
    try:
        s.sendall(PREFACE + frame(4, 0, 0))
        s.sendall(b"".join(frames))
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
    except (ConnectionResetError, BrokenPipeError, socket.timeout):
        pass
    s.close()
    code = None
    i = 0
    while i + 9 <= len(got):  # find the GOAWAY frame
        n = int.from_bytes(got[i:i + 3], "big")
        if got[i + 3] == 7:
            code = int.from_bytes(got[i + 13:i + 17], "big")
        i += 9 + n
    return code, time.time() - t0


def check_dropped(srv, rule, frames):
    good = H2Client(srv.port)
    code, took = attack(srv.port, frames)
    assert code == 0xb, code  # ENHANCE_YOUR_CALM
    assert took < 2
    line = srv.wait_log(1, name="conn.log", match='"h2:%s"' % rule)
    assert any(l.startswith('drop "h2:%s" h2c' % rule) for l in line), line
    # the connection, and the streams it had in flight (but those the client reset: 499)
    assert metric(srv.port, "hush_drops_total", 'rule="h2:%s"' % rule) >= 1
    assert srv.wait_error_log(r'\[info\] .* \*\d+ HTTP/2 flood dropped by rule "h2:%s" while processing HTTP/2 '
                              r'connection, client: 127\.0\.0\.1, server: 127\.0\.0\.1:%d' % (rule, srv.port))
    st = good.get("/r")  # the good client was never disturbed
    assert st.status == 200 and st.data == b"here\n"


def test_rapid_reset(hush):
    srv = hush(LOG % ("", ""))
    frames = []
    for i in range(300):
        sid = 2 * i + 1
        frames.append(frame(1, END_HEADERS | END_STREAM, sid, HEADERS_GET))
        frames.append(frame(3, 0, sid, (8).to_bytes(4, "big")))  # RST_STREAM CANCEL
    check_dropped(srv, "rapid_reset", frames)
    # each stream the client opened and reset is a 499 line naming its request,
    # also those whose head came in the read the connection was dropped in
    # (one not reset yet is dropped with the connection: 444)
    lines = [l for l in srv.log_lines() if '"GET /r ' not in l]
    assert len(lines) >= 200, len(lines)
    odd = [l for l in lines if not re.search(r'"GET / HTTP/2\.0" (499|444) 0 ', l)]
    assert odd == [], odd[:3]
    assert sum(' 499 0 ' in l for l in lines) >= 200


def test_continuation_flood(hush):
    srv = hush(LOG % ("", ""))
    frames = [frame(1, END_STREAM, 1, HEADERS_GET)]
    frames += [frame(9, 0, 1, b"\x00\x01a\x01b") for _ in range(50)]
    check_dropped(srv, "continuation", frames)


def test_hpack_bomb(hush):
    srv = hush(LOG % ("", ""))
    block = HEADERS_GET + b"\x40\x06x-bomb\x7f\xb9\x16" + b"v" * 3000 + b"\xbe" * 1000
    check_dropped(srv, "hpack", [frame(1, END_HEADERS | END_STREAM, 1, block)])


def test_settings_flood(hush):
    srv = hush(LOG % ("", ""))
    check_dropped(srv, "settings_flood", [frame(4, 0, 0) for _ in range(300)])


def test_ping_flood(hush):
    srv = hush(LOG % ("", ""))
    check_dropped(srv, "ping_flood", [frame(6, 0, 0, b"12345678") for _ in range(300)])


def test_empty_frames(hush):
    srv = hush(LOG % ("", ""))
    post = b"\x83\x84\x86\x01\x09localhost"
    frames = [frame(1, END_HEADERS, 1, post)] + [frame(0, 0, 1) for _ in range(300)]
    check_dropped(srv, "empty_frames", frames)


def test_thresholds_are_directives_and_drops_feed_bans(hush):
    srv = hush(LOG % ("ban_zone zone=h2:1m key=$binary_remote_addr threshold=2 window=10s duration=5s;\n"
                      "http2_flood_limit ping_flood 5 1s;",
                      "ban zone=h2 on=444;"))
    ok = H2Client(srv.port)
    for _ in range(3):  # 3 PINGs a second are within 5/s
        ok.conn.ping(b"abcdefgh")
        ok.flush()
    assert ok.get("/r").status == 200
    for _ in range(2):
        code, _ = attack(srv.port, [frame(6, 0, 0, b"12345678") for _ in range(10)])
        assert code == 0xb
    time.sleep(0.2)
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=3)  # banned now: dropped at accept
    s.sendall(PREFACE + frame(4, 0, 0))
    s.settimeout(2)
    try:
        assert s.recv(100) == b""
    except ConnectionResetError:
        pass
    lines = srv.wait_log(3, name="conn.log")
    assert lines[-1].startswith('drop "ban:h2"'), lines


def test_a_ban_that_starts_drops_the_whole_connection(hush):
    srv = hush(LOG % ("ban_zone zone=b:1m key=$binary_remote_addr threshold=2 window=10s duration=5s;",
                      "ban zone=b on=444; location = /bad { return 444; }"))
    c = H2Client(srv.port)
    assert c.get("/bad").reset is not None
    assert c.get("/bad").reset is not None  # the second 444: the address is banned from now on
    time.sleep(0.1)
    c.request("/r")
    assert c.read_closed(timeout=3)  # the next stream: the connection is dropped
    lines = srv.wait_log(1, name="conn.log", match="ban:b")
    assert lines and lines[0].startswith('drop "ban:b" h2c 3'), lines
    assert srv.wait_log(3)[2].startswith("127.0.0.1")  # three access-log lines: 444, 444, the ban's 444


def test_a_flood_drop_follows_drop_mode(hush):
    srv = hush(LOG % ("", "drop_mode reset;"))
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=3)
    reset = False
    try:
        s.sendall(PREFACE + frame(4, 0, 0) + b"".join(frame(6, 0, 0, b"12345678") for _ in range(300)))
        while s.recv(65536):
            pass
    except (ConnectionResetError, BrokenPipeError):
        reset = True
    s.close()
    assert reset  # RST, not FIN
    line = srv.wait_log(1, name="conn.log", match="h2:ping_flood")
    assert line and line[0].startswith('drop "h2:ping_flood" h2c'), line
