"""`stub_status;`: nginx's page byte for byte (so its scrapers work), with
accepts/handled/requests and Reading/Writing/Waiting from every worker."""
import re
import time

from conftest import parse_responses, req

PAGE_RE = re.compile(rb"\AActive connections: (\d+) \nserver accepts handled requests\n (\d+) (\d+) (\d+) \n"
                     rb"Reading: (\d+) Writing: (\d+) Waiting: (\d+) \n\Z")

CONF = """
    server {
        listen 127.0.0.1:@PORT@ default_server;
        location = /basic_status { stub_status; }
        location = /old { stub_status on; }
        location / { return 200 "ok\\n"; }
    }
"""


def status(srv, path="/basic_status"):
    r = parse_responses(srv.exchange(req(path)).data)[0]
    assert r.status == 200
    assert r.header("Content-Type") == "text/plain"
    m = PAGE_RE.match(r.body)
    assert m, r.body
    return [int(x) for x in m.groups()]


def test_format_and_counters(hush):
    srv = hush(CONF)
    a = status(srv)
    assert a[0] == 1 and a[4:] == [0, 1, 0]  # only the status request, writing
    for _ in range(5):
        srv.exchange(req("/"))
    b = status(srv, "/old")
    # accepts, handled, requests: 5 + this one + the first status request
    assert [b[1] - a[1], b[2] - a[2], b[3] - a[3]] == [6, 6, 6]


def test_reading_writing_waiting(hush):
    srv = hush(CONF)
    idle = []
    for _ in range(3):
        s = srv.connect()
        s.sendall(req("/", close=False))
        s.recv(1000)
        idle.append(s)
    new = srv.connect()             # no byte yet: deferred, unseen for a second
    part = srv.connect()
    part.sendall(b"GET / HTTP/1.1\r\nHo")  # reading
    time.sleep(0.2)
    active, _, _, _, reading, writing, waiting = status(srv)
    assert (reading, writing, waiting) == (1, 1, 3)
    assert active == 5
    time.sleep(1.5)                 # the kernel hands it over: waiting
    active, _, _, _, reading, writing, waiting = status(srv)
    assert (reading, writing, waiting) == (1, 1, 4)
    assert active == 6
    for s in idle + [new, part]:
        s.close()


def test_not_deferred_counts_a_silent_connection_at_once(hush):
    srv = hush(CONF.replace("default_server;", "default_server deferred=off;"))
    new = srv.connect()
    time.sleep(0.2)
    active, _, _, _, reading, writing, waiting = status(srv)
    assert (active, reading, writing, waiting) == (2, 0, 1, 1)
    new.close()


def test_two_workers(hush):
    srv = hush(CONF, main="worker_processes 2;")
    idle = []
    for _ in range(8):
        s = srv.connect()
        s.sendall(req("/", close=False))
        s.recv(1000)
        idle.append(s)
    time.sleep(1.3)  # the other worker publishes its states once a second
    active, accepts, handled, requests, reading, writing, waiting = status(srv)
    assert (reading, writing, waiting) == (0, 1, 8)
    assert accepts == handled == 9 and requests == 9
    for s in idle:
        s.close()


def test_connection_variables_as_nginx(hush):
    """$connections_active, _reading, _writing, _waiting: the page's numbers,
    usable anywhere (here in headers, as nginx's own tests use them)."""
    srv = hush("""
    server {
        listen 127.0.0.1:@PORT@ default_server;
        add_header X-Active $connections_active;
        add_header X-Reading $connections_reading;
        add_header X-Writing $connections_writing;
        add_header X-Waiting $connections_waiting;
        location / { return 200 "$connections_active $connections_waiting\\n"; }
    }""")
    idle = []
    for _ in range(2):
        s = srv.connect()
        s.sendall(req("/", close=False))
        s.recv(1000)
        idle.append(s)
    r = parse_responses(srv.exchange(req("/")).data)[0]
    got = [r.header(h) for h in ("X-Active", "X-Reading", "X-Writing", "X-Waiting")]
    assert got == ["3", "0", "1", "2"], got
    assert r.body == b"3 2\n"
    for s in idle:
        s.close()
