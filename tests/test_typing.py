"""The public API type-checks under ``mypy --strict`` (the modules an embedder
imports), and the whole package under mypy's defaults (the internals' annotations)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from conftest import REPO

PUBLIC = ["-p", "wasmlite.api", "-m", "wasmlite", "-m", "wasmlite.types", "-m", "wasmlite.module",
          "-m", "wasmlite.errors"]


@pytest.mark.skipif(platform.python_implementation() != "CPython",
                    reason="mypy 1.19 does not run on PyPy (it needs the compiled librt); the CPython run checks")
def test_public_api_passes_mypy_strict(tmp_path) -> None:
    cmd = [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent",
           "--cache-dir", str(tmp_path), *PUBLIC]
    out = subprocess.run(cmd, cwd=os.path.join(REPO, "src"), capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.skipif(platform.python_implementation() != "CPython",
                    reason="mypy 1.19 does not run on PyPy (it needs the compiled librt); the CPython run checks")
def test_whole_package_passes_mypy(tmp_path) -> None:
    """The internals too, at mypy's default strictness: their annotations stay true."""
    cmd = [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path), "-p", "wasmlite"]
    out = subprocess.run(cmd, cwd=os.path.join(REPO, "src"), capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
