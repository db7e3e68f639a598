"""The calls the SIMD kernels program (kernels.c) is driven by, shared by the
differential test (tests/test_simd_program.py) and the benchmark
(benchmarks/simd.py): ``script(n)`` is the list of (export, args) to call in order
after ``init``, each kernel over its first ``n`` elements."""

from __future__ import annotations

import os
from typing import Any, List, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
SIMD_WASM = os.path.join(HERE, "kernels-simd.wasm")
SCALAR_WASM = os.path.join(HERE, "kernels-scalar.wasm")
N = 4096
"""Elements of each array in kernels.c."""


def script(n: int) -> List[Tuple[str, List[Any]]]:
    return [
        ("sum_u8", [n]), ("dot_i16", [n]), ("sum_i64", [n]), ("max_i32", [n]),
        ("brighten", [n, 77]), ("absdiff", [n]), ("to_lower", [n]), ("reverse", [n]),
        ("widen_mul", [n]), ("sat_i16", [n]), ("shift_mix", [n, 5]), ("saxpy", [n, 1.5]),
        ("f32_kernel", [n]), ("f32_to_i32", [n]), ("i32_to_f32", [n]), ("f64_kernel", [n]),
        ("sum_u8", [n]), ("dot_i16", [n]),
    ]
