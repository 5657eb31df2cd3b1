"""Runs every C unit-test binary (built from tests/unit/**/*_test.c) as one pytest case each."""
import os, pathlib, subprocess
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
BUILD = ROOT / os.environ.get("HUSH_BUILD", "build")
BINS = sorted(p for p in (BUILD / "tests" / "unit").rglob("*_test") if p.is_file() and os.access(p, os.X_OK))


@pytest.mark.parametrize("binary", BINS, ids=[str(b.relative_to(BUILD / "tests" / "unit")) for b in BINS])
def test_unit(binary):
    r = subprocess.run([str(binary)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-4000:] + r.stdout[-1000:]
