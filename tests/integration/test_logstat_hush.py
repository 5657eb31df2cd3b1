"""hush-logstat on logs written by hush itself: its combined log, a log_format
with $close_reason and $drop_rule, and its JSON lines (escape=json), with
200, 404, 444 drops, malformed requests, a header timeout and bare
connections (log_empty_connections on).  Uses the shared `hush` fixture."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "logstat"))
import lshelp  # noqa: E402

HTTP = r"""
  log_format reasons '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
                     '"$http_referer" "$http_user_agent" $request_time $close_reason $drop_rule';
  log_format hushjson escape=json '{"time_iso8601":"$time_iso8601","remote_addr":"$remote_addr",'
                     '"request":"$request","status":$status,"request_time":$request_time,'
                     '"host":"$host","http_user_agent":"$http_user_agent",'
                     '"close_reason":"$close_reason","drop_rule":"$drop_rule"}';
  access_log @DIR@/logs/access.log combined;
  access_log @DIR@/logs/reasons.log reasons;
  access_log @DIR@/logs/json.log hushjson;
  client_header_timeout 1s;
  log_empty_connections on;
  server {
    listen 127.0.0.1:@PORT@;
    root @DIR@/html;
    location = /drop { return 444; }
  }
"""
REASONS = ('$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
           '"$http_referer" "$http_user_agent" $request_time $close_reason $drop_rule')
WANT = {"200": 3, "404": 2, "444": 3, "400": 4, "408": 1}


def get(path, ua="curl/8"):
    return ("GET %s HTTP/1.1\r\nHost: a.test\r\nUser-Agent: %s\r\nConnection: close\r\n\r\n" % (path, ua)).encode()


def test_logs_written_by_hush(hush):
    srv = hush(HTTP)
    srv.write("index.html", "hello\n")
    for _ in range(3):
        srv.exchange(get("/"))
    for _ in range(2):
        srv.exchange(get("/nope.html"))
    for _ in range(3):
        srv.exchange(get("/drop", ua="sqlmap/1.7"))
    for _ in range(2):
        srv.exchange(b"BROKEN\x01 / HTTP/1.1\r\n\r\n")
    for _ in range(2):
        srv.exchange(b"", shut_wr=True)  # a bare connection: opened, closed
    srv.exchange([(b"GET / HTTP/1.1\r\nHost: a.test\r\n", 1.6)], timeout=3)
    srv.wait_log(sum(WANT.values()), timeout=5)
    time.sleep(0.3)
    logs = srv.logs
    for args in ([os.path.join(logs, "access.log")],
                 ["--log-format", REASONS, os.path.join(logs, "reasons.log")],
                 [os.path.join(logs, "json.log")]):
        doc = lshelp.report(args)
        assert doc["lines"]["malformed"] == 0, (args, doc["lines"])
        assert {k: doc["status"].get(k, 0) for k in WANT} == WANT, args
        assert lshelp.ending(doc, "drop") == 3
        assert lshelp.ending(doc, "timeout") == 1
        assert lshelp.ending(doc, "bare_connection") == 2, args
        assert lshelp.ending(doc, "bad_request") == 2, args
        assert doc["dropped"]["user_agents"][0]["key"] == "sqlmap/1.7"
        if "close_reasons" in doc:
            cr = doc["close_reasons"]
            assert cr["drop"] == 3 and cr["no_request"] == 2 and cr["bad_request"] == 2, cr
            assert cr["header_timeout"] == 1 and cr["ok"] == 5, cr
    assert "close_reasons" in lshelp.report([os.path.join(logs, "json.log")])
