"""The README's table of nginx directives (supported / not yet / hush's
own) says what this binary accepts: scripts/directives.py recomputes it by
asking `hush -t` about each name and compares it with README.md. After adding
a directive, run `scripts/directives.py build/hush --write`."""
import os
import subprocess
import sys

from conftest import HUSH_BIN, ROOT


def test_readme_directive_table_is_current():
    r = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "directives.py"), HUSH_BIN, "--check"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
