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
