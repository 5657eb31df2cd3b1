"""hush-logstat on hand-made logs: hush's JSON lines with $close_reason and
$drop_rule, nginx's main format, old nginx's "-" 400 lines, escapes,
upstream time lists, caps with an "others" bucket, spikes, offenders and
the config they suggest, --follow across a rotation, errors."""
import gzip
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "logstat"))
import lshelp  # noqa: E402

FIX = os.path.join(os.path.dirname(__file__), "logstat")


def combined(ip="10.0.0.1", t="25/Nov/2026:10:00:00 +0000", req="GET / HTTP/1.1", status=200,
             ua="Mozilla/5.0", extra="", size=12):
    return '%s - - [%s] "%s" %d %d "-" "%s"%s\n' % (ip, t, req, status, size, ua, extra)


def test_hush_json_close_reasons_and_rules():
    doc = lshelp.report([os.path.join(FIX, "hush.jsonl")])
    assert doc["formats"]["json"] == 12 and doc["lines"]["malformed"] == 1
    assert doc["close_reasons"] == {"ok": 3, "drop": 3, "client_abort": 2, "header_timeout": 1,
                                    "bad_request": 1, "no_request": 1, "other": 1}
    # status as a string or a number; a connection-log line without status
    assert doc["status"] == {"200": 3, "400": 2, "408": 1, "444": 3, "499": 2, "none": 1}
    assert lshelp.ending(doc, "bare_connection") == 1  # close_reason no_request
    assert lshelp.ending(doc, "bad_request") == 1
    assert lshelp.ending(doc, "drop") == 3
    rules = {r["key"]: r["count"] for r in doc["dropped"]["rules"]}
    assert rules == {"ua": 2, "limit_req:perip": 1}
    assert doc["dropped"]["hosts"][0] == {"key": "a.test", "count": 3, "share": 1}
    # escapes decoded: the user agent has a quote and a non-ASCII letter
    assert doc["dropped"]["user_agents"][0]["key"] == 'bot "x" \u00e9'
    row = doc["aborts"]["by_count"][0]
    assert row["location"] == "/api/search" and row["aborts"] == 2
    # upstream_response_time "0.5, 0.25" is the sum of both attempts
    assert abs(doc["latency"]["upstream_response_time"]["max"] - 0.75) < 1e-9
    assert "ok" in lshelp.run([os.path.join(FIX, "hush.jsonl")]).stdout.decode()


def test_main_format_and_real_ip(tmp_path):
    log = tmp_path / "main.log"
    log.write_text(combined(ip="10.0.0.9", status=444, extra=' "203.0.113.5, 10.0.0.2"') * 3 +
                   combined(ip="10.0.0.9", status=444, extra=' "-"') +
                   combined(status=200) +
                   combined(status=200, extra=" 0.123 extra fields"))
    doc = lshelp.report([log])
    assert doc["formats"] == {"combined": 2, "main": 4, "custom": 0, "json": 0, "connection": 0}
    assert doc["dropped"]["sources"][0]["key"] == "10.0.0.9"
    doc = lshelp.report(["--real-ip", log])
    assert [(s["key"], s["count"]) for s in doc["dropped"]["sources"]] == [("203.0.113.5", 3), ("10.0.0.9", 1)]


def test_bare_400_old_and_new_nginx(tmp_path):
    log = tmp_path / "a.log"
    log.write_text(combined(req="-", status=400, size=0) + combined(req="", status=400, size=0) +
                   combined(req="\\x16\\x03\\x01", status=400) + combined(req="GET /", status=400) +
                   combined(req="-", status=400, size=155))  # an error page sent: bytes came
    doc = lshelp.report([log])
    assert lshelp.ending(doc, "bare_connection") == 2
    assert lshelp.ending(doc, "bad_request") == 3


def test_escaped_quotes_and_crlf_and_no_final_newline(tmp_path):
    log = tmp_path / "a.log"
    body = (combined(ua='sqlmap \\x22quoted\\x22', status=444) +
            combined(ua='apache style \\" quote', status=444).replace("\n", "\r\n") +
            combined(status=200).rstrip("\n"))
    log.write_text(body)
    doc = lshelp.report([log])
    assert doc["lines"]["parsed"] == 3 and doc["lines"]["malformed"] == 0
    uas = {u["key"] for u in doc["dropped"]["user_agents"]}
    assert uas == {'sqlmap \\x22quoted\\x22', 'apache style \\" quote'}


def test_log_format_unknown_variables_and_lists(tmp_path):
    fmt = ('$remote_addr [$time_local] "$request" $status $request_time '
           '"$upstream_response_time" $connection_requests "$http_user_agent" $pipe ${host}:$server_port')
    log = tmp_path / "custom.log"
    log.write_text(
        '1.2.3.4 [25/Nov/2026:10:00:00 +0100] "GET /a?x=1 HTTP/1.1" 499 1.500 "0.5, 1.0 : -" 3 "ua 1" . h.test:80\n'
        '1.2.3.4 [25/Nov/2026:10:00:01 +0100] "GET /a HTTP/1.1" 200 0.010 "-" 1 "ua 2" p h.test:80\n'
        'garbage\n')
    doc = lshelp.report(["--log-format", fmt, log])
    assert doc["formats"]["custom"] == 2 and doc["lines"]["malformed"] == 1
    assert doc["lines"]["connection_log"] == 0  # $connection_requests beside $status: an access log
    assert doc["time"]["first"] == "2026-11-25T10:00:00+01:00"
    assert doc["aborts"]["by_count"][0]["location"] == "/a"
    assert abs(doc["latency"]["upstream_response_time"]["max"] - 1.5) < 1e-9
    assert abs(doc["latency"]["abort_wait"]["max"] - 1.5) < 1e-9
    r = lshelp.run(["--log-format", "${unclosed", log], check=False)
    assert r.returncode == 2 and b"log-format" in r.stderr


def test_caps_fold_into_others(tmp_path):
    log = tmp_path / "many.log"
    with open(log, "w") as f:
        for i in range(3000):
            f.write(combined(ip="10.%d.%d.%d" % (i // 65536, i // 256 % 256, i % 256), status=444,
                             req="GET /p%d HTTP/1.1" % i))
        for _ in range(50):
            f.write(combined(ip="192.0.2.1", status=444))
    doc = lshelp.report(["--max-keys", "100", log])
    src = doc["others"]["sources"]
    assert src["keys_kept"] <= 100 and src["keys_folded"] > 0
    # nothing is lost: kept counts plus folded counts are the total
    assert doc["dropped"]["total"] == 3050
    top = doc["dropped"]["sources"][0]
    assert (top["key"], top["count"]) == ("192.0.2.1", 50)
    loc = doc["others"]["locations"]
    assert loc["keys_kept"] <= 100 and loc["count_folded"] > 0


def test_spikes_and_offenders(tmp_path):
    log = tmp_path / "spike.log"
    with open(log, "w") as f:
        for m in range(40):
            for s in range(50):
                t = "25/Nov/2026:10:%02d:%02d +0000" % (m, s)
                bad = (m == 30 and s < 30) or s == 0
                f.write(combined(ip="203.0.113.%d" % (s % 4 + 1) if bad else "10.0.0.1", t=t,
                                 status=444 if bad else 200))
            f.write(combined(ip="198.51.100.7", t="25/Nov/2026:10:%02d:59 +0000" % m, req="POST /x HTTP/1.1",
                             status=499 if m in (10, 11) else 200))
    doc = lshelp.report(["--offender-min", "5", log])
    spikes = doc["spikes"]
    assert [(s["start"], s["ending"]) for s in spikes] == [("2026-11-25T10:30:00+00:00", "drop")]
    assert spikes[0]["count"] == 30 and spikes[0]["requests"] == 51
    off = doc["offenders"]
    assert [(s["source"], s["444"]) for s in off["sources"]] == [
        ("203.0.113.1", 47), ("203.0.113.2", 8), ("203.0.113.3", 7), ("203.0.113.4", 7)]
    assert off["suggested_config"][0] == "deny_addr 203.0.113.0/24;"
    assert off["suggested_config"][1].startswith("ban_zone zone=offenders:10m key=$binary_remote_addr threshold=5")
    text = lshelp.run(["--offender-min", "5", log]).stdout.decode()
    assert "2026-11-25 10:30    1m  444" in text and "deny_addr 203.0.113.0/24;" in text


def test_empty_and_missing_files(tmp_path):
    empty = tmp_path / "empty.log"
    empty.write_text("")
    doc = lshelp.report([empty])
    assert doc["lines"]["total"] == 0 and doc["spikes"] == []
    r = lshelp.run(["--json", tmp_path / "missing.log", empty], check=False)
    assert r.returncode == 1 and b"missing.log" in r.stderr
    assert json.loads(r.stdout)["lines"]["total"] == 0
    whole = gzip.compress("".join(combined(req="GET /%d HTTP/1.1" % i) for i in range(2000)).encode())
    for name, data in (("cut.gz", whole[: len(whole) // 2]), ("junk.gz", whole[:40] + b"\xff" * 64)):
        (tmp_path / name).write_bytes(data)
        r = lshelp.run(["--json", tmp_path / name], check=False)
        assert r.returncode == 1 and b"gzip" in r.stderr
        assert json.loads(r.stdout)["lines"]["total"] < 2000  # what was read is reported
    assert lshelp.run(["--help"]).stdout.startswith(b"usage: hush-logstat")
    assert lshelp.run(["--top", "0", empty], check=False).returncode == 2


def test_overlong_line_is_malformed(tmp_path):
    log = tmp_path / "long.log"
    with open(log, "w") as f:
        f.write(combined())
        f.write("x" * (5 << 20) + "\n")
        f.write(combined())
    doc = lshelp.report([log])
    assert doc["lines"]["parsed"] == 2 and doc["lines"]["malformed"] == 1


def test_follow_across_rotation(tmp_path):
    log = tmp_path / "live.log"
    log.write_text(combined(status=444) * 2)
    lshelp.need(lshelp.LOGSTAT, "hush-logstat")
    p = subprocess.Popen([str(lshelp.LOGSTAT), "--follow", "--json", "--interval", "1", str(log)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        time.sleep(0.5)
        with open(log, "a") as f:
            f.write(combined(status=499))
            f.write(combined(status=200)[:20])  # half a line, finished after rotation
        time.sleep(0.5)
        with open(log, "a") as f:
            f.write(combined(status=200)[20:])
        os.rename(log, str(log) + ".1")
        log.write_text(combined(status=408) * 3)
        time.sleep(1.5)
        with open(log, "a") as f:
            f.write(combined(status=400, req="-", size=0))
        time.sleep(0.6)
    finally:
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=10)
    assert p.returncode == 0, err
    docs = [json.loads(d) for d in out.decode().split("\n}\n") if d.strip() for d in [d + "\n}"]]
    final = docs[-1]
    assert len(docs) >= 2  # at least one periodic report before the final one
    assert final["status"] == {"444": 2, "499": 1, "200": 1, "408": 3, "400": 1}
    assert final["lines"]["malformed"] == 0
