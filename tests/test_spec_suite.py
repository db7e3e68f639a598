"""Every file of the WebAssembly 2.0 spec suite, one test per file.

A file's test fails on any failed assertion not in ``expected_failures.txt`` and on
any listed assertion that now passes (so the list only shrinks). Assertions that
need the execution engine are counted as skipped by the runner until it lands.
"""

from __future__ import annotations

import glob
import os
from typing import Dict, Set

import pytest

from conftest import REPO, TESTSUITE
from wasmlite.wast_runner import run_file

SUITE_20 = os.path.join(TESTSUITE, "wasm-2.0")
FILES = sorted(glob.glob(os.path.join(SUITE_20, "*.wast")))


def _expected_failures() -> Dict[str, Set[int]]:
    out: Dict[str, Set[int]] = {}
    with open(os.path.join(REPO, "tests", "expected_failures.txt"), encoding="utf-8") as f:
        for raw in f:
            entry = raw.split("#", 1)[0].strip()
            if entry:
                name, line = entry.rsplit(":", 1)
                out.setdefault(name, set()).add(int(line))
    return out


EXPECTED = _expected_failures()


def test_suite_is_present() -> None:
    assert len(FILES) == 148, f"expected the 148 files of the 2.0 suite in {SUITE_20}, found {len(FILES)}"


@pytest.mark.parametrize("path", FILES, ids=os.path.basename)
def test_spec_file(path: str) -> None:
    result = run_file(path)
    name = os.path.basename(path)
    expected = EXPECTED.get(name, set())
    unexpected = [o for o in result.failures if o.line not in expected]
    assert not unexpected, "\n".join(f"{name}:{o.line}: {o.detail}" for o in unexpected)
    now_passing = expected - {o.line for o in result.failures}
    assert not now_passing, f"now passing, remove from expected_failures.txt: {sorted(now_passing)}"
