"""hush-logstat reads hush's connection log (its default format, or any
format given with --log-format, or JSON lines with connection_requests) and
merges it with the access log: connections that carried requests are left
to the access log; the others (accept-phase drops, bare connections, header
timeouts without a request) are counted as endings and sources."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "logstat"))
import lshelp  # noqa: E402

ACCESS = "".join('10.0.0.%d - - [25/Nov/2026:10:00:%02d +0000] "GET / HTTP/1.1" 200 5 "-" "x"\n' % (i % 3, i)
                 for i in range(30))


def conn_line(addr, port, sec, requests, reason, rule="-"):
    return "%s:%d [25/Nov/2026:10:01:%02d +0000] %d %d 0.010 0 0 %s %s\n" % (
        addr, port, sec, 100 + sec, requests, reason, rule)


def conn_log():
    out = [conn_line("10.0.0.%d" % (i % 3), 40000 + i, i % 60, 1, "keepalive_close") for i in range(30)]
    out += [conn_line("203.0.113.9", 50000 + i, i, 0, "drop", "deny_addr") for i in range(25)]
    out += [conn_line("2001:db8::7", 50100 + i, i, 0, "drop", "ban") for i in range(20)]
    out += [conn_line("198.51.100.3", 50200 + i, i, 0, "no_request") for i in range(4)]
    out += [conn_line("198.51.100.4", 50300, 5, 0, "header_timeout")]
    return "".join(out)


def test_connection_log_merged(tmp_path):
    (tmp_path / "access.log").write_text(ACCESS)
    (tmp_path / "conn.log").write_text(conn_log() + "not:a line\n")
    doc = lshelp.report([tmp_path / "access.log", tmp_path / "conn.log"])
    lines = doc["lines"]
    assert (lines["total"], lines["malformed"]) == (30 + 80 + 1, 1)
    assert (lines["connection_log"], lines["connection_log_with_requests"]) == (80, 30)
    assert lines["parsed"] == 30 + 50
    assert doc["formats"]["connection"] == 50 and doc["formats"]["combined"] == 30
    assert lshelp.ending(doc, "drop") == 45 and lshelp.ending(doc, "bare_connection") == 4
    assert lshelp.ending(doc, "timeout") == 1
    assert doc["status"]["200"] == 30  # not counted twice
    rules = {r["key"]: r["count"] for r in doc["dropped"]["rules"]}
    assert rules == {"deny_addr": 25, "ban": 20}
    src = {s["key"]: s["count"] for s in doc["dropped"]["sources"]}
    assert src == {"203.0.113.9": 25, "2001:db8::7": 20}
    deny = {d["addr"] for d in doc["offenders"]["deny"]}
    assert deny == {"203.0.113.9", "2001:db8::7"}
    text = lshelp.run([tmp_path / "access.log", tmp_path / "conn.log"]).stdout.decode()
    assert "connection log 80 lines; 30 of connections with requests" in text


def test_connection_log_custom_format_and_json(tmp_path):
    fmt = "$remote_addr $connection_requests [$time_local] $close_reason $drop_rule"
    log = tmp_path / "c.log"
    log.write_text("".join("192.0.2.%d %d [25/Nov/2026:10:00:%02d +0000] %s %s\n" % (
        i % 4, 0 if i < 12 else 2, i, "drop" if i < 10 else "no_request" if i < 12 else "ok",
        "limit_conn" if i < 10 else "-") for i in range(20)))
    doc = lshelp.report(["--log-format", fmt, log])
    assert doc["lines"]["connection_log"] == 20 and doc["lines"]["connection_log_with_requests"] == 8
    assert lshelp.ending(doc, "drop") == 10 and lshelp.ending(doc, "bare_connection") == 2
    js = tmp_path / "c.jsonl"
    js.write_text('{"remote_addr":"192.0.2.1","time_iso8601":"2026-11-25T10:00:00+00:00",'
                  '"connection_requests":0,"close_reason":"drop","drop_rule":"deny_addr"}\n'
                  '{"remote_addr":"192.0.2.1","time_iso8601":"2026-11-25T10:00:01+00:00",'
                  '"connection_requests":4,"close_reason":"keepalive_close"}\n')
    doc = lshelp.report([js])
    assert lshelp.ending(doc, "drop") == 1 and doc["lines"]["connection_log_with_requests"] == 1


def test_connection_log_written_by_hush(hush):
    srv = hush("""
  access_log @DIR@/logs/access.log combined;
  connection_log @DIR@/logs/conn.log;
  server {
    listen 127.0.0.1:@PORT@;
    root @DIR@/html;
  }
""")
    srv.write("index.html", "hello\n")
    for _ in range(3):
        srv.exchange(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    for _ in range(2):
        srv.exchange(b"", shut_wr=True)  # bare: only in the connection log
    srv.wait_log(5, name="conn.log", timeout=5)
    srv.wait_log(3, timeout=5)
    logs = srv.logs
    doc = lshelp.report([os.path.join(logs, "access.log"), os.path.join(logs, "conn.log")])
    assert doc["lines"]["malformed"] == 0, doc["lines"]
    assert doc["formats"]["connection"] == 2 and doc["lines"]["connection_log_with_requests"] == 3
    assert doc["status"]["200"] == 3 and lshelp.ending(doc, "bare_connection") == 2


def test_connection_log_bad_proxy_protocol(tmp_path):
    """A connection closed for a missing or broken PROXY header (issue #19)
    is a malformed connection: counted as a bad request and by its name."""
    log = tmp_path / "conn.log"
    log.write_text(conn_log() + "".join(conn_line("127.0.0.1", 51000 + i, i, 0, "bad_proxy_protocol")
                                        for i in range(3)))
    doc = lshelp.report(["--log-format", "$remote_addr:$remote_port [$time_local] $connection "
                         "$connection_requests $connection_time $bytes_received $bytes_sent $close_reason "
                         "$drop_rule", log])
    assert lshelp.ending(doc, "bad_request") == 3, doc.get("endings")
    assert doc["close_reasons"]["bad_proxy_protocol"] == 3, doc["close_reasons"]
