"""Expected checksums of the workloads, computed by wasmtime (an independent engine).

``python -m benchmarks.expected`` (also run by ``kernels/build.py``) runs every
workload at each of its sizes on wasmtime and writes ``expected.json``; the harness
and the tests compare against that file, so they also work where wasmtime is not
installed (PyPy).
"""

from __future__ import annotations

import json
import os
from typing import Dict

from .workloads import HERE, WORKLOADS, Workload

PATH = os.path.join(HERE, "expected.json")


def wasmtime_checksum(w: Workload, n: int) -> int:
    import wasmtime

    store = wasmtime.Store()
    module = wasmtime.Module(store.engine, w.binary())
    run = wasmtime.Instance(store, module, []).exports(store)["run"]
    return run(store, n) & 0xFFFFFFFF  # type: ignore[operator]


def refresh() -> None:
    table = {w.name: {str(n): wasmtime_checksum(w, n) for n in sorted(set(w.sizes.values()))}
             for w in WORKLOADS}
    with open(PATH, "w") as f:
        json.dump(table, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {os.path.relpath(PATH)}")


def load() -> Dict[str, Dict[int, int]]:
    with open(PATH) as f:
        return {name: {int(n): v for n, v in sizes.items()} for name, sizes in json.load(f).items()}


if __name__ == "__main__":
    refresh()
