"""scripts/check-layers.sh on a tiny fake tree: a tree that keeps the layers
passes (exit 0, "layers ok: N files, M includes checked"); an include from a
lower layer of a higher one, or of another folder's private header, fails
with exit 1 and FILE:LINE: <folder> may not include <header> (allowed: ...)."""
import os
import shutil
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPT = os.path.join(ROOT, "scripts", "check-layers.sh")

# A tree that follows the table: each folder includes itself and lower layers.
GOOD = {
    "src/core/str.h": "#ifndef STR_H\n#define STR_H\n#endif\n",
    "src/core/pool.c": '#include "core/str.h"\n#include <stdlib.h>\n',
    "src/event/loop.h": '#include "core/str.h"\n',
    "src/conf/tree.c": '#include "conf/tree.h"\n#include "core/str.h"\n',
    "src/conf/tree.h": "",
    "src/http/http.h": '#include "event/loop.h"\n#include "conf/tree.h"\n',
    "src/http/request_internal.h": '#include "http/http.h"\n',
    "src/http/request.c": '#include "http/request_internal.h"\n#include "http/http.h"\n',
    "src/log/writer.h": '#include "http/http.h"\n',
    "src/edge/edge.c": '#include "http/http.h"\n#include "stats/counters.h"\n',
    "src/stats/counters.h": '#include "http/http.h"\n',
    "src/main.c": '#include "edge/edge.h"\n#include "version.h"\n  #  include "http/http.h" /* spaced */\n',
    "src/edge/edge.h": "",
    "src/version.h": "",
    "tools/logstat/record.h": "",
    "tools/logstat/main.c": '#include "record.h"\n#include "core/str.h"\n#include "log/writer.h"\n',
}


def make_tree(base, extra=None):
    os.makedirs(os.path.join(base, "scripts"))
    shutil.copy(SCRIPT, os.path.join(base, "scripts", "check-layers.sh"))
    for rel, text in {**GOOD, **(extra or {})}.items():
        path = os.path.join(base, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    return base


def run(base):
    r = subprocess.run(["bash", os.path.join(base, "scripts", "check-layers.sh")], cwd=base,
                       capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout, r.stderr


def test_good_tree_passes(tmp_path):
    rc, out, err = run(make_tree(str(tmp_path)))
    assert rc == 0, out + err
    # 15 files; quoted includes: 1+1+2+2+1+2+1+2+3+3 = 18 (<stdlib.h> is not one)
    assert out.strip() == "layers ok: 16 files, 19 includes checked", out + err


def test_upward_include_fails(tmp_path):
    base = make_tree(str(tmp_path), {"src/core/x.c": '#include "core/str.h"\n\n#include "http/http.h"\n'})
    rc, out, err = run(base)
    assert rc == 1, out + err
    assert out.splitlines() == ["src/core/x.c:3: src/core may not include http/http.h (allowed: its own folder only)"], out
    assert "layers ok" not in out


def test_private_header_fails(tmp_path):
    # edge may include http/, but not http's private header
    base = make_tree(str(tmp_path), {"src/edge/drop.c": '#include "http/http.h"\n#include "http/request_internal.h"\n'})
    rc, out, err = run(base)
    assert rc == 1, out + err
    lines = out.splitlines()
    assert len(lines) == 1, out
    assert lines[0].startswith("src/edge/drop.c:2: src/edge may not include http/request_internal.h (allowed: "), out


def test_private_header_from_top_level_fails(tmp_path):
    base = make_tree(str(tmp_path), {"src/config.c": '#include "http/request_internal.h"\n'})
    rc, out, _ = run(base)
    assert rc == 1
    assert out.startswith("src/config.c:1: src may not include http/request_internal.h"), out


@pytest.mark.parametrize("where, text, expect", [
    # a folder the table does not know, on the included side ...
    ("src/http/quic.c", '#include "quic/quic.h"\n', "src/quic has no line in the table"),
    # ... and on the including side
    ("src/quic/quic.c", '#include "core/str.h"\n', "src/quic has no line in the table"),
    # a lower layer including the top level of src/
    ("src/http/server.c", '#include "version.h"\n', "src/http may not include version.h (allowed: core event conf parse transport)"),
])
def test_other_violations(tmp_path, where, text, expect):
    rc, out, _ = run(make_tree(str(tmp_path), {where: text}))
    assert rc == 1
    assert out.startswith(where + ":1: ") and expect in out, out
