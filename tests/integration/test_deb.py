"""The Debian package in a fresh Debian 12 chroot: `make deb` builds
hush_VERSION_ARCH.deb with dpkg-buildpackage; debootstrap (from the Debian
mirror apt uses here, the tree cached under the build directory) makes a
minimal bookworm; `dpkg -i` installs the package there under a policy-rc.d
that forbids starting services (nothing starts); then the service's own
lines from the installed unit run hush (no systemd in a chroot): it serves
the default page, reloads, has its logs rotated by the shipped logrotate
file, and stops on QUIT; `dpkg --purge` removes it. Everything by PID and
bounded in time. Skipped, with the reason, when not root or when
debootstrap cannot reach a mirror."""
import glob
import hashlib
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import time

import pytest

from conftest import BUILD, ROOT

SUITE = "bookworm"
# What the test runs in the chroot besides the package's own dependencies.
INCLUDE = "logrotate,libssl3,libpcre2-8-0,zlib1g,libcrypt1,libnghttp2-14,libbpf1,libhiredis0.14"
# the cached tree is made anew when the list changes
CACHE = os.path.join(BUILD, "chroot-%s-%s" % (SUITE, hashlib.sha1(INCLUDE.encode()).hexdigest()[:8]))


def debian_mirror():
    """The first Debian archive that apt's sources name for bookworm (or
    $HUSH_TEST_DEBIAN_MIRROR)."""
    if os.environ.get("HUSH_TEST_DEBIAN_MIRROR"):
        return os.environ["HUSH_TEST_DEBIAN_MIRROR"]
    files = sorted(glob.glob("/etc/apt/sources.list.d/*.sources"))
    for path in files:
        for stanza in open(path).read().split("\n\n"):
            fields = dict(re.findall(r"^(\w[\w-]*):\s*(.*)$", stanza, re.M))
            suites = fields.get("Suites", "").split()
            if SUITE in suites and "deb" in fields.get("Types", "").split():
                return fields["URIs"].split()[0]
    for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
        try:
            lines = open(path).read().splitlines()
        except OSError:
            continue
        for line in lines:
            m = re.match(r"deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+%s\s" % SUITE, line.strip() + " ")
            if m:
                return m.group(1)
    return None


_debootstrap = {}


def start_debootstrap():
    """Starts debootstrap (once, when the tree is not cached yet) so that it
    downloads while the package builds."""
    if _debootstrap or os.path.exists(os.path.join(CACHE, "var/lib/dpkg/status")):
        return
    mirror = debian_mirror()
    _debootstrap["mirror"] = mirror
    if mirror is None:
        return
    tmp = CACHE + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(os.path.dirname(CACHE), exist_ok=True)
    _debootstrap["log"] = open(CACHE + ".log", "w")
    _debootstrap["proc"] = subprocess.Popen(
        ["debootstrap", "--variant=minbase", "--include=" + INCLUDE, SUITE, tmp, mirror],
        stdout=_debootstrap["log"], stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    _debootstrap["deadline"] = time.time() + 300


def base_tree():
    """A minimal bookworm, made once and kept under the build directory."""
    if os.path.exists(os.path.join(CACHE, "var/lib/dpkg/status")):
        return CACHE
    start_debootstrap()
    mirror = _debootstrap.get("mirror")
    if mirror is None:
        pytest.skip("no Debian %s mirror in apt's sources for debootstrap" % SUITE)
    proc, tmp = _debootstrap["proc"], CACHE + ".tmp"
    try:
        rc = proc.wait(max(1, _debootstrap["deadline"] - time.time()))
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        rc = None
    _debootstrap["log"].close()
    if rc != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        last = open(CACHE + ".log").read().strip().splitlines()[-1:]
        pytest.skip("debootstrap could not make a %s tree from %s (%s): %s" % (
            SUITE, mirror, "over 300 s" if rc is None else "exit %d" % rc, last))
    os.rename(tmp, CACHE)
    return CACHE


def in_root(root, pid):
    try:
        return os.readlink("/proc/%d/root" % pid) == root
    except OSError:
        return False


def processes_in(root):
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit() and in_root(root, int(p)):
            try:
                st = open("/proc/%s/stat" % p).read().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if st != "Z":
                out.append(int(p))
    return out


def until(cond, timeout=15, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def port_free(port):
    s = socket.socket()
    try:
        s.bind(("0.0.0.0", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def get(port, path="/", host="localhost"):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(("GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" % (path, host)).encode())
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                return data
            data += b


def unit_lines(root):
    fields = {}
    for line in open(os.path.join(root, "lib/systemd/system/hush.service")).read().splitlines():
        if "=" in line and not line.startswith("#"):
            k, v = line.split("=", 1)
            fields.setdefault(k, []).append(v)
    return fields


@pytest.fixture(scope="module")
def deb():
    if os.geteuid() != 0:
        pytest.skip("building and installing a package in a chroot needs root")
    for tool in ("dpkg-buildpackage", "debootstrap", "chroot"):
        if shutil.which(tool) is None:
            pytest.skip("%s is not installed" % tool)
    start_debootstrap()
    r = subprocess.run(["make", "--no-print-directory", "-C", ROOT, "deb", "BUILD=" + BUILD],
                       capture_output=True, text=True, timeout=900)
    try:
        assert r.returncode == 0, r.stdout + r.stderr
        path = r.stdout.strip().splitlines()[-1]
        yield path if os.path.isabs(path) else os.path.join(ROOT, path)
    finally:
        proc = _debootstrap.get("proc")
        if proc is not None and proc.poll() is None:  # the run ended before it was needed
            proc.kill()
            proc.wait()


@pytest.fixture
def chroot(deb, tmp_path):
    base = base_tree()
    root = os.path.join(str(tmp_path), "root")
    subprocess.run(["cp", "-a", base, root], check=True, timeout=300)
    yield root
    for pid in processes_in(root):
        os.kill(pid, signal.SIGKILL)
    until(lambda: not processes_in(root), what="the chroot's processes to end")
    shutil.rmtree(root, ignore_errors=True)


def run(root, args, timeout=60):
    return subprocess.run(["chroot", root] + args, capture_output=True, text=True, timeout=timeout,
                          env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"})


def test_deb_file(deb):
    version = re.search(r'HS_VERSION "([^"]+)"', open(os.path.join(ROOT, "src/core/version.h")).read()).group(1)
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True).stdout.strip()
    assert os.path.basename(deb) == "hush_%s_%s.deb" % (version, arch)
    files = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True, text=True).stdout
    for f in ("./usr/sbin/hush", "./usr/bin/hush-logstat", "./etc/hush/hush.conf", "./etc/hush/mime.types",
              "./etc/logrotate.d/hush", "./lib/systemd/system/hush.service", "./var/log/hush/",
              "./usr/share/man/man8/hush.8.gz", "./usr/share/man/man1/hush-logstat.1.gz",
              "./usr/share/hush/html/index.html"):
        assert re.search(r" %s$" % re.escape(f), files, re.M), f
    info = subprocess.run(["dpkg-deb", "-I", deb], capture_output=True, text=True).stdout
    assert "Package: hush" in info and "libssl3" in info


def test_install_serve_reload_rotate_stop_purge(chroot, deb):
    root = chroot
    policy = os.path.join(root, "usr/sbin/policy-rc.d")
    with open(policy, "w") as f:
        f.write("#!/bin/sh\n# the test's: no service starts in this chroot\nexit 101\n")
    os.chmod(policy, 0o755)
    shutil.copy(deb, os.path.join(root, "tmp", "hush.deb"))
    r = run(root, ["dpkg", "-i", "/tmp/hush.deb"], timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert processes_in(root) == [], "the package started something against policy-rc.d"
    conffiles = open(os.path.join(root, "var/lib/dpkg/info/hush.conffiles")).read().split()
    assert {"/etc/hush/hush.conf", "/etc/hush/mime.types", "/etc/logrotate.d/hush"} <= set(conffiles)
    assert os.path.islink(os.path.join(root, "etc/systemd/system/multi-user.target.wants/hush.service"))
    st = os.stat(os.path.join(root, "var/log/hush"))
    assert oct(st.st_mode & 0o777) == "0o755"
    v = run(root, ["/usr/sbin/hush", "-V"])
    assert "--conf-path=/etc/hush/hush.conf" in v.stderr and "--pid-path=/run/hush.pid" in v.stderr

    conf = os.path.join(root, "etc/hush/hush.conf")
    text = open(conf).read()
    assert "listen 80" in text and "pid /run/hush.pid;" in text
    port = 80
    if not port_free(80):  # this machine serves 80 already: the same file on another port
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        with open(conf, "w") as f:
            f.write(text.replace("listen 80", "listen %d" % port))

    unit = unit_lines(root)
    pidfile = os.path.join(root, unit["PIDFile"][0].lstrip("/"))
    for line in unit["ExecStartPre"]:
        r = run(root, shlex.split(line))
        assert r.returncode == 0, (line, r.stderr)
    r = run(root, shlex.split(unit["ExecStart"][0]))
    assert r.returncode == 0, r.stderr
    master = int(open(pidfile).read())
    try:
        assert in_root(root, master)
        reply = get(port)
        page = open(os.path.join(root, "usr/share/hush/html/index.html"), "rb").read()
        assert reply.startswith(b"HTTP/1.1 200 ") and reply.endswith(page)
        workers = until(lambda: [p for p in processes_in(root) if p != master], what="workers")
        if "\nuser www-data;" in text:
            def uid(pid):
                try:
                    return re.search(r"^Uid:\s+(\d+)", open("/proc/%d/status" % pid).read(), re.M).group(1)
                except OSError:
                    return None
            # a worker just forked is still root until it sets its identity: wait for it
            until(lambda: all(uid(w) in ("33", None) for w in workers), what="workers as uid 33")
            for w in workers:
                assert uid(w) in ("33", None), "worker %d runs as uid %s" % (w, uid(w))

        # reload as the unit says: a test, then HUP to the main process
        for line in unit["ExecReload"]:
            args = shlex.split(line.replace("$MAINPID", str(master)))
            r = run(root, args) if args[0] != "/bin/kill" else subprocess.run(args)
            assert r.returncode == 0, (line, r)
        until(lambda: not any(w in processes_in(root) for w in workers), what="the old workers after reload")
        assert get(port, "/after-reload").startswith(b"HTTP/1.1 404 ")

        # rotation with the shipped file: hush reopens its logs
        log = os.path.join(root, "var/log/hush/access.log")
        until(lambda: b"/after-reload" in open(log, "rb").read(), what="the access log line")
        r = run(root, ["logrotate", "-f", "/etc/logrotate.d/hush"])
        assert r.returncode == 0, r.stderr
        assert b"/after-reload" in open(log + ".1", "rb").read()
        get(port, "/after-rotation")
        until(lambda: b"/after-rotation" in open(log, "rb").read(), what="a line in the new access log")
        assert b"/after-rotation" not in open(log + ".1", "rb").read()

        # stop as the unit does: QUIT to the main process, bounded
        assert unit["KillSignal"] == ["SIGQUIT"]
        os.kill(master, signal.SIGQUIT)
        until(lambda: not processes_in(root), timeout=15, what="hush to stop")
        assert not os.path.exists(pidfile)
    finally:
        for pid in processes_in(root):
            os.kill(pid, signal.SIGKILL)

    r = run(root, ["dpkg", "--purge", "hush"], timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    for gone in ("usr/sbin/hush", "etc/hush", "var/log/hush", "lib/systemd/system/hush.service"):
        assert not os.path.exists(os.path.join(root, gone)), gone
