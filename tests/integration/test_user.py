"""user USER [GROUP] (nginx's): the master keeps root (it binds, reopens the
logs on USR1, reads the configuration on HUP); the workers change identity
before they serve. Started as root without `user`, the workers run as
nobody:nogroup, nginx's default. The group defaults to the one named like
the user (nginx's rule: on Debian `user nobody;` fails, there is no group
nobody). Not root: `user` is ignored with nginx's warning. These tests run
as root."""
import grp
import os
import pwd
import re
import signal
import subprocess
import time

import pytest

from conftest import backend, req, run_hush  # noqa: F401

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (the tests start hush as root)")

SITE = """
access_log logs/access.log;
server {
    listen 127.0.0.1:@PORT@;
    server_name localhost;
    root html;
}
"""
NOBODY = pwd.getpwnam("nobody").pw_uid
NOGROUP = grp.getgrnam("nogroup").gr_gid
WWW = pwd.getpwnam("www-data")


def ids(pid):
    """(real/effective/saved/fs uids, gids, supplementary groups) of a process."""
    with open("/proc/%d/status" % pid) as f:
        st = f.read()
    uids = [int(x) for x in re.search(r"^Uid:\s+(.*)$", st, re.M).group(1).split()]
    gids = [int(x) for x in re.search(r"^Gid:\s+(.*)$", st, re.M).group(1).split()]
    groups = [int(x) for x in re.search(r"^Groups:[ \t]*(.*)$", st, re.M).group(1).split()]
    return uids, gids, groups


def start(hush, user_line="", http=SITE):
    srv = hush(http, main=user_line, start=False)
    srv.write("index.html", "hello\n")
    srv.write("secret.txt", "root only\n")
    os.chmod(os.path.join(srv.html, "secret.txt"), 0o600)
    return srv.start()


def installed_binary(tmp):
    """build/hush relinked with its compiled-in prefix at an existing
    directory: a hush as it runs once installed (only buildinfo.o differs)."""
    from conftest import BUILD, ROOT
    prefix = os.path.join(tmp, "share")
    os.makedirs(prefix)
    with open(os.path.join(ROOT, "Makefile")) as f:
        libs = re.search(r"^LDLIBS\s*=\s*(.*)$", f.read(), re.M).group(1).split()
    out = os.path.join(tmp, "hush")
    obj = os.path.join(tmp, "buildinfo.o")
    # the sanitizers of `make asan` (its objects need their runtime at link time)
    san = ["-fsanitize=address,undefined"] if "asan" in os.path.basename(BUILD) else []
    subprocess.run(["cc", "-std=gnu11", "-D_GNU_SOURCE", "-Isrc", '-DHS_PREFIX="%s"' % prefix, "-c",
                    "src/buildinfo.c", "-o", obj] + san, cwd=ROOT, check=True, timeout=60)
    subprocess.run(["cc", "-o", out, os.path.join(BUILD, "src", "main.o"), obj, os.path.join(BUILD, "libhush.a")]
                   + libs + san, cwd=ROOT, check=True, timeout=60)
    os.chmod(tmp, 0o755)
    return out


def test_default_user_is_nobody_once_installed(hush, tmp_path, monkeypatch):
    import conftest
    monkeypatch.setattr(conftest, "HUSH_BIN", installed_binary(str(tmp_path)))
    srv = start(hush)
    assert ids(srv.pid)[0] == [0, 0, 0, 0]               # the master stays root
    (w,) = srv.workers()
    assert ids(w) == ([NOBODY] * 4, [NOGROUP] * 4, [NOGROUP])
    assert srv.get("/").status == 200
    assert srv.get("/secret.txt").status == 403


def test_a_checkout_binary_keeps_its_user_without_the_directive(hush):
    """Never installed (its compiled-in prefix does not exist), hush runs
    its workers as the user who started it when no `user` is given, as it
    did before it had the directive: `make run` from a clone under /root."""
    srv = start(hush)
    (w,) = srv.workers()
    assert ids(w)[0] == [0, 0, 0, 0]
    assert srv.get("/secret.txt").status == 200


def test_user_and_group_named(hush):
    srv = start(hush, "user www-data;")
    (w,) = srv.workers()
    assert ids(w) == ([WWW.pw_uid] * 4, [WWW.pw_gid] * 4, [WWW.pw_gid])
    srv2 = start(hush, "user nobody nogroup;")
    (w2,) = srv2.workers()
    assert ids(w2)[:2] == ([NOBODY] * 4, [NOGROUP] * 4)


def test_worker_cannot_read_root_only_file(hush):
    """A 0600 root file is 403 with nginx's error line, not served."""
    srv = start(hush, "user www-data;")
    r = srv.get("/secret.txt")
    assert r.status == 403
    assert b"root only" not in r.body
    assert srv.wait_error_log(r'\[error\] \d+#\d+: \*\d+ open\(\) "%s/secret\.txt" failed \(13: Permission denied\), '
                              r'client: 127\.0\.0\.1, server: localhost, request: "GET /secret\.txt HTTP/1\.1"'
                              % re.escape(srv.html))
    assert srv.get("/").status == 200


def test_logs_written_after_the_drop_and_reopened_on_usr1(hush):
    srv = start(hush, "user www-data;")
    assert srv.get("/").status == 200
    assert len(srv.wait_log(1)) == 1
    os.rename(os.path.join(srv.logs, "access.log"), os.path.join(srv.logs, "access.log.1"))
    os.rename(os.path.join(srv.logs, "error.log"), os.path.join(srv.logs, "error.log.1"))
    srv.send_signal(signal.SIGUSR1)
    deadline = time.time() + 3
    while not os.path.exists(os.path.join(srv.logs, "access.log")) and time.time() < deadline:
        time.sleep(0.02)
    time.sleep(0.2)                                      # the workers reopen after the master
    assert srv.get("/").status == 200
    assert srv.get("/missing").status == 404
    lines = srv.wait_log(2)
    assert len(lines) == 2 and '"GET /missing HTTP/1.1" 404' in lines[1], lines
    for name in ("access.log", "error.log"):             # given to the workers' user, as nginx
        assert os.stat(os.path.join(srv.logs, name)).st_uid == WWW.pw_uid
    assert srv.wait_error_log(r'open\(\) ".*/missing" failed \(2: No such file or directory\)')
    assert "reopening" not in srv.error_log()
    assert os.stat(os.path.join(srv.logs, "hush.pid")).st_uid == 0   # the pid file stays root's


def test_reload_changes_the_user(hush):
    srv = start(hush, "user www-data;")
    (old,) = srv.workers()
    with open(srv.conf_path) as f:
        text = f.read()
    srv.write_conf(text.replace("user www-data;", "user nobody nogroup;"))
    srv.send_signal(signal.SIGHUP)
    deadline = time.time() + 5
    while time.time() < deadline:
        ws = [w for w in srv.workers() if w != old]
        if ws and ids(ws[0])[0][0] == NOBODY:
            break
        time.sleep(0.05)
    assert ids(ws[0])[0] == [NOBODY] * 4
    assert srv.get("/").status == 200


def test_shared_zones_work_across_the_drop(hush):
    srv = start(hush, "user www-data;", http="""
limit_req_zone $binary_remote_addr zone=one:1m rate=1r/m;
server {
    listen 127.0.0.1:@PORT@;
    server_name localhost;
    root html;
    limit_req zone=one;
}
""")
    assert srv.get("/").status == 200
    assert srv.get("/").status == 503


@pytest.mark.parametrize("line,message", [
    ("user nosuchuser;", 'getpwnam("nosuchuser") failed'),
    ("user www-data nosuchgroup;", 'getgrnam("nosuchgroup") failed'),
    ("user nobody;", 'getgrnam("nobody") failed'),      # nginx's rule: the group named like the user
    ("user www-data www-data extra;", 'invalid number of arguments in "user" directive'),
    ("user www-data;\nuser nobody nogroup;", '"user" directive is duplicate'),
])
def test_t_errors(hush, line, message):
    srv = hush(SITE, main=line, start=False)
    r = run_hush(["-t", "-p", srv.dir, "-c", srv.conf_path])
    assert r.returncode == 1, r.stderr
    assert re.search(r"hush\.conf:\d+: " + re.escape(message), r.stderr), r.stderr


def test_not_root_ignores_user_with_nginx_warning(hush):
    """A master that is not root cannot change identity: nginx warns and
    goes on, and so does hush."""
    srv = hush(SITE, main="user www-data;", start=False)
    for root, dirs, files in os.walk(srv.dir):
        for n in dirs + files:
            os.chown(os.path.join(root, n), NOBODY, NOGROUP)
    os.chown(srv.dir, NOBODY, NOGROUP)
    r = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                        os.environ.get("HUSH_BIN_PATH", run_hush.__globals__["HUSH_BIN"]),
                        "-t", "-p", srv.dir, "-c", srv.conf_path], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0, r.stderr
    assert re.search(r'\[warn\] .*the "user" directive makes sense only if the master process runs with '
                     r'super-user privileges, ignored in %s:\d+' % re.escape(srv.conf_path), r.stderr), r.stderr


def caps(pid):
    with open("/proc/%d/status" % pid) as f:
        st = f.read()
    return int(re.search(r"^CapEff:\s+(\w+)$", st, re.M).group(1), 16), \
        int(re.search(r"^CapPrm:\s+(\w+)$", st, re.M).group(1), 16)


def test_no_capabilities_left_unless_drop_mode_silent(hush):
    """The workers keep no capability; with drop_mode silent (TCP_REPAIR)
    they keep CAP_NET_ADMIN alone, so that silent drops stay silent."""
    srv = start(hush, "user www-data;")
    (w,) = srv.workers()
    assert caps(w) == (0, 0)
    srv2 = start(hush, "user www-data;", http=SITE.replace("root html;", "root html; location /s { drop_mode silent; return 444; }"))
    (w2,) = srv2.workers()
    assert caps(w2) == (1 << 12, 1 << 12)        # CAP_NET_ADMIN
    assert ids(w2)[0] == [WWW.pw_uid] * 4
    r = srv2.exchange(req("/s"), timeout=1.0)
    assert (r.data, r.how) == (b"", "timeout")    # the kernel forgot the connection: no FIN, no RST


@pytest.mark.parametrize("where", ["", "client_body_temp_path @DIR@/bodies 1 2;"], ids=["default", "configured"])
def test_temp_paths_belong_to_the_workers(hush, backend, where):
    """A request body beyond the buffer goes to a temp file the workers
    write: the master makes the temp paths and gives them to the user."""
    b = backend()
    srv = hush("""
upstream app { server 127.0.0.1:%d; }
server {
    listen 127.0.0.1:@PORT@;
    location / { client_body_buffer_size 1k; %s proxy_pass http://app; }
}
""" % (b.port, where), main="user www-data;")
    body = b"x" * 5000
    r = srv.exchange(req("/up", method="POST", headers=["Content-Length: %d" % len(body)], body=body), timeout=5)
    assert r.data.startswith(b"HTTP/1.1 200"), r
    assert b.events("request")[0]["body"] == body.decode()
    path = os.path.join(srv.dir, "bodies" if where else "client_body_temp")
    assert os.stat(path).st_uid == WWW.pw_uid


def test_a_prefix_without_room_for_the_default_temp_path_still_starts(hush):
    """The default client_body_temp is made by the master when it can be;
    a prefix where it cannot (here: not a directory) is a warning, not a
    failed start (a body that needs it then gets a 500)."""
    srv = hush("""
access_log @DIR@/logs/access.log;
server { listen 127.0.0.1:@PORT@; location / { return 200 "up\\n"; } }
""", main="user www-data;", start=False)
    bogus = os.path.join(srv.dir, "not-a-dir")
    open(bogus, "w").close()
    srv.start(args=["-p", bogus])
    assert srv.get("/").status == 200
    assert srv.wait_error_log(r'\[warn\] .*mkdir\(\) "%s/client_body_temp" failed' % re.escape(bogus))
