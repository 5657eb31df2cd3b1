"""hush-logstat --html: one self-contained page that headless Chromium
(Debian's) renders: a screenshot that is not blank, and a DOM with the
report's content.  The log is a hush JSON-lines log with $close_reason."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "logstat"))
import lshelp  # noqa: E402


def chromium(args, tmp):
    lshelp.need(lshelp.CHROMIUM, "chromium")
    profile = tempfile.mkdtemp(prefix="chromium-", dir=tmp)
    cmd = [lshelp.CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--user-data-dir=" + profile] + args
    return subprocess.run(cmd, capture_output=True, timeout=60)


def write_log(path):
    lines = []
    for i in range(600):
        m, s = divmod(i, 20)
        t = "2026-11-25T10:%02d:%02d+00:00" % (m, s * 3)
        rec = {"time_iso8601": t, "remote_addr": "10.0.0.%d" % (i % 7), "request": "GET /api/r HTTP/1.1",
               "status": 200, "body_bytes_sent": 10, "request_time": 0.020, "upstream_response_time": "0.019",
               "host": "a.test", "http_user_agent": "Mozilla/5.0", "close_reason": "ok", "drop_rule": "-"}
        if i % 5 == 0:
            rec.update(status=444, close_reason="drop", drop_rule="ua", http_user_agent="<script>alert(1)</script>",
                       remote_addr="198.51.100.%d" % (i % 3))
        elif i % 7 == 0:
            rec.update(status=499, close_reason="client_abort", request="POST /slow HTTP/1.1", request_time=2.5)
        lines.append(json.dumps(rec))
    path.write_text("\n".join(lines) + "\n")


def test_html_renders_in_chromium(tmp_path):
    log = tmp_path / "hush.log"
    write_log(log)
    html = tmp_path / "report.html"
    r = lshelp.run(["--html", html, "-q", log])
    assert r.stdout == b""
    page = html.read_text()
    assert "<svg" in page and "<script" not in page.replace("&lt;script", "")
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    shot = tmp_path / "shot.png"
    c = chromium(["--screenshot=" + str(shot), "--window-size=1200,2000", "file://" + str(html)], tmp_path)
    assert shot.exists(), c.stderr.decode(errors="replace")[-2000:]
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    # a blank white page compresses to a few kB; charts and tables do not
    assert len(png) > 30000, len(png)
    dom = chromium(["--dump-dom", "file://" + str(html)], tmp_path).stdout.decode()
    assert "How the requests ended" in dom
    assert "Who is dropped (444): 120" in dom
    assert "Who gives up (499)" in dom and "/slow" in dom
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom  # log text escaped, never markup
    assert "deny_addr" in dom
    assert dom.count("<svg") == 3
