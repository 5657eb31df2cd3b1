"""Access log: nginx's combined byte for byte (escaping of '"', '\\' and
non-printable bytes as \\xHH), custom formats and variables, escape=json,
escape=none, if=, buffer= / flush=, several logs, access_log off."""
import gzip
import os
import re
import time

from conftest import req, run_hush

COMBINED_RE = (r'^127\.0\.0\.1 - (?P<user>\S+) \[(?P<time>\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4})\] '
               r'(?P<rest>.*)$')


def server(extra="", loc=""):
    return extra + """
server {
    listen 127.0.0.1:@PORT@;
    server_name localhost;
    location = /r { return 200 "r\\n"; }
    %s
}
""" % loc


def start(hush, http):
    srv = hush(http, start=False)
    srv.write("a.txt", "0123456789")
    return srv.start()


def combined_rest(line):
    m = re.match(COMBINED_RE, line)
    assert m, line
    return m.group("user"), m.group("rest")


def test_default_is_combined(hush):
    srv = start(hush, server())
    srv.get("/a.txt", headers=["User-Agent: curl/8.0", "Referer: http://ref.example/"])
    (line,) = srv.wait_log(1)
    user, rest = combined_rest(line)
    assert user == "-"
    assert rest == '"GET /a.txt HTTP/1.1" 200 10 "http://ref.example/" "curl/8.0"'


def test_combined_time_local_is_now(hush):
    import datetime
    srv = start(hush, server())
    srv.get("/r")
    (line,) = srv.wait_log(1)
    m = re.match(COMBINED_RE, line)
    t = datetime.datetime.strptime(m.group("time"), "%d/%b/%Y:%H:%M:%S %z").timestamp()
    assert abs(t - time.time()) < 5


def test_combined_escaping_like_nginx(hush):
    """Expected lines are what nginx 1.22 writes for the same bytes."""
    srv = start(hush, server())
    srv.exchange(b"GET /a.txt?q=1&x=%22 HTTP/1.1\r\nHost: x\r\n"
                 b"User-Agent: Mozilla/5.0 \"quoted\" back\\slash \xc3\xa9 tab\there\r\n"
                 b"Referer: http://r.example/?a=\"b\"\r\nConnection: close\r\n\r\n")
    srv.exchange(b"GET /r?\xff\"x HTTP/1.1\r\nHost: x\r\nUser-Agent: \r\nConnection: close\r\n\r\n")
    srv.exchange(b"GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    lines = srv.wait_log(3)
    assert [combined_rest(l)[1] for l in lines] == [
        r'"GET /a.txt?q=1&x=%22 HTTP/1.1" 200 10 "http://r.example/?a=\x22b\x22" '
        r'"Mozilla/5.0 \x22quoted\x22 back\x5Cslash \xC3\xA9 tab\x09here"',
        r'"GET /r?\xFF\x22x HTTP/1.1" 200 2 "-" ""',
        r'"GET /nope HTTP/1.1" 404 151 "-" "-"',
    ]


def test_combined_for_bad_request_and_drop(hush):
    srv = start(hush, server(loc="location = /drop { return 444; }"))
    srv.exchange(req("/drop"))
    srv.exchange(b"GET / HTTP/1.1\r\nHost : x\r\n\r\n")
    lines = srv.wait_log(2)
    rests = [combined_rest(l)[1] for l in lines]
    assert rests[0] == '"GET /drop HTTP/1.1" 444 0 "-" "-"'
    assert re.match(r'^"GET / HTTP/1.1" 400 \d+ "-" "-"$', rests[1]), rests[1]


def test_uri_of_a_request_whose_path_is_refused_is_empty(hush):
    """As nginx: a request line came but its path was refused (400): $uri is
    empty; a connection that sent no request line at all has none ("-")."""
    srv = start(hush, server("log_format u '[$uri] $status';\naccess_log logs/access.log u;\n"))
    srv.exchange(b"GET /../x HTTP/1.0\r\n\r\n")
    assert srv.wait_log(1) == ["[] 400"], srv.log_lines()


def test_custom_format_variables(hush):
    fmt = ("log_format v '$request_method|$request_uri|$uri|$document_uri|$args|$query_string|$is_args|"
           "$arg_a|$status|$body_bytes_sent|$server_protocol|$scheme|$host|$server_name|$server_port|"
           "$server_addr|$remote_addr|$http_x_thing|$sent_http_content_type|$content_length|"
           "$content_type|$request_length|$connection_requests|$close_reason|$drop_rule|$document_root';\n"
           "access_log logs/access.log v;\n")
    srv = start(hush, server(fmt))
    srv.exchange(b"GET /a.txt?a=1&b=2 HTTP/1.1\r\nHost: LocalHost\r\nX-Thing: yes\r\n"
                 b"Connection: close\r\n\r\n")
    srv.exchange(b"POST /r HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/x\r\nContent-Length: 3\r\n"
                 b"Connection: close\r\n\r\nabc")
    lines = srv.wait_log(2)
    rl1 = len(b"GET /a.txt?a=1&b=2 HTTP/1.1\r\nHost: LocalHost\r\nX-Thing: yes\r\nConnection: close\r\n\r\n")
    assert lines[0] == ("GET|/a.txt?a=1&b=2|/a.txt|/a.txt|a=1&b=2|a=1&b=2|?|1|200|10|HTTP/1.1|http|"
                        "localhost|localhost|%d|127.0.0.1|127.0.0.1|yes|text/plain|-|-|%d|1|ok|-|%s/html"
                        % (srv.port, rl1, srv.dir))
    f = lines[1].split("|")
    assert f[0:4] == ["POST", "/r", "/r", "/r"]
    assert f[6:9] == ["", "-", "200"]
    assert f[19:22] == ["3", "text/x", str(len(b"POST /r HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/x\r\n"
                                                 b"Content-Length: 3\r\nConnection: close\r\n\r\nabc"))]


def test_time_and_size_variables(hush):
    fmt = ("log_format t '$msec $request_time $bytes_sent $body_bytes_sent $time_iso8601 $pipe $remote_port';\n"
           "access_log logs/access.log t;\n")
    srv = start(hush, server(fmt))
    r = srv.exchange(req("/a.txt"))
    (line,) = srv.wait_log(1)
    msec, rt, bytes_sent, body, iso, pipe, rport = line.split(" ")
    assert re.match(r"^\d{10}\.\d{3}$", msec) and abs(float(msec) - time.time()) < 5
    assert re.match(r"^\d+\.\d{3}$", rt) and float(rt) < 1
    assert int(bytes_sent) == len(r.data) and body == "10"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$", iso)
    assert pipe == "."
    assert 1024 <= int(rport) <= 65535


def test_escape_json(hush):
    fmt = ("log_format j escape=json '{\"r\":\"$request\",\"ua\":\"$http_user_agent\","
           "\"ref\":\"$http_referer\",\"s\":$status,\"x\":\"$http_x_missing\"}';\n"
           "access_log logs/access.log j;\n")
    srv = start(hush, server(fmt))
    srv.exchange(b"GET /a.txt?x=%22 HTTP/1.1\r\nHost: x\r\n"
                 b"User-Agent: M \"q\" b\\s \xc3\xa9 t\tx\r\nReferer: r\r\nConnection: close\r\n\r\n")
    (line,) = srv.wait_log(1)
    assert line.encode("latin-1") == (b'{"r":"GET /a.txt?x=%22 HTTP/1.1","ua":"M \\"q\\" b\\\\s \xc3\xa9 t\\tx",'
                                      b'"ref":"r","s":200,"x":""}')


def test_access_log_if(hush):
    fmt = ("log_format s '$status $uri';\n"
           "access_log logs/access.log s if=$arg_log;\n"
           "access_log logs/all.log s;\n")
    srv = start(hush, server(fmt))
    srv.get("/r?log=1")
    srv.get("/r")
    srv.get("/r?log=0")      # "0" is false, as in nginx
    srv.get("/r?log=yes")
    assert srv.wait_log(4, name="all.log") == ["200 /r"] * 4
    assert srv.expect_log(2) == ["200 /r", "200 /r"]


def test_access_log_off_and_per_location(hush):
    http = server("log_format s '$status $uri';\naccess_log logs/access.log s;\n", loc="""
        location /quiet/ { access_log off; return 200 "q"; }
        location /other/ { access_log logs/other.log s; return 200 "o"; }
    """)
    srv = start(hush, http)
    srv.get("/quiet/x")
    srv.get("/other/x")
    srv.get("/r")
    assert srv.wait_log(1, name="other.log") == ["200 /other/x"]
    assert srv.expect_log(1) == ["200 /r"]


def test_buffer_and_flush(hush):
    http = server("log_format s '$status $uri';\n"
                  "access_log logs/access.log s buffer=64k flush=1s;\n")
    srv = start(hush, http)
    srv.get("/r")
    t0 = time.time()
    lines = srv.wait_log(1, timeout=4)
    assert lines == ["200 /r"]
    assert time.time() - t0 > 0.5      # held in the buffer until flush=1s
    # a buffer that fills is written at once
    http2 = server("log_format big '$status $uri $http_x_pad';\n"
                   "access_log logs/access.log big buffer=4k flush=1m;\n")
    srv2 = start(hush, http2)
    pad = "p" * 1000
    for _ in range(6):
        srv2.get("/r", headers=["X-Pad: " + pad])
    lines = srv2.wait_log(3, timeout=2)
    assert len(lines) >= 3
    assert all(l == "200 /r " + pad for l in lines)


def test_buffered_lines_written_on_exit(hush):
    http = server("log_format s '$status $uri';\n"
                  "access_log logs/access.log s buffer=64k flush=1h;\n")
    srv = start(hush, http)
    srv.get("/r")
    srv.get("/a.txt")
    time.sleep(0.3)
    assert srv.log_lines() == []
    assert srv.stop() == 0
    assert srv.log_lines() == ["200 /r", "200 /a.txt"]


def test_gzip_log_is_a_valid_gzip_file_of_the_lines(hush):
    """access_log ... gzip[=N]: each flush is one gzip member; the file, read
    as one gzip stream (gunzip, zcat), is the log's lines."""
    http = server("log_format s '$status $uri';\n"
                  "access_log logs/z.log.gz s gzip=6 flush=100ms;\n")
    srv = start(hush, http)
    srv.get("/a")
    time.sleep(0.5)  # a first member, flushed by time
    srv.get("/b")
    srv.get("/c")
    assert srv.stop() == 0  # the rest, flushed at exit
    raw = open(os.path.join(srv.dir, "logs", "z.log.gz"), "rb").read()
    assert raw[:2] == b"\x1f\x8b" and raw.count(b"\x1f\x8b\x08") >= 2
    assert gzip.decompress(raw) == b"404 /a\n404 /b\n404 /c\n"


def test_gzip_log_errors(hush, tmpconf):
    for opt, msg in (("gzip=0", 'invalid compression level "gzip=0"'), ("gzip=x", "invalid compression level")):
        path = os.path.join(tmpconf, "t.conf")
        with open(path, "w") as f:
            f.write("events {}\nhttp {\naccess_log logs/a.log combined %s;\nserver { listen 127.0.0.1:1; }\n}\n" % opt)
        r = run_hush(["-t", "-p", tmpconf, "-c", path])
        assert r.returncode == 1 and msg in r.stderr, (opt, r.stderr)


def test_unbuffered_log_is_current_when_idle(hush):
    srv = start(hush, server("log_format s '$status $uri';\naccess_log logs/access.log s;\n"))
    srv.get("/r")
    t0 = time.time()
    assert srv.wait_log(1, timeout=2) == ["200 /r"]
    assert time.time() - t0 < 1.2


def test_log_format_with_several_strings_and_json_empty(hush):
    fmt = ("log_format m '$status '\n  '$uri '\n  \"$http_x_none\";\n"
           "access_log logs/access.log m;\n")
    srv = start(hush, server(fmt))
    srv.get("/r")
    assert srv.wait_log(1) == ["200 /r -"]
