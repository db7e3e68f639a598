"""The benchmark workloads compute what wasmtime computes, in both tiers (correctness
only: the benchmarks time them, this never does)."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import expected  # noqa: E402
from benchmarks.workloads import WORKLOADS, Workload  # noqa: E402
from wasmlite import Module  # noqa: E402
from wasmlite.engine import call, interp  # noqa: E402
from wasmlite.runtime.instantiate import instantiate  # noqa: E402

EXPECTED = expected.load()


@pytest.fixture(params=["0", "1"])
def tier(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("WASMLITE_CACHE_DIR", "")
    monkeypatch.setattr(interp, "TIER", request.param)
    return str(request.param)


@pytest.mark.parametrize("w", WORKLOADS, ids=lambda w: w.name)
def test_workload_checksum(w: Workload, tier: str) -> None:
    module = Module(w.binary())
    assert not module.imports  # the kernels are freestanding
    func = instantiate(module.syntax, [], call).exports["run"]
    for n in (w.sizes["tiny"], w.sizes["check"]):
        assert call(func, [n])[0] & 0xFFFFFFFF == EXPECTED[w.name][n], (w.name, n)


def test_expected_table_covers_every_size() -> None:
    for w in WORKLOADS:
        assert set(w.sizes.values()) <= set(EXPECTED[w.name]), w.name


def test_expected_table_is_wasmtimes() -> None:
    """Spot-check the recorded table against wasmtime itself."""
    pytest.importorskip("wasmtime")
    for w in WORKLOADS[::4]:
        n = min(EXPECTED[w.name])
        assert expected.wasmtime_checksum(w, n) == EXPECTED[w.name][n]
