"""``import wasmlite`` leaves out what most embedders never use (start-up time)."""

from __future__ import annotations

import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_import_is_lazy_about_wasi_and_inspect() -> None:
    script = """import sys
import wasmlite
print(sorted(m for m in ("wasmlite.wasi", "inspect") if m in sys.modules))
print(wasmlite.WasiConfig.__module__, "wasmlite.wasi" in sys.modules)
"""
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "src"))
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert (out.stdout, out.stderr) == ("[]\nwasmlite.wasi.config True\n", "")
