"""deny_addr_mode kernel: deny_addr and the active bans enforced by an eBPF
socket filter on the listening sockets. A SYN from such an address gets no
SYN-ACK (connect() times out; the client's kernel would retransmit it), no
connection exists, so no connection log line either; the drops are counted
in hush_kernel_drops_total{rule}. The filter and the bans outlive a reload.
Without the privilege hush warns once and drops at accept. Needs root and a
kernel with BPF: skipped otherwise, with the reason."""
import os
import re
import signal
import socket
import subprocess
import time

import pytest

from conftest import HUSH_BIN, read_all, req, run_hush
from redisutil import redis  # noqa: F401
from test_upgrade import upgrade_env  # noqa: F401

CONNLOG = """
log_format conn '$remote_addr $close_reason $drop_rule';
connection_log logs/conn.log conn;
access_log off;
"""

BAN = """
deny_addr_mode kernel;
ban_zone zone=abuse:1m key=$binary_remote_addr threshold=2 window=10s duration=2s;
server {
    listen 127.0.0.1:@PORT@;
    ban zone=abuse on=404;
    location = /metrics { metrics; }
    location /bad { return 404; }
    location / { return 200 "ok\\n"; }
}
"""


def kernel_mode_here():
    if os.geteuid() != 0:
        return "not root: loading a BPF program needs root (or CAP_BPF and CAP_NET_ADMIN)"
    probe = "/tmp/hush-kdrop-probe-%d.conf" % os.getpid()
    with open(probe, "w") as f:
        f.write("events {}\nhttp { deny_addr_mode kernel; deny_addr 10.0.0.1; }\n")
    try:
        out = run_hush(["-t", "-c", probe]).stderr
    finally:
        os.unlink(probe)
    if "drop in the kernel" not in out:
        return "the kernel filter does not load here: " + out.strip().splitlines()[-1]
    return None


SKIP = kernel_mode_here()
needs_bpf = pytest.mark.skipif(SKIP is not None, reason=SKIP or "")


def attempt(port, src=None, family=socket.AF_INET, dst="127.0.0.1", timeout=0.6):
    """One connection attempt: "timeout" (no SYN-ACK came), "closed" (the
    server accepted, then closed without a byte), or the response's start."""
    s = socket.socket(family, socket.SOCK_STREAM)
    if src:
        s.bind((src, 0))
    s.settimeout(timeout)
    try:
        s.connect((dst, port))
    except socket.timeout:
        return "timeout"
    except ConnectionResetError:
        return "reset"
    finally:
        s.settimeout(2)
    try:
        s.sendall(req("/"))
        data, how = read_all(s, 2)
        return data[:12].decode() if data else how
    except (ConnectionResetError, BrokenPipeError):
        return "reset"
    finally:
        s.close()


def metric(srv, rule):
    body = srv.exchange(req("/metrics")).responses()[0].body.decode()
    m = re.search(r'^hush_kernel_drops_total\{rule="%s"\} (\d+)$' % re.escape(rule), body, re.M)
    return int(m.group(1)) if m else None


def reload(srv):
    old = set(srv.workers())
    srv.send_signal(signal.SIGHUP)
    deadline = time.time() + 5
    while time.time() < deadline and (set(srv.workers()) & old or not srv.workers()):
        time.sleep(0.05)
    time.sleep(0.3)


@needs_bpf
def test_deny_addr_v4_and_v6_get_no_syn_ack(hush):
    srv = hush(CONNLOG + """
deny_addr_mode kernel;
deny_addr 127.0.0.2/31 ::1;
server {
    listen 127.0.0.1:@PORT@;
    listen [::1]:@PORT@;
    location = /metrics { metrics; }
    location / { return 200 "ok\\n"; }
}
""")
    assert attempt(srv.port, "127.0.0.2") == "timeout"
    assert attempt(srv.port, "127.0.0.3") == "timeout"          # the /31's other address
    assert attempt(srv.port, dst="::1", family=socket.AF_INET6) == "timeout"
    assert attempt(srv.port, "127.0.0.4") == "HTTP/1.1 200"
    assert metric(srv, "deny_addr") >= 3
    lines = srv.wait_log(1, "conn.log")
    time.sleep(0.3)
    assert [l for l in srv.log_lines("conn.log") if "deny_addr" in l] == []  # no connection, no line
    assert lines[0].startswith("127.0.0.4 ")


@needs_bpf
def test_ban_drops_syns_while_it_lasts_and_ends(hush):
    srv = hush(BAN)
    assert attempt(srv.port, "127.0.0.2") == "HTTP/1.1 200"       # / does not count; /bad does
    ban_now(srv, "127.0.0.2")
    t0 = time.time()
    assert attempt(srv.port, "127.0.0.2") == "timeout"            # banned: no SYN-ACK
    assert attempt(srv.port, "127.0.0.5") == "HTTP/1.1 200"       # others are served
    assert metric(srv, "ban:abuse") >= 1
    time.sleep(max(0, 2.2 - (time.time() - t0)))
    assert attempt(srv.port, "127.0.0.2") == "HTTP/1.1 200"       # the ban ended: connects again


def ban_now(srv, src):
    for _ in range(2):
        c = socket.socket()
        c.bind((src, 0))
        c.connect(("127.0.0.1", srv.port))
        c.sendall(req("/bad"))
        read_all(c, 2)
        c.close()


@needs_bpf
def test_reload_keeps_the_filter_and_the_bans(hush):
    body = BAN.replace("duration=2s", "duration=30s").replace(
        "deny_addr_mode kernel;", "deny_addr_mode kernel;\ndeny_addr 127.0.0.3;")
    srv = hush(body)
    ban_now(srv, "127.0.0.2")
    assert attempt(srv.port, "127.0.0.2") == "timeout"
    assert attempt(srv.port, "127.0.0.3") == "timeout"
    before = metric(srv, "ban:abuse")
    srv.write_conf(MAIN() + wrap(body.replace("deny_addr 127.0.0.3;", "deny_addr 127.0.0.4;")))
    reload(srv)
    assert attempt(srv.port, "127.0.0.2") == "timeout"           # the ban is still in the kernel
    assert attempt(srv.port, "127.0.0.4") == "timeout"           # the new deny_addr
    assert attempt(srv.port, "127.0.0.3") == "HTTP/1.1 200"      # the old one is gone
    assert metric(srv, "ban:abuse") > before                     # counters kept


def MAIN():
    from conftest import MAIN_PREAMBLE
    return MAIN_PREAMBLE


def wrap(http):
    return "\nevents { worker_connections 256; }\nhttp {\n%s\n}\n" % http


@needs_bpf
def test_reload_to_accept_mode_detaches_the_filter(hush):
    srv = hush(CONNLOG + "deny_addr_mode kernel;\ndeny_addr 127.0.0.2;\n"
               "server { listen 127.0.0.1:@PORT@; location / { return 200 \"ok\\n\"; } }")
    assert attempt(srv.port, "127.0.0.2") == "timeout"
    srv.write_conf(MAIN() + wrap(CONNLOG + "deny_addr_mode accept;\ndeny_addr 127.0.0.2;\n"
                   "server { listen 127.0.0.1:@PORT@; location / { return 200 \"ok\\n\"; } }"))
    reload(srv)
    assert attempt(srv.port, "127.0.0.2") == "closed"            # accepted, dropped at accept
    assert "127.0.0.2 drop deny_addr" in srv.wait_log(1, "conn.log")


def test_accept_mode_and_what_t_says(hush, tmpconf):
    conf = os.path.join(tmpconf, "hush.conf")
    with open(conf, "w") as f:
        f.write("events {}\nhttp { deny_addr 10.0.0.0/8; }\n")
    assert "drop at accept (deny_addr_mode accept)" in run_hush(["-t", "-c", conf]).stderr
    with open(conf, "w") as f:
        f.write("events {}\nhttp { deny_addr_mode kernel; deny_addr 10.0.0.0/8; }\n")
    out = run_hush(["-t", "-c", conf]).stderr
    assert ("drop in the kernel" in out) == (SKIP is None), out
    with open(conf, "w") as f:
        f.write("events {}\nhttp { deny_addr_mode xdp; }\n")
    r = run_hush(["-t", "-c", conf])
    assert r.returncode == 1 and 'invalid value "xdp" in "deny_addr_mode": kernel or accept' in r.stderr
    assert "hush.conf:2" in r.stderr
    srv = hush(CONNLOG + "deny_addr_mode accept;\ndeny_addr 127.0.0.2;\n"
               "server { listen 127.0.0.1:@PORT@; location / { return 200 \"ok\\n\"; } }")
    assert attempt(srv.port, "127.0.0.2") == "closed"
    assert "127.0.0.2 drop deny_addr" in srv.wait_log(1, "conn.log")


@pytest.mark.skipif(os.geteuid() != 0, reason="not root: needs root to drop capabilities with setpriv")
def test_without_the_capability_it_warns_once_and_drops_at_accept(hush, tmpconf):
    body = CONNLOG + "deny_addr_mode kernel;\ndeny_addr 127.0.0.2;\n" \
        "server { listen 127.0.0.1:@PORT@; location / { return 200 \"ok\\n\"; } }"
    drop = ["setpriv", "--bounding-set", "-bpf,-sys_admin,-perfmon"]
    srv = hush(body, start=False)
    out = subprocess.run(drop + [HUSH_BIN, "-t", "-p", srv.dir, "-c", srv.conf_path],
                         capture_output=True, text=True, timeout=10).stderr
    assert "deny_addr_mode kernel cannot be used here (no privilege" in out, out
    srv._stderr = open(srv.stderr_path, "ab")
    srv.proc = subprocess.Popen(drop + [HUSH_BIN, "-p", srv.dir, "-c", srv.conf_path], cwd=srv.dir,
                                stdin=subprocess.DEVNULL, stdout=srv._stderr, stderr=srv._stderr)
    srv.wait_listening()
    assert attempt(srv.port, "127.0.0.2") == "closed"
    assert "127.0.0.2 drop deny_addr" in srv.wait_log(1, "conn.log")
    reload(srv)
    warnings = [l for l in srv.error_log().splitlines() if "deny_addr_mode kernel" in l]
    assert len(warnings) == 1 and "[warn]" in warnings[0] and "drop at accept" in warnings[0], warnings


@needs_bpf
def test_fleet_bans_and_unbans_reach_the_kernel(hush, redis):
    from test_fleet import BANS, ban_on, fleet, wait_for, wait_up
    a, b = fleet(hush, redis.url(), http="deny_addr_mode kernel;\n" + BANS, n=2)
    wait_up(a)
    wait_up(b)
    ban_on(a, "127.0.5.1")                                          # decided on A
    assert wait_for(lambda: attempt(b.port, "127.0.5.1", timeout=0.3) == "timeout", 3.0, 0.05) is not None
    assert metric(b, "ban:abuse") >= 1                              # B's kernel dropped the SYN
    redis.cmd("DEL", "t:ban:abuse:127.0.5.1")
    assert redis.cmd("PUBLISH", "t:events", "unban abuse 127.0.5.1") >= 1
    assert wait_for(lambda: attempt(b.port, "127.0.5.1", timeout=0.3) != "timeout", 3.0, 0.05) is not None


def upgrade(pidfile, master, until, read_pid, started):
    """USR2, then QUIT to the old master once the new one runs: the new binary's pid."""
    os.kill(master, signal.SIGUSR2)
    new = until(lambda: read_pid(pidfile) if read_pid(pidfile) not in (None, master) else None,
                what="the new master's pid file")
    started.append(new)
    time.sleep(0.5)                                                # its workers start
    os.kill(master, signal.SIGQUIT)
    until(lambda: not os.path.exists(pidfile + ".oldbin"), what="the old master to go")
    return new


@needs_bpf
def test_binary_upgrade_attaches_its_own_filter_or_takes_it_off(upgrade_env):
    from conftest import free_port
    from test_upgrade import read_pid, start, until
    d, binary, started = upgrade_env
    port = free_port()
    old, path, pidfile = start(d, binary, port, "ok", started)
    kernel = open(path).read().replace("access_log off;", "access_log off;\ndeny_addr_mode kernel;\ndeny_addr 127.0.0.2;")
    with open(path, "w") as f:
        f.write(kernel)
    os.kill(old.pid, signal.SIGHUP)
    time.sleep(1)
    assert attempt(port, "127.0.0.2") == "timeout"
    new = upgrade(pidfile, old.pid, until, read_pid, started)        # kernel mode kept: the new binary's filter
    assert attempt(port, "127.0.0.2") == "timeout"
    assert attempt(port, "127.0.0.3") == "HTTP/1.1 200"
    with open(path, "w") as f:
        f.write(kernel.replace("deny_addr_mode kernel;", "deny_addr_mode accept;"))
    upgrade(pidfile, new, until, read_pid, started)                 # to accept mode: the filter comes off
    assert attempt(port, "127.0.0.2") == "closed"
    assert attempt(port, "127.0.0.3") == "HTTP/1.1 200"
