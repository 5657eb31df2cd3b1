"""make install DESTDIR=...: the tree an operator gets (binaries, the
configuration with the compiled-in paths, mime.types, the default page, man
pages, the systemd unit, logrotate); the installed configuration passes
hush -t; the man pages render with `man -l` without a warning; the unit
passes `systemd-analyze verify`; the shipped logrotate file rotates a
running hush's logs and hush reopens them."""
import os
import re
import shutil
import subprocess

import pytest

from conftest import BUILD, HUSH_BIN, ROOT

PREFIX = "/usr/local"


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    dest = str(tmp_path_factory.mktemp("stage"))
    r = subprocess.run(["make", "--no-print-directory", "-C", ROOT, "install-files", "BUILD=" + BUILD,
                        "DESTDIR=" + dest], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    return dest


def tree(dest):
    out = []
    for d, dirs, files in os.walk(dest):
        dirs.sort()
        for name in sorted(files):
            out.append(os.path.relpath(os.path.join(d, name), dest))
        for x in dirs:
            if not os.listdir(os.path.join(d, x)):
                out.append(os.path.relpath(os.path.join(d, x), dest) + "/")
    return sorted(out)


def compiled_paths():
    out = subprocess.run([HUSH_BIN, "-V"], capture_output=True, text=True).stderr
    return dict(re.findall(r"--([a-z-]+)=(\S+)", out))


def test_install_tree(staged):
    paths = compiled_paths()
    assert paths["prefix"] == PREFIX + "/share/hush"
    assert paths["conf-path"] == PREFIX + "/etc/hush/hush.conf"
    assert tree(staged) == [
        "usr/local/bin/hush-logstat",
        "usr/local/etc/hush/fastcgi.conf",
        "usr/local/etc/hush/fastcgi_params",
        "usr/local/etc/hush/hush.conf",
        "usr/local/etc/hush/hush.conf.default",
        "usr/local/etc/hush/mime.types",
        "usr/local/etc/hush/snippets/fastcgi-php.conf",
        "usr/local/etc/logrotate.d/hush",
        "usr/local/lib/systemd/system/hush.service",
        "usr/local/sbin/hush",
        "usr/local/share/doc/hush/examples/grafana-dashboard.json",
        "usr/local/share/doc/hush/examples/prometheus-alerts.yml",
        "usr/local/share/hush/html/404.html",
        "usr/local/share/hush/html/index.html",
        "usr/local/share/man/man1/hush-logstat.1",
        "usr/local/share/man/man8/hush.8",
        "usr/local/var/log/hush/",
        "usr/local/var/run/",
    ]
    assert os.access(os.path.join(staged, "usr/local/sbin/hush"), os.X_OK)
    conf = open(os.path.join(staged, "usr/local/etc/hush/hush.conf")).read()
    assert "error_log %s/var/log/hush/error.log info;" % PREFIX in conf
    assert "pid %s;" % paths["pid-path"] in conf
    assert "access_log %s/var/log/hush/access.log" % PREFIX in conf
    assert "worker_processes auto;" in conf and "logs/" not in conf
    unit = open(os.path.join(staged, "usr/local/lib/systemd/system/hush.service")).read()
    assert "ExecStart=%s/sbin/hush " % PREFIX in unit and "PIDFile=%s\n" % paths["pid-path"] in unit
    rot = open(os.path.join(staged, "usr/local/etc/logrotate.d/hush")).read()
    assert rot.startswith("#") and "%s/var/log/hush/*.log {" % PREFIX in rot
    assert "%s/sbin/hush -s reopen" % PREFIX in rot


def test_installed_configuration_tests_ok(staged, tmp_path):
    """The installed file, read where it lies, with its own mime.types."""
    root = os.path.join(staged, "usr/local")
    conf = os.path.join(root, "etc/hush/hush.conf")
    text = open(conf).read().replace(PREFIX + "/var/log/hush", str(tmp_path))
    moved = os.path.join(root, "etc/hush/test.conf")
    with open(moved, "w") as f:
        f.write(text)
    try:
        r = subprocess.run([os.path.join(root, "sbin/hush"), "-t", "-p", os.path.join(root, "share/hush"),
                            "-c", moved], capture_output=True, text=True, timeout=20)
    finally:
        os.unlink(moved)
    assert r.returncode == 0, r.stderr


def test_install_keeps_an_edited_configuration(staged):
    conf = os.path.join(staged, "usr/local/etc/hush/hush.conf")
    with open(conf, "a") as f:
        f.write("# edited by the operator\n")
    r = subprocess.run(["make", "--no-print-directory", "-C", ROOT, "install-files", "BUILD=" + BUILD,
                        "DESTDIR=" + staged], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert open(conf).read().endswith("# edited by the operator\n")


@pytest.mark.parametrize("page", ["man/hush.8", "man/hush-logstat.1"])
def test_man_pages_render_without_warnings(page):
    if shutil.which("man") is None:
        pytest.skip("man is not installed (man-db)")
    env = dict(os.environ, MANPAGER="cat", PAGER="cat", MANWIDTH="80", LC_ALL="C.UTF-8")
    r = subprocess.run(["man", "--warnings", "-l", os.path.join(ROOT, page)], capture_output=True,
                       text=True, timeout=30, env=env)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    text = re.sub(r".\x08", "", r.stdout)
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "SEE ALSO"):
        assert "\n" + section + "\n" in text, section
    if page.endswith(".8"):
        for word in ("SIGNALS", "FILES", "ENVIRONMENT", "USR2", "WINCH", ".oldbin", "-T", "-e filename"):
            assert word in text, word


def test_man_page_lists_every_option():
    usage = subprocess.run([HUSH_BIN, "-h"], capture_output=True, text=True).stderr
    page = open(os.path.join(ROOT, "man/hush.8")).read()
    letters = re.findall(r"-([?a-zA-Z])(?=[\s,])", usage.split("Options:")[1])
    assert len(set(letters)) >= 12, letters
    for letter in letters:
        assert "\\-" + letter in page, letter


def test_systemd_unit(staged):
    unit = open(os.path.join(ROOT, "contrib/hush.service")).read()
    fields = {}
    for line in unit.splitlines():
        if "=" in line and not line.startswith("#"):
            k, v = line.split("=", 1)
            fields.setdefault(k, []).append(v)
    assert fields["Type"] == ["forking"] and fields["PIDFile"] == ["/run/hush.pid"]
    assert fields["ExecStartPre"][0].startswith("/usr/sbin/hush -t ")
    assert fields["ExecReload"][-1] == "/bin/kill -s HUP $MAINPID"
    assert fields["KillSignal"] == ["SIGQUIT"] and fields["TimeoutStopSec"]
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    # verify wants the binaries where the unit names them: the staged ones
    sbin = os.path.join(staged, "usr/local/sbin/hush")
    text = open(os.path.join(staged, "usr/local/lib/systemd/system/hush.service")).read()
    path = os.path.join(os.path.dirname(staged), "hush.service")
    with open(path, "w") as f:
        f.write(text.replace(PREFIX + "/sbin/hush", sbin))
    # ... and its Documentation= page where man finds it
    env = dict(os.environ, MANPATH=os.path.join(staged, "usr/local/share/man"))
    r = subprocess.run(["systemd-analyze", "verify", path], capture_output=True, text=True, timeout=60, env=env)
    problems = [l for l in (r.stdout + r.stderr).splitlines() if "hush.service" in l]
    assert r.returncode == 0 and not problems, r.stdout + r.stderr


def test_logrotate_file_rotates_and_hush_reopens(hush, tmp_path):
    if shutil.which("logrotate") is None:
        pytest.skip("logrotate is not installed")
    srv = hush("""
        log_format r '$status $uri';
        access_log logs/access.log r;
        server { listen 127.0.0.1:@PORT@; location / { return 200 "ok"; } }""")
    srv.get("/before")
    assert srv.wait_log(1) == ["200 /before"]
    text = open(os.path.join(ROOT, "contrib/logrotate.d/hush")).read()
    text = (text.replace("/var/log/hush", srv.logs)
            .replace("/run/hush.pid", os.path.join(srv.logs, "hush.pid"))
            .replace("/usr/sbin/hush -s reopen", "%s -p %s -c %s -s reopen" % (HUSH_BIN, srv.dir, srv.conf_path)))
    conf = os.path.join(str(tmp_path), "hush.logrotate")
    with open(conf, "w") as f:
        f.write(text)
    os.chmod(srv.logs, 0o755)
    r = subprocess.run(["logrotate", "-f", "-s", os.path.join(str(tmp_path), "state"), conf],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert srv.log_lines("access.log.1") == ["200 /before"]
    st = os.stat(os.path.join(srv.logs, "access.log"))
    assert oct(st.st_mode & 0o777) == "0o640"
    srv.get("/after")
    assert srv.wait_log(1) == ["200 /after"]
    assert srv.log_lines("access.log.1") == ["200 /before"]
