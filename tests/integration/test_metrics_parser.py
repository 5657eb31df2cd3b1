"""Helpers for the metrics tests: a strict Prometheus text-format (0.0.4)
parser, scraping, and counter deltas.

The parser refuses anything a strict consumer would: a sample before its
family's # TYPE, a family declared twice or split, unknown types, malformed
names, labels or escapes, duplicate series, duplicate label names, values
that are not numbers, histograms whose buckets are not cumulative or lack
+Inf (or whose +Inf differs from _count), counters without _total, and text
without a final newline."""
import math
import re
import shutil
import subprocess

from conftest import parse_responses, req

NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
LABEL_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


class ExpositionError(AssertionError):
    pass


def _parse_labels(s, lineno):
    """Parse 'a="x",b="y"' (the inside of the braces); returns (dict, rest)."""
    labels = {}
    i = 0
    while True:
        if s[i] == "}":
            return labels, s[i + 1:]
        m = re.match(r"([a-zA-Z_][a-zA-Z0-9_]*)=\"", s[i:])
        if not m:
            raise ExpositionError("line %d: bad label at %r" % (lineno, s[i:i + 40]))
        name = m.group(1)
        i += m.end()
        val = []
        while True:
            if i >= len(s):
                raise ExpositionError("line %d: unterminated label value" % lineno)
            c = s[i]
            if c == "\\":
                nxt = s[i + 1] if i + 1 < len(s) else ""
                if nxt not in ("\\", '"', "n"):
                    raise ExpositionError("line %d: bad escape \\%s" % (lineno, nxt))
                val.append({"\\": "\\", '"': '"', "n": "\n"}[nxt])
                i += 2
                continue
            if c == '"':
                i += 1
                break
            if c == "\n":
                raise ExpositionError("line %d: raw newline in a label value" % lineno)
            val.append(c)
            i += 1
        if name in labels:
            raise ExpositionError("line %d: label %s twice" % (lineno, name))
        labels[name] = "".join(val)
        if s[i] == ",":
            i += 1
            if s[i] == "}":  # a trailing comma is allowed by the format
                return labels, s[i + 1:]
        elif s[i] != "}":
            raise ExpositionError("line %d: expected , or } at %r" % (lineno, s[i:i + 20]))


def _value(v, lineno):
    if v in ("+Inf", "-Inf", "NaN"):
        return float(v.replace("Inf", "inf").replace("NaN", "nan"))
    if not re.match(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\Z", v):
        raise ExpositionError("line %d: bad value %r" % (lineno, v))
    return float(v)


def parse_exposition(text):
    """Returns {family: {"type", "help", "samples": [(name, labels, value)]}}."""
    if not text.endswith("\n"):
        raise ExpositionError("no final newline")
    families = {}
    order = []
    current = None
    seen_series = set()
    for lineno, line in enumerate(text.split("\n")[:-1], 1):
        if line == "":
            continue
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                if not NAME_RE.match(name):
                    raise ExpositionError("line %d: bad metric name %r" % (lineno, name))
                fam = families.setdefault(name, {"type": None, "help": None, "samples": []})
                if name not in order:
                    if current and current != name and name in order:
                        raise ExpositionError("line %d: family %s split" % (lineno, name))
                    order.append(name)
                elif current != name:
                    raise ExpositionError("line %d: family %s declared again" % (lineno, name))
                if parts[1] == "TYPE":
                    if fam["type"] is not None:
                        raise ExpositionError("line %d: second TYPE for %s" % (lineno, name))
                    if fam["samples"]:
                        raise ExpositionError("line %d: TYPE after samples of %s" % (lineno, name))
                    t = parts[3] if len(parts) > 3 else ""
                    if t not in TYPES:
                        raise ExpositionError("line %d: bad type %r" % (lineno, t))
                    fam["type"] = t
                else:
                    if fam["help"] is not None:
                        raise ExpositionError("line %d: second HELP for %s" % (lineno, name))
                    h = parts[3] if len(parts) > 3 else ""
                    if re.search(r"\\[^\\n]", h):
                        raise ExpositionError("line %d: bad escape in HELP" % lineno)
                    fam["help"] = h
                current = name
            continue
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)", line)
        if not m:
            raise ExpositionError("line %d: bad sample %r" % (lineno, line))
        name = m.group(1)
        rest = line[m.end():]
        labels = {}
        if rest.startswith("{"):
            labels, rest = _parse_labels(rest[1:], lineno)
        if not rest.startswith(" "):
            raise ExpositionError("line %d: no space before the value: %r" % (lineno, line))
        fields = rest[1:].split(" ")
        if len(fields) not in (1, 2) or (len(fields) == 2 and not re.match(r"-?\d+\Z", fields[1])):
            raise ExpositionError("line %d: bad value/timestamp %r" % (lineno, rest))
        value = _value(fields[0], lineno)
        if current is None:
            raise ExpositionError("line %d: sample %s without # TYPE" % (lineno, name))
        ftype = families[current]["type"]
        allowed = {current}
        if ftype == "histogram":
            allowed = {current + "_bucket", current + "_sum", current + "_count"}
        elif ftype == "summary":
            allowed = {current, current + "_sum", current + "_count"}
        if name not in allowed:
            raise ExpositionError("line %d: sample %s outside its family %s" % (lineno, name, current))
        fam_name = current
        if ftype is None:
            raise ExpositionError("line %d: sample before # TYPE %s" % (lineno, current))
        if ftype == "counter" and (value < 0 or math.isnan(value)):
            raise ExpositionError("line %d: negative counter" % lineno)
        key = (name, tuple(sorted(labels.items())))
        if key in seen_series:
            raise ExpositionError("line %d: duplicate series %s%s" % (lineno, name, labels))
        seen_series.add(key)
        families[fam_name]["samples"].append((name, labels, value))
    for name, fam in families.items():
        if fam["type"] is None:
            raise ExpositionError("family %s has no TYPE" % name)
        if fam["type"] == "counter" and not name.endswith("_total"):
            raise ExpositionError("counter %s does not end in _total" % name)
        if fam["type"] == "histogram":
            _check_histogram(name, fam["samples"])
    return families


def _check_histogram(name, samples):
    groups = {}
    for sname, labels, value in samples:
        base = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        g = groups.setdefault(base, {"buckets": [], "sum": None, "count": None})
        if sname.endswith("_bucket"):
            if "le" not in labels:
                raise ExpositionError("%s: bucket without le" % name)
            g["buckets"].append((float(labels["le"].replace("Inf", "inf")), value))
        elif sname.endswith("_sum"):
            g["sum"] = value
        else:
            g["count"] = value
    for base, g in groups.items():
        les = [le for le, _ in g["buckets"]]
        if les != sorted(les) or not les or les[-1] != math.inf:
            raise ExpositionError("%s%s: buckets unsorted or without +Inf" % (name, base))
        counts = [c for _, c in g["buckets"]]
        if any(b < a for a, b in zip(counts, counts[1:])):
            raise ExpositionError("%s%s: buckets not cumulative" % (name, base))
        if g["count"] is None or g["sum"] is None or g["count"] != counts[-1]:
            raise ExpositionError("%s%s: _count/_sum missing or _count != +Inf" % (name, base))


def promtool():
    return shutil.which("promtool")


def promtool_check(text):
    """Runs `promtool check metrics` on text; returns (ok, output)."""
    p = subprocess.run([promtool(), "check", "metrics"], input=text, capture_output=True, text=True,
                       timeout=20)
    return p.returncode == 0, p.stdout + p.stderr


class Scrape:
    def __init__(self, text):
        self.text = text
        self.families = parse_exposition(text)

    def samples(self, name):
        for fam in self.families.values():
            for sname, labels, value in fam["samples"]:
                if sname == name:
                    yield labels, value

    def total(self, name, **labels):
        return sum(v for l, v in self.samples(name) if all(l.get(k) == w for k, w in labels.items()))

    def labels(self, name, key):
        return {l.get(key) for l, _ in self.samples(name)}


def scrape(srv, path="/metrics", port=None):
    r = srv.exchange(req(path), port=port, timeout=5)
    rs = parse_responses(r.data)
    assert len(rs) == 1 and rs[0].status == 200, r
    assert rs[0].header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8"
    return Scrape(rs[0].body.decode("utf-8"))


def delta(before, after, name, **labels):
    return after.total(name, **labels) - before.total(name, **labels)


# ---- the parser's own tests: it must refuse what a strict consumer refuses ----

import pytest  # noqa: E402

GOOD = """# HELP a_total Help.
# TYPE a_total counter
a_total{x="1",y="q\\"\\\\\\n"} 3
a_total 4
# TYPE h histogram
h_bucket{le="0.1"} 1
h_bucket{le="+Inf"} 2
h_sum 0.5
h_count 2
"""

BAD = [
    ("a_total 1\n", "without # TYPE"),
    ("# TYPE a_total counter\na_total 1", "no final newline"),
    ("# TYPE a counter\na 1\n", "does not end in _total"),
    ("# TYPE a_total counter\na_total{x=\"1\"} 1\na_total{x=\"1\"} 2\n", "duplicate series"),
    ("# TYPE a_total counter\na_total{x=\"\\q\"} 1\n", "bad escape"),
    ("# TYPE a_total counter\na_total{x=\"1\",x=\"2\"} 1\n", "twice"),
    ("# TYPE a_total counter\na_total one\n", "bad value"),
    ("# TYPE a_total counter\nb_total 1\n", "outside its family"),
    ("# TYPE a_total bogus\n", "bad type"),
    ("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n", "cumulative"),
    ("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n", "+Inf"),
    ("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 1\n", "_count"),
    ("# TYPE a_total counter\na_total 1\n# TYPE b gauge\nb 1\n# TYPE a_total counter\n", "again"),
    ("# TYPE a_total counter\na_total -1\n", "negative"),
]


def test_parser_accepts_good_text():
    fams = parse_exposition(GOOD)
    assert fams["a_total"]["samples"][0][1] == {"x": "1", "y": 'q"\\\n'}
    assert fams["h"]["type"] == "histogram"


@pytest.mark.parametrize("text,why", BAD, ids=[w for _, w in BAD])
def test_parser_refuses(text, why):
    with pytest.raises(ExpositionError) as e:
        parse_exposition(text)
    assert why in str(e.value)
