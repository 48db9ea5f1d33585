#!/usr/bin/env python3
"""Fails when a Catch2 test name holds a ';'.

ctest's test discovery splits names at ';' (a CMake list separator): such a test is registered
under a cut name that matches no test, and ctest then reports it passed without running it.
"""
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parent.parent
bad = []
for path in sorted((root / "tests").rglob("*.cpp")):
    text = path.read_text()
    for m in re.finditer(r'TEST_CASE\(((?:\s*"(?:[^"\\]|\\.)*")+)', text):
        name = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1)))
        if ";" in name:
            line = text.count("\n", 0, m.start()) + 1
            bad.append(f"{path.relative_to(root)}:{line}: {name}")
if bad:
    print("test names must not contain ';' (ctest would skip them):", *bad, sep="\n  ")
    sys.exit(1)
