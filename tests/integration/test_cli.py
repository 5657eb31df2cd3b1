"""The command line as nginx's: -v / -V (build options, paths, linked
libraries), -t / -T / -q / -tq, -e, -s and its errors, invalid options and
exit codes; process titles in /proc/PID/cmdline; the daemon returns only
once it serves (exit 1 with the message when it cannot), and a failed start
leaves no pid file behind."""
import os
import signal
import socket
import subprocess
import time

from conftest import HUSH_BIN, free_port, listening, run_hush


def write_conf(d, body, main="", port=None):
    os.makedirs(os.path.join(d, "logs"), exist_ok=True)
    os.makedirs(os.path.join(d, "html"), exist_ok=True)
    with open(os.path.join(d, "html", "index.html"), "w") as f:
        f.write("cli\n")
    path = os.path.join(d, "hush.conf")
    with open(path, "w") as f:
        f.write(main + "events { worker_connections 64; }\nhttp {\n%s\n}\n" % body)
    return path


def served(port, path="/"):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(("GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n" % path).encode())
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                return data
            data += b


def gone(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def wait_gone(pid, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if gone(pid):
            return True
        time.sleep(0.05)
    return False


def cmdline(pid):
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        return f.read().split(b"\0")[0].decode()


def children(pid):
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open("/proc/%s/stat" % p) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                out.append(int(p))
    return sorted(out)


def test_v_and_V():
    v = run_hush(["-v"])
    assert v.returncode == 0 and v.stderr.startswith("hush version: hush/"), v
    big = run_hush(["-V"])
    assert big.returncode == 0
    out = big.stderr
    assert out.startswith(v.stderr) and out != v.stderr
    for want in ("built by ", "built with OpenSSL", "built with PCRE2", "configure arguments: --prefix=/",
                 "--conf-path=/", "--pid-path=", "--error-log-path=", "--sbin-path=", "libssl.so",
                 "libpcre2-8.so", "libcrypt"):
        assert want in out, (want, out)
    h = run_hush(["-h"])
    assert h.returncode == 0 and "-T" in h.stderr and "-e filename" in h.stderr


def test_t_tq_and_T(tmp_path):
    d = str(tmp_path)
    with open(os.path.join(d, "extra.conf"), "w") as f:
        f.write("# the included file\nserver { listen 127.0.0.1:%d; }\n" % free_port())
    path = write_conf(d, "include extra.conf;")
    r = run_hush(["-t", "-p", d, "-c", path])
    assert r.returncode == 0
    assert r.stderr == ("hush: the configuration file %s syntax is ok\n"
                        "hush: configuration file %s test is successful\n" % (path, path))
    for args in (["-tq"], ["-q", "-t"], ["-qt"]):
        r = run_hush(args + ["-p", d, "-c", path])
        assert (r.returncode, r.stdout, r.stderr) == (0, "", ""), (args, r)
    r = run_hush(["-T", "-p", d, "-c", path])
    assert r.returncode == 0 and "test is successful" in r.stderr
    assert r.stdout.startswith("# configuration file %s:\nevents {" % path), r.stdout
    assert "# configuration file %s/extra.conf:\n# the included file\n" % d in r.stdout
    r = run_hush(["-Tq", "-p", d, "-c", path])
    assert r.stderr == "" and "# the included file" in r.stdout
    with open(path, "a") as f:
        f.write("bogus_directive 1;\n")
    r = run_hush(["-T", "-p", d, "-c", path])
    assert r.returncode == 1 and r.stdout == ""
    assert 'unknown directive "bogus_directive"' in r.stderr
    assert r.stderr.endswith("hush: configuration file %s test failed\n" % path)


def test_attached_values_and_bad_options(tmp_path):
    d = str(tmp_path)
    path = write_conf(d, "")
    r = run_hush(["-tq", "-p" + d, "-c" + path])
    assert r.returncode == 0, r
    cases = [
        (["-x"], 'hush: invalid option: "x"\n'),
        (["-tx"], 'hush: invalid option: "x"\n'),
        (["stray"], 'hush: invalid option: "stray"\n'),
        (["-"], 'hush: invalid option: "-"\n'),
        (["-c"], 'hush: option "-c" requires file name\n'),
        (["-e"], 'hush: option "-e" requires file name\n'),
        (["-p"], 'hush: option "-p" requires directory name\n'),
        (["-g"], 'hush: option "-g" requires parameter\n'),
        (["-s"], 'hush: option "-s" requires parameter\n'),
        (["-s", "restart"], 'hush: invalid option: "-s restart"\n'),
    ]
    for args, msg in cases:
        r = run_hush(args)
        assert (r.returncode, r.stderr) == (1, msg), (args, r)


def test_s_without_a_master(tmp_path):
    d = str(tmp_path)
    pid = os.path.join(d, "logs", "hush.pid")
    path = write_conf(d, "", main="pid %s;\n" % pid)
    r = run_hush(["-p", d, "-c", path, "-s", "reload"])
    assert r.returncode == 1
    assert r.stderr == 'hush: [error] open() "%s" failed (2: No such file or directory)\n' % pid
    with open(pid, "w") as f:
        f.write("garbage\n")
    r = run_hush(["-p", d, "-c", path, "-s", "quit"])
    assert (r.returncode, r.stderr) == (1, 'hush: [error] invalid PID number "garbage" in "%s"\n' % pid)


def start_daemon(d, path, extra=()):
    return subprocess.run([HUSH_BIN, "-p", d, "-c", path] + list(extra), capture_output=True, text=True,
                          timeout=20)


def test_daemon_starts_then_returns_and_titles(tmp_path):
    d = str(tmp_path)
    port = free_port()
    pidf = os.path.join(d, "logs", "hush.pid")
    # user root: pytest's tmp_path (0700 parents) is out of nobody's reach, and this test is not about users
    path = write_conf(d, "server { listen 127.0.0.1:%d; root html; }" % port,
                      main="user root;\nworker_processes 2;\npid %s;\nerror_log %s/logs/error.log info;\n" % (pidf, d))
    r = start_daemon(d, path)
    assert r.returncode == 0, r
    # the command returned only once the pid file was written and the socket bound
    with open(pidf) as f:
        master = int(f.read())
    try:
        assert listening(port)
        assert served(port).endswith(b"cli\n")
        assert cmdline(master) == "hush: master process %s -p %s -c %s" % (HUSH_BIN, d, path)
        deadline = time.time() + 5
        titles = lambda: [cmdline(w) for w in children(master)]  # noqa: E731
        while titles() != ["hush: worker process"] * 2 and time.time() < deadline:
            time.sleep(0.02)  # a worker has the master's title until it starts
        assert titles() == ["hush: worker process"] * 2
        r = run_hush(["-p", d, "-c", path, "-s", "quit"])
        assert r.returncode == 0 and r.stderr == ""
        assert wait_gone(master)
        assert not os.path.exists(pidf)
    finally:
        if not gone(master):
            os.kill(master, signal.SIGKILL)


def test_worker_title_while_shutting_down(hush):
    srv = hush("server { listen 127.0.0.1:@PORT@; }", start=False)
    srv.write("big.bin", os.urandom(1 << 20) * 24)
    srv.start()
    s = srv.connect()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n")
    s.recv(100)  # the download has started; the client reads no more
    [worker] = srv.workers()
    assert cmdline(worker) == "hush: worker process"
    assert cmdline(srv.pid).startswith("hush: master process %s -p " % HUSH_BIN)
    srv.send_signal(signal.SIGQUIT)
    deadline = time.time() + 5
    while cmdline(worker) != "hush: worker process is shutting down" and time.time() < deadline:
        time.sleep(0.05)
    assert cmdline(worker) == "hush: worker process is shutting down"
    s.close()
    srv.proc.wait(10)
    assert srv.proc.returncode == 0


def test_failed_start_leaves_no_pid_file(tmp_path):
    d = str(tmp_path)
    port = free_port()
    pidf = os.path.join(d, "logs", "hush.pid")
    path = write_conf(d, "server { listen 127.0.0.1:%d; }" % port,
                      main="pid %s;\nerror_log %s/logs/error.log;\n" % (pidf, d))
    busy = socket.socket()
    busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    busy.bind(("127.0.0.1", port))
    busy.listen(1)
    try:
        for daemon in ("on", "off"):
            r = start_daemon(d, path, ["-g", "daemon %s;" % daemon])
            assert r.returncode == 1, r
            assert "[emerg] bind() to 127.0.0.1:%d failed (98: Address already in use)" % port in r.stderr
            assert not os.path.exists(pidf)
        # a pid file that is someone else's stays as it was
        with open(pidf, "w") as f:
            f.write("4242\n")
        r = start_daemon(d, path)
        assert r.returncode == 1
        with open(pidf) as f:
            assert f.read() == "4242\n"
    finally:
        busy.close()


def test_unwritable_pid_file_fails_the_start(tmp_path):
    d = str(tmp_path)
    port = free_port()
    pidf = os.path.join(d, "no-such-dir", "hush.pid")
    path = write_conf(d, "server { listen 127.0.0.1:%d; }" % port,
                      main="pid %s;\nerror_log %s/logs/error.log;\n" % (pidf, d))
    r = start_daemon(d, path)
    assert r.returncode == 1
    assert 'hush: [emerg] open() "%s" failed (2: No such file or directory)' % pidf in r.stderr
    time.sleep(0.2)
    assert not listening(port)


def test_e_sets_the_error_log(tmp_path):
    d = str(tmp_path)
    port = free_port()
    pidf = os.path.join(d, "logs", "hush.pid")
    path = write_conf(d, "server { listen 127.0.0.1:%d; }" % port, main="pid %s;\n" % pidf)
    custom = os.path.join(d, "custom-error.log")
    r = start_daemon(d, path, ["-e", custom])
    assert r.returncode == 0, r
    with open(pidf) as f:
        master = int(f.read())
    try:
        assert os.path.exists(custom) and served(port).startswith(b"HTTP/1.1 ")
    finally:
        os.kill(master, signal.SIGTERM)
        assert wait_gone(master)
    # -e stderr: start-up errors and the log itself on the terminal
    busy = socket.socket()
    busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    busy.bind(("127.0.0.1", port))
    busy.listen(1)
    try:
        r = start_daemon(d, path, ["-e", "stderr", "-g", "daemon off;"])
        assert r.returncode == 1 and "bind() to 127.0.0.1:%d failed" % port in r.stderr
    finally:
        busy.close()
