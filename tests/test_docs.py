"""Every Python example in the README and in docs/ runs (from the repository root, as
a reader would), and prints exactly the ``output`` block that follows it, if any.
The API reference names every public name of the package."""

from __future__ import annotations

import glob
import os
import re
from typing import List, Optional, Tuple

import pytest

import wasmlite
from conftest import REPO

FENCE = re.compile(r"```(\w*)\n(.*?)```", re.S)


def _examples(path: str) -> List[Tuple[str, Optional[str]]]:
    """(code, expected output or None) of each ```python block of ``path``."""
    with open(path, encoding="utf-8") as f:
        blocks = [(m.group(1), m.group(2)) for m in FENCE.finditer(f.read())]
    out = []
    for i, (lang, body) in enumerate(blocks):
        if lang == "python":
            follows = blocks[i + 1] if i + 1 < len(blocks) else None
            out.append((body, follows[1] if follows and follows[0] == "output" else None))
    return out


DOCS = [os.path.join(REPO, "README.md")] + sorted(glob.glob(os.path.join(REPO, "docs", "*.md")))
EXAMPLES = [(os.path.relpath(p, REPO), n, code, expected)
            for p in DOCS for n, (code, expected) in enumerate(_examples(p))]


def test_docs_have_examples() -> None:
    assert {path for path, *_ in EXAMPLES} >= {"README.md", os.path.join("docs", "guide.md")}


@pytest.mark.parametrize("path,n,code,expected", EXAMPLES, ids=[f"{p}#{n}" for p, n, *_ in EXAMPLES])
def test_example_runs(path: str, n: int, code: str, expected: Optional[str], monkeypatch, capsys) -> None:
    monkeypatch.chdir(REPO)
    exec(compile(code, f"{path} example {n}", "exec"), {"__name__": "__docs__"})
    out = capsys.readouterr().out
    assert out, "each example shows its result"
    if expected is not None:
        assert out == expected


def test_api_reference_names_every_public_name() -> None:
    with open(os.path.join(REPO, "docs", "api.md"), encoding="utf-8") as f:
        reference = f.read()
    missing = [name for name in wasmlite.__all__ if name != "__version__" and f"`{name}" not in reference]
    assert not missing


def test_every_public_name_has_a_docstring() -> None:
    undocumented = []
    for name in wasmlite.__all__:
        obj = getattr(wasmlite, name)
        if not isinstance(obj, type):
            continue
        if not (obj.__doc__ or "").strip():
            undocumented.append(name)
        for attr, value in vars(obj).items():
            if attr.startswith("_") or not (callable(value) or isinstance(value, (property, classmethod, staticmethod))):
                continue
            doc = getattr(value, "__doc__", None) or getattr(getattr(value, "__func__", None), "__doc__", None)
            if not (doc or "").strip():
                undocumented.append(f"{name}.{attr}")
    assert not undocumented
