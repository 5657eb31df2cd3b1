"""A full disk under the access log (issue #16, item 5): at most one alert a
second, saying how many lines were lost; every lost line counted in
hush_log_lines_lost_total{file}; logging resumes by itself when space
returns. The disk is a 16 KiB tmpfs mounted for the test (root), or, where
mounting is not allowed, /dev/full (always full: resuming is not tested)."""
import os
import re
import subprocess
import tempfile
import time

import pytest

from conftest import req
from test_metrics_parser import scrape

CONF = """
log_format l '$status $request_uri';
access_log %s l;
server {
    listen 127.0.0.1:@PORT@;
    location / { return 200 "ok\\n"; }
    location = /metrics { metrics; access_log off; }
}
"""


def mount_tmpfs():
    d = tempfile.mkdtemp(prefix="hush-full-")
    if os.geteuid() != 0:
        return d, False
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", d], capture_output=True)
    return d, r.returncode == 0


def fill(d):
    fd = os.open(os.path.join(d, "filler"), os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, b"x" * 512) > 0:
            pass
    except OSError:
        pass
    finally:
        os.close(fd)


def traffic(srv, n, seconds):
    for i in range(n):
        assert srv.get("/r%d" % i).status == 200
        time.sleep(seconds / n)


def lost(srv, path):
    return scrape(srv).total("hush_log_lines_lost_total", file=path)


def test_disk_full_alerts_once_a_second_counts_and_resumes(hush):
    d, mounted = mount_tmpfs()
    path = os.path.join(d, "access.log") if mounted else "/dev/full"
    try:
        if mounted:  # one full page already: the file has no room left in its last block
            with open(path, "w") as f:
                f.write("#" * 4095 + "\n")
            fill(d)
        srv = hush(CONF % path)
        srv.allow_error_log(r"write\(\) to .* failed \(28: No space left on device\)")
        t0 = time.time()
        traffic(srv, 150, 2.5)
        deadline = time.time() + 3               # the last block is flushed (and lost) once idle
        while lost(srv, path) < 150 and time.time() < deadline:
            time.sleep(0.1)
        assert lost(srv, path) == 150, scrape(srv).text
        elapsed = time.time() - t0
        alerts = [l for l in srv.error_log().splitlines() if "No space left on device" in l]
        assert 1 <= len(alerts) <= int(elapsed) + 1, alerts
        assert all("[alert]" in l and ('write() to "%s" failed' % path) in l for l in alerts), alerts
        said = sum(int(re.search(r"(\d+) log lines lost", l).group(1)) for l in alerts)
        assert said <= 150
        for a in alerts:    # the lines lost since the last alert, then how many alerts were held back
            assert re.search(r"\d+ log lines lost(, \d+ similar lines? suppressed)?$", a), a
        if not mounted:
            pytest.skip("no tmpfs (not root): resuming is not tested")
        os.unlink(os.path.join(d, "filler"))   # space returns: logging resumes by itself
        traffic(srv, 5, 0.1)
        lines = srv.wait_log(6, name=path)
        assert lines[1:] == ["200 /r%d" % i for i in range(5)], lines
        assert lost(srv, path) == 150
        srv.stop()
    finally:
        if mounted:
            subprocess.run(["umount", "-l", d])
        os.rmdir(d)


ERR_CONF = """daemon off;
pid @DIR@/logs/hush.pid;
error_log %s error;
events { worker_connections 64; }
http {
access_log off;
server {
    listen 127.0.0.1:@PORT@;
    location / { }                                 # a missing file: one [error] line each
    location = /metrics { metrics; }
}
}
"""


def full_disk():
    """(dir, mounted, path of a file on a full disk: the tmpfs or /dev/full)."""
    d, mounted = mount_tmpfs()
    if not mounted:
        return d, False, "/dev/full"
    path = os.path.join(d, "error.log")
    with open(path, "w") as f:
        f.write("#" * 4095 + "\n")
    fill(d)
    return d, True, path


def missing(srv, n, seconds):
    for i in range(n):
        assert srv.get("/missing%d" % i).status == 404
        time.sleep(seconds / n)


def test_error_log_on_a_full_disk_counts_alerts_on_stderr_and_resumes(hush):
    """The main error log's own file full: each lost line counted in
    hush_log_lines_lost_total{file}, an alert at most once a second on
    stderr (the file cannot take it), logging resumes when space returns."""
    d, mounted, path = full_disk()
    try:
        srv = hush(conf=ERR_CONF % path)
        t0 = time.time()
        missing(srv, 150, 2.5)
        assert lost(srv, path) == 150, scrape(srv).text
        elapsed = time.time() - t0
        alerts = [l for l in srv.stderr().splitlines() if "error log lines lost" in l]
        assert 1 <= len(alerts) <= int(elapsed) + 2, alerts   # + the master's, at start
        for a in alerts:
            assert re.search(r'\[alert\] \d+#0: write\(\) to "%s" failed \(28: No space left on device\), '
                             r'\d+ error log lines lost(, \d+ similar lines? suppressed)?$' % re.escape(path), a), a
        if not mounted:
            pytest.skip("no tmpfs (not root): resuming is not tested")
        os.unlink(os.path.join(d, "filler"))    # space returns: logging resumes by itself
        missing(srv, 3, 0.1)
        with open(path) as f:
            got = [l for l in f.read().splitlines() if "/missing" in l]
        assert len(got) == 3 and all("[error]" in l and "No such file or directory" in l for l in got), got
        assert lost(srv, path) == 150
        srv.stop()
    finally:
        if mounted:
            subprocess.run(["umount", "-l", d])
        os.rmdir(d)


def test_location_error_log_on_a_full_disk_is_counted(hush):
    """An error_log of a location on a full disk: its lost lines counted
    under its path, the alert (once a second) in the main error log."""
    d, mounted, path = full_disk()
    try:
        srv = hush("""
access_log off;
server {
    listen 127.0.0.1:@PORT@;
    location /own/ { error_log %s error; }
    location = /metrics { metrics; }
}
""" % path)
        srv.allow_error_log(r'write\(\) to ".*" failed \(28: No space left on device\), \d+ log lines lost')
        for i in range(40):
            assert srv.get("/own/missing%d" % i).status == 404
        assert lost(srv, path) == 40, scrape(srv).text
        alerts = [l for l in srv.error_log().splitlines() if "log lines lost" in l]
        assert 1 <= len(alerts) <= 3 and all("[alert]" in l and path in l for l in alerts), alerts
        srv.stop()
    finally:
        if mounted:
            subprocess.run(["umount", "-l", d])
        os.rmdir(d)
