"""hush-logstat on logs written by a real nginx (Debian's), driven with raw
sockets on loopback: 200, 404, 444 (return 444), 499 (client leaves while a
slow upstream works), 408 (half-sent head, short client_header_timeout),
400 with a broken request and 400 without a request line.  Exact counts."""
import gzip
import os
import shutil
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "logstat"))
import lshelp  # noqa: E402

HTTP = r"""
  log_format timed '$remote_addr - $remote_user [$time_local] "$request" $status '
                   '$body_bytes_sent "$http_referer" "$http_user_agent" '
                   'rt=$request_time urt="$upstream_response_time" host=$host';
  log_format hushjson escape=json '{"time_iso8601":"$time_iso8601","remote_addr":"$remote_addr",'
                   '"request":"$request","status":$status,"body_bytes_sent":$body_bytes_sent,'
                   '"request_time":$request_time,"upstream_response_time":"$upstream_response_time",'
                   '"host":"$host","http_user_agent":"$http_user_agent","http_referer":"$http_referer"}';
  access_log PREFIX/logs/access.log combined;
  access_log PREFIX/logs/timed.log timed;
  access_log PREFIX/logs/json.log hushjson;
  client_header_timeout 1s;
  server {
    listen 127.0.0.1:PORT;
    root PREFIX/html;
    location = /drop { return 444; }
    location /slow { proxy_pass http://127.0.0.1:BACKEND; proxy_read_timeout 10s; }
    location /fast { proxy_pass http://127.0.0.1:BACKEND; }
  }
"""

# What the traffic below must produce, per status.
WANT = {"200": 8, "404": 3, "444": 4, "499": 2, "408": 2, "400": 4}
TIMED = '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent ' \
        '"$http_referer" "$http_user_agent" rt=$request_time urt="$upstream_response_time" host=$host'


def get(path, host="a.test", ua="curl/8"):
    return ("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nConnection: close\r\n\r\n"
            % (path, host, ua)).encode()


@pytest.fixture(scope="module")
def logs():
    tmp = tempfile.mkdtemp(prefix="logstat-nginx-")
    backend = lshelp.SlowBackend(delay=3.0)
    ngx = lshelp.Nginx(tmp, HTTP.replace("BACKEND", str(backend.port)))
    p = ngx.port
    try:
        jobs = []
        jobs += [lambda: lshelp.client(p, get("/"))] * 5
        jobs += [lambda: lshelp.client(p, get("/fast/x?y=1"))] * 3
        jobs += [lambda: lshelp.client(p, get("/nope.html"))] * 3
        jobs += [lambda: lshelp.client(p, get("/drop", host="bad.test", ua="sqlmap/1.7"))] * 4
        # 499: the client leaves after 0.3 s while the upstream sleeps 3 s
        jobs += [lambda: lshelp.client(p, get("/slow/report"), wait=0.3, read=False)] * 2
        # 408: half a request head, then silence past client_header_timeout
        jobs += [lambda: lshelp.client(p, b"GET / HTTP/1.1\r\nHost: a.test\r\n", wait=1.6)] * 2
        # 400 with a request line nginx could not parse
        jobs += [lambda: lshelp.client(p, b"garbage\r\n\r\n")] * 2
        # 400 without a request line: bytes but no request, then EOF
        jobs += [lambda: lshelp.client(p, b"\r\n", shut_wr=True)] * 2
        lshelp.in_parallel(jobs)
    finally:
        ngx.stop()
        backend.stop()
    yield ngx.prefix / "logs"
    shutil.rmtree(tmp, ignore_errors=True)


def check_counts(doc):
    assert {k: doc["status"].get(k, 0) for k in WANT} == WANT
    assert doc["lines"]["malformed"] == 0
    assert doc["lines"]["parsed"] == sum(WANT.values())
    assert lshelp.ending(doc, "drop") == 4
    assert lshelp.ending(doc, "client_abort") == 2
    assert lshelp.ending(doc, "timeout") == 2
    assert lshelp.ending(doc, "bad_request") == 2
    assert lshelp.ending(doc, "bare_connection") == 2
    assert lshelp.ending(doc, "2xx") == 8
    assert lshelp.ending(doc, "4xx") == 3 + 4 + 2 + 2 + 4


def test_combined_exact_counts(logs):
    doc = lshelp.report([logs / "access.log"])
    check_counts(doc)
    assert doc["formats"]["combined"] == sum(WANT.values())
    dropped = doc["dropped"]
    assert dropped["total"] == 4
    assert dropped["user_agents"][0] == {"key": "sqlmap/1.7", "count": 4, "share": 1}
    assert dropped["requests"][0]["key"] == "GET /drop HTTP/1.1"
    assert dropped["sources"][0]["key"] == "127.0.0.1"
    aborts = doc["aborts"]
    assert aborts["total"] == 2
    assert aborts["by_count"][0]["location"] == "/slow/report"
    assert aborts["by_count"][0]["aborts"] == 2
    # combined has no $request_time: latency is unknown, not zero
    assert aborts["by_count"][0]["p50"] is None


def test_log_format_with_request_time(logs):
    doc = lshelp.report(["--log-format", TIMED, logs / "timed.log"])
    check_counts(doc)
    assert doc["formats"]["custom"] == sum(WANT.values())
    row = doc["aborts"]["by_count"][0]
    assert row["location"] == "/slow/report" and row["aborts"] == 2
    # the clients left after 0.3 s: that is how long the 499s waited
    assert 0.25 <= row["abort_wait_p50"] <= 1.5, row
    lat = doc["latency"]
    assert lat["request_time"]["count"] == sum(WANT.values())
    assert lat["upstream_response_time"]["count"] >= 3  # the /fast ones
    assert doc["dropped"]["hosts"][0]["key"] == "bad.test"


def test_log_format_as_pasted_from_config(logs):
    pasted = ("'$remote_addr - $remote_user [$time_local] \"$request\" $status '\n"
              "  '$body_bytes_sent \"$http_referer\" \"$http_user_agent\" '\n"
              "  'rt=$request_time urt=\"$upstream_response_time\" host=$host'")
    doc = lshelp.report(["--log-format", pasted, logs / "timed.log"])
    check_counts(doc)


def test_json_lines_from_nginx_escape_json(logs):
    doc = lshelp.report([logs / "json.log"])
    check_counts(doc)
    assert doc["formats"]["json"] == sum(WANT.values())
    assert doc["aborts"]["by_count"][0]["abort_wait_p50"] is not None


def test_malformed_lines_counted_not_fatal(logs, tmp_path):
    mixed = tmp_path / "mixed.log"
    text = (logs / "access.log").read_text()
    mixed.write_text("not a log line\n" + text + "\x00\x01binary junk\n" + '1.2.3.4 - - [bad] "x" 200 1 "-" "-"\n')
    doc = lshelp.report([mixed])
    check_counts_except_malformed(doc, 3)
    assert doc["lines"]["total"] == sum(WANT.values()) + 3
    assert doc["lines"]["malformed_examples"][0] == {"file": str(mixed), "line": 1, "text": "not a log line"}
    text_out = lshelp.run([mixed]).stdout.decode()
    assert "MALFORMED LINES" in text_out and "not a log line" in text_out


def check_counts_except_malformed(doc, malformed):
    assert doc["lines"]["malformed"] == malformed
    assert {k: doc["status"].get(k, 0) for k in WANT} == WANT


def test_gzip_and_stdin_and_several_files(logs, tmp_path):
    raw = (logs / "access.log").read_bytes()
    gz = tmp_path / "access.log.1.gz"
    gz.write_bytes(gzip.compress(raw[: len(raw) // 2]) + gzip.compress(raw[len(raw) // 2:]))
    check_counts(lshelp.report([gz]))
    check_counts(lshelp.report(["-"], input=raw))
    check_counts(lshelp.report(["-"], input=gzip.compress(raw)))
    both = lshelp.report([logs / "access.log", gz])
    assert both["status"]["444"] == 8 and both["lines"]["parsed"] == 2 * sum(WANT.values())


def test_text_report_sections_in_order(logs):
    out = lshelp.run([logs / "access.log", "--color", "never"]).stdout.decode()
    order = ["ENDINGS", "WHO IS DROPPED (444)", "WHO GIVES UP (499)", "SPIKES", "REPEAT OFFENDERS"]
    pos = [out.index(s) for s in order]
    assert pos == sorted(pos)
    assert "\033[" not in out
    assert "444 drop" in out and "400 no request" in out and "/slow/report" in out
    colored = lshelp.run([logs / "access.log", "--color", "always"]).stdout.decode()
    assert "\033[1m" in colored
