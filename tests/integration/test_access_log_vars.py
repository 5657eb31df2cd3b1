"""access_log with variables in its path (per-site logs, as nginx): a line
per request into the file its values name, relative paths under the
prefix, ".." segments refused, nginx's -t errors for buffered or compressed
ones; open_log_file_cache keeps descriptors (a moved directory keeps
receiving lines through them; min_uses; the least recently used goes)."""
import os
import shutil
import signal
import time

from conftest import req, run_hush

CONF = """
    log_format s '$host $uri';
    server {
        listen 127.0.0.1:@PORT@;
        access_log logs/site_$host.log s;
        location / { return 200 "ok\\n"; }
        location /name { access_log logs/n_$arg_n.log s; return 200 "n\\n"; }
    }
"""


def read(path):
    with open(path) as f:
        return f.read()


def test_each_line_goes_to_the_file_its_values_name(hush):
    srv = hush(CONF)
    for host in ("a.test", "b.test", "a.test"):
        srv.exchange(req("/p", host=host))
    logs = os.path.join(srv.dir, "logs")
    assert read(os.path.join(logs, "site_a.test.log")) == "a.test /p\na.test /p\n"
    assert read(os.path.join(logs, "site_b.test.log")) == "b.test /p\n"
    srv.exchange(req("/name?n=..%2F..%2Fescape"))  # $arg_ is not decoded: a plain name
    srv.exchange(req("/name?n=x/../../escape", host="c.test"))
    time.sleep(0.2)
    assert not os.path.exists(os.path.join(srv.dir, "escape.log"))
    assert os.path.exists(os.path.join(logs, "n_..%2F..%2Fescape.log"))
    srv.wait_error_log(r'access_log path "logs/n_x/\.\./\.\./escape\.log" refused')


def test_buffered_or_compressed_variable_logs_are_errors(tmpconf):
    for opt, msg in (("buffer=4k", "buffered logs cannot have variables in name"),
                     ("gzip", "compressed logs cannot have variables in name"),
                     ("", None)):
        path = os.path.join(tmpconf, "t.conf")
        with open(path, "w") as f:
            f.write("events {}\nhttp {\naccess_log logs/$host.log combined %s;\n"
                    "server { listen 127.0.0.1:1; }\n}\n" % opt)
        r = run_hush(["-t", "-p", tmpconf, "-c", path])
        if msg:
            assert r.returncode == 1 and msg in r.stderr, (opt, r.stderr)
        else:
            assert r.returncode == 0, r.stderr


def test_open_log_file_cache_keeps_descriptors(hush):
    srv = hush("""
    log_format s '$uri';
    open_log_file_cache max=3 min_uses=2 inactive=1m valid=1m;
    server {
        listen 127.0.0.1:@PORT@;
        location / { access_log @DIR@/dir/c_$arg_n s; return 200 "ok\\n"; }
    }""", start=False)
    d = os.path.join(srv.dir, "dir")
    os.makedirs(d)
    os.chmod(d, 0o777)
    srv.start()
    for n in ("lru", "lru", "once", "first", "first", "second", "second"):
        srv.exchange(req("/?n=" + n))
    shutil.move(d, d + "_moved")
    srv.allow_error_log(r"open\(\) .* failed")
    for n in ("lru", "once", "first", "second"):
        srv.exchange(req("/?n=" + n))
    shutil.move(d + "_moved", d)
    # first and second kept their descriptors: their lines reached the moved files;
    # lru was the least recently used (closed for second), once never reached min_uses
    count = {n: read(os.path.join(d, "c_" + n)).count("/") for n in ("lru", "once", "first", "second")}
    assert count == {"lru": 2, "once": 1, "first": 3, "second": 3}, count
    # USR1 (logs reopened): the cached descriptors are opened again
    os.rename(os.path.join(d, "c_first"), os.path.join(d, "c_first.1"))
    srv.send_signal(signal.SIGUSR1)
    time.sleep(0.5)
    srv.exchange(req("/?n=first"))
    assert read(os.path.join(d, "c_first")) == "/\n"
