"""hush-logstat's suggestions and spikes on generated logs with a known
ground truth: a heavy good client is shown with its totals and never
suggested, a light bad one is; a /24 and a /64 of bad clients are grouped,
a range with a good client is not; the thresholds are options; a spike
injected at a known minute is found with its p-value, and Poisson noise
gives no spike over several seeds."""
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "logstat"))
import lshelp  # noqa: E402


def line(ip, minute, sec=0, status=200, req="GET / HTTP/1.1"):
    h, m = divmod(minute, 60)
    t = "25/Nov/2026:%02d:%02d:%02d +0000" % (10 + h, m, sec)
    return '%s - - [%s] "%s" %d 12 "-" "Mozilla/5.0"\n' % (ip, t, req, status)


def write(path, lines):
    lines.sort(key=lambda x: x[0])
    with open(path, "w") as f:
        f.writelines(text for _, text in lines)
    return path


def client(lines, ip, requests, bad, minutes=60, bad_status=(444, 400, 408)):
    """requests lines from ip spread over minutes, bad of them 444/400/408."""
    for i in range(requests):
        minute, sec = divmod(i * minutes * 60 // requests, 60)
        status = bad_status[i % len(bad_status)] if i < bad else 200
        lines.append((minute * 60 + sec, line(ip, minute, sec, status)))


def offenders_log(tmp_path):
    lines = []
    client(lines, "10.1.1.1", 8000, 200)          # heavy, 2.5 % bad: never suggested
    client(lines, "198.51.100.7", 40, 36)         # light, 90 % bad: suggested
    for i in range(10, 15):                        # a /24 of bad clients: grouped
        client(lines, "203.0.113.%d" % i, 30, 30)
    for i in range(1, 5):                          # bad clients beside a good one: not grouped
        client(lines, "192.0.2.%d" % i, 25, 25)
    client(lines, "192.0.2.50", 1000, 0)
    for x in ("a", "b", "c"):                      # a /64 of bad clients: grouped
        client(lines, "2001:db8:1:2::%s" % x, 30, 29)
    client(lines, "198.51.100.9", 100, 60)         # 60 % bad
    client(lines, "198.51.100.20", 100, 10)        # 10 bad: under the count
    return write(tmp_path / "off.log", lines)


def test_heavy_good_client_shown_not_suggested(tmp_path):
    log = offenders_log(tmp_path)
    doc = lshelp.report(["-n", "30", log])
    off = doc["offenders"]
    rows = {s["source"]: s for s in off["sources"]}
    heavy = rows["10.1.1.1"]
    assert (heavy["requests"], heavy["bad"]) == (8000, 200) and abs(heavy["bad_share"] - 0.025) < 1e-9
    assert not heavy["suggested"] and "mostly served normally" in heavy["why"]
    assert heavy["first_seen"] == "2026-11-25T10:00:00+00:00"
    assert heavy["last_seen"].startswith("2026-11-25T10:59:")
    light = rows["198.51.100.7"]
    assert (light["requests"], light["bad"], light["suggested"]) == (40, 36, True)
    assert "198.51.100.20" not in rows  # 10 bad: not even an offender row
    deny = [d["addr"] for d in off["deny"]]
    assert "10.1.1.1" not in deny and "192.0.2.50" not in deny
    assert sorted(deny) == sorted(["198.51.100.7", "198.51.100.9", "203.0.113.0/24", "2001:db8:1:2::/64",
                                   "192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"])
    net = next(d for d in off["deny"] if d["addr"] == "203.0.113.0/24")
    assert (net["addresses"], net["requests"], net["bad"]) == (5, 150, 150)
    assert "5 of its 5 addresses" in net["why"]
    assert all(d["why"] for d in off["deny"])
    cfg = off["suggested_config"][0]
    assert cfg.startswith("deny_addr ") and cfg.endswith(";") and "10.1.1.1" not in cfg
    assert "203.0.113.10" not in cfg and "203.0.113.0/24" in cfg and "2001:db8:1:2::/64" in cfg


def test_thresholds_are_options(tmp_path):
    log = offenders_log(tmp_path)
    off = lshelp.report(["-n", "30", "--offender-share", "0.8", "--offender-min", "30", log])["offenders"]
    deny = [d["addr"] for d in off["deny"]]
    # 60 % is under 0.8; the 192.0.2.x have 25 bad (< 30); the /64 members 29
    assert sorted(deny) == sorted(["198.51.100.7", "203.0.113.0/24"])
    assert (off["threshold"], off["min_share"]) == (30, 0.8)
    rows = {s["source"]: s for s in off["sources"]}
    assert not rows["198.51.100.9"]["suggested"] and "60.0% bad < 80%" in rows["198.51.100.9"]["why"]
    off = lshelp.report(["-n", "30", "--group-min", "6", log])["offenders"]
    assert "203.0.113.0/24" not in [d["addr"] for d in off["deny"]]
    assert "203.0.113.10" in [d["addr"] for d in off["deny"]]
    bad = lshelp.run(["--offender-share", "1.5", log], check=False)
    assert bad.returncode == 2 and b"--offender-share" in bad.stderr


def test_no_suggestion_for_good_heavy_only(tmp_path):
    lines = []
    client(lines, "10.1.1.1", 8043, 193)
    off = lshelp.report([write(tmp_path / "h.log", lines)])["offenders"]
    assert off["deny"] == [] and off["suggested_config"] == []
    assert off["sources"][0]["requests"] == 8043
    text = lshelp.run([tmp_path / "h.log"]).stdout.decode()
    assert "mostly served normally" in text and "deny_addr" not in text


def test_reasons_in_text_and_html(tmp_path):
    log = offenders_log(tmp_path)
    text = lshelp.run(["--color", "never", "-n", "30", log]).stdout.decode()
    assert "why:" in text and "203.0.113.0/24" in text and "none is mostly served normally" in text
    assert "8,000" in text and "2.5%" in text
    html = tmp_path / "r.html"
    lshelp.run(["-q", "-n", "30", "--html", html, log])
    page = html.read_text()
    assert "<th>verdict</th>" in page and "mostly served normally" in page and "<h3>Why</h3>" in page


def traffic(rnd, minutes, rate444=0.03, rate499=0.01, spike_minute=None, spike_extra=0, low=False):
    """Lines of normal traffic: about 150 to 230 requests a minute (varying
    over the hour), or about 25 when low, each a 444 or 499 with a fixed
    probability."""
    lines = []
    for m in range(minutes):
        mean = 25 if low else 150 + 80 * (m % 60) / 60
        n = max(1, int(rnd.gauss(mean, mean ** 0.5)))
        for i in range(n):
            u = rnd.random()
            status = 444 if u < rate444 else 499 if u < rate444 + rate499 else 200
            sec = i * 60 // n
            lines.append((m * 60 + sec, line("10.9.%d.%d" % (i % 7, i % 200), m, sec, status)))
        if m == spike_minute:
            for i in range(spike_extra):
                lines.append((m * 60 + i % 60, line("10.66.0.%d" % (i % 50), m, i % 60, 444)))
    return lines


def test_spike_injected_found_with_p_value(tmp_path):
    rnd = random.Random(7)
    log = write(tmp_path / "s.log", traffic(rnd, 180, spike_minute=100, spike_extra=40))
    doc = lshelp.report([log])
    spikes = doc["spikes"]
    assert [(s["start"], s["ending"], s["seconds"]) for s in spikes] == [
        ("2026-11-25T11:40:00+00:00", "drop", 60)]
    s = spikes[0]
    assert s["count"] >= 40 and s["p_value"] < 1e-4 / s["tests"] and s["log10_p"] < -7
    assert s["significance"] == 0.0001 and s["tests"] == 2 * (180 - 5)
    text = lshelp.run([log]).stdout.decode()
    assert "2026-11-25 11:40    1m  444" in text and " p=" in text
    html = tmp_path / "s.html"
    lshelp.run(["-q", "--html", html, log])
    assert "<th class=\"n\">p-value</th>" in html.read_text()


def test_poisson_noise_has_no_spikes(tmp_path):
    for seed in range(1, 7):
        rnd = random.Random(seed)
        log = write(tmp_path / ("n%d.log" % seed), traffic(rnd, 240))
        assert lshelp.report([log])["spikes"] == [], seed


def test_low_traffic_noise_has_no_spikes(tmp_path):
    # 25 requests a minute, 8 % 444 and 4 % 499: the former rule (twice the
    # baseline, three standard deviations, five points) flagged 1 to 5
    # chance minutes in each of these logs
    for seed in range(1, 7):
        rnd = random.Random(seed)
        log = write(tmp_path / ("q%d.log" % seed), traffic(rnd, 240, 0.08, 0.04, low=True))
        assert lshelp.report([log])["spikes"] == [], seed


def test_lasting_change_is_one_spike(tmp_path):
    rnd = random.Random(3)
    lines = traffic(rnd, 60) + [(t + 3600, x.replace("25/Nov/2026:10:", "25/Nov/2026:11:"))
                                for t, x in traffic(rnd, 3, rate444=0.3)]
    spikes = lshelp.report([write(tmp_path / "l.log", lines)])["spikes"]
    assert len(spikes) == 1 and spikes[0]["start"] == "2026-11-25T11:00:00+00:00"
    assert spikes[0]["seconds"] >= 120


FMT = ('$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" '
       '"$http_user_agent" $request_time "$upstream_addr"')


def tline(i, path, status, rt=0.1, up="-", hour=10):
    t = "25/Nov/2026:%02d:%02d:%02d +0100" % (hour, i // 60 % 60, i % 60)
    return '10.7.%d.%d - - [%s] "GET %s HTTP/1.1" %d 0 "-" "x" %.3f "%s"\n' % (
        i % 5, i % 250, t, path, status, rt, up)


def test_probes_errors_upstreams_hours(tmp_path):
    out = []
    out += [tline(i, "/wp-login.php", 404) for i in range(300)]
    out += [tline(i, "/wp-login.php", 444) for i in range(100)]
    out += [tline(i, "/.env?x=1", 404) for i in range(200)]
    out += [tline(i, "/", 200, hour=11) for i in range(5000)]
    for i in range(1000):
        st, rt = (502, 5.0) if i < 100 else (499, 5.0) if i < 150 else (200, 0.1)
        out.append(tline(i, "/api/slow", st, rt, "10.0.0.2:8080"))
    out += [tline(i, "/api/fast", 200, 0.02, "10.0.0.2:8080, 10.0.0.3:8080") for i in range(500)]
    out += [tline(i, "/api/fast", 504, 0.02, "10.0.0.2:8080 : -") for i in range(7)]
    log = tmp_path / "t.log"
    log.write_text("".join(out))
    doc = lshelp.report(["--log-format", FMT, log])
    probes = doc["probes"]
    assert [(p["location"], p["not_found"]) for p in probes] == [("/wp-login.php", 300), ("/.env", 200)]
    assert probes[0]["requests"] == 400 and probes[0]["dropped"] == 100 and probes[0]["dropped_share"] == 0.25
    err = doc["server_errors"]
    assert (err[0]["location"], err[0]["5xx"], err[0]["499"], err[0]["requests"]) == ("/api/slow", 100, 50, 1000)
    assert abs(err[0]["rate"] - 0.15) < 1e-9 and err[0]["p50"] < 0.2 and 4.5 < err[0]["p99"] < 5.5
    assert (err[1]["location"], err[1]["5xx"]) == ("/api/fast", 7)
    ups = {u["upstream"]: u for u in doc["upstreams"]}
    # the last address of a list answered; "10.0.0.2:8080 : -" is the first
    assert (ups["10.0.0.2:8080"]["requests"], ups["10.0.0.2:8080"]["5xx"], ups["10.0.0.2:8080"]["499"]) == (1007, 107, 50)
    assert ups["10.0.0.3:8080"]["requests"] == 500 and ups["10.0.0.3:8080"]["5xx"] == 0
    assert doc["upstreams"][0]["upstream"] == "10.0.0.2:8080" and 4.5 < ups["10.0.0.2:8080"]["p99"] < 5.5
    hours = {h["hour"]: h for h in doc["hours"]}
    assert sorted(hours) == [10, 11] and hours[11]["total"] == 5000 and hours[11]["ok"] == 5000
    assert hours[10]["drop"] == 100 and hours[10]["4xx"] == 500 and hours[10]["5xx"] == 107
    assert hours[10]["client_abort"] == 50
    text = lshelp.run(["--log-format", FMT, log]).stdout.decode()
    assert "PROBES (404 by location)" in text and "/wp-login.php" in text and "25.0%" in text
    assert "by upstream" in text and "10.0.0.3:8080" in text and "ENDINGS BY HOUR" in text
    html = tmp_path / "t.html"
    lshelp.run(["-q", "--log-format", FMT, "--html", html, log])
    page = html.read_text()
    assert 'id="probes"' in page and 'id="errors"' in page and 'id="hours"' in page and "10.0.0.3:8080" in page


def test_no_upstream_addr_said(tmp_path):
    log = tmp_path / "c.log"
    log.write_text(line("10.0.0.1", 0, 0, 502))
    doc = lshelp.report([log])
    assert doc["upstreams"] == [] and doc["server_errors"][0]["5xx"] == 1
    assert "no $upstream_addr in this log" in lshelp.run([log]).stdout.decode()


def test_v4_mapped_never_grouped(tmp_path):
    # a dual-stack listener logs IPv4 clients as ::ffff:a.b.c.d: their /64
    # would be every IPv4 client, so they are suggested one by one
    lines = []
    for i in range(1, 5):
        client(lines, "::ffff:203.0.113.%d" % i, 30, 30)
    off = lshelp.report([write(tmp_path / "m.log", lines)])["offenders"]
    assert sorted(d["addr"] for d in off["deny"]) == ["::ffff:203.0.113.%d" % i for i in range(1, 5)]
    assert all(s["suggested"] for s in off["sources"])
