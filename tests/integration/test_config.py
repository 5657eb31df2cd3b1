"""`hush -t`: errors as FILE:LINE: message with exit 1, `test is successful`
with exit 0; includes with globs, -g, units, inheritance."""
import os
import re

import pytest

from conftest import run_hush

PRE = "pid @DIR@/logs/hush.pid;\nerror_log @DIR@/logs/error.log;\n"


def check(d, text, extra_files=None, args=()):
    for rel, content in (extra_files or {}).items():
        p = os.path.join(d, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(content.replace("@DIR@", d))
    path = os.path.join(d, "t.conf")
    with open(path, "w") as f:
        f.write((PRE + text).replace("@DIR@", d))
    r = run_hush(["-t", "-p", d, "-c", path] + list(args))
    return r.returncode, r.stdout + r.stderr, path


BAD = [
    ("unknown_directive", "http {\n  bogus on;\n}\n", 4, r'unknown directive "bogus"'),
    ("wrong_context", "http {\n server {\n  listen 127.0.0.1:1;\n  location / {\n   server_name x;\n  }\n }\n}\n",
     7, r'"server_name" directive is not allowed here'),
    ("location_in_http", "http {\n location / { }\n}\n", 4, r'"location" directive is not allowed here'),
    ("listen_in_http", "http {\n listen 80;\n}\n", 4, r'"listen" directive is not allowed here'),
    ("wrong_arg_count", "http {\n keepalive_timeout;\n}\n", 4, r'invalid number of arguments in "keepalive_timeout"'),
    ("too_many_args", "http {\n sendfile on off;\n}\n", 4, r'invalid number of arguments in "sendfile"'),
    ("bad_regex", "http {\n server {\n  listen 127.0.0.1:1;\n  location ~ \"(\" { }\n }\n}\n", 6, r"\("),
    ("bad_server_name_regex", "http {\n server {\n  listen 127.0.0.1:1;\n  server_name ~^(x;\n }\n}\n",
     6, r"."),
    ("duplicate_default", "http {\n server { listen 127.0.0.1:1 default_server; }\n"
     " server { listen 127.0.0.1:1 default_server; }\n}\n", 5, r"duplicate default server"),
    ("unknown_variable", "http {\n server {\n  listen 127.0.0.1:1;\n  return 200 $nosuchvar;\n }\n}\n",
     6, r'unknown "nosuchvar" variable'),
    ("unknown_log_variable", "http {\n log_format x '$nope_var';\n}\n", 4, r'unknown "nope_var" variable'),
    ("unknown_log_format", "http {\n access_log logs/a.log nosuchformat;\n}\n", 4, r"nosuchformat"),
    ("missing_brace", "http {\n server {\n  listen 127.0.0.1:1;\n }\n", None, r'unexpected end of file'),
    ("extra_brace", "http {\n}\n}\n", 5, r'unexpected "}"'),
    ("missing_semicolon", "http {\n sendfile on\n}\n", 5, r'.'),
    ("bad_size", "http {\n client_max_body_size 1x;\n}\n", 4, r'invalid value "1x"'),
    ("bad_time", "http {\n keepalive_timeout 5q;\n}\n", 4, r'invalid value "5q"'),
    ("bad_flag", "http {\n sendfile maybe;\n}\n", 4, r'maybe'),
    ("bad_listen_parameter", "http {\n server {\n  listen 127.0.0.1:1 deferred=maybe;\n }\n}\n", 5,
     r'invalid parameter "deferred=maybe"'),
    ("bad_return_code", "http {\n server {\n  listen 127.0.0.1:1;\n  return 1000;\n }\n}\n", 6, r'1000'),
    ("bad_drop_mode", "http {\n drop_mode gently;\n}\n", 4, r'gently'),
    ("duplicate_location", "http {\n server {\n  listen 127.0.0.1:1;\n  location /a { }\n  location /a { }\n }\n}\n",
     7, r'duplicate location "/a"'),
    ("unknown_block", "http {\n server {\n  listen 127.0.0.1:1;\n  nonsense { }\n }\n}\n", 6, r'unknown directive "nonsense"'),
    ("events_directive_in_http", "http {\n worker_connections 10;\n}\n", 4, r'not allowed here'),
    ("duplicate_directive", "http {\n root /a;\n root /b;\n}\n", 5, r'"root" directive is duplicate'),
    ("missing_include", "http {\n include nothere.conf;\n}\n", 4, r'nothere\.conf'),
]


@pytest.mark.parametrize("name,text,line,msg", BAD, ids=[b[0] for b in BAD])
def test_bad_configs(tmpconf, name, text, line, msg):
    rc, out, path = check(tmpconf, text)
    assert rc == 1, out
    m = re.search(re.escape(path) + r":(\d+): (.*)", out)
    assert m, out
    if line is not None:
        assert int(m.group(1)) == line, out
    assert re.search(msg, m.group(2)), out


def test_good_config(tmpconf):
    rc, out, _ = check(tmpconf, """
        worker_processes auto;
        worker_rlimit_nofile 1024;
        worker_shutdown_timeout 5s;
        events { worker_connections 100; use epoll; multi_accept on; accept_mutex off; }
        http {
            include mime.types;            # relative to the main file
            default_type application/octet-stream;
            log_format x escape=json '{"s":$status}';
            access_log logs/a.log x buffer=32k flush=5s;
            access_log logs/b.log combined if=$arg_x;
            sendfile on; tcp_nopush on; tcp_nodelay on; server_tokens off;
            keepalive_timeout 1m; keepalive_requests 10;
            client_header_timeout 500ms; client_body_timeout 2s; send_timeout 1h;
            client_max_body_size 10m; client_header_buffer_size 2k;
            large_client_header_buffers 8 16k;
            open_file_cache max=100 inactive=20s;
            etag off; if_modified_since before; log_not_found off;
            drop_mode tarpit=3s; log_empty_connections on;
            # a comment
            server {
                listen 127.0.0.1:1 default_server reuseport backlog=64;
                listen [::1]:1 deferred;
                listen 127.0.0.1:2 deferred=off;
                server_name "" _ a.test *.b.test c.* ~^(\\w+)\\.d$;
                root html; index index.html index.htm;
                error_page 404 500 = @x;
                location = /a { return 200 'quoted "text"'; }
                location ^~ /b/ { alias /tmp/; }
                location ~* \\.(png)$ { try_files $uri $uri/ =404; }
                location / { location /n/ { } }
                location @x { return 204; }
            }
        }
    """, {"mime.types": "types { text/html html; }\n"})
    assert rc == 0, out
    assert "test is successful" in out


def test_include_glob_and_error_in_included_file(tmpconf):
    files = {"conf.d/a.conf": "server { listen 127.0.0.1:1; server_name a; }\n",
             "conf.d/b.conf": "server { listen 127.0.0.1:1; server_name b; }\n",
             "conf.d/skip.txt": "garbage garbage\n"}
    rc, out, _ = check(tmpconf, "http {\n include conf.d/*.conf;\n}\n", files)
    assert rc == 0, out
    files = {"conf.d/c.conf": "server {\n listen 127.0.0.1:1;\n bad_directive;\n}\n"}
    rc, out, _ = check(tmpconf, "http {\n include conf.d/*.conf;\n}\n", files)
    assert rc == 1
    assert re.search(re.escape(os.path.join(tmpconf, "conf.d/c.conf")) + r":3: unknown directive \"bad_directive\"", out), out


def test_include_of_a_device_or_fifo_is_an_error_not_a_hang(tmpconf):
    """A device (read forever, or blocking) or a FIFO (blocking until a
    writer comes) is not a configuration file: -t says so with file:line
    (found by the conf fuzzer: `include /d*/*2;` matched /dev/tty2)."""
    os.mkfifo(os.path.join(tmpconf, "pipe.conf"))
    for inc, name in (("/dev/zero", "/dev/zero"), ("pipe.conf", os.path.join(tmpconf, "pipe.conf")),
                      ("/dev/nul*", "/dev/null")):
        rc, out, path = check(tmpconf, "http {\n include %s;\n}\n" % inc)
        assert rc == 1, out
        assert re.search(re.escape(path) + r":\d+: cannot include \"%s\": not a regular file" % re.escape(name), out), out


def test_include_glob_matching_nothing_is_fine(tmpconf):
    rc, out, _ = check(tmpconf, "http {\n include none.d/*.conf;\n}\n")
    assert rc == 0, out


def test_g_overrides_and_errors(tmpconf):
    rc, out, _ = check(tmpconf, "http { }\n", args=["-g", "worker_processes 2;"])
    assert rc == 0, out
    rc, out, _ = check(tmpconf, "http { }\n", args=["-g", "bogus_global on;"])
    assert rc == 1
    assert 'unknown directive "bogus_global"' in out


def test_missing_config_file(tmpconf):
    r = run_hush(["-t", "-c", os.path.join(tmpconf, "nope.conf")])
    assert r.returncode == 1
    assert "nope.conf" in r.stdout + r.stderr


def test_version():
    r = run_hush(["-v"])
    assert r.returncode == 0
    assert "hush/" in r.stdout + r.stderr


def test_g_daemon_off_runs_in_foreground(hush):
    srv = hush(conf="pid @DIR@/logs/hush.pid;\nerror_log @DIR@/logs/error.log info;\n"
                    "events { }\nhttp { server { listen 127.0.0.1:@PORT@; return 200 \"fg\"; } }\n",
               start=False)
    srv.start(args=["-g", "daemon off;"])
    assert srv.get("/").body == b"fg"
    with open(os.path.join(srv.logs, "hush.pid")) as f:
        assert int(f.read()) == srv.pid


def test_inheritance_http_server_location(hush):
    srv = hush("""
        default_type text/x-http;
        server {
            listen 127.0.0.1:@PORT@;
            location /s/ { }
            location /l/ { default_type text/x-loc; }
        }
        server {
            listen 127.0.0.1:@PORT2@;
            default_type text/x-server;
            location /s/ { }
        }""", start=False)
    srv.write("s/f", "x")
    srv.write("l/f", "x")
    srv.start()
    srv.wait_listening(srv.port2)
    assert srv.get("/s/f").header("Content-Type") == "text/x-http"
    assert srv.get("/l/f").header("Content-Type") == "text/x-loc"
    r = srv.exchange(b"GET /s/f HTTP/1.0\r\n\r\n", port=srv.port2)
    assert r.responses()[0].header("Content-Type") == "text/x-server"


def test_bundled_default_config_tests_ok():
    from conftest import ROOT
    r = run_hush(["-t", "-p", ROOT, "-c", os.path.join(ROOT, "conf/hush.conf")])
    assert r.returncode == 0, r.stdout + r.stderr
