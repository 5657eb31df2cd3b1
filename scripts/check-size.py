#!/usr/bin/env python3
"""scripts/check-size.py — keeps files and functions short (make check-size).

Fails (exit 1) when a C file under src/ or tools/ is longer than MAX_FILE
lines, when a function body is longer than MAX_FUNC lines, or when src/http
(the HTTP core) is longer than MAX_HTTP lines in all. A function is counted
from its opening brace at the start of a line to the closing brace at the
start of a line (the style the tree is written in). Prints the five longest
functions either way.
"""
import os
import sys

MAX_FILE = 800
MAX_FUNC = 60
MAX_HTTP = 4500


def c_files(root):
    for top in ("src", "tools"):
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            for n in sorted(names):
                if n.endswith((".c", ".h")):
                    yield os.path.join(dirpath, n)


def functions(lines):
    """(name line, length) of every body from a line '{' to a line '}'."""
    start = None
    for i, line in enumerate(lines):
        if line.startswith("{") and start is None:
            start = i
        elif line.startswith("}") and start is not None:
            yield start, i - start - 1
            start = None


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    problems, longest, http_lines = [], [], 0
    for path in c_files(root):
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read().split("\n")
        rel = os.path.relpath(path, root)
        n = len(lines) - (1 if lines and lines[-1] == "" else 0)
        if rel.startswith("src/http/"):
            http_lines += n
        if n > MAX_FILE:
            problems.append(f"{rel}: {n} lines (at most {MAX_FILE})")
        for start, length in functions(lines):
            name = lines[start - 1].strip() if start else "?"
            longest.append((length, f"{rel}:{start}: {name}"))
            if length > MAX_FUNC:
                problems.append(f"{rel}:{start}: function of {length} lines (at most {MAX_FUNC}): {name}")
    if http_lines > MAX_HTTP:
        problems.append(f"src/http: {http_lines} lines (at most {MAX_HTTP})")
    for p in problems:
        print(p)
    longest.sort(reverse=True)
    print("longest functions: " + "; ".join(f"{l} lines {w}" for l, w in longest[:5]))
    print(f"src/http: {http_lines} lines")
    print(f"size: {len(problems)} problems" if problems else "size ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
