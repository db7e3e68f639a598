"""Every Python example in the README runs (from the repository root, as a reader would)."""

from __future__ import annotations

import os
import re

import pytest

from conftest import REPO


def _python_blocks(path: str):
    with open(path, encoding="utf-8") as f:
        return re.findall(r"```python\n(.*?)```", f.read(), re.S)


BLOCKS = _python_blocks(os.path.join(REPO, "README.md"))


def test_readme_has_examples() -> None:
    assert BLOCKS


@pytest.mark.parametrize("code", BLOCKS)
def test_readme_example_runs(code: str, monkeypatch, capsys) -> None:
    monkeypatch.chdir(REPO)
    exec(compile(code, "README.md", "exec"), {})
    assert capsys.readouterr().out, "each example shows its result"
