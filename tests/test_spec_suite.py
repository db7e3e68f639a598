"""Every file of the WebAssembly 2.0 spec suite, one test per file.

A file's test fails on any failed assertion that ``expected_failures.txt`` does not
cover, and on any entry there that no longer matches a failure (so the list only
shrinks). Entries are either one assertion, ``FILE.wast:LINE``, or a pattern,
``FILE.wast ~ TEXT``: every failure in that file whose report contains TEXT (for a
missing feature that fails thousands of assertions the same way; any other
failure in the file still fails the test).
"""

from __future__ import annotations

import glob
import os
from typing import List, Set, Tuple

import pytest

from conftest import REPO, TESTSUITE
from wasmlite.wast_runner import run_file

SUITE_20 = os.path.join(TESTSUITE, "wasm-2.0")
FILES = sorted(glob.glob(os.path.join(SUITE_20, "*.wast")))


def _expected_failures() -> Tuple[Set[Tuple[str, int]], List[Tuple[str, str]]]:
    lines: Set[Tuple[str, int]] = set()
    patterns: List[Tuple[str, str]] = []
    with open(os.path.join(REPO, "tests", "expected_failures.txt"), encoding="utf-8") as f:
        for raw in f:
            entry = raw.split("#", 1)[0].strip()
            if not entry:
                continue
            if "~" in entry:
                file, text = (part.strip() for part in entry.split("~", 1))
                patterns.append((file, text))
            else:
                name, line = entry.rsplit(":", 1)
                lines.add((name, int(line)))
    return lines, patterns


EXPECTED_LINES, EXPECTED_PATTERNS = _expected_failures()


def test_suite_is_present() -> None:
    assert len(FILES) == 148, f"expected the 148 files of the 2.0 suite in {SUITE_20}, found {len(FILES)}"


@pytest.mark.parametrize("path", FILES, ids=os.path.basename)
def test_spec_file(path: str) -> None:
    result = run_file(path)
    name = os.path.basename(path)
    patterns = [text for file, text in EXPECTED_PATTERNS if file == name]
    lines = {line for file, line in EXPECTED_LINES if file == name}
    unexpected = [
        o for o in result.failures if o.line not in lines and not any(text in o.detail for text in patterns)
    ]
    assert not unexpected, "\n".join(f"{name}:{o.line}: {o.detail}" for o in unexpected)
    now_passing = lines - {o.line for o in result.failures}
    assert not now_passing, f"now passing, remove from expected_failures.txt: {sorted(now_passing)}"
    for text in patterns:
        if not any(text in o.detail for o in result.failures):
            pytest.fail(f"no failure matches the expected-failure pattern {text!r} any more: remove it")
